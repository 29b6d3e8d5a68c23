"""Postcards: "Something to try at home" (school → home) and "Something we tried at home" (home → school).

```mermaid
flowchart LR
    postcard[/postcard/] --> TARGET --> TITLE --> STEPS --> WHY --> PHOTO --> CONFIRM --> sent
    postcard -->|a channel with forms| form[/the form: who, title, steps, why/] -->|submitted| sent
    tried[/tried/] -->|several children| STUDENT --> WHICH
    tried --> WHICH -->|a postcard| OUTCOME
    WHICH -->|something new| NEW_TITLE --> OUTCOME
    button[We tried it] --> OUTCOME --> WHAT --> HOME_PHOTO --> sent_home[sent to the school side]
```
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.events import Button, Content, Outbound
from bot.handlers import postcard_form
from bot.handlers.answers import skip_button, stored_photo, take_photo, take_text
from bot.handlers.flow import Command, Entries, Flow, StepResult, Turn
from bot.handlers.highlights import sent_summary
from bot.handlers.permissions import is_staff, message_from_payload
from bot.messages.fanout import Outgoing, send
from bot.messages.render import OUTCOMES
from storage.ids import id_of
from storage.messages import acknowledge, postcards_received
from storage.models import MessageKind, Person, Role
from storage.people import (
    Contact,
    classes_for_staff,
    families_of_class,
    family_of,
    relationship_to,
    school_side_of,
    students_of,
)


class State(StrEnum):
    TARGET = "target"
    TITLE = "title"
    STEPS = "steps"
    WHY = "why"
    PHOTO = "photo"
    CONFIRM = "confirm"
    STUDENT = "student"
    WHICH = "which"
    NEW_TITLE = "new_title"
    OUTCOME = "outcome"
    WHAT = "what"
    HOME_PHOTO = "home_photo"


def _ask_text(turn: Turn, state: State, question: str) -> StepResult:
    turn.reply(question)
    return state


# --- school → home --------------------------------------------------------------------------


def _target_buttons(turn: Turn) -> list[Button]:
    buttons = []
    if is_staff(turn.me):
        buttons += [
            Button(label=turn._("Whole class: {group}").format(group=g.name), payload=f"class:{g.id}")
            for g in classes_for_staff(session=turn.session, person=turn.me)
        ]
    buttons += [
        Button(label=s.name, payload=f"student:{s.id}")
        for s in students_of(session=turn.session, person_id=id_of(turn.me))
    ]
    return buttons


async def start_to_home(turn: Turn) -> StepResult:
    if turn.me.role not in {Role.TEACHER, Role.SUPPORT_STAFF, Role.LEADER, Role.EXTERNAL}:
        turn.reply(turn._("Sorry, only school staff can do that. Send /help to see what you can do."))
        return None
    buttons = _target_buttons(turn)
    if not buttons:
        turn.reply(turn._("You are not linked to a class yet. Please ask your coordinator to add you."))
        return None
    if turn.inbound.trigger is not None:  # the channel can open a form now (Slack's modal)
        turn.replies.append(
            Outbound(content=Content(form=postcard_form.form(turn, buttons)), rtl=turn.speaker.is_rtl)
        )
        return None
    turn.data = {}
    turn.reply(turn._("Who is this postcard for?"), buttons)
    return State.TARGET


async def on_form(turn: Turn) -> StepResult:
    """The postcard form submitted: the same checks as the chat's steps, then sent."""
    values = turn.inbound.form_values or {}
    names = {b.payload: b.label for b in _target_buttons(turn)}
    kind, _, raw_id = values.get("target", "").partition(":")
    fields = {key: values.get(key, "").strip() for key in ("title", "steps", "why")}
    if not is_staff(turn.me) and turn.me.role != Role.EXTERNAL:
        turn.reply(turn._("Sorry, only school staff can do that. Send /help to see what you can do."))
        return None
    if values.get("target") not in names or not raw_id.isdecimal():
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    if not all(fields.values()) or len(fields["title"]) > 120 or max(map(len, fields.values())) > 1500:
        turn.reply(turn._("Please answer with a text message."))
        return None
    about = {f"class:{g.id}": g.name for g in classes_for_staff(session=turn.session, person=turn.me)}
    turn.data = {
        "target": kind,
        "target_id": int(raw_id),
        "about": about.get(values["target"], names[values["target"]]),
    }
    turn.data |= fields
    if turn.inbound.attachment is not None and not take_photo(turn):
        return None  # it did not come through, or is too large: said why; the form can be sent again
    await _send_to_home(turn)
    return None


async def on_target(turn: Turn) -> StepResult:
    buttons = _target_buttons(turn)
    choice = turn.pick(buttons)
    chosen = next((b for b in buttons if b.payload == choice), None)
    if chosen is None:
        return State.TARGET
    kind, _, raw_id = chosen.payload.partition(":")
    names = {f"class:{g.id}": g.name for g in classes_for_staff(session=turn.session, person=turn.me)}
    turn.data = {"target": kind, "target_id": int(raw_id), "about": names.get(chosen.payload, chosen.label)}
    return _ask_text(turn, State.TITLE, turn._("What is the strategy called? A short title, please."))


async def on_title(turn: Turn) -> StepResult:
    if not take_text(turn, "title", limit=120):
        return State.TITLE
    return _ask_text(turn, State.STEPS, turn._("What should the family try? Short steps, one per line."))


async def on_steps(turn: Turn) -> StepResult:
    if not take_text(turn, "steps"):
        return State.STEPS
    return _ask_text(turn, State.WHY, turn._("Why does it help? One or two sentences."))


async def on_why(turn: Turn) -> StepResult:
    if not take_text(turn, "why"):
        return State.WHY
    turn.reply(turn._("Would you like to add a photo? Send it now, or press Skip."), skip_button(turn))
    return State.PHOTO


def _confirm_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn._("Send"), payload="send"), Button(label=turn._("Cancel"), payload="cancel")]


async def on_photo(turn: Turn) -> StepResult:
    if take_photo(turn) is None:
        return State.PHOTO
    data = turn.data
    turn.reply(
        turn._("Here is your postcard for {about}:").format(about=data["about"])
        + f"\n\n“{data['title']}”\n\n{data['steps']}\n\n{data['why']}",
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
    data = turn.data
    # checked again at sending: the target must still be one this person may reach
    allowed = {b.payload for b in _target_buttons(turn)}
    if f"{data['target']}:{data['target_id']}" not in allowed:
        turn.reply(turn._("Sorry, only school staff can do that. Send /help to see what you can do."))
        return None
    await _send_to_home(turn)
    return None


async def _send_to_home(turn: Turn) -> None:
    """Send the postcard `turn.data` holds (its target already checked) to its families."""
    data = turn.data
    if data["target"] == "class":
        recipients: Sequence[Person | Contact] = [
            r.person for r in families_of_class(session=turn.session, class_id=data["target_id"])
        ]
    else:
        recipients = family_of(session=turn.session, student_id=data["target_id"])
    outgoing = Outgoing(
        kind=MessageKind.POSTCARD_TO_HOME,
        author=turn.me,
        language=turn.me.language,
        text=data["steps"],
        title=data["title"],
        why=data["why"],
        about=data["about"],
        photo=stored_photo(turn),
        class_id=data["target_id"] if data["target"] == "class" else None,
        student_id=data["target_id"] if data["target"] == "student" else None,
        keep=(turn.me.name, data["about"]),
    )
    report = await send(
        session=turn.session,
        translator=turn.translator,
        outgoing=outgoing,
        recipients=recipients,
        now=turn.now,
        channels=turn.channels,
    )
    turn.homes_changed.add(id_of(turn.me))
    turn.reply(sent_summary(turn, report.recipients, report.unreached))


# --- home → school --------------------------------------------------------------------------


def _student_buttons(turn: Turn) -> list[Button]:
    return [
        Button(label=s.name, payload=f"student:{s.id}")
        for s in students_of(session=turn.session, person_id=id_of(turn.me))
    ]


async def start_from_home(turn: Turn) -> StepResult:
    """/tried: which child (if several), then which strategy."""
    if turn.me.role != Role.PARENT:
        turn.reply(turn._("This is for families, to tell the school what they tried at home."))
        return None
    buttons = _student_buttons(turn)
    if not buttons:
        turn.reply(turn._("You are not linked to a child yet."))
        return None
    turn.data = {}
    if len(buttons) == 1:
        return _ask_which(turn, buttons[0])
    turn.reply(turn._("Which child is this about?"), buttons)
    return State.STUDENT


async def on_student(turn: Turn) -> StepResult:
    buttons = _student_buttons(turn)
    choice = turn.pick(buttons)
    chosen = next((b for b in buttons if b.payload == choice), None)
    if chosen is None:
        return State.STUDENT
    return _ask_which(turn, chosen)


def _which_buttons(turn: Turn) -> list[Button]:
    student = next(
        s
        for s in students_of(session=turn.session, person_id=id_of(turn.me))
        if s.id == turn.data["student_id"]
    )
    postcards = postcards_received(
        session=turn.session, person_id=id_of(turn.me), student_id=id_of(student), class_id=student.class_id
    )
    return [
        Button(label=p.details.get("title") or p.text[:40], payload=f"postcard:{p.id}") for p in postcards
    ] + [Button(label=turn._("Something new"), payload="new")]


def _ask_which(turn: Turn, student: Button) -> StepResult:
    turn.data.update(student_id=int(student.payload.removeprefix("student:")), about=student.label)
    turn.reply(turn._("Which strategy did you try?"), _which_buttons(turn))
    return State.WHICH


async def on_which(turn: Turn) -> StepResult:
    buttons = _which_buttons(turn)
    choice = turn.pick(buttons)
    if choice is None:
        return State.WHICH
    if choice == "new":
        return _ask_text(turn, State.NEW_TITLE, turn._("What did you try? A few words are enough."))
    chosen = next(b for b in buttons if b.payload == choice)
    turn.data.update(answers_id=int(choice.removeprefix("postcard:")), strategy=chosen.label)
    _acknowledge(turn, turn.data["answers_id"])
    return _ask_outcome(turn)


def _acknowledge(turn: Turn, postcard_id: int) -> None:
    """Saying what happened with a postcard shows it was read: it counts as "Got it" in /acks."""
    acknowledge(
        session=turn.session,
        message_id=postcard_id,
        person_id=id_of(turn.me),
        at=turn.now,
        channel=turn.inbound.channel,
    )


async def on_new_title(turn: Turn) -> StepResult:
    if not take_text(turn, "title", limit=120):
        return State.NEW_TITLE
    return _ask_outcome(turn)


async def on_tried_button(turn: Turn) -> StepResult:
    """ "We tried it" on a postcard: straight to how it went, filed against that postcard."""
    message = message_from_payload(turn, "tried")
    if message is None or message.kind != MessageKind.POSTCARD_TO_HOME:
        return None
    students = students_of(session=turn.session, person_id=id_of(turn.me))
    student = next(
        (
            s
            for s in students
            if s.id == message.student_id or (message.student_id is None and s.class_id == message.class_id)
        ),
        None,
    )
    if student is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    turn.data = {
        "student_id": student.id,
        "about": student.name,
        "answers_id": message.id,
        "strategy": message.details.get("title", ""),
    }
    _acknowledge(turn, id_of(message))
    return _ask_outcome(turn)


def _outcome_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn._(label), payload=f"outcome:{key}") for key, label in OUTCOMES.items()]


def _ask_outcome(turn: Turn) -> StepResult:
    turn.reply(turn._("How did it go?"), _outcome_buttons(turn))
    return State.OUTCOME


async def on_outcome(turn: Turn) -> StepResult:
    choice = turn.pick(_outcome_buttons(turn))
    if choice is None:
        return State.OUTCOME
    turn.data["outcome"] = choice.removeprefix("outcome:")
    return _ask_text(turn, State.WHAT, turn._("What happened? Tell us in your own words, in any language."))


async def on_what(turn: Turn) -> StepResult:
    if not take_text(turn, "what"):
        return State.WHAT
    turn.reply(turn._("Would you like to add a photo? Send it now, or press Skip."), skip_button(turn))
    return State.HOME_PHOTO


async def on_home_photo(turn: Turn) -> StepResult:
    if take_photo(turn) is None:
        return State.HOME_PHOTO
    data, me = turn.data, turn.me
    recipients = school_side_of(session=turn.session, student_id=data["student_id"])
    if not recipients:
        turn.reply(turn._("Sorry, nobody at school is linked to this child yet. Please contact the school."))
        return None
    language = await turn.translator.detect(data["what"], fallback=me.language)
    outgoing = Outgoing(
        kind=MessageKind.POSTCARD_FROM_HOME,
        author=me,
        language=language,
        text=data["what"],
        title=data.get("title", ""),
        strategy=data.get("strategy", ""),
        outcome=data["outcome"],
        about=data["about"],
        relationship=relationship_to(
            session=turn.session, person_id=id_of(me), student_id=data["student_id"]
        ),
        student_id=data["student_id"],
        answers_id=data.get("answers_id"),
        photo=stored_photo(turn),
        keep=(me.name, data["about"]),
    )
    await send(
        session=turn.session,
        translator=turn.translator,
        outgoing=outgoing,
        recipients=recipients,
        now=turn.now,
        channels=turn.channels,
    )
    turn.reply(
        turn._("Thank you! Your postcard was sent to: {names}.").format(
            names=turn.speaker.listing(p.name for p in recipients)
        )
    )
    return None


FLOW = Flow(
    name="postcards",
    states={
        State.TARGET: on_target,
        State.TITLE: on_title,
        State.STEPS: on_steps,
        State.WHY: on_why,
        State.PHOTO: on_photo,
        State.CONFIRM: on_confirm,
        State.STUDENT: on_student,
        State.WHICH: on_which,
        State.NEW_TITLE: on_new_title,
        State.OUTCOME: on_outcome,
        State.WHAT: on_what,
        State.HOME_PHOTO: on_home_photo,
    },
)


ENTRIES = Entries(
    flow=FLOW,
    commands={
        "postcard": Command(step=start_to_home, flow=FLOW.name),
        "tried": Command(step=start_from_home, flow=FLOW.name),
    },
    actions={
        "tried": Command(step=on_tried_button, flow=FLOW.name),
        postcard_form.FORM: Command(step=on_form, keeps_state=True),
    },
)
