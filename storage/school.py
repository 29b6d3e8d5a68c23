"""Schools, classes, students, people and partnerships: the roster, created idempotently."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.ids import id_of
from storage.models import (
    ChannelAccount,
    ClassGroup,
    Involvement,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    School,
    Student,
)


def get_or_create_school(*, session: Session, name: str, timezone: str, default_language: str) -> School:
    school = session.exec(select(School).where(School.name == name)).first()
    if school is None:
        school = School(name=name, timezone=timezone, default_language=default_language)
        session.add(school)
        session.flush()
    return school


def first_school(*, session: Session) -> School | None:
    return session.exec(select(School).order_by(col(School.id))).first()


def get_or_create_class(
    *, session: Session, school_id: int, name: str, external_id: str | None = None
) -> ClassGroup:
    query = select(ClassGroup).where(ClassGroup.school_id == school_id)
    query = (
        query.where(ClassGroup.external_id == external_id)
        if external_id
        else query.where(ClassGroup.name == name)
    )
    group = session.exec(query).first()
    if group is None:
        group = ClassGroup(school_id=school_id, name=name, external_id=external_id)
        session.add(group)
        session.flush()
    return group


def find_class_group(
    *, session: Session, school_id: int, name: str, external_id: str | None
) -> ClassGroup | None:
    """A class by external id, else by name (names are unique within a school)."""
    query = select(ClassGroup).where(ClassGroup.school_id == school_id)
    if external_id:
        group = session.exec(query.where(ClassGroup.external_id == external_id)).first()
        if group is not None:
            return group
    return session.exec(query.where(ClassGroup.name == name)).first()


def get_or_create_student(
    *,
    session: Session,
    school_id: int,
    class_id: int | None,
    name: str,
    external_id: str | None = None,
    namesakes_but: Collection[int] | None = None,
) -> tuple[Student, bool]:
    """Find a student by external id, else by name within the class; (student, created).

    With `namesakes_but`, a student whose external id is not known yet is also found as the one
    student of that name in the class (not among those ids): the same child in another system's
    export, where the ids differ (a CSV, then OneRoster)."""
    query = select(Student).where(Student.school_id == school_id)
    same_name = query.where(Student.name == name, Student.class_id == class_id)
    student = session.exec(
        query.where(Student.external_id == external_id) if external_id else same_name
    ).first()
    if student is None and external_id and namesakes_but is not None:
        found = [s for s in session.exec(same_name) if s.id not in namesakes_but]
        student = found[0] if len(found) == 1 else None
    if student is not None:
        return student, False
    student = Student(school_id=school_id, class_id=class_id, name=name, external_id=external_id)
    session.add(student)
    session.flush()
    return student, True


def find_person(
    *, session: Session, school_id: int, name: str, email: str | None = None, external_id: str | None = None
) -> Person | None:
    """The same person across imports: by external id, else e-mail, else exact name."""
    query = select(Person).where(Person.school_id == school_id)
    if external_id:
        query = query.where(Person.external_id == external_id)
    elif email:
        query = query.where(Person.email == email)
    else:
        query = query.where(Person.name == name)
    return session.exec(query).first()


def find_roster_person(
    *,
    session: Session,
    school_id: int,
    name: str,
    student_id: int,
    email: str | None = None,
    external_id: str | None = None,
) -> Person | None:
    """The same person across roster imports: by external id, else e-mail, else name in the partnership.

    Each key is tried in turn, so someone first imported from a plain CSV (no external id) is
    still found when the school later switches to OneRoster; a name alone only identifies a
    person within one student's partnership, since two families may share a name.
    """
    query = select(Person).where(Person.school_id == school_id).order_by(col(Person.id))
    if external_id:
        person = session.exec(query.where(Person.external_id == external_id)).first()
        if person is not None:
            return person
    if email:
        person = session.exec(query.where(func.lower(Person.email) == email.lower())).first()
        if person is not None:
            return person
    return session.exec(
        query.join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .where(Partnership.student_id == student_id, Person.name == name)
    ).first()


def add_person(*, session: Session, person: Person) -> Person:
    session.add(person)
    session.flush()
    if person.email:
        session.add(ChannelAccount(channel="email", address=person.email, person_id=person.id, active=True))
        session.flush()
    return person


def partnership_for(*, session: Session, student_id: int) -> Partnership:
    partnership = session.exec(select(Partnership).where(Partnership.student_id == student_id)).first()
    if partnership is None:
        partnership = Partnership(student_id=student_id)
        session.add(partnership)
        session.flush()
    return partnership


def add_member(
    *,
    session: Session,
    partnership: Partnership,
    person: Person,
    involvement: Involvement = Involvement.INFORMED,
    relationship: str | None = None,
    key_contact: bool = False,
) -> bool:
    """Add a member unless already there; True if added."""
    existing = session.exec(
        select(PartnershipMember).where(
            PartnershipMember.partnership_id == partnership.id, PartnershipMember.person_id == person.id
        )
    ).first()
    if existing is not None:
        return False
    session.add(
        PartnershipMember(
            partnership_id=id_of(partnership),
            person_id=id_of(person),
            involvement=involvement,
            relationship=relationship,
            key_contact=key_contact,
        )
    )
    session.flush()
    return True


def has_key_contact(*, session: Session, partnership_id: int) -> bool:
    query = select(PartnershipMember.id).where(
        PartnershipMember.partnership_id == partnership_id, col(PartnershipMember.key_contact)
    )
    return session.exec(query).first() is not None


def staff_of_class(*, session: Session, class_id: int) -> list[Person]:
    """Teachers and support staff already in partnerships of this class's students."""
    rows = session.exec(
        select(Person)
        .join(PartnershipMember, PartnershipMember.person_id == Person.id)  # type: ignore[arg-type]
        .join(Partnership, Partnership.id == PartnershipMember.partnership_id)  # type: ignore[arg-type]
        .join(Student, Student.id == Partnership.student_id)  # type: ignore[arg-type]
        .where(Student.class_id == class_id, Person.role.in_([Role.TEACHER, Role.SUPPORT_STAFF]))  # type: ignore[attr-defined]
        .distinct()
    ).all()
    return list(rows)


def remove_member(*, session: Session, person_id: int, student_id: int | None = None) -> int:
    """Take a person out of one student's partnership, or out of all (None); how many seats went."""
    query = select(PartnershipMember).where(PartnershipMember.person_id == person_id)
    if student_id is not None:
        query = query.join(Partnership, col(Partnership.id) == col(PartnershipMember.partnership_id)).where(
            Partnership.student_id == student_id
        )
    seats = list(session.exec(query))
    for seat in seats:
        session.delete(seat)
    session.flush()
    return len(seats)


def retire_person(*, session: Session, person: Person) -> int:
    """No longer part of the school: out of every partnership, nothing sent to any of their chat
    accounts. Their history stays (`partnerbot person erase` removes it).
    Returns how many partnership seats went."""
    seats = remove_member(session=session, person_id=id_of(person))
    for account in session.exec(select(ChannelAccount).where(ChannelAccount.person_id == person.id)):
        account.active = account.preferred = False
        session.add(account)
    session.flush()
    return seats
