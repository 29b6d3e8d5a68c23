"""The demo school: one class, three families (English, Spanish, Arabic) and the staff around them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.settings import Settings
from storage.consents import record_consent
from storage.ids import id_of
from storage.models import Involvement, Person, Role
from storage.school import (
    add_member,
    add_person,
    find_person,
    get_or_create_class,
    get_or_create_school,
    get_or_create_student,
    partnership_for,
)

SCHOOL = "Riverside Primary School"
CLASS = "Class 3B"


@dataclass(frozen=True, slots=True)
class _Family:
    student: str
    parent: str
    relationship: str
    language: str
    email: str


FAMILIES = (
    _Family("Oliver Bennett", "Sarah Bennett", "mother", "en", "sarah.bennett@example.org"),
    _Family("Sofía García", "Carlos García", "father", "es", "carlos.garcia@example.org"),
    _Family("Yusuf Haddad", "Amina Haddad", "mother", "ar", "amina.haddad@example.org"),
)
STAFF = (
    ("Emma Clarke", Role.TEACHER, "class teacher", Involvement.ADVISER),
    ("Daniel Lee", Role.SUPPORT_STAFF, "support teacher", Involvement.SUPPORT),
    ("Priya Patel", Role.EXTERNAL, "speech therapist", Involvement.ADVISER),
)


def create_demo_school(*, session: Session, settings: Settings) -> bool:
    """Create the demo school if it is not there yet; True if anything was created."""
    school = get_or_create_school(
        session=session, name=SCHOOL, timezone=settings.timezone, default_language=settings.default_language
    )
    if find_person(session=session, school_id=id_of(school), name=STAFF[0][0]) is not None:
        return False
    group = get_or_create_class(session=session, school_id=id_of(school), name=CLASS)
    staff = [
        (
            add_person(
                session=session,
                person=Person(
                    school_id=id_of(school), name=name, role=role, language="en", timezone=settings.timezone
                ),
            ),
            relationship,
            involvement,
        )
        for name, role, relationship, involvement in STAFF
    ]
    for family in FAMILIES:
        student, _ = get_or_create_student(
            session=session, school_id=id_of(school), class_id=group.id, name=family.student
        )
        partnership = partnership_for(session=session, student_id=id_of(student))
        partnership.coordinator_id = staff[0][0].id
        parent = add_person(
            session=session,
            person=Person(
                school_id=id_of(school),
                name=family.parent,
                role=Role.PARENT,
                language=family.language,
                timezone=settings.timezone,
                email=family.email,
            ),
        )
        add_member(
            session=session,
            partnership=partnership,
            person=parent,
            relationship=family.relationship,
            involvement=Involvement.SUPPORT,
            key_contact=True,
        )
        for person, relationship, involvement in staff:
            if person.role is Role.EXTERNAL and family.language != "ar":
                continue  # the speech therapist works with Yusuf only
            if person.role is Role.EXTERNAL:  # with the family's consent, on the school's paper form
                record_consent(
                    session=session,
                    student_id=id_of(student),
                    partner=person,
                    agency=relationship,
                    parent=parent,
                    recorded_by=staff[0][0],
                )
            add_member(
                session=session,
                partnership=partnership,
                person=person,
                relationship=relationship,
                involvement=involvement,
            )
    return True
