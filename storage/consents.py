"""Consent for outside partners (seed 001, 6.3): asked, given or refused, withdrawn, or overridden for
child protection. Every change keeps who, when and how; rows are never deleted, so the record stands
(the audit log, when there is one, is told the same)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage import audit
from storage.audit import Action
from storage.ids import id_of
from storage.models import (
    Consent,
    ConsentStatus,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    Student,
    utcnow,
)

#: The statuses under which the partner may be in the partnership.
ACTIVE = (ConsentStatus.GIVEN, ConsentStatus.OVERRIDE)


@dataclass(frozen=True, slots=True)
class ConsentView:
    """A consent with the names a person reading it needs."""

    consent: Consent
    partner: Person
    student: Student


def request(
    *,
    session: Session,
    student_id: int,
    partner_id: int,
    agency: str,
    shared: str,
    requested_by: int,
    at: datetime,
) -> Consent:
    consent = Consent(
        student_id=student_id,
        partner_id=partner_id,
        agency=agency,
        shared=shared,
        requested_by=requested_by,
        requested_at=at,
    )
    session.add(consent)
    session.flush()
    return consent


def get(*, session: Session, consent_id: int) -> Consent | None:
    return session.get(Consent, consent_id)


def decide(
    *,
    session: Session,
    consent: Consent,
    status: ConsentStatus,
    by: int,
    at: datetime,
    how: str,
    recorded_by: int | None = None,
    reason: str | None = None,
    via: str = "chat",
) -> Consent:
    """Record the family's answer (`by` the parent; `recorded_by` the staff member when it was not
    given through the bot), or a safeguarding lead's override (`by` them, with a reason); the
    audit log says who, never the reason's words."""
    consent.status, consent.decided_by, consent.decided_at = status, by, at
    consent.how, consent.recorded_by, consent.reason = how, recorded_by, reason
    session.add(consent)
    session.flush()
    action = Action.USED_OVERRIDE if status == ConsentStatus.OVERRIDE else Action.CHANGED_CONSENT
    _audit(session, consent, action, actor_id=recorded_by or by, at=at, via=via)
    return consent


def withdraw(*, session: Session, consent: Consent, by: int, at: datetime) -> Consent:
    consent.status, consent.withdrawn_by, consent.withdrawn_at = ConsentStatus.WITHDRAWN, by, at
    session.add(consent)
    session.flush()
    _audit(session, consent, Action.CHANGED_CONSENT, actor_id=by, at=at, via="chat")
    return consent


def _audit(
    session: Session, consent: Consent, action: Action, *, actor_id: int, at: datetime, via: str
) -> None:
    audit.record(
        session=session,
        action=action,
        at=at,
        actor_id=actor_id,
        subject_id=consent.partner_id,
        target=f"consent:{consent.id}",
        via=via,
    )


def may_join(*, session: Session, student_id: int, partner_id: int) -> bool:
    """True when the partner's consent for this student stands (given or overridden, not withdrawn)."""
    return (
        session.exec(
            select(Consent.id).where(
                Consent.student_id == student_id,
                Consent.partner_id == partner_id,
                col(Consent.status).in_(ACTIVE),
            )
        ).first()
        is not None
    )


def is_parent_of(*, session: Session, person_id: int, student_id: int) -> bool:
    """The person is a parent or carer in the student's partnership: one who can give consent."""
    return (
        session.exec(
            select(PartnershipMember.id)
            .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
            .join(Person, col(Person.id) == PartnershipMember.person_id)
            .where(
                Partnership.student_id == student_id,
                PartnershipMember.person_id == person_id,
                Person.role == Role.PARENT,
            )
        ).first()
        is not None
    )


def standing_for_family(*, session: Session, person_id: int) -> list[ConsentView]:
    """The consents standing for the children of this parent: the ones they can withdraw."""
    students = (
        select(Partnership.student_id)
        .join(PartnershipMember, col(PartnershipMember.partnership_id) == Partnership.id)
        .where(PartnershipMember.person_id == person_id)
    )
    rows = session.exec(
        select(Consent, Person, Student)
        .join(Person, col(Person.id) == Consent.partner_id)
        .join(Student, col(Student.id) == Consent.student_id)
        .where(col(Consent.student_id).in_(students), Consent.status == ConsentStatus.GIVEN)
        .order_by(col(Consent.id))
    ).all()
    return [ConsentView(consent, partner, student) for consent, partner, student in rows]


def history(*, session: Session, student_id: int) -> list[Consent]:
    """Every consent asked for the student, oldest first: the record staff and leaders read."""
    return list(
        session.exec(select(Consent).where(Consent.student_id == student_id).order_by(col(Consent.id))).all()
    )


def record_consent(
    *, session: Session, student_id: int, partner: Person, agency: str, parent: Person, recorded_by: Person
) -> Consent:
    """Consent the family gave on the school's paper form, as staff recorded it (roster and demo)."""
    consent = request(
        session=session,
        student_id=student_id,
        partner_id=id_of(partner),
        agency=agency,
        shared="all",
        requested_by=id_of(recorded_by),
        at=utcnow(),
    )
    return decide(
        session=session,
        consent=consent,
        status=ConsentStatus.GIVEN,
        by=id_of(parent),
        at=utcnow(),
        how="paper",
        recorded_by=id_of(recorded_by),
        via="cli",
    )
