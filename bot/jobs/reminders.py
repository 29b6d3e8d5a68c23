"""Gentle reminders for highlights and postcards nobody acknowledged (run by the scheduler).

After `after` without a Got it: one reminder where the message went. After as long again:
once more on the person's other active channel, if they have one. Each step is keyed per
delivery, so it happens once however often the job runs. Who is still silent shows in /acks.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.messages.fanout import remind
from storage.reminders import claim_once, claimed_at, unacknowledged

#: Older messages are not chased any more.
HORIZON = timedelta(days=14)


def send_reminders(*, session: Session, now: datetime, after: timedelta, channels: Collection[str]) -> int:
    """Queue the reminders that are due, on `channels` (those this installation runs); returns how many."""
    candidates = unacknowledged(session=session, sent_before=now - after, sent_after=now - HORIZON)
    first = [d for d in candidates if claim_once(session=session, key=f"reminder:1:{d.id}", at=now)]
    second = [
        d
        for d in candidates
        if d not in first
        and (reminded := claimed_at(session=session, key=f"reminder:1:{d.id}")) is not None
        and reminded <= now - after
        and claim_once(session=session, key=f"reminder:2:{d.id}", at=now)
    ]
    return remind(session=session, deliveries=first, now=now, channels=channels) + remind(
        session=session, deliveries=second, now=now, channels=channels, elsewhere=True
    )
