"""Each term every partnership member is asked: "Is the way we keep in touch working for you?"

Seed 000, "How do you know if it is working?": seek feedback, review frequency, ask for
suggestions. Keyed per person and term, so each is asked once a term; people who joined less
than a term ago are not asked yet. Once the asking has had time, each coordinator gets the term's
summary for the partnerships they coordinate, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import Engine
from sqlmodel import Session

from bot.delivery.rhythm import FORTNIGHT_ANCHOR
from bot.i18n import N_, Speaker, isolate
from bot.messages.fanout import notify
from bot.messages.render import Version, render_original
from bot.translation import TranslationService
from storage.db import session_scope
from storage.ids import id_of
from storage.people import members_onboarded_before
from storage.reminders import claim_once, claimed_at
from storage.reviews import Reviewed, ask_once, asked_in, coordinators_asked_before, reviews_for

QUESTION = N_("Is the way we keep in touch working for you?")
ANSWERS = (
    ("yes", N_("Yes, it works")),
    ("often", N_("Change how often")),
    ("how", N_("Change how")),
    ("other", N_("Something else")),
)
#: How long after a term's first question its summary goes to the coordinator.
SUMMARY_AFTER = timedelta(days=14)


def term_of(now: datetime, interval: timedelta) -> int:
    """The term `now` falls in: terms are `interval` long, counted from a fixed Monday."""
    return (now.date() - FORTNIGHT_ANCHOR).days // interval.days


def send_reviews(*, session: Session, now: datetime, interval: timedelta, channels: Collection[str]) -> int:
    """Ask everyone due this term, on `channels` (those this installation runs); returns how many
    were asked."""
    term = term_of(now, interval)
    done = asked_in(session=session, term=term)
    asked = 0
    for person in members_onboarded_before(session=session, before=now - interval):
        if person.id in done or not ask_once(session=session, person_id=id_of(person), term=term, at=now):
            continue
        speaker = Speaker(person.language, person.timezone)
        notify(
            session=session,
            person=person,
            text=speaker._(QUESTION),
            now=now,
            channels=channels,
            buttons=[(speaker._(label), f"review:{key}:{term}") for key, label in ANSWERS],
            details={"review": term},
        )
        asked += 1
    return asked


async def own_words(
    speaker: Speaker, translator: TranslationService, *, name: str, text: str, language: str
) -> str:
    """What someone wrote, in the reader's language with the original beside, as staff see postcards."""
    translation = (
        await translator.translate(text, source=language, targets=[speaker.language], protect=(name,))
    )[speaker.language]
    original = render_original(speaker, Version(language=language, text=text))
    if translation.translated:
        return f"{translation.text}\n{original}"
    return text if language == speaker.language else original


def _date(speaker: Speaker, moment: datetime) -> str:
    return format_date(moment.astimezone(ZoneInfo(speaker.timezone)), "long", locale=speaker.locale)


async def summary(speaker: Speaker, translator: TranslationService, reviews: Sequence[Reviewed]) -> str:
    """How many were asked, how many gave each answer, who has not answered, and what they wrote."""
    _ = speaker._
    lines = [
        speaker.ngettext(
            "“{question}”: asked {count} person since {date}.",
            "“{question}”: asked {count} people since {date}.",
            len(reviews),
        ).format(
            question=_(QUESTION), count=len(reviews), date=_date(speaker, min(r.asked_at for r in reviews))
        )
    ]
    counts = Counter(r.answer for r in reviews)
    lines += [_("{answer}: {count}").format(answer=_(label), count=counts[key]) for key, label in ANSWERS]
    waiting = [r.name for r in reviews if r.answer is None]
    lines.append(
        _("Not answered yet: {names}").format(names=speaker.listing(isolate(name) for name in waiting))
        if waiting
        else _("Everyone has answered.")
    )
    for review in reviews:
        if review.answer == "other" and review.text:
            words = await own_words(
                speaker, translator, name=review.name, text=review.text, language=review.language or "en"
            )
            lines += ["", _("{name} wrote:").format(name=review.name), words]
    return "\n".join(lines)


def _summary_key(coordinator_id: int | None, term: int) -> str:
    return f"review-summary:{coordinator_id}:{term}"


async def send_review_summaries(
    *,
    db: Engine,
    translator: TranslationService,
    now: datetime,
    interval: timedelta,
    channels: Collection[str],
) -> int:
    """Send each coordinator this term's summary once, when its asking began SUMMARY_AFTER ago;
    returns how many were sent. Translating happens between two transactions, as SQLite wants."""
    term = term_of(now, interval)
    with session_scope(db) as session:
        coordinators = [
            c
            for c in coordinators_asked_before(session=session, term=term, before=now - SUMMARY_AFTER)
            if claimed_at(session=session, key=_summary_key(c.id, term)) is None
        ]
        reviews = {
            c.id: reviews_for(session=session, coordinator_id=id_of(c), term=term) for c in coordinators
        }
    texts = {}
    for coordinator in coordinators:
        speaker = Speaker(coordinator.language, coordinator.timezone)
        text = await summary(speaker, translator, reviews[coordinator.id])
        texts[coordinator.id] = (
            text + "\n\n" + speaker._("Send /reviews to see the latest answers at any time.")
        )
    sent = 0
    with session_scope(db) as session:
        for coordinator in coordinators:
            if claim_once(session=session, key=_summary_key(coordinator.id, term), at=now):
                notify(
                    session=session,
                    person=coordinator,
                    text=texts[coordinator.id],
                    now=now,
                    channels=channels,
                    details={"review_summary": term},
                )
                sent += 1
    return sent
