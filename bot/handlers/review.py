"""Answers to "Is the way we keep in touch working for you?": each leads into the preferences or
to the coordinator, who gets every answer in their own language."""

from __future__ import annotations

from enum import StrEnum

from bot.handlers import preferences
from bot.handlers.flow import Flow, Goto, StepResult, Turn
from bot.i18n import Speaker
from bot.messaging import notify
from bot.reviews import ANSWERS, QUESTION
from storage.people import coordinators_of


class State(StrEnum):
    OTHER = "other"


def _tell_coordinators(turn: Turn, answer: str, *, choice: bool) -> list[str]:
    """Every answer reaches the coordinators: a choice in their language, own words as written."""
    names = []
    for coordinator in coordinators_of(session=turn.session, person_id=turn.me.id or 0):
        speaker = Speaker(coordinator.language, coordinator.timezone)
        text = speaker._("{name} answered “{question}”: {answer}").format(
            name=turn.me.name, question=speaker._(QUESTION), answer=speaker._(answer) if choice else answer
        )
        notify(
            session=turn.session, person=coordinator, text=text, now=turn.now, details={"review_answer": True}
        )
        names.append(coordinator.name)
    return names


async def on_answer(turn: Turn) -> StepResult:
    key = (turn.inbound.payload or "").removeprefix("review:")
    labels = dict(ANSWERS)
    if key not in labels:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    if key == "other":
        turn.reply(turn._("What would make it work better for you? A few words are enough."))
        return State.OTHER
    _tell_coordinators(turn, labels[key], choice=True)
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
    names = _tell_coordinators(turn, turn.text, choice=False)
    turn.reply(turn._("Thank you, we passed it on to: {names}.").format(names=", ".join(names) or "—"))
    return None


FLOW = Flow(name="review", states={State.OTHER: on_other})
