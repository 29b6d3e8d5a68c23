"""The inbound event log: every event is stored before it is acted on, and handled once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import InboundEvent


def record_inbound(
    *, session: Session, channel: str, platform_event_id: str, address: str, payload: dict[str, Any]
) -> InboundEvent | None:
    """Insert the event; None if this (channel, platform id) was recorded before."""
    event = InboundEvent(
        channel=channel, platform_event_id=platform_event_id, address=address, payload=payload
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None
    return event


def mark_handled(*, session: Session, event_id: int, at: datetime, error: str | None = None) -> None:
    event = session.get(InboundEvent, event_id)
    if event is not None:
        event.handled_at = at
        event.error = error
        session.add(event)


def unhandled_events(*, session: Session) -> list[InboundEvent]:
    return list(session.exec(select(InboundEvent).where(InboundEvent.handled_at.is_(None))).all())  # type: ignore[union-attr]
