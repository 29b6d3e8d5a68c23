"""The audit log: who exported, erased, viewed, consented, overrode or signed in. Insert and read only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_
from sqlmodel import Session, col, select

from storage.models import AuditEntry, Person


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
    school_id: int | None = None,
) -> list[AuditEntry]:
    """The newest entries first, optionally about one person, since a time, or where the one who
    acted or the one it was about is of one school (a leader reads their school's only); `offset`
    pages on."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
    if school_id is not None:
        of_school = select(Person.id).where(Person.school_id == school_id)
        query = query.where(
            or_(col(AuditEntry.actor_id).in_(of_school), col(AuditEntry.subject_id).in_(of_school))
        )
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    return list(session.exec(query).all())
