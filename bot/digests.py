"""Digests: what was held for a person, gathered into one message at their digest time.

Run by the scheduler every minute; safe to run twice or in two processes, and after downtime:
each person's latest slot is keyed (storage.digests.claim_digest), so exactly one digest goes
out for it, never zero and never several.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.i18n import Speaker
from bot.rhythm import latest_digest_slot, quiet_until
from storage.accounts import reachable_accounts
from storage.digests import claim_digest, held_for, mark_digested, people_with_held, release_held
from storage.models import Delivery, Frequency, Message, MessageKind, Person
from storage.outbox import DeliveryDraft, add_deliveries, add_message

_LOGGER = logging.getLogger(__name__)


def send_digests(*, session: Session, now: datetime) -> int:
    """Make every digest that is due; returns how many were made."""
    made = 0
    for person in people_with_held(session=session):
        if person.frequency == Frequency.IMMEDIATE:
            release_held(session=session, person_id=person.id or 0, at=now)
            continue
        slot = latest_digest_slot(
            now,
            zone=person.timezone,
            frequency=person.frequency,
            weekday=person.digest_weekday,
            at=person.digest_time,
        )
        items = held_for(session=session, person_id=person.id or 0, until=slot) if slot else []
        if (
            not items
            or slot is None
            or claim_digest(session=session, person_id=person.id or 0, slot_at=slot) is None
        ):
            continue
        _digest(session=session, person=person, items=items, slot=slot, now=now)
        made += 1
    return made


def _digest(
    *, session: Session, person: Person, items: list[Delivery], slot: datetime, now: datetime
) -> None:
    speaker = Speaker(person.language, person.timezone)
    header = speaker.ngettext(
        "Your digest: {count} message since last time.",
        "Your digest: {count} messages since last time.",
        len(items),
    ).format(count=len(items))
    text = "\n\n".join([header, *(f"{number}. {item.text}" for number, item in enumerate(items, start=1))])
    buttons = tuple(
        (f"{number}. {button['label']}", button["payload"])
        for number, item in enumerate(items, start=1)
        for button in item.buttons
    )
    message = add_message(
        session=session,
        message=Message(
            school_id=person.school_id,
            kind=MessageKind.UPDATE,
            text=text,
            language=person.language,
            details={"digest": slot.isoformat()},
        ),
    )
    account = reachable_accounts(session=session, person_ids=[person.id or 0]).get(person.id or 0)
    draft = DeliveryDraft(
        person_id=person.id,
        account_id=account.id if account else None,
        channel=account.channel if account else "",
        address=account.address if account else "",
        language=person.language,
        text=text,
        buttons=buttons,
        rtl=speaker.is_rtl,
        not_before=quiet_until(now, zone=person.timezone, start=person.quiet_start, end=person.quiet_end),
    )
    add_deliveries(session=session, message=message, drafts=[draft], now=now)
    mark_digested(
        session=session, delivery_ids=[i.id or 0 for i in items], digest_message_id=message.id or 0, at=now
    )
    _LOGGER.info("digest %s for person %s with %s items", message.id, person.id, len(items))
