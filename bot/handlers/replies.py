"""Replies: a free-text answer, or "Ask a question" / "Reply", threads back to the message's author,
translated into the author's language with the original kept."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.events import Content, Form, FormField, Outbound
from bot.handlers.flow import Command, Entries, Flow, StepResult, Turn
from bot.handlers.permissions import message_from_payload
from bot.messages.fanout import Outgoing, send
from storage.ids import id_of
from storage.messages import acknowledge, get_message, latest_authored_received, received_as
from storage.models import Message, MessageKind, Person
from storage.people import get_person

#: How long after a message a free-text answer still counts as a reply to it.
THREAD_WINDOW = timedelta(days=14)
#: The payload prefix of a submitted reply form ("askform:<message id>"), and the longest reply.
FORM, MAX_LENGTH = "askform", 3000


class State(StrEnum):
    WRITE = "write"


async def on_ask(turn: Turn) -> StepResult:
    """ "Ask a question" or "Reply" on a message: ask for the text."""
    message = message_from_payload(turn, "ask")
    if message is None or message.author_id is None:
        return None
    author = get_person(session=turn.session, person_id=message.author_id)
    question = turn._("Write your message to {name}. You can write in any language.").format(
        name=author.name if author else ""
    )
    if turn.inbound.trigger is not None:  # the channel can open a form now (Slack's modal)
        form = Form(
            payload=f"{FORM}:{message.id}",
            trigger=turn.inbound.trigger,
            title=turn._("Reply"),
            submit=turn._("Send"),
            blank=turn._("Please answer with a text message."),
            fields=(FormField(name="text", label=question, multiline=True, max_length=MAX_LENGTH),),
        )
        turn.replies.append(Outbound(content=Content(form=form), rtl=turn.speaker.is_rtl))
        return None
    turn.data = {"answers_id": message.id}
    turn.reply(question)
    return State.WRITE


async def on_form(turn: Turn) -> StepResult:
    """The reply form submitted: the same checks as a button (a message this person received)."""
    message = message_from_payload(turn, FORM)
    if message is None or message.author_id is None:
        return None
    text = (turn.inbound.form_values or {}).get("text", "").strip()
    if not text or len(text) > MAX_LENGTH:
        turn.reply(turn._("Please answer with a text message."))
        return None
    await _thread(turn, message, get_person(session=turn.session, person_id=message.author_id), text)
    return None


async def on_write(turn: Turn) -> StepResult:
    if not turn.text or turn.inbound.payload is not None:
        turn.reply(turn._("Please answer with a text message."))
        return State.WRITE
    if _too_long(turn):
        return State.WRITE
    message = get_message(session=turn.session, message_id=turn.data["answers_id"])
    if message is None:
        return None
    author_id = message.author_id
    author = None if author_id is None else get_person(session=turn.session, person_id=author_id)
    await _thread(turn, message, author, turn.text)
    return None


async def on_free_text(turn: Turn) -> StepResult:
    """Text with no question open: an answer to the message it names (a reply on a channel with
    threading), else to the latest message someone wrote to this person."""
    found = _named(turn) or latest_authored_received(
        session=turn.session, person_id=id_of(turn.me), since=turn.now - THREAD_WINDOW
    )
    if found is None or not turn.text:
        turn.reply(turn._("Sorry, I did not understand that. Send /help to see what you can do."))
        return None
    if _too_long(turn):
        return None
    await _thread(turn, *found, turn.text)
    return None


def _too_long(turn: Turn) -> bool:
    """A reply longer than MAX_LENGTH is not passed on (100,000 characters were 25 messages to a
    teacher): the person is asked to shorten it."""
    if len(turn.text) <= MAX_LENGTH:
        return False
    turn.reply(
        turn._("That is long for a phone screen: please keep it under {limit} characters.").format(
            limit=MAX_LENGTH
        )
    )
    return True


def _named(turn: Turn) -> tuple[Message, Person | None] | None:
    """The message `reply_to` names, if this person received it in this chat and someone else wrote
    it; no time window: the person chose it. Anything else (another chat's id, one of the bot's own
    answers) is left to the guess. An empty id names nothing (an ambiguous send stored one)."""
    inbound, me = turn.inbound, turn.me
    if not inbound.reply_to:
        return None
    found = received_as(
        session=turn.session,
        person_id=id_of(me),
        channel=inbound.channel,
        address=inbound.address,
        provider_id=inbound.reply_to,
    )
    if found is None or found[0].author_id in (None, me.id):
        return None
    return found


async def _thread(turn: Turn, answered: Message, author: Person | None, text: str) -> None:
    if author is None:
        turn.reply(turn._("Sorry, I did not understand that. Send /help to see what you can do."))
        return
    me = turn.me
    # an answer shows the message was read: it counts as "Got it" in /acks
    acknowledge(
        session=turn.session,
        message_id=id_of(answered),
        person_id=id_of(me),
        at=turn.now,
        channel=turn.inbound.channel,
    )
    language = await turn.translator.detect(text, fallback=me.language)
    about = answered.details.get("about", "")
    outgoing = Outgoing(
        kind=MessageKind.REPLY,
        author=me,
        language=language,
        text=text,
        about=about,
        student_id=answered.student_id,
        class_id=answered.class_id,
        answers_id=answered.id,
        keep=(me.name,),
    )
    await send(
        session=turn.session,
        translator=turn.translator,
        outgoing=outgoing,
        recipients=[author],
        now=turn.now,
        channels=turn.channels,
    )
    turn.reply(turn._("Sent to {name}.").format(name=author.name))


FLOW = Flow(name="replies", states={State.WRITE: on_write})


ENTRIES = Entries(
    flow=FLOW,
    actions={
        "ask": Command(step=on_ask, flow=FLOW.name),
        FORM: Command(step=on_form, keeps_state=True),
    },
)
