"""The inbound event log: every event is stored before it is acted on, and handled once.

An event is recorded claimed by the process that received it, under a lease; one left unhandled
when its lease ends (that process died) is claimed by another and replayed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, CursorResult, Executable, Table, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import DeadLetter, InboundEvent, utcnow

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
    .where(_EVENTS.c.id == bindparam("event_id"), _EVENTS.c.handled_at.is_(None))
    .values(handled_at=bindparam("handled_at_time"), error=bindparam("handled_error"))
)


def _claimable() -> tuple[ColumnElement[bool], ...]:
    """Unhandled, and no live process holds it."""
    c = _EVENTS.c
    return (c.handled_at.is_(None), or_(c.claimed_until.is_(None), c.claimed_until < bindparam("now")))


# One statement on both databases: PostgreSQL locks the rows it picks and skips those a peer is
# claiming; SQLite (no FOR UPDATE) runs the whole UPDATE under its single write lock. The outer
# WHERE is checked again on the row itself, so a row claimed meanwhile is not taken.
_CLAIM = (
    update(_EVENTS)
    .where(
        _EVENTS.c.id.in_(
            select(_EVENTS.c.id)
            .where(*_claimable())
            .order_by(_EVENTS.c.id)
            .limit(bindparam("limit"))
            .with_for_update(skip_locked=True)
        ),
        *_claimable(),
    )
    .values(claimed_until=bindparam("lease_until"))
    .returning(_EVENTS.c.id, _EVENTS.c.payload)
)


class ClaimedEvent(NamedTuple):
    id: int
    payload: dict[str, Any]


def record_inbound(
    *,
    session: Session,
    channel: str,
    platform_event_id: str,
    address: str,
    payload: dict[str, Any],
    claimed_until: datetime,
) -> int | None:
    """Insert the event, claimed by the recording process until `claimed_until` (no peer replays
    it while it is being handled), and give its id; None if this (channel, platform id) was
    recorded before.

    One INSERT … ON CONFLICT DO NOTHING: a repeat costs no error, savepoint or rollback."""
    row = {
        "channel": channel,
        "platform_event_id": platform_event_id,
        "address": address,
        "payload": payload,
        "received_at": utcnow(),
        "claimed_until": claimed_until,
    }
    statement = _RECORD_POSTGRESQL if session.get_bind().dialect.name == "postgresql" else _RECORD_SQLITE
    return session.execute(statement, row).scalar_one_or_none()


def mark_handled(*, session: Session, event_id: int, at: datetime, error: str | None = None) -> bool:
    """One UPDATE by id, without loading the event; False if it was already handled (by a peer
    whose turn committed first, its lease having run out under this one: this turn is a repeat)."""
    marked = session.execute(
        _MARK_HANDLED, {"event_id": event_id, "handled_at_time": at, "handled_error": error}
    )
    return isinstance(marked, CursorResult) and marked.rowcount == 1


def claim_unhandled(*, session: Session, now: datetime, lease: timedelta, limit: int) -> list[ClaimedEvent]:
    """Claim up to `limit` unhandled events no live process holds (no claim, or an expired one),
    oldest first, and commit the claim: each is then this process's to handle until now + lease."""
    claim = {"now": now, "lease_until": now + lease, "limit": limit}
    rows = session.execute(_CLAIM, claim).all()
    session.commit()
    return sorted((ClaimedEvent(row.id, row.payload) for row in rows), key=lambda event: event.id)


def release_inbound(*, session: Session, event_ids: Sequence[int]) -> None:
    """Hand back unhandled events this process held (it is stopping): claimable by anyone now."""
    session.execute(
        update(_EVENTS)
        .where(_EVENTS.c.id.in_(event_ids), _EVENTS.c.handled_at.is_(None))
        .values(claimed_until=None)
    )


def record_dead_letter(
    *, session: Session, channel: str, platform_event_id: str, address: str, error: str
) -> None:
    """Set aside an event that cannot be recorded (see DeadLetter)."""
    session.add(
        DeadLetter(channel=channel, platform_event_id=platform_event_id, address=address, error=error)
    )
