"""The roster import: read a partnerbot CSV or a OneRoster 1.1 export, check every row, then import.

Nothing is written unless the whole file is valid, and importing the same file again changes
nothing: classes, students and people are found by their external id or natural key first.
Importing only adds — it never changes or removes what is there, because people change their
own language and channels in the chat and a roster must not undo that. docs/roster.md has the
formats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot.errors import RosterError
from bot.exports import private_csv
from bot.roster.invites import IssuedInvite, issue_invites
from bot.roster.oneroster import read_oneroster
from bot.roster.rows import (
    ClassRow,
    MemberRow,
    PersonRow,
    Problems,
    Record,
    Roster,
    StudentRow,
    clean_name,
    decode,
    parse_email,
    parse_language,
    parse_phone,
    parse_telegram,
    read_csv,
)
from bot.settings import Settings
from storage.ids import id_of
from storage.models import Involvement, Partnership, Person, Role, School
from storage.school import (
    add_member,
    add_person,
    find_class_group,
    find_roster_person,
    first_school,
    get_or_create_class,
    get_or_create_school,
    get_or_create_student,
    has_key_contact,
    partnership_for,
)

COLUMNS = (
    "student",
    "class",
    "family_member",
    "relationship",
    "language",
    "email",
    "phone",
    "telegram",
    "student_id",
    "role",
)
REQUIRED_COLUMNS = ("student", "class", "family_member")
_FAMILY_DETAILS = ("relationship", "language", "email", "phone", "telegram")
#: The `role` column: empty for family; staff and outside partners by the words schools use.
_ROLES = {
    "": Role.PARENT,
    "family": Role.PARENT,
    "parent": Role.PARENT,
    "carer": Role.PARENT,
    "teacher": Role.TEACHER,
    "support": Role.SUPPORT_STAFF,
    "support staff": Role.SUPPORT_STAFF,
    "aide": Role.SUPPORT_STAFF,
    "leader": Role.LEADER,
    "external": Role.EXTERNAL,
    "outside partner": Role.EXTERNAL,
}
_STAFF_INVOLVEMENT = {Role.TEACHER: Involvement.ADVISER, Role.EXTERNAL: Involvement.ADVISER}


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    """What an import created (zero everywhere when the file was imported before)."""

    school: str
    classes: int
    students: int
    family: int
    staff: int
    memberships: int
    invites: tuple[IssuedInvite, ...]
    #: Students found by name and class, their ids in this file differing from the database's.
    matched: tuple[str, ...] = ()

    def __str__(self) -> str:
        counts = (
            (self.classes, "class", "classes"),
            (self.students, "student", "students"),
            (self.family, "family member", "family members"),
            (self.staff, "staff member", "staff members"),
            (self.memberships, "partnership membership", "partnership memberships"),
            (len(self.invites), "invite", "invites"),
        )
        created = [f"{n} {singular if n == 1 else plural}" for n, singular, plural in counts]
        said = f"{self.school}: created {', '.join(created[:-1])} and {created[-1]}."
        if self.matched:
            said += (
                f" Matched {len(self.matched)} students already there by name and class (their ids "
                f"differ): {', '.join(self.matched)}."
            )
        return said


def load_roster(path: Path) -> Roster:
    """Parse and check a roster: a .csv file is partnerbot's format, a folder or .zip is OneRoster."""
    if not path.exists():
        raise RosterError([f"{path}: no such file or folder"])
    if path.is_dir() or path.suffix.lower() == ".zip":
        return read_oneroster(path)
    if path.suffix.lower() != ".csv":
        raise RosterError([f"{path}: expected a .csv file, or a OneRoster folder or .zip"])
    problems = Problems()
    roster = parse_partnerbot_csv(decode(path.read_bytes(), path.name), path.name, problems)
    problems.check()
    return roster


@dataclass(slots=True)
class _Draft:
    """A student while later rows may still add family members."""

    record: Record
    name: str
    klass: str
    external_id: str | None
    members: list[MemberRow] = field(default_factory=list)


class _Students:
    """Students as rows introduce them: by student_id when given, else by name and class."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.drafts: dict[tuple[str, ...], _Draft] = {}
        self.by_name: dict[tuple[str, str], _Draft] = {}

    def get(self, record: Record, name: str, klass: str, external_id: str | None) -> _Draft | None:
        """The row's student, or None (with the problem noted) if the row contradicts an earlier one."""
        key = ("id", external_id) if external_id else ("name", name, klass)
        draft = self.drafts.get(key)
        if draft is not None and (draft.name, draft.klass) != (name, klass):
            self.problems.add(
                record,
                f"student_id {external_id} is {draft.name} in {draft.klass} on line {draft.record.line}",
            )
            return None
        namesake = self.by_name.get((name, klass))
        if namesake is not None and (namesake.external_id is None) != (external_id is None):
            self.problems.add(
                record,
                f"{name} in {klass} has a student_id on one row and not on another "
                f"(line {namesake.record.line}); give it on every row, or on none",
            )
            return None
        if draft is None:
            draft = self.drafts[key] = _Draft(record, name, klass, external_id)
            self.by_name.setdefault((name, klass), draft)
        return draft

    def roster(self) -> Roster:
        classes = {draft.klass: ClassRow(key=draft.klass, name=draft.klass) for draft in self.drafts.values()}
        students = tuple(
            StudentRow(name=d.name, class_key=d.klass, external_id=d.external_id, members=tuple(d.members))
            for d in self.drafts.values()
        )
        return Roster(classes=tuple(classes.values()), students=students)


def parse_partnerbot_csv(text: str, source: str, problems: Problems) -> Roster:
    """One row per family member; a student with no family member listed still gets a partnership."""
    records = read_csv(
        text,
        source=source,
        columns=COLUMNS,
        required=REQUIRED_COLUMNS,
        problems=problems,
        strict=True,
    )
    students = _Students(problems)
    by_email: dict[str, tuple[PersonRow, Record]] = {}
    class_staff: list[tuple[str, MemberRow]] = []
    for record in records:
        before = len(problems)
        name, klass = clean_name(record["student"]), clean_name(record["class"])
        staff = _ROLES.get(_role_word(record["role"]), Role.PARENT) is not Role.PARENT
        if not name and not staff:
            problems.add(record, "missing student name")
        if not klass:
            problems.add(record, "missing class")
        person = _family_member(record, problems)
        if len(problems) > before:
            continue
        if person is not None and staff and not name:  # staff of the whole class
            class_staff.append((klass, _member(record, person)))
            continue
        student = students.get(record, name, klass, record["student_id"] or None)
        if student is None or person is None:
            continue
        if person.email and person.email in by_email:
            earlier, where = by_email[person.email]
            if earlier.name != person.name:
                problems.add(
                    record,
                    f"e-mail {person.email} is already {earlier.name}'s (line {where.line})",
                )
                continue
            if earlier.language != person.language:
                problems.add(record, f"{person.name}'s language differs from line {where.line}")
                continue
            person = earlier
        if person.email:
            by_email.setdefault(person.email, (person, record))
        if any(member.person.name == person.name for member in student.members):
            problems.add(record, f"{person.name} is listed twice for {name}")
            continue
        student.members.append(_member(record, person))
    for klass, member in class_staff:
        for draft in students.drafts.values():
            if draft.klass == klass and all(m.person.name != member.person.name for m in draft.members):
                draft.members.append(member)
    return students.roster()


def _member(record: Record, person: PersonRow) -> MemberRow:
    return MemberRow(
        person=person,
        relationship=clean_name(record["relationship"]) or None,
        involvement=_STAFF_INVOLVEMENT.get(
            person.role, Involvement.INFORMED if person.role is Role.PARENT else Involvement.SUPPORT
        ),
    )


def _role_word(value: str) -> str:
    return " ".join(value.casefold().replace("_", " ").split())


def _role(value: str) -> Role:
    role = _ROLES.get(_role_word(value))
    if role is None:
        raise ValueError(
            f"unknown role {value!r} (leave it empty for family, or use teacher, support, leader or external)"
        )
    return role


def _family_member(record: Record, problems: Problems) -> PersonRow | None:
    """The row's family member, None for a student-only row (whose family columns must then be empty)."""
    name = clean_name(record["family_member"])
    language = problems.parse(record, parse_language, "language")
    email = problems.parse(record, parse_email, "email")
    phone = problems.parse(record, parse_phone, "phone")
    telegram = problems.parse(record, parse_telegram, "telegram")
    role = problems.parse(record, _role, "role") or Role.PARENT
    if not name:
        if any(record[column] for column in (*_FAMILY_DETAILS, "role")):
            problems.add(record, "family_member is empty but the row gives their details")
        return None
    return PersonRow(name=name, role=role, language=language, email=email, phone=phone, telegram=telegram)


def import_roster(
    *, session: Session, path: Path, settings: Settings, school_name: str, now: datetime
) -> ImportSummary:
    """Check the whole file, then import it into the school (created if there is none) in `session`.

    Raises RosterError, having written nothing, if any row is bad. Each new family member
    gets an invite; people who were already there get none, so re-running issues no codes.
    """
    roster = load_roster(path)
    school = first_school(session=session) or get_or_create_school(
        session=session,
        name=school_name,
        timezone=settings.timezone,
        default_language=settings.default_language,
    )
    counts: Counter[str] = Counter()
    class_ids = {row.key: _class_id(session, school, row, counts) for row in roster.classes}
    new_family: list[Person] = []
    created_here: set[int] = set()  # namesakes within one file are two children (their ids differ)
    matched: list[str] = []
    for row in roster.students:
        student, created = get_or_create_student(
            session=session,
            school_id=id_of(school),
            class_id=class_ids[row.class_key] if row.class_key else None,
            name=row.name,
            external_id=row.external_id,
            namesakes_but=created_here,
        )
        counts["students"] += created
        if created:
            created_here.add(id_of(student))
        elif row.external_id and student.external_id != row.external_id:
            matched.append(row.name)
        partnership = partnership_for(session=session, student_id=id_of(student))
        for member in row.members:
            person = _seat(session, school, partnership, member, counts)
            if person is not None:
                new_family.append(person)
    invites = issue_invites(session=session, people=new_family, now=now, ttl=settings.invite_ttl)
    return ImportSummary(
        school=school.name,
        classes=counts["classes"],
        students=counts["students"],
        family=counts["family"],
        staff=counts["staff"],
        memberships=counts["memberships"],
        invites=tuple(invites),
        matched=tuple(matched),
    )


def _seat(
    session: Session, school: School, partnership: Partnership, member: MemberRow, counts: Counter[str]
) -> Person | None:
    """Find or add the member's person and seat them in the partnership; the person if new family."""
    is_family = member.person.role is Role.PARENT
    person = find_roster_person(
        session=session,
        school_id=id_of(school),
        name=member.person.name,
        student_id=partnership.student_id,
        email=member.person.email,
        external_id=member.person.external_id,
    )
    created = person is None
    if person is None:
        person = add_person(session=session, person=_new_person(school, member.person))
        counts["family" if is_family else "staff"] += 1
    key_contact = is_family and not has_key_contact(session=session, partnership_id=id_of(partnership))
    counts["memberships"] += add_member(
        session=session,
        partnership=partnership,
        person=person,
        involvement=member.involvement,
        relationship=member.relationship,
        key_contact=key_contact,
    )
    return person if created and is_family else None


def _class_id(session: Session, school: School, row: ClassRow, counts: Counter[str]) -> int | None:
    group = find_class_group(
        session=session, school_id=id_of(school), name=row.name, external_id=row.external_id
    )
    if group is None:
        counts["classes"] += 1
        group = get_or_create_class(
            session=session, school_id=id_of(school), name=row.name, external_id=row.external_id
        )
    return group.id


def _new_person(school: School, row: PersonRow) -> Person:
    return Person(
        school_id=id_of(school),
        name=row.name,
        role=row.role,
        language=row.language or school.default_language,
        timezone=school.timezone,
        email=row.email,
        phone=row.phone,
        telegram_username=row.telegram,
        external_id=row.external_id,
    )


def write_invites_csv(path: Path, invites: Iterable[IssuedInvite]) -> None:
    """person,code,expires (UTC); created readable by its owner only, as each code lets someone in."""
    with private_csv(path) as writer:
        writer.writerow(("person", "code", "expires"))
        for invite in invites:
            writer.writerow(
                (invite.person.name, invite.code, invite.expires_at.isoformat(timespec="minutes"))
            )
