"""What the reminder job needs: unacknowledged deliveries, and keys that make each step happen once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Delivery, DeliveryStatus, Message, MessageKind, Once

REMINDED_KINDS = (MessageKind.HIGHLIGHT, MessageKind.POSTCARD_TO_HOME)


def claim_once(*, session: Session, key: str, at: datetime) -> bool:
    """True the first time `key` is claimed (in any process); False ever after."""
    try:
        with session.begin_nested():
            session.add(Once(key=key, at=at))
    except IntegrityError:
        return False
    return True


def claimed_at(*, session: Session, key: str) -> datetime | None:
    once = session.get(Once, key)
    return once.at if once else None


def unacknowledged(*, session: Session, sent_before: datetime, sent_after: datetime) -> list[Delivery]:
    """Highlights and postcards that reached someone between the two times and got no Got it."""
    return list(
        session.exec(
            select(Delivery)
            .join(Message, col(Message.id) == Delivery.message_id)
            .where(
                col(Message.kind).in_(REMINDED_KINDS),
                Delivery.status == DeliveryStatus.SENT,
                col(Delivery.acknowledged_at).is_(None),
                col(Delivery.person_id).is_not(None),
                col(Delivery.sent_at) <= sent_before,
                col(Delivery.sent_at) > sent_after,
            )
            .order_by(col(Delivery.id))
        ).all()
    )
