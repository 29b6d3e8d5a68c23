"""Who may act on what: a button payload is checked against the person who pressed it."""

from __future__ import annotations

from bot.handlers.flow import Turn
from storage.ids import id_of
from storage.messages import delivery_to, get_message
from storage.models import Message, Person


def is_staff(person: Person | None) -> bool:
    return person is not None and person.role.is_staff


def refuse_unless_staff(turn: Turn) -> bool:
    """True (and a polite refusal said) when the speaker is not school staff."""
    if is_staff(turn.person):
        return False
    turn.reply(turn._("Sorry, only school staff can do that. Send /help to see what you can do."))
    return True


def message_from_payload(turn: Turn, prefix: str) -> Message | None:
    """The message a button refers to, if it was delivered to the person pressing it.

    An old, foreign or forged payload gets a harmless answer and None: a parent cannot act on,
    or even learn about, another family's message by crafting a button.
    """
    payload = turn.inbound.payload or ""
    raw_id = payload.removeprefix(prefix + ":")
    message = None
    if payload.startswith(prefix + ":") and raw_id.isdecimal() and turn.person is not None:
        found = get_message(session=turn.session, message_id=int(raw_id))
        if found and delivery_to(session=turn.session, message_id=id_of(found), person_id=id_of(turn.person)):
            message = found
    if message is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
    return message
