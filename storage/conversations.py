"""Conversation state per chat account, so a restart mid-flow loses nothing.

Every event reads its account's state and most write none, so both are plain statements built
once: loading the ORM row cost more than the rest of a /help turn's reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlmodel import Session

from storage.models import ConversationState

_STATES: Table = ConversationState.__table__  # type: ignore[attr-defined]

_LOAD = select(_STATES.c.flow, _STATES.c.state, _STATES.c.data).where(
    _STATES.c.account_id == bindparam("account_id")
)
_INSERT = insert(_STATES)
_UPDATE = (
    update(_STATES)
    .where(_STATES.c.account_id == bindparam("row_account_id"))
    .values(
        flow=bindparam("new_flow"),
        state=bindparam("new_state"),
        data=bindparam("new_data"),
        updated_at=bindparam("new_updated_at"),
    )
)
_DELETE = delete(_STATES).where(_STATES.c.account_id == bindparam("account_id"))


class SavedState(NamedTuple):
    """Where an account was when the turn began."""

    flow: str
    state: str
    data: dict[str, Any]


def load_state(*, session: Session, account_id: int) -> SavedState | None:
    row = session.execute(_LOAD, {"account_id": account_id}).first()
    return SavedState(row.flow, row.state, row.data) if row else None


def store_state(
    *,
    session: Session,
    current: SavedState | None,
    account_id: int,
    flow: str | None,
    state: str | None,
    data: dict[str, Any],
    at: datetime,
) -> None:
    """Save where the account is now, or forget it (no flow or state: the conversation ended).

    `current` is what `load_state` gave at the start of the turn, so it is not looked up again."""
    if flow is None or state is None:
        if current is not None:
            session.execute(_DELETE, {"account_id": account_id})
        return
    if current is None:
        session.execute(
            _INSERT,
            {"account_id": account_id, "flow": flow, "state": state, "data": dict(data), "updated_at": at},
        )
        return
    session.execute(
        _UPDATE,
        {
            "row_account_id": account_id,
            "new_flow": flow,
            "new_state": state,
            "new_data": dict(data),
            "new_updated_at": at,
        },
    )
