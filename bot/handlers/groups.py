"""Group chats: a teacher links a class's group (/linkclass there) to receive its highlights.

A group hears partnerbot only for that: everything else said in a group is left alone, so the
bot never talks over families chatting with each other.
"""

from __future__ import annotations

from bot.events import Button
from bot.handlers.flow import StepResult, Turn
from storage.classchats import link_class_chat
from storage.ids import id_of
from storage.people import classes_for_staff


def _class_buttons(turn: Turn) -> list[Button]:
    groups = classes_for_staff(session=turn.session, person=turn.me)
    return [Button(label=g.name, payload=f"linkclass:{g.id}") for g in groups]


async def on_group(turn: Turn) -> StepResult:
    """Everything from a group chat; `turn.person` is the speaker (None if not linked)."""
    inbound = turn.inbound
    linking = inbound.command == "linkclass" or (inbound.payload or "").startswith("linkclass:")
    if not linking:
        return None
    if turn.person is None or not turn.person.role.is_staff:
        turn.reply(turn._("Only school staff can link this group to a class."))
        return None
    buttons = _class_buttons(turn)
    chosen = next((b for b in buttons if b.payload == inbound.payload), None)
    if chosen is None and len(buttons) == 1 and inbound.command == "linkclass":
        chosen = buttons[0]
    if chosen is None:
        if buttons:
            turn.reply(turn._("Which class is this group for?"), buttons)
        else:
            turn.reply(turn._("You are not linked to a class yet. Please ask your coordinator to add you."))
        return None
    link_class_chat(
        session=turn.session,
        class_id=int(chosen.payload.removeprefix("linkclass:")),
        channel=inbound.channel,
        address=inbound.address,
        by=id_of(turn.me),
        at=turn.now,
    )
    turn.reply(
        turn._("This group will now receive the learning highlights for {group}.").format(group=chosen.label)
    )
    return None
