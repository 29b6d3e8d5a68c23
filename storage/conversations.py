"""Conversation state per chat account, so a restart mid-flow loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import ConversationState


def load_state(*, session: Session, account_id: int) -> ConversationState | None:
    return session.get(ConversationState, account_id)


def save_state(
    *, session: Session, account_id: int, flow: str, state: str, data: dict[str, Any], at: datetime
) -> None:
    row = session.get(ConversationState, account_id)
    if row is None:
        row = ConversationState(account_id=account_id, flow=flow, state=state)
    row.flow, row.state, row.data, row.updated_at = flow, state, dict(data), at
    session.add(row)


def clear_state(*, session: Session, account_id: int) -> None:
    row = session.get(ConversationState, account_id)
    if row is not None:
        session.delete(row)
