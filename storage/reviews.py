"""Termly reviews: who was asked "Is the way we keep in touch working for you?", their latest
answer, and what each coordinator's summary needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import Partnership, PartnershipMember, Person, TermReview


@dataclass(frozen=True, slots=True)
class Reviewed:
    """One member's review as their coordinator sees it; `answer` is None until they answer."""

    name: str
    asked_at: datetime
    answer: str | None
    text: str | None
    language: str | None


def asked_in(*, session: Session, term: int) -> set[int]:
    """The people already asked in `term` (so the job need not try them again)."""
    return set(session.exec(select(TermReview.person_id).where(TermReview.term == term)).all())


def ask_once(*, session: Session, person_id: int, term: int, at: datetime) -> bool:
    """True the first time this person is asked in `term` (in any process); False ever after."""
    try:
        with session.begin_nested():
            session.add(TermReview(person_id=person_id, term=term, asked_at=at))
    except IntegrityError:
        return False
    return True


def _review(session: Session, person_id: int, term: int) -> TermReview | None:
    return session.exec(
        select(TermReview).where(TermReview.person_id == person_id, TermReview.term == term)
    ).first()


def was_asked(*, session: Session, person_id: int, term: int) -> bool:
    return _review(session, person_id, term) is not None


def record_answer(
    *,
    session: Session,
    person_id: int,
    term: int,
    answer: str,
    at: datetime,
    text: str | None = None,
    language: str | None = None,
) -> bool:
    """Their answer replaces any earlier one this term (the latest counts); False if not asked then."""
    review = _review(session, person_id, term)
    if review is None:
        return False
    review.answer, review.text, review.language, review.answered_at = answer, text, language, at
    session.add(review)
    return True


def _members_coordinated_by(coordinator_id: int) -> SelectOfScalar[int]:
    return (
        select(PartnershipMember.person_id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .where(Partnership.coordinator_id == coordinator_id)
    )


def reviews_for(*, session: Session, coordinator_id: int, term: int) -> list[Reviewed]:
    """This term's reviews of the members of the partnerships `coordinator_id` coordinates, by name."""
    rows = session.exec(
        select(TermReview, Person.name)
        .join(Person, col(Person.id) == TermReview.person_id)
        .where(
            TermReview.term == term, col(TermReview.person_id).in_(_members_coordinated_by(coordinator_id))
        )
        .order_by(Person.name, col(Person.id))
    ).all()
    return [
        Reviewed(
            name=name,
            asked_at=review.asked_at,
            answer=review.answer,
            text=review.text,
            language=review.language,
        )
        for review, name in rows
    ]


def coordinators_asked_before(*, session: Session, term: int, before: datetime) -> list[Person]:
    """Coordinators whose partnerships' members were first asked in `term` no later than `before`."""
    first_asked = func.min(TermReview.asked_at)
    due = (
        select(Partnership.coordinator_id)
        .join(PartnershipMember, col(PartnershipMember.partnership_id) == Partnership.id)
        .join(TermReview, col(TermReview.person_id) == PartnershipMember.person_id)
        .where(TermReview.term == term, col(Partnership.coordinator_id).is_not(None))
        .group_by(col(Partnership.coordinator_id))
        .having(first_asked <= before)
    )
    return list(session.exec(select(Person).where(col(Person.id).in_(due)).order_by(col(Person.id))).all())
