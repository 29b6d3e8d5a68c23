"""A student's partnership as a coordinator sets it up (seed 000, steps 1–5): its purpose, goals and
review date, who is invited and how each answered, the communication plan's state, and meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.ids import id_of
from storage.models import (
    Delivery,
    DeliveryStatus,
    Involvement,
    Meeting,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    Student,
)
from storage.people import students_of
from storage.school import add_member, partnership_for


@dataclass(frozen=True, slots=True)
class Member:
    """One seat in a partnership, with its person."""

    seat: PartnershipMember
    person: Person


def students_for_coordinator(*, session: Session, person: Person) -> list[Student]:
    """The students whose partnership this staff member may set up: a leader every student of the
    school, other staff the students they work with or coordinate."""
    if person.role == Role.LEADER:
        return list(
            session.exec(
                select(Student).where(Student.school_id == person.school_id).order_by(Student.name)
            ).all()
        )
    coordinated = select(Partnership.student_id).where(Partnership.coordinator_id == person.id)
    mine = {id_of(s) for s in students_of(session=session, person_id=id_of(person))}
    mine |= set(session.exec(coordinated).all())
    return list(session.exec(select(Student).where(col(Student.id).in_(mine)).order_by(Student.name)).all())


def get_student(*, session: Session, student_id: int) -> Student | None:
    return session.get(Student, student_id)


def partnership_of(*, session: Session, student_id: int) -> Partnership:
    """The student's partnership (made empty the first time)."""
    return partnership_for(session=session, student_id=student_id)


def get_partnership(*, session: Session, partnership_id: int) -> Partnership | None:
    return session.get(Partnership, partnership_id)


def set_up(
    *,
    session: Session,
    student_id: int,
    coordinator_id: int,
    purpose: str,
    goals: str,
    goals_language: str,
    review_date: date,
) -> Partnership:
    """What the partnership is about, its goals and next review; the one setting it up coordinates it."""
    partnership = partnership_for(session=session, student_id=student_id)
    partnership.coordinator_id = coordinator_id
    partnership.purpose = purpose
    partnership.goals = goals
    partnership.goals_language = goals_language
    partnership.review_date = review_date
    session.add(partnership)
    session.flush()
    return partnership


def plan_due(*, session: Session, partnership_id: int, at: datetime) -> None:
    """The communication plan goes out at `at` at the latest, answered or not."""
    partnership = session.get(Partnership, partnership_id)
    if partnership is not None:
        partnership.plan_due_at = at
        session.add(partnership)


def members(*, session: Session, partnership_id: int) -> list[Member]:
    rows = session.exec(
        select(PartnershipMember, Person)
        .join(Person, col(Person.id) == PartnershipMember.person_id)
        .where(PartnershipMember.partnership_id == partnership_id)
        .order_by(col(PartnershipMember.id))
    ).all()
    return [Member(seat, person) for seat, person in rows]


def seat_of(*, session: Session, partnership_id: int, person_id: int) -> PartnershipMember | None:
    return session.exec(
        select(PartnershipMember).where(
            PartnershipMember.partnership_id == partnership_id, PartnershipMember.person_id == person_id
        )
    ).first()


def candidates(*, session: Session, partnership: Partnership) -> list[Person]:
    """People of the school who could be invited: not members yet, not students."""
    student = session.get(Student, partnership.student_id)
    inside = select(PartnershipMember.person_id).where(PartnershipMember.partnership_id == partnership.id)
    return list(
        session.exec(
            select(Person)
            .where(
                Person.school_id == (student.school_id if student else -1),
                Person.role != Role.STUDENT,
                col(Person.id).not_in(inside),
            )
            .order_by(Person.name)
        ).all()
    )


def invite(
    *,
    session: Session,
    partnership: Partnership,
    person: Person,
    at: datetime,
    relationship: str | None = None,
) -> PartnershipMember:
    """Make the person a member (if not already) who is to be asked how they want to be involved.
    An outside partner's consent is checked by the caller (storage.consents.may_join)."""
    add_member(session=session, partnership=partnership, person=person, relationship=relationship)
    seat = seat_of(session=session, partnership_id=id_of(partnership), person_id=id_of(person))
    if seat is None:
        raise LookupError(f"No seat for person {person.id}")
    seat.invited_at, seat.answered_at = at, None
    session.add(seat)
    return seat


def remove(*, session: Session, partnership_id: int, person_id: int) -> bool:
    """Take the person out of the partnership at once; True if they were in it."""
    seat = seat_of(session=session, partnership_id=partnership_id, person_id=person_id)
    if seat is None:
        return False
    session.delete(seat)
    session.flush()
    return True


def answer_involvement(
    *, session: Session, partnership_id: int, person_id: int, involvement: Involvement
) -> PartnershipMember | None:
    seat = seat_of(session=session, partnership_id=partnership_id, person_id=person_id)
    if seat is not None:
        seat.involvement = involvement
        session.add(seat)
    return seat


def answer_constraints(
    *, session: Session, partnership_id: int, person_id: int, constraints: str | None, at: datetime
) -> PartnershipMember | None:
    """Their constraints (None: none given), which completes their answer."""
    seat = seat_of(session=session, partnership_id=partnership_id, person_id=person_id)
    if seat is not None:
        seat.constraints, seat.answered_at = constraints, at
        session.add(seat)
    return seat


def set_up_partnerships(*, session: Session) -> list[Partnership]:
    """Every partnership a coordinator has set up (it has a purpose): the ones with a plan."""
    return list(
        session.exec(
            select(Partnership).where(col(Partnership.purpose).is_not(None)).order_by(col(Partnership.id))
        ).all()
    )


def plan_sent(*, session: Session, partnership_id: int, plan_hash: str, at: datetime) -> None:
    partnership = session.get(Partnership, partnership_id)
    if partnership is not None:
        partnership.plan_hash, partnership.plan_sent_at = plan_hash, at
        session.add(partnership)


def never_reached(*, session: Session, person_ids: list[int]) -> set[int]:
    """Of `person_ids`, those to whom nothing was ever delivered: every delivery failed or unreached,
    or none was made."""
    delivered = session.exec(
        select(Delivery.person_id).where(
            col(Delivery.person_id).in_(person_ids),
            col(Delivery.status).not_in([DeliveryStatus.FAILED, DeliveryStatus.UNREACHED]),
        )
    ).all()
    return set(person_ids) - set(delivered)


def add_meeting(
    *, session: Session, partnership_id: int, held_on: date, recorded_by: int, present: list[int]
) -> Meeting:
    meeting = Meeting(
        partnership_id=partnership_id, held_on=held_on, recorded_by=recorded_by, present=present
    )
    session.add(meeting)
    session.flush()
    return meeting


def meeting_sent(*, session: Session, meeting_id: int, message_id: int) -> None:
    meeting = session.get(Meeting, meeting_id)
    if meeting is not None:
        meeting.message_id = message_id
        session.add(meeting)
