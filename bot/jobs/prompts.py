"""The partnership's rhythm: every fortnight, each class teacher is asked for learning highlights."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta

from sqlmodel import Session

from bot.delivery.rhythm import latest_digest_slot
from bot.i18n import Speaker
from bot.messages.fanout import notify
from storage.models import Frequency
from storage.people import classes_for_staff, teachers
from storage.reminders import claim_once

#: A prompt whose time passed longer ago than this (the bot was down) is skipped, not sent late.
STALE = timedelta(days=1)


def send_highlight_prompts(
    *, session: Session, now: datetime, weekday: int, at: time, channels: Collection[str]
) -> int:
    """Ask each teacher with a class, once per fortnightly slot, on `channels` (those this
    installation runs); returns how many were asked."""
    asked = 0
    for teacher in teachers(session=session):
        groups = classes_for_staff(session=session, person=teacher)
        slot = latest_digest_slot(
            now, zone=teacher.timezone, frequency=Frequency.FORTNIGHTLY, weekday=weekday, at=at
        )
        if not groups or slot is None or now - slot > STALE:
            continue
        if not claim_once(session=session, key=f"highlights-prompt:{teacher.id}:{slot.isoformat()}", at=now):
            continue
        speaker = Speaker(teacher.language, teacher.timezone)
        text = speaker._(
            "It is time to share this fortnight's learning highlights with the families of {groups}. "
            "Send /highlights when you are ready."
        ).format(groups=", ".join(g.name for g in groups))
        notify(
            session=session,
            person=teacher,
            text=text,
            now=now,
            channels=channels,
            details={"prompt": "highlights"},
        )
        asked += 1
    return asked
