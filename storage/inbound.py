"""The inbound event log: every event is stored before it is acted on, and handled once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.models import InboundEvent, utcnow

_EVENTS: Table = InboundEvent.__table__  # type: ignore[attr-defined]


def _record(insert: Callable[[Table], postgresql.Insert | sqlite.Insert]) -> Executable:
    return (
        insert(_EVENTS)
        .on_conflict_do_nothing(index_elements=["channel", "platform_event_id"])
        .returning(_EVENTS.c.id)
    )


# Built once: an event arrives with every message, and building the statement cost as much as running it.
_RECORD_POSTGRESQL, _RECORD_SQLITE = _record(postgresql_insert), _record(sqlite_insert)
_MARK_HANDLED = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(handled_at=bindparam("handled_at_time"), error=bindparam("handled_error"))
)


def record_inbound(
    *, session: Session, channel: str, platform_event_id: str, address: str, payload: dict[str, Any]
) -> int | None:
    """Insert the event and give its id; None if this (channel, platform id) was recorded before.

    One INSERT … ON CONFLICT DO NOTHING: a repeat costs no error, savepoint or rollback."""
    row = {
        "channel": channel,
        "platform_event_id": platform_event_id,
        "address": address,
        "payload": payload,
        "received_at": utcnow(),
    }
    statement = _RECORD_POSTGRESQL if session.get_bind().dialect.name == "postgresql" else _RECORD_SQLITE
    return session.execute(statement, row).scalar_one_or_none()


def mark_handled(*, session: Session, event_id: int, at: datetime, error: str | None = None) -> None:
    """One UPDATE by id, without loading the event."""
    session.execute(_MARK_HANDLED, {"event_id": event_id, "handled_at_time": at, "handled_error": error})


def unhandled_events(*, session: Session) -> list[InboundEvent]:
    return list(session.exec(select(InboundEvent).where(InboundEvent.handled_at.is_(None))).all())  # type: ignore[union-attr]
