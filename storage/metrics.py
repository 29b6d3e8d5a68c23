"""What /metrics reads from the outbox: the same figures whichever process is asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from storage.models import Delivery, DeliveryStatus


@dataclass(frozen=True, slots=True)
class Outbox:
    """Deliveries per (channel, status), and per channel the age of the oldest one due and unsent."""

    by_status: dict[tuple[str, str], int]
    oldest_due_s: dict[str, float]


def outbox(*, session: Session, now: datetime) -> Outbox:
    counts = session.exec(
        select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status)
    ).all()
    due = session.exec(
        select(Delivery.channel, func.min(func.coalesce(Delivery.not_before, Delivery.created_at)))
        .where(col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))
        .where(or_(col(Delivery.not_before).is_(None), col(Delivery.not_before) <= now))
        .group_by(Delivery.channel)
    ).all()
    oldest = {}
    for channel, since in due:
        if since is not None:
            since = since if since.tzinfo else since.replace(tzinfo=now.tzinfo)
            oldest[channel] = max(0.0, (now - since).total_seconds())
    return Outbox(
        by_status={
            (channel, str(status.value if hasattr(status, "value") else status)): n
            for channel, status, n in counts
        },
        oldest_due_s=oldest,
    )
