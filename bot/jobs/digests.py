"""Digests: what was held for a person, gathered into one message at their digest time.

Run by the scheduler every minute; safe to run twice or in two processes, and after downtime:
each person's latest slot is keyed (storage.digests.claim_digest), so exactly one digest goes
out for it, never zero and never several.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from bot.delivery.rhythm import latest_digest_slot
from bot.events import Content, Section
from bot.i18n import Speaker
from bot.messages.fanout import notify
from storage.digests import claim_digest, held_for, mark_digested, people_with_held, release_held
from storage.ids import id_of
from storage.models import Delivery, Frequency, Person

_LOGGER = logging.getLogger(__name__)


def send_digests(*, session: Session, now: datetime, channels: Collection[str]) -> int:
    """Make every digest that is due, sent on `channels` (those this installation runs); returns
    how many were made."""
    made = 0
    for person in people_with_held(session=session):
        if person.frequency == Frequency.IMMEDIATE:
            release_held(session=session, person_id=id_of(person), at=now)
            continue
        slot = latest_digest_slot(
            now,
            zone=person.timezone,
            frequency=person.frequency,
            weekday=person.digest_weekday,
            at=person.digest_time,
        )
        items = held_for(session=session, person_id=id_of(person), until=slot) if slot else []
        if (
            not items
            or slot is None
            or claim_digest(session=session, person_id=id_of(person), slot_at=slot) is None
        ):
            continue
        _digest(session=session, person=person, items=items, slot=slot, now=now, channels=channels)
        made += 1
    return made


def _digest(
    *,
    session: Session,
    person: Person,
    items: list[Delivery],
    slot: datetime,
    now: datetime,
    channels: Collection[str],
) -> None:
    speaker = Speaker(person.language, person.timezone)
    header = speaker.ngettext(
        "Your digest: {count} message since last time.",
        "Your digest: {count} messages since last time.",
        len(items),
    ).format(count=len(items))
    content = Content(heading=header, sections=tuple(_item(n, i) for n, i in enumerate(items, start=1)))
    buttons = tuple(
        (f"{number}. {button['label']}", button["payload"])
        for number, item in enumerate(items, start=1)
        for button in item.buttons
    )
    message = notify(
        session=session,
        person=person,
        text=content,
        now=now,
        channels=channels,
        buttons=buttons,
        details={"digest": slot.isoformat()},
    )
    mark_digested(
        session=session, delivery_ids=[id_of(i) for i in items], digest_message_id=id_of(message), at=now
    )
    _LOGGER.info("digest %s for person %s with %s items", message.id, person.id, len(items))


def _item(number: int, item: Delivery) -> Section:
    """One held message as a section of the digest: its number and heading, then the rest of it."""
    content = Content.from_json(item.content)
    label = f"{number}. {content.headline()}".rstrip()
    return Section(label=label, paragraphs=tuple(content.body()))
