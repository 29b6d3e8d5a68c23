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


#: The largest id a database column holds (a signed 64-bit integer).
_MAX_ID = 2**63 - 1


def payload_id(payload: str | None, prefix: str) -> int | None:
    """The id in a button payload "prefix:123", or None when it is not one a database could hold
    (a forged payload may carry anything: letters, other digits, 100000000000000000000)."""
    raw = (payload or "").removeprefix(prefix + ":")
    if not (payload or "").startswith(prefix + ":") or not raw.isascii() or not raw.isdecimal():
        return None
    value = int(raw)
    return value if 0 < value <= _MAX_ID else None


def message_from_payload(turn: Turn, prefix: str) -> Message | None:
    """The message a button refers to, if it was delivered to the person pressing it.

    An old, foreign or forged payload gets a harmless answer and None: a parent cannot act on,
    or even learn about, another family's message by crafting a button.
    """
    message_id = payload_id(turn.inbound.payload, prefix)
    message = None
    if message_id is not None and turn.person is not None:
        found = get_message(session=turn.session, message_id=message_id)
        if found and delivery_to(session=turn.session, message_id=id_of(found), person_id=id_of(turn.person)):
            message = found
    if message is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
    return message
