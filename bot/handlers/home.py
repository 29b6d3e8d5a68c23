"""/home: a person's summary page, channel-neutral. Slack shows it as the App Home (opening the
tab sends /home); elsewhere it is a message. Staff see their classes and their latest messages
with Got it counts and Nudge, and buttons to compose; anyone else the students whose partnership
they are in."""

from __future__ import annotations

from collections.abc import Sequence

from bot.events import Button, Content, Outbound, Section
from bot.handlers import highlights, postcards
from bot.handlers.acks import NAMES_SHOWN, RECENT, describe
from bot.handlers.flow import Command, Entries, Goto, StepResult, Turn
from bot.handlers.permissions import is_staff, refuse_unless_staff
from storage.ids import id_of
from storage.people import classes_for_staff, memberships_of
from storage.reports import ack_counts, visible_messages


def show(turn: Turn, sections: Sequence[Section], buttons: Sequence[Button] = (), heading: str = "") -> None:
    """Say `sections` as the person's home page (replacing the last one where a channel keeps one)."""
    content = Content(heading=heading, sections=tuple(sections), home=True)
    turn.replies.append(Outbound(content=content, buttons=tuple(buttons), rtl=turn.speaker.is_rtl))


async def show_home(turn: Turn) -> StepResult:
    person = turn.me
    _ = turn._
    heading = _("Hello again, {name}! Send /help to see what you can do.").format(name=person.name)
    sections: list[Section] = []
    buttons: list[Button] = []
    if is_staff(person):
        classes = [c.name for c in classes_for_staff(session=turn.session, person=person)]
        if classes:
            sections.append(
                Section(paragraphs=(_("Your classes: {classes}").format(classes=", ".join(classes)),))
            )
        messages = visible_messages(session=turn.session, person=person, limit=RECENT)
        summaries = ack_counts(
            session=turn.session,
            message_ids=[id_of(m) for m in messages],
            channels=turn.channels,
            names=NAMES_SHOWN,
        )
        for message in messages:
            text, nudge = describe(turn, message, summaries[id_of(message)])
            sections.append(Section(paragraphs=(text,)))
            buttons += nudge
        if not messages:
            sections.append(Section(paragraphs=(_("No highlights or postcards have been sent yet."),)))
        buttons = [
            Button(label=_("Learning highlights"), payload=f"{COMPOSE}:highlights"),
            Button(label=_("Something to try at home"), payload=f"{COMPOSE}:postcard"),
            *buttons,
        ]
    students = [m.student_name for m in memberships_of(session=turn.session, person_id=id_of(person))]
    if students and not is_staff(person):
        sections.append(
            Section(
                paragraphs=(
                    _("You are part of the learning partnership for: {students}.").format(
                        students=", ".join(students)
                    ),
                )
            )
        )
    show(turn, sections, buttons, heading=heading)
    return None


async def on_compose(turn: Turn) -> StepResult:
    """A compose button of the home page: the command it stands for (a form where the channel
    opens one, else its first question)."""
    if refuse_unless_staff(turn):
        return None
    found = _COMPOSERS.get((turn.inbound.payload or "").removeprefix(f"{COMPOSE}:"))
    if found is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    flow, step = found
    result = await step(turn)
    return Goto(flow, result) if isinstance(result, str) else result


#: The payload prefix of the compose buttons, and what each starts: (its flow, its first step).
COMPOSE = "compose"
_COMPOSERS = {
    "highlights": (highlights.FLOW.name, highlights.start),
    "postcard": (postcards.FLOW.name, postcards.start_to_home),
}

ENTRIES = Entries(
    commands={"home": Command(step=show_home, keeps_state=True)},
    actions={COMPOSE: Command(step=on_compose)},
)
