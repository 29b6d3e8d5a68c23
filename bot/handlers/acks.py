"""Acknowledgements: "Got it", "Show original", and /acks with Nudge for staff.

/acks is one message: the latest reports, their Nudge buttons in the same order (so a typed
number on a channel that numbers buttons picks the entry its label names), and "Older" to page on.
"""

from __future__ import annotations

from datetime import timedelta

from bot.events import Button
from bot.handlers.flow import Command, Entries, StepResult, Turn
from bot.handlers.permissions import message_from_payload, payload_id, refuse_unless_staff
from bot.i18n import isolate
from bot.messages.fanout import next_nudge_at, nudge
from bot.messages.render import Version, render_original
from storage.ids import id_of
from storage.messages import Ack, acknowledge, get_message
from storage.models import Message
from storage.reports import AckCounts, ack_counts, ack_listing

RECENT = 5
NAMES_SHOWN = 10
#: The payload prefix of "Older" in /acks ("acksolder:<id>": messages before that one).
OLDER = "acksolder"


async def on_got_it(turn: Turn) -> StepResult:
    message_id = payload_id(turn.inbound.payload, "ack")
    outcome = (
        acknowledge(
            session=turn.session,
            message_id=message_id,
            person_id=id_of(turn.me),
            at=turn.now,
            channel=turn.inbound.channel,
        )
        if message_id is not None
        else Ack.NOT_YOURS
    )
    if outcome == Ack.NOT_YOURS:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
    elif outcome == Ack.ALREADY:
        turn.reply(turn._("Already noted, thank you."))
    else:
        turn.reply(turn._("Thank you, noted."))
        message = get_message(session=turn.session, message_id=message_id) if message_id else None
        if message is not None and message.author_id is not None:
            turn.homes_changed.add(message.author_id)  # their Got it count
    return None


async def on_show_original(turn: Turn) -> StepResult:
    message = message_from_payload(turn, "orig")
    if message is not None:
        original = Version(
            language=message.language,
            text=message.text,
            title=message.details.get("title", ""),
            why=message.details.get("why", ""),
        )
        turn.reply(render_original(turn.speaker, original))
    return None


def describe(turn: Turn, message: Message, summary: AckCounts) -> tuple[str, list[Button]]:
    """The report on one message and its Nudge button: counts and the first names, as the
    database gave them (a big class's thousands of recipients are never loaded)."""
    _ = turn._
    waiting, unreached = summary.waiting, summary.unreached
    snippet = (message.details.get("title") or message.text).replace("\n", " ")
    lines = [
        f"#{message.id} · {turn.speaker.datetime(message.created_at, 'short') if message.created_at else ''}"
        " · "
        f"“{snippet[:60]}{'…' if len(snippet) > 60 else ''}”",
        _("Got it: {acked} · Not yet: {waiting} · Can't be reached: {unreached}").format(
            acked=summary.acknowledged, waiting=waiting, unreached=unreached
        ),
    ]
    if waiting:
        lines.append(_("Not yet: {names}").format(names=_names(turn, summary.waiting_names, waiting)))
    if unreached:
        lines.append(
            _("Can't be reached: {names}").format(names=_names(turn, summary.unreached_names, unreached))
        )
    label = _("Nudge {count} · #{message}").format(count=waiting, message=message.id)
    buttons = [Button(label=label, payload=f"nudge:{message.id}")] if waiting else []
    return "\n".join(lines), buttons


def _names(turn: Turn, names: tuple[str, ...], count: int) -> str:
    """The first names of `count` people as a list in the reader's language, "and 5 more" for the rest."""
    shown = [isolate(name) for name in names[:NAMES_SHOWN]]
    if count > NAMES_SHOWN:
        rest = count - NAMES_SHOWN
        shown.append(turn.ngettext("{count} more", "{count} more", rest).format(count=rest))
    return turn.speaker.listing(shown)


async def show_acks(turn: Turn) -> StepResult:
    """/acks: the latest messages this staff member sent or can act on, who has acknowledged, with
    Nudge; "Older" shows the five before."""
    if refuse_unless_staff(turn):
        return None
    before = payload_id(turn.inbound.payload, OLDER)
    found = ack_listing(session=turn.session, person=turn.me, limit=RECENT + 1, before=before)
    messages = found[:RECENT]
    if not messages:
        turn.reply(
            turn._("There are no older messages.")
            if before is not None
            else turn._("No highlights or postcards have been sent yet.")
        )
        return None
    summaries = ack_counts(
        session=turn.session,
        message_ids=[id_of(m) for m in messages],
        channels=turn.channels,
        names=NAMES_SHOWN,
    )
    texts, buttons = [], []
    for message in messages:
        text, nudge = describe(turn, message, summaries[id_of(message)])
        texts.append(text)
        buttons += nudge
    if len(found) > RECENT:
        buttons.append(Button(label=turn._("Older messages"), payload=f"{OLDER}:{id_of(messages[-1])}"))
    turn.reply("\n\n".join(texts), buttons)
    return None


async def on_nudge(turn: Turn) -> StepResult:
    if refuse_unless_staff(turn):
        return None
    message_id = payload_id(turn.inbound.payload, "nudge")
    visible = {m.id: m for m in ack_listing(session=turn.session, person=turn.me, limit=None)}
    message = visible.get(message_id) if message_id is not None else None
    if message is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    cooldown = timedelta(hours=turn.settings.nudge_cooldown_hours)
    count = nudge(
        session=turn.session, message=message, now=turn.now, channels=turn.channels, cooldown=cooldown
    )
    next_at = next_nudge_at(session=turn.session, message=message, now=turn.now, cooldown=cooldown)
    if count == 0 and next_at is not None:
        turn.reply(
            turn._(
                "They already got a reminder a short time ago. You can remind them again after {time}."
            ).format(time=turn.speaker.datetime(next_at, "short"))
        )
        return None
    turn.reply(
        turn.ngettext("Reminder sent to {count} person.", "Reminder sent to {count} people.", count).format(
            count=count
        )
    )
    return None


ENTRIES = Entries(
    commands={"acks": Command(step=show_acks, keeps_state=True)},
    actions={
        "ack": Command(step=on_got_it, keeps_state=True),
        "orig": Command(step=on_show_original, keeps_state=True),
        "nudge": Command(step=on_nudge, keeps_state=True),
        OLDER: Command(step=show_acks, keeps_state=True),
    },
)
