"""`partnerbot person`: one person at a time (family, staff, outside partner), without a CSV."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from bot.cli.common import current_database
from bot.i18n import LANGUAGES

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.models import Person, Role, Student

person_cli = typer.Typer(
    help="One person at a time: add, change or remove them and their links to students and classes; "
    "export or erase everything held about them."
)


class RoleName(StrEnum):
    """Roles as the command line names them."""

    parent = "parent"
    teacher = "teacher"
    support = "support"
    leader = "leader"
    external = "external"


def _role(name: RoleName) -> Role:
    from storage.models import Role

    return {RoleName.support: Role.SUPPORT_STAFF}.get(name, Role(name.value))


def _language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise typer.BadParameter(f"must be one of {', '.join(LANGUAGES)}", param_hint="--language")
    return value


@person_cli.command("list")
def list_people() -> None:
    """Everyone in the school: role, language, their students, and whether they have joined."""
    from sqlmodel import select

    from storage.db import session_scope
    from storage.ids import id_of
    from storage.invites import joined_people
    from storage.models import Person
    from storage.people import memberships_of

    table = Table("person", "role", "language", "students", "joined", box=box.SIMPLE_HEAD)
    with current_database() as db, session_scope(db) as session:
        people = list(session.exec(select(Person).order_by(Person.name)))
        joined = joined_people(session=session, person_ids=[id_of(p) for p in people])
        for person in people:
            students = ", ".join(
                m.student_name for m in memberships_of(session=session, person_id=id_of(person))
            )
            role = person.role.value.replace("_", " ")
            table.add_row(person.name, role, person.language, students, "yes" if person.id in joined else "")
    Console().print(table)


@person_cli.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Their full name.")],
    role: Annotated[RoleName, typer.Option(help="parent (any family member), staff, or an outside partner.")],
    student: Annotated[
        list[str] | None, typer.Option(help="A student they are linked to (repeat it).")
    ] = None,
    klass: Annotated[str | None, typer.Option("--class", help="Staff: every student of this class.")] = None,
    relationship: Annotated[str | None, typer.Option(help="mother, grandfather, speech therapist…")] = None,
    language: Annotated[str | None, typer.Option(help=f"One of {', '.join(LANGUAGES)}.")] = None,
    email: Annotated[str | None, typer.Option(help="Their e-mail address.")] = None,
) -> None:
    """Add one person, linked to students (--student) or to a whole class (--class)."""
    from bot.errors import BadInput
    from bot.roster.rows import parse_email
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.models import Person
    from storage.people import find_people
    from storage.school import add_person, first_school

    _language(language)
    try:
        address = parse_email(email or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--email") from None
    with current_database() as db, session_scope(db) as session:
        school = first_school(session=session)
        if school is None:
            raise BadInput(
                "There is no school yet: import a roster (`partnerbot import`) or run `partnerbot demo`."
            )
        if find_people(session=session, name=name):
            raise BadInput(f"{name!r} is already there: `partnerbot person edit` changes them.")
        person = add_person(
            session=session,
            person=Person(
                school_id=id_of(school),
                name=" ".join(name.split()),
                role=_role(role),
                language=language or school.default_language,
                timezone=school.timezone,
                email=address,
            ),
        )
        linked = _link(session, person, students=student or [], klass=klass, relationship=relationship)
    typer.echo(f"Added {person.name} ({role.value}), linked to {_names(linked)}.")
    if role is RoleName.parent:
        typer.echo(f'Invite them with `partnerbot invite create --person "{person.name}"`.')


@person_cli.command("edit")
def edit(
    name: Annotated[str, typer.Argument(help="Their name as it is now.")],
    new_name: Annotated[str | None, typer.Option("--name", help="Their corrected name.")] = None,
    language: Annotated[str | None, typer.Option(help=f"One of {', '.join(LANGUAGES)}.")] = None,
    email: Annotated[str | None, typer.Option(help="Their e-mail address.")] = None,
    add_student: Annotated[list[str] | None, typer.Option(help="Link them to this student too.")] = None,
    remove_student: Annotated[list[str] | None, typer.Option(help="Unlink them from this student.")] = None,
    klass: Annotated[
        str | None, typer.Option("--class", help="Link them to every student of this class.")
    ] = None,
    relationship: Annotated[str | None, typer.Option(help="For the students linked now.")] = None,
    safeguarding_lead: Annotated[
        bool | None,
        typer.Option(
            "--safeguarding-lead/--no-safeguarding-lead",
            help="A designated safeguarding lead (staff only) may add an outside partner without consent "
            "for child protection.",
        ),
    ] = None,
) -> None:
    """Correct a person's details, or link and unlink them from students and classes."""
    from bot.cli.chat import one_person
    from bot.roster.rows import parse_email
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.school import remove_member

    _language(language)
    with current_database() as db, session_scope(db) as session:
        person = one_person(session, name)
        if new_name:
            person.name = " ".join(new_name.split())
        if language:
            person.language = language
        if safeguarding_lead is not None:
            if safeguarding_lead and not person.role.is_staff:
                raise typer.BadParameter(
                    f"{person.name} is not staff: only staff can be a safeguarding lead.",
                    param_hint="--safeguarding-lead",
                )
            person.safeguarding_lead = safeguarding_lead
        if email is not None:
            try:
                person.email = parse_email(email)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--email") from None
        session.add(person)
        linked = _link(session, person, students=add_student or [], klass=klass, relationship=relationship)
        leaving = [_student(session, student) for student in remove_student or []]
        unlinked = [
            s.name
            for s in leaving
            if remove_member(session=session, person_id=id_of(person), student_id=id_of(s))
        ]
    typer.echo(
        f"Updated {person.name}"
        + (f"; linked to {_names(linked)}" if linked else "")
        + (f"; unlinked from {', '.join(unlinked)}" if unlinked else "")
        + (
            ""
            if safeguarding_lead is None
            else "; a safeguarding lead"
            if safeguarding_lead
            else "; not a safeguarding lead"
        )
        + "."
    )


@person_cli.command("remove")
def remove(name: Annotated[str, typer.Argument(help="Their full name.")]) -> None:
    """Someone who has left: out of every partnership, nothing more sent to them, invites ended.
    What they wrote stays until `partnerbot person erase`."""
    from bot.cli.chat import one_person
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.invites import revoke_invites
    from storage.models import utcnow
    from storage.school import retire_person

    with current_database() as db, session_scope(db) as session:
        person = one_person(session, name)
        seats = retire_person(session=session, person=person)
        revoke_invites(session=session, now=utcnow(), person_id=id_of(person))
    typer.echo(f"Removed {person.name} from {seats} partnership(s); nothing more is sent to them.")


def _student(session: Session, name: str) -> Student:
    from bot.errors import NotFound
    from storage.people import find_students

    found = find_students(session=session, name=name)
    if len(found) != 1:
        raise NotFound(f"{len(found)} students match {name!r}: give the full name.")
    return found[0]


def _link(
    session: Session, person: Person, *, students: list[str], klass: str | None, relationship: str | None
) -> list[str]:
    """Seat the person in each named student's partnership, or every student's of the class."""
    from bot.errors import NotFound
    from storage.ids import id_of
    from storage.models import Involvement, Role
    from storage.people import find_class, students_in_class
    from storage.school import add_member, has_key_contact, partnership_for

    chosen = [_student(session, name) for name in students]
    if klass is not None:
        group = find_class(session=session, name=klass)
        if group is None:
            raise NotFound(f"no class called {klass!r}")
        chosen += students_in_class(session=session, class_id=id_of(group))
    family = person.role is Role.PARENT
    involvement = Involvement.INFORMED if family else Involvement.ADVISER
    linked = []
    for student in chosen:
        partnership = partnership_for(session=session, student_id=id_of(student))
        key_contact = family and not has_key_contact(session=session, partnership_id=id_of(partnership))
        add_member(
            session=session,
            partnership=partnership,
            person=person,
            involvement=involvement,
            relationship=relationship,
            key_contact=key_contact,
        )
        linked.append(student.name)
    return linked


def _names(linked: list[str]) -> str:
    return ", ".join(linked) if linked else "no student yet"
