"""Answers to "Is the way we keep in touch working for you?", and /reviews for coordinators.

Each answer is stored (the latest of the term counts). Changing how often or how leads into the
preferences; the coordinator sees the choices in the term's summary rather than one message each.
What someone writes for "Something else" asks for attention, so it reaches the coordinators at
once, translated into their language with the original beside it.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.handlers import preferences
from bot.handlers.flow import Command, Entries, Flow, Goto, StepResult, Turn
from bot.handlers.permissions import refuse_unless_staff
from bot.i18n import Speaker
from bot.jobs.reviews import ANSWERS, QUESTION, own_words, summary, term_of
from bot.messages.fanout import notify
from storage.ids import id_of
from storage.people import coordinators_of
from storage.reviews import record_answer, reviews_for, was_asked


class State(StrEnum):
    OTHER = "other"


def _answered(turn: Turn) -> tuple[str, int] | None:
    """The answer key and term of a "review:<key>:<term>" button this person was asked; else None."""
    key, _, term = (turn.inbound.payload or "").removeprefix("review:").partition(":")
    if key not in dict(ANSWERS) or not term.isdecimal():
        return None
    if not was_asked(session=turn.session, person_id=id_of(turn.me), term=int(term)):
        return None
    return key, int(term)


async def on_answer(turn: Turn) -> StepResult:
    answered = _answered(turn)
    if answered is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    key, term = answered
    if key == "other":
        turn.data = {"term": term}
        turn.reply(turn._("What would make it work better for you? A few words are enough."))
        return State.OTHER
    record_answer(session=turn.session, person_id=id_of(turn.me), term=term, answer=key, at=turn.now)
    if key == "yes":
        turn.reply(turn._("Thank you! We are glad it works for you."))
        return None
    turn.data = {"mode": "menu"}
    state = preferences.ask_frequency(turn) if key == "often" else preferences.ask_channel(turn)
    return Goto(preferences.FLOW.name, str(state))


async def on_other(turn: Turn) -> StepResult:
    if not turn.text or turn.inbound.payload is not None:
        turn.reply(turn._("Please answer with a text message."))
        return State.OTHER
    me = turn.me
    language = await turn.translator.detect(turn.text, fallback=me.language)
    coordinators = coordinators_of(session=turn.session, person_id=id_of(me))
    other = dict(ANSWERS)["other"]
    texts = {}
    for coordinator in coordinators:  # translated before anything is written (SQLite has one writer)
        speaker = Speaker(coordinator.language, coordinator.timezone)
        header = speaker._("{name} answered “{question}”: {answer}").format(
            name=me.name, question=speaker._(QUESTION), answer=speaker._(other)
        )
        words = await own_words(speaker, turn.translator, name=me.name, text=turn.text, language=language)
        texts[coordinator.id] = f"{header}\n\n{words}"
    record_answer(
        session=turn.session,
        person_id=id_of(me),
        term=turn.data["term"],
        answer="other",
        at=turn.now,
        text=turn.text,
        language=language,
    )
    for coordinator in coordinators:
        notify(
            session=turn.session,
            person=coordinator,
            text=texts[coordinator.id],
            now=turn.now,
            channels=turn.channels,
            details={"review_answer": True},
        )
    names = turn.speaker.listing(c.name for c in coordinators) or "—"
    turn.reply(turn._("Thank you, we passed it on to: {names}.").format(names=names))
    return None


async def show_reviews(turn: Turn) -> StepResult:
    """/reviews: this term's answers in the partnerships the speaker coordinates."""
    if refuse_unless_staff(turn):
        return None
    term = term_of(turn.now, timedelta(days=turn.settings.review_interval_days))
    reviews = reviews_for(session=turn.session, coordinator_id=id_of(turn.me), term=term)
    if not reviews:
        turn.reply(
            turn._(
                "No one in the partnerships you coordinate has been asked “{question}” this term yet."
            ).format(question=turn._(QUESTION))
        )
        return None
    turn.reply(await summary(turn.speaker, turn.translator, reviews))
    return None


FLOW = Flow(name="review", states={State.OTHER: on_other})


ENTRIES = Entries(
    flow=FLOW,
    commands={"reviews": Command(step=show_reviews, keeps_state=True)},
    actions={"review": Command(step=on_answer, flow=FLOW.name)},
)
