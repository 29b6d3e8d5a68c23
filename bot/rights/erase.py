"""Erasing a person: everything but what a configured legal hold keeps, recorded in the audit log."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from storage.audit import Action, record
from storage.db import Session
from storage.rights import Erasure, erase


def erase_person(
    *, session: Session, person_id: int, holds: Collection[str], at: datetime, actor_id: int | None, via: str
) -> Erasure:
    """Remove or anonymise the person everywhere; a second run finds nothing more to do."""
    done = erase(session=session, person_id=person_id, holds=holds)
    if done.changed:
        record(session=session, action=Action.ERASED, at=at, actor_id=actor_id, subject_id=person_id, via=via)
    return done
