"""Each term every partnership member is asked: "Is the way we keep in touch working for you?"

Seed 000, "How do you know if it is working?": seek feedback, review frequency, ask for
suggestions. Keyed per person and term, so each is asked once a term; people who joined less
than a term ago are not asked yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.i18n import N_, Speaker
from bot.messaging import notify
from bot.rhythm import FORTNIGHT_ANCHOR
from storage.people import members_onboarded_before
from storage.reminders import claim_once

QUESTION = N_("Is the way we keep in touch working for you?")
ANSWERS = (
    ("yes", N_("Yes, it works")),
    ("often", N_("Change how often")),
    ("how", N_("Change how")),
    ("other", N_("Something else")),
)


def send_reviews(*, session: Session, now: datetime, interval: timedelta) -> int:
    """Ask everyone due this term; returns how many were asked."""
    term = (now.date() - FORTNIGHT_ANCHOR).days // interval.days
    asked = 0
    for person in members_onboarded_before(session=session, before=now - interval):
        if not claim_once(session=session, key=f"review:{person.id}:{term}", at=now):
            continue
        speaker = Speaker(person.language, person.timezone)
        notify(
            session=session,
            person=person,
            text=speaker._(QUESTION),
            now=now,
            buttons=[(speaker._(label), f"review:{key}") for key, label in ANSWERS],
            details={"review": term},
        )
        asked += 1
    return asked
