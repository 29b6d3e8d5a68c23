"""/highlights: a teacher shares the class's learning highlights with every family.

```mermaid
flowchart LR
    start[/highlights/] -->|several classes| CLASS --> TEXT --> CONFIRM -->|Send or Send as urgent| sent
    start -->|one class| TEXT
    CONFIRM -->|Cancel| cancelled
```
"""

from __future__ import annotations

from enum import StrEnum

from bot.events import Button, Content, Form, FormField, Outbound
from bot.handlers.flow import Command, Entries, Flow, StepResult, Turn
from bot.handlers.permissions import refuse_unless_staff
from bot.messages.fanout import send_highlights
from storage.ids import id_of
from storage.people import classes_for_staff, families_of_class

MAX_LENGTH = 3000
#: The payload a submitted highlights form comes back with.
FORM = "hform"


class State(StrEnum):
    CLASS = "class"
    TEXT = "text"
    CONFIRM = "confirm"


def _class_buttons(turn: Turn) -> list[Button]:
    groups = classes_for_staff(session=turn.session, person=turn.me)
    return [Button(label=g.name, payload=f"class:{g.id}") for g in groups]


async def start(turn: Turn) -> StepResult:
    if refuse_unless_staff(turn):
        return None
    buttons = _class_buttons(turn)
    if not buttons:
        turn.reply(turn._("You are not linked to a class yet. Please ask your coordinator to add you."))
        return None
    if turn.inbound.trigger is not None:  # the channel can open a form now (Slack's modal)
        turn.replies.append(Outbound(content=Content(form=_form(turn, buttons)), rtl=turn.speaker.is_rtl))
        return None
    if len(buttons) == 1:
        return _ask_text(turn, buttons[0])
    turn.reply(turn._("Which class are these highlights for?"), buttons)
    return State.CLASS


async def on_class(turn: Turn) -> StepResult:
    buttons = _class_buttons(turn)
    choice = turn.pick(buttons)
    chosen = next((b for b in buttons if b.payload == choice), None)
    if chosen is None:
        return State.CLASS
    return _ask_text(turn, chosen)


def _form(turn: Turn, classes: list[Button]) -> Form:
    """The whole question at once: class, text, urgent; submitted answers come to `on_form`."""
    _ = turn._
    return Form(
        payload=FORM,
        trigger=turn.inbound.trigger or "",
        title=_("Learning highlights"),
        submit=_("Send"),
        blank=_("Please write the highlights as a text message."),
        fields=(
            FormField(
                name="class",
                label=_("Which class are these highlights for?"),
                options=tuple((b.label, b.payload.removeprefix("class:")) for b in classes),
            ),
            FormField(
                name="text",
                label=_("What did the class learn, and how can families talk about it at home?"),
                multiline=True,
                max_length=MAX_LENGTH,
                initial=turn.inbound.quoted or "",
            ),
            FormField(name="urgent", label=_("Send as urgent"), checkbox=True, required=False),
        ),
    )


async def on_form(turn: Turn) -> StepResult:
    """The highlights form submitted: checked as the chat's steps check (a class of the teacher's,
    a text that fits), then sent."""
    if refuse_unless_staff(turn):
        return None
    values = turn.inbound.form_values or {}
    groups = {str(g.id): g for g in classes_for_staff(session=turn.session, person=turn.me)}
    group = groups.get(values.get("class", ""))
    text = values.get("text", "").strip()
    if group is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    if not text or len(text) > MAX_LENGTH:
        turn.reply(turn._("Please write the highlights as a text message."))
        return None
    report = await send_highlights(
        session=turn.session,
        translator=turn.translator,
        author=turn.me,
        group=group,
        text=text,
        now=turn.now,
        channels=turn.channels,
        urgent=values.get("urgent") == "yes",
    )
    turn.homes_changed.add(id_of(turn.me))
    turn.reply(sent_summary(turn, report.recipients, report.unreached))
    return None


def _ask_text(turn: Turn, group: Button) -> StepResult:
    turn.data = {"class_id": int(group.payload.removeprefix("class:")), "class_name": group.label}
    turn.reply(
        turn._(
            "Write the learning highlights for {group}: what the class learned, and how families can "
            "talk about it at home. Send it as one message; each family will read it in their own language."
        ).format(group=group.label)
    )
    return State.TEXT


def _confirm_buttons(turn: Turn) -> list[Button]:
    return [
        Button(label=turn._("Send"), payload="send"),
        Button(label=turn._("Send as urgent"), payload="urgent"),
        Button(label=turn._("Cancel"), payload="cancel"),
    ]


async def on_text(turn: Turn) -> StepResult:
    if not turn.text or turn.inbound.payload is not None:
        turn.reply(turn._("Please write the highlights as a text message."))
        return State.TEXT
    if len(turn.text) > MAX_LENGTH:
        turn.reply(
            turn._("That is long for a phone screen: please keep it under {limit} characters.").format(
                limit=MAX_LENGTH
            )
        )
        return State.TEXT
    turn.data["text"] = turn.text
    families = families_of_class(session=turn.session, class_id=turn.data["class_id"])
    languages = sorted({turn.speaker.language_name_here(r.person.language) for r in families})
    turn.reply(
        turn._("Here is your message:")
        + "\n\n"
        + turn.text
        + "\n\n"
        + turn.ngettext(
            "It will go to {count} family member. Languages: {languages}.",
            "It will go to {count} family members. Languages: {languages}.",
            len(families),
        ).format(count=len(families), languages=turn.speaker.listing(languages)),
        _confirm_buttons(turn),
    )
    return State.CONFIRM


async def on_confirm(turn: Turn) -> StepResult:
    choice = turn.pick(_confirm_buttons(turn))
    if choice is None:
        return State.CONFIRM
    if choice == "cancel":
        turn.reply(turn._("Cancelled. Nothing was sent."))
        return None
    group = next(
        g for g in classes_for_staff(session=turn.session, person=turn.me) if g.id == turn.data["class_id"]
    )
    report = await send_highlights(
        session=turn.session,
        translator=turn.translator,
        author=turn.me,
        group=group,
        text=turn.data["text"],
        now=turn.now,
        channels=turn.channels,
        urgent=choice == "urgent",
    )
    turn.homes_changed.add(id_of(turn.me))
    turn.reply(sent_summary(turn, report.recipients, report.unreached))
    return None


def sent_summary(turn: Turn, recipients: int, unreached: int) -> str:
    text = turn.ngettext(
        "Sent to {count} person. Send /acks to see who has read it.",
        "Sent to {count} people. Send /acks to see who has read it.",
        recipients,
    ).format(count=recipients)
    if unreached:
        text += "\n" + turn.ngettext(
            "{count} of them cannot be reached yet: we have no way to send them messages.",
            "{count} of them cannot be reached yet: we have no way to send them messages.",
            unreached,
        ).format(count=unreached)
    return text


FLOW = Flow(name="highlights", states={State.CLASS: on_class, State.TEXT: on_text, State.CONFIRM: on_confirm})


ENTRIES = Entries(
    flow=FLOW,
    commands={"highlights": Command(step=start, flow=FLOW.name)},
    actions={FORM: Command(step=on_form, keeps_state=True)},
)
