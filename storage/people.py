"""People, their partnerships and preferences."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.ids import id_of
from storage.models import (
    ClassGroup,
    Frequency,
    Involvement,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    Student,
)


@dataclass(frozen=True, slots=True)
class Membership:
    """A person's seat in one student's partnership."""

    member_id: int
    partnership_id: int
    student_name: str
    involvement: Involvement


def get_person(*, session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def teachers(*, session: Session) -> list[Person]:
    return list(
        session.exec(select(Person).where(Person.role == Role.TEACHER).order_by(col(Person.id))).all()
    )


def people_by_id(*, session: Session, person_ids: list[int]) -> dict[int, Person]:
    return {id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()}


def staff_with_email(*, session: Session, email: str) -> Person | None:
    """The one staff member whose roster e-mail is `email` (case-insensitive); None if none or several."""
    wanted = email.strip().lower()
    if not wanted:
        return None
    found = session.exec(
        select(Person).where(
            func.lower(col(Person.email)) == wanted,
            col(Person.role).in_([role for role in Role if role.is_staff]),
        )
    ).all()
    return found[0] if len(found) == 1 else None


def find_people(*, session: Session, name: str) -> list[Person]:
    """People whose full name, or first name, matches `name` (case-insensitive)."""
    wanted = name.strip().casefold()
    people = session.exec(select(Person).order_by(col(Person.id))).all()
    return [p for p in people if wanted in (p.name.casefold(), p.name.casefold().split()[0])]


def memberships_of(*, session: Session, person_id: int) -> list[Membership]:
    rows = session.exec(
        select(PartnershipMember, Student)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .join(Student, col(Student.id) == Partnership.student_id)
        .where(PartnershipMember.person_id == person_id)
        .order_by(Student.name)
    ).all()
    return [
        Membership(
            member_id=id_of(member),
            partnership_id=member.partnership_id,
            student_name=student.name,
            involvement=member.involvement,
        )
        for member, student in rows
    ]


def set_involvement(
    *, session: Session, person_id: int, partnership_id: int, involvement: Involvement
) -> Membership | None:
    """Change the person's own involvement; None if they are not a member of that partnership."""
    member = session.exec(
        select(PartnershipMember).where(
            PartnershipMember.person_id == person_id, PartnershipMember.partnership_id == partnership_id
        )
    ).first()
    if member is None:
        return None
    member.involvement = involvement
    session.add(member)
    return next(
        (
            m
            for m in memberships_of(session=session, person_id=person_id)
            if m.partnership_id == partnership_id
        ),
        None,
    )


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise LookupError(f"No person {person_id}")
    return person


def mark_onboarded(*, session: Session, person_id: int, at: datetime) -> Person:
    """The person has answered the questions asked on joining."""
    person = _person(session, person_id)
    person.onboarded_at = at
    session.add(person)
    return person


def set_language(*, session: Session, person_id: int, language: str) -> Person:
    person = _person(session, person_id)
    person.language = language
    session.add(person)
    return person


def set_frequency(*, session: Session, person_id: int, frequency: Frequency) -> Person:
    """How often the person hears from the school. A digest keeps its time and day, or gets 18:00
    and, when weekly or fortnightly, Friday until they choose; straight away keeps neither."""
    person = _person(session, person_id)
    person.frequency = frequency
    if frequency == Frequency.IMMEDIATE:
        person.digest_weekday = person.digest_time = None
    else:
        person.digest_time = person.digest_time or time(18, 0)
        if frequency == Frequency.DAILY:
            person.digest_weekday = None
        elif person.digest_weekday is None:
            person.digest_weekday = 4  # Friday, until they choose
    session.add(person)
    return person


def set_digest_day(*, session: Session, person_id: int, weekday: int) -> Person:
    """The day of a weekly or fortnightly digest: 0 is Monday."""
    person = _person(session, person_id)
    person.digest_weekday = weekday
    session.add(person)
    return person


def set_digest_time(*, session: Session, person_id: int, digest_time: time) -> Person:
    person = _person(session, person_id)
    person.digest_time = digest_time
    session.add(person)
    return person


def set_quiet_hours(*, session: Session, person_id: int, quiet: tuple[time, time] | None) -> Person:
    """When nothing but urgent messages reaches the person, from start to end; None: at any time."""
    person = _person(session, person_id)
    person.quiet_start, person.quiet_end = quiet or (None, None)
    session.add(person)
    return person


def family_of(*, session: Session, student_id: int) -> list[Person]:
    """The parents and carers in a student's partnership."""
    return list(
        session.exec(
            select(Person)
            .join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
            .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
            .where(Partnership.student_id == student_id, Person.role == Role.PARENT)
            .order_by(col(Person.id))
        ).all()
    )


def find_students(*, session: Session, name: str) -> list[Student]:
    wanted = name.strip().casefold()
    students = session.exec(select(Student).order_by(col(Student.id))).all()
    return [s for s in students if wanted in (s.name.casefold(), s.name.casefold().split()[0])]


def find_class(*, session: Session, name: str) -> ClassGroup | None:
    wanted = name.strip().casefold()
    return next((c for c in session.exec(select(ClassGroup)).all() if c.name.casefold() == wanted), None)


def students_in_class(*, session: Session, class_id: int) -> list[Student]:
    return list(
        session.exec(select(Student).where(Student.class_id == class_id).order_by(col(Student.id))).all()
    )


class Contact(NamedTuple):
    """What sending to a person needs of them. A class's worth loads several times faster as
    these (named tuples of plain columns) than as whole Person rows."""

    id: int
    role: Role
    language: str
    timezone: str
    quiet_start: time | None
    quiet_end: time | None
    frequency: Frequency


class Recipient(NamedTuple):
    """A person to reach, and the student through whom they are reached."""

    person: Contact
    student_id: int | None


def students_of(*, session: Session, person_id: int) -> list[Student]:
    """The students whose partnerships this person is a member of."""
    return list(
        session.exec(
            select(Student)
            .join(Partnership, col(Partnership.student_id) == Student.id)
            .join(PartnershipMember, col(PartnershipMember.partnership_id) == Partnership.id)
            .where(PartnershipMember.person_id == person_id)
            .order_by(Student.name)
        ).all()
    )


def classes_for_staff(*, session: Session, person: Person) -> list[ClassGroup]:
    """Leaders see every class of their school; teachers and support staff the classes they work in."""
    if person.role == Role.LEADER:
        query = select(ClassGroup).where(ClassGroup.school_id == person.school_id)
    else:
        class_ids = {s.class_id for s in students_of(session=session, person_id=id_of(person)) if s.class_id}
        query = select(ClassGroup).where(col(ClassGroup.id).in_(class_ids))
    return list(session.exec(query.order_by(ClassGroup.name)).all())


def _families_query(class_id: int) -> Any:
    """The class's parents and carers with the student through whom each is reached, by person."""
    return (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            Person.id,
            Person.language,
            Person.timezone,
            Person.quiet_start,
            Person.quiet_end,
            Person.frequency,
            Student.id,
        )
        .join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .join(Student, col(Student.id) == Partnership.student_id)
        .where(Student.class_id == class_id, Person.role == Role.PARENT)
        .order_by(col(Person.id), col(Student.id))
    )


def family_batches(*, session: Session, class_id: int, size: int = 2_000) -> Iterator[list[Recipient]]:
    """Each parent or carer of the class once (the first of their children in it), `size` at a
    time, streamed from one query as plain rows on the session's connection: a fan-out to a
    class of 100,000 never holds them all (they were 3 KB each on the way to the outbox, and
    the ORM's row handling doubled the time)."""
    session.flush()
    rows = session.connection().execute(_families_query(class_id).execution_options(yield_per=size))
    last: int | None = None
    for partition in rows.partitions(size):
        batch = []
        for person_id, language, zone, quiet_start, quiet_end, frequency, student_id in partition:
            if person_id != last:  # ordered by person: a second child in the class comes next
                last = person_id
                contact = Contact(person_id, Role.PARENT, language, zone, quiet_start, quiet_end, frequency)
                batch.append(Recipient(contact, student_id))
        if batch:
            yield batch


def families_of_class(*, session: Session, class_id: int) -> list[Recipient]:
    """Each parent or carer of the class once (the first of their children in it)."""
    return [r for batch in family_batches(session=session, class_id=class_id) for r in batch]


def family_languages_of_class(*, session: Session, class_id: int) -> list[str]:
    """The languages the class's parents and carers read, in order: what a fan-out translates
    into before it streams the families themselves."""
    query = (
        select(Person.language)
        .distinct()
        .join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .join(Student, col(Student.id) == Partnership.student_id)
        .where(Student.class_id == class_id, Person.role == Role.PARENT)
        .order_by(col(Person.language))
    )
    return list(session.exec(query).all())


def school_side_of(*, session: Session, student_id: int) -> list[Person]:
    """Who hears from home: staff in the partnership, and outside partners who advise or support."""
    rows = session.exec(
        select(Person, PartnershipMember.involvement)
        .join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .where(Partnership.student_id == student_id, Person.role != Role.PARENT, Person.role != Role.STUDENT)
        .order_by(col(Person.id))
    ).all()
    return [
        person
        for person, involvement in rows
        if person.role.is_staff or involvement in {Involvement.ADVISER, Involvement.SUPPORT}
    ]


def is_member(*, session: Session, person_id: int, student_id: int) -> bool:
    return any(s.id == student_id for s in students_of(session=session, person_id=person_id))


def relationship_to(*, session: Session, person_id: int, student_id: int) -> str | None:
    return session.exec(
        select(PartnershipMember.relationship)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .where(PartnershipMember.person_id == person_id, Partnership.student_id == student_id)
    ).first()


def relationships_of(*, session: Session, person_id: int) -> list[str | None]:
    """How the roster relates this person to each student they are a partner for ("mother")."""
    return list(
        session.exec(
            select(PartnershipMember.relationship).where(PartnershipMember.person_id == person_id)
        ).all()
    )


def coordinators_of(*, session: Session, person_id: int) -> list[Person]:
    """The coordinators of the partnerships this person is a member of."""
    partnerships = select(PartnershipMember.partnership_id).where(PartnershipMember.person_id == person_id)
    coordinator_ids = select(Partnership.coordinator_id).where(col(Partnership.id).in_(partnerships))
    return list(session.exec(select(Person).where(col(Person.id).in_(coordinator_ids))).all())


def members_onboarded_before(*, session: Session, before: datetime) -> list[Person]:
    """Partnership members who chose their preferences before `before` (so have lived with them)."""
    members = select(PartnershipMember.person_id)
    return list(
        session.exec(
            select(Person)
            .where(
                col(Person.id).in_(members),
                col(Person.onboarded_at).is_not(None),
                col(Person.onboarded_at) <= before,
            )
            .order_by(col(Person.id))
        ).all()
    )


def school_people(*, session: Session, school_id: int, name: str = "", limit: int = 200) -> list[Person]:
    """A school's people by name, those whose name contains `name` (case-insensitive in every
    script, so compared here rather than by the database's LIKE), at most `limit`."""
    wanted = name.strip().casefold()
    query = select(Person).where(Person.school_id == school_id).order_by(col(Person.name))
    people = session.exec(query).all()
    return [p for p in people if wanted in p.name.casefold()][:limit]
