"""Conversation state per chat account, so a restart mid-flow loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import ConversationState


def load_state(*, session: Session, account_id: int) -> ConversationState | None:
    return session.get(ConversationState, account_id)


def store_state(
    *,
    session: Session,
    current: ConversationState | None,
    account_id: int,
    flow: str | None,
    state: str | None,
    data: dict[str, Any],
    at: datetime,
) -> None:
    """Save where the account is now, or forget it (no flow or state: the conversation ended).

    `current` is the row `load_state` gave at the start of the turn, so it is not looked up again."""
    if flow is None or state is None:
        if current is not None:
            session.delete(current)
        return
    row = current or ConversationState(account_id=account_id, flow=flow, state=state)
    row.flow, row.state, row.data, row.updated_at = flow, state, dict(data), at
    session.add(row)
