"""The audit log: who exported, erased, viewed, consented, overrode or signed in. Insert and read only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from storage.models import AuditEntry


class Action(StrEnum):
    EXPORTED = "exported"
    ERASED = "erased"
    VIEWED_PARTNERSHIP = "viewed_partnership"
    CHANGED_CONSENT = "changed_consent"
    USED_OVERRIDE = "used_override"
    SIGNED_IN = "signed_in"
    VIEWED_AUDIT = "viewed_audit"


def record(
    *,
    session: Session,
    action: Action,
    at: datetime,
    actor_id: int | None = None,
    subject_id: int | None = None,
    target: str | None = None,
    via: str = "cli",
) -> AuditEntry:
    """Append one entry. `target` names what was touched by kind and id ("partnership:3"), never content."""
    entry = AuditEntry(
        at=at, actor_id=actor_id, action=action.value, subject_id=subject_id, target=target, via=via
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    *,
    session: Session,
    subject_id: int | None = None,
    since: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """The newest entries first, optionally about one person and since a time; `offset` pages on."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    return list(session.exec(query).all())
