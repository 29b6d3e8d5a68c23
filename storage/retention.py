"""Retention: delete what is older than the school keeps it. Each function is safe to run twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from storage.models import (
    DeadLetter,
    Delivery,
    DeliveryStatus,
    Digest,
    InboundEvent,
    Message,
    MessagePhoto,
    MessageTranslation,
    Once,
)

_FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNREACHED)


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def delete_messages(*, session: Session, before: datetime) -> int:
    """Messages written before `before`, with their translations, photos, deliveries and digests."""
    old = select(col(Message.id)).where(col(Message.created_at) < before)
    reminders = select(col(Delivery.id)).where(col(Delivery.message_id).in_(old))
    for key in session.scalars(reminders).all():
        session.execute(delete(Once).where(col(Once.key).in_([f"reminder:1:{key}", f"reminder:2:{key}"])))
    session.execute(update(Message).where(col(Message.answers_id).in_(old)).values(answers_id=None))
    session.execute(update(Digest).where(col(Digest.message_id).in_(old)).values(message_id=None))
    for table in (MessagePhoto, MessageTranslation, Delivery):
        session.execute(delete(table).where(col(table.message_id).in_(old)))
    return _count(session.execute(delete(Message).where(col(Message.created_at) < before)))


def delete_photos(*, session: Session, before: datetime) -> int:
    """Photos of messages written before `before` (the messages stay)."""
    old = select(col(Message.id)).where(col(Message.created_at) < before)
    return _count(session.execute(delete(MessagePhoto).where(col(MessagePhoto.message_id).in_(old))))


def delete_inbound(*, session: Session, before: datetime) -> int:
    """Inbound events handled, and dead letters set aside, before `before` (an unhandled event stays)."""
    events = session.execute(
        delete(InboundEvent).where(
            col(InboundEvent.handled_at).is_not(None), col(InboundEvent.received_at) < before
        )
    )
    letters = session.execute(delete(DeadLetter).where(col(DeadLetter.received_at) < before))
    return _count(events) + _count(letters)


def delete_deliveries(*, session: Session, before: datetime) -> int:
    """Finished deliveries (sent, failed, unreached) made before `before`; queued ones stay."""
    old = select(col(Delivery.id)).where(
        col(Delivery.status).in_(_FINISHED), col(Delivery.created_at) < before
    )
    for key in session.scalars(old).all():
        session.execute(delete(Once).where(col(Once.key).in_([f"reminder:1:{key}", f"reminder:2:{key}"])))
    return _count(
        session.execute(
            delete(Delivery).where(col(Delivery.status).in_(_FINISHED), col(Delivery.created_at) < before)
        )
    )
