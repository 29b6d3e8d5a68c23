"""The partnership's rhythm: every fortnight, each class teacher is asked for learning highlights."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session

from bot.i18n import Speaker
from bot.rhythm import latest_digest_slot, quiet_until
from storage.accounts import reachable_accounts
from storage.models import Frequency, Message, MessageKind
from storage.outbox import DeliveryDraft, add_deliveries, add_message
from storage.people import classes_for_staff, teachers
from storage.reminders import claim_once

#: A prompt whose time passed longer ago than this (the bot was down) is skipped, not sent late.
STALE = timedelta(days=1)


def send_highlight_prompts(*, session: Session, now: datetime, weekday: int, at: time) -> int:
    """Ask each teacher with a class, once per fortnightly slot; returns how many were asked."""
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
        message = add_message(
            session=session,
            message=Message(
                school_id=teacher.school_id,
                kind=MessageKind.UPDATE,
                text=text,
                language=teacher.language,
                details={"prompt": "highlights"},
            ),
        )
        account = reachable_accounts(session=session, person_ids=[teacher.id or 0]).get(teacher.id or 0)
        draft = DeliveryDraft(
            person_id=teacher.id,
            account_id=account.id if account else None,
            channel=account.channel if account else "",
            address=account.address if account else "",
            language=teacher.language,
            text=text,
            rtl=speaker.is_rtl,
            not_before=quiet_until(
                now, zone=teacher.timezone, start=teacher.quiet_start, end=teacher.quiet_end
            ),
        )
        add_deliveries(session=session, message=message, drafts=[draft], now=now)
        asked += 1
    return asked
