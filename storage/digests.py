"""Deliveries held for a person's digest, and the digests made of them (one per person per slot)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Delivery, DeliveryStatus, Digest, Person


def people_with_held(*, session: Session) -> list[Person]:
    held = select(Delivery.person_id).where(Delivery.status == DeliveryStatus.HELD)
    return list(session.exec(select(Person).where(col(Person.id).in_(held)).order_by(col(Person.id))).all())


def held_for(*, session: Session, person_id: int, until: datetime | None = None) -> list[Delivery]:
    """The person's held deliveries, oldest first (those that arrived by `until`, if given)."""
    query = select(Delivery).where(Delivery.person_id == person_id, Delivery.status == DeliveryStatus.HELD)
    if until is not None:
        query = query.where(col(Delivery.created_at) <= until)
    return list(session.exec(query.order_by(col(Delivery.id))).all())


def claim_digest(*, session: Session, person_id: int, slot_at: datetime) -> Digest | None:
    """The digest for this person and slot, or None if one was made already (here or elsewhere)."""
    digest = Digest(person_id=person_id, slot_at=slot_at)
    try:
        with session.begin_nested():
            session.add(digest)
    except IntegrityError:
        return None
    return digest


def release_held(*, session: Session, person_id: int, at: datetime) -> None:
    """Send at once what was held (the person now wants messages straight away)."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.person_id) == person_id, col(Delivery.status) == DeliveryStatus.HELD)
        .values(status=DeliveryStatus.PENDING, not_before=at)
    )


def mark_digested(*, session: Session, delivery_ids: list[int], digest_message_id: int, at: datetime) -> None:
    """The held deliveries went out inside digest `digest_message_id`."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids))
        .values(
            status=DeliveryStatus.SENT, provider_id=f"digest:{digest_message_id}", sent_at=at, delivered_at=at
        )
    )
