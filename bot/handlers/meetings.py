"""/meeting: the coordinator records a partnership meeting's date, who was there, and its notes; the
notes go to the members who were not there, each in their language, with Got it (seed 000: not
everyone is at the same table at the same time).

```mermaid
flowchart LR
    meeting[/meeting/] --> STUDENT --> DAY --> PRESENT --> NOTES --> done
```
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.events import Button
from bot.handlers.answers import take_text
from bot.handlers.flow import Command, Entries, Flow, StepResult, Turn
from bot.handlers.permissions import refuse_unless_staff
from bot.i18n import isolate
from bot.messages.fanout import Outgoing, send
from bot.partnerships import long_date
from storage.ids import id_of
from storage.models import MessageKind
from storage.partnerships import (
    add_meeting,
    get_student,
    meeting_sent,
    members,
    partnership_of,
    students_for_coordinator,
)

#: Days back offered for the meeting's date.
DAYS_BACK = 7


class State(StrEnum):
    STUDENT = "student"
    DAY = "day"
    PRESENT = "present"
    NOTES = "notes"


def _student_buttons(turn: Turn) -> list[Button]:
    students = students_for_coordinator(session=turn.session, person=turn.me)
    return [Button(label=s.name, payload=f"mstudent:{s.id}") for s in students]


async def start(turn: Turn) -> StepResult:
    if refuse_unless_staff(turn):
        return None
    buttons = _student_buttons(turn)
    if not buttons:
        turn.reply(turn._("You do not work with any student in partnerbot yet."))
        return None
    turn.data = {}
    turn.reply(turn._("Which student's partnership met?"), buttons)
    return State.STUDENT


def _day_buttons(turn: Turn) -> list[Button]:
    today = turn.now.astimezone(ZoneInfo(turn.me.timezone)).date()
    days = [today - timedelta(days=n) for n in range(DAYS_BACK)]
    labels = [turn._("Today"), turn._("Yesterday")] + [long_date(turn.speaker, d) for d in days[2:]]
    return [
        Button(label=label, payload=f"mday:{d.isoformat()}") for label, d in zip(labels, days, strict=True)
    ]


async def on_student(turn: Turn) -> StepResult:
    choice = turn.pick(_student_buttons(turn))
    if choice is None:
        return State.STUDENT
    turn.data = {"student": int(choice.removeprefix("mstudent:")), "present": [id_of(turn.me)]}
    turn.reply(turn._("When was the meeting?"), _day_buttons(turn))
    return State.DAY


def _present_buttons(turn: Turn) -> list[Button]:
    partnership = partnership_of(session=turn.session, student_id=turn.data["student"])
    present = set(turn.data["present"])
    buttons = [
        Button(
            label=("✓ " if id_of(m.person) in present else "") + m.person.name,
            payload=f"mwho:{m.person.id}",
        )
        for m in members(session=turn.session, partnership_id=id_of(partnership))
    ]
    return [*buttons, Button(label=turn._("Done"), payload="mwho:done")]


def ask_present(turn: Turn) -> StepResult:
    turn.reply(turn._("Who was there? Press each name, then Done."), _present_buttons(turn))
    return State.PRESENT


async def on_day(turn: Turn) -> StepResult:
    choice = turn.pick(_day_buttons(turn))
    if choice is None:
        return State.DAY
    turn.data["day"] = choice.removeprefix("mday:")
    return ask_present(turn)


async def on_present(turn: Turn) -> StepResult:
    choice = turn.pick(_present_buttons(turn))
    if choice is None:
        return State.PRESENT
    if choice == "mwho:done":
        turn.reply(turn._("Please write the notes of the meeting. They go to everyone who was not there."))
        return State.NOTES
    person_id = int(choice.removeprefix("mwho:"))
    present = set(turn.data["present"]) ^ {person_id}
    turn.data["present"] = sorted(present)
    return ask_present(turn)


async def on_notes(turn: Turn) -> StepResult:
    if not take_text(turn, "notes", limit=3000):
        return State.NOTES
    partnership = partnership_of(session=turn.session, student_id=turn.data["student"])
    student = get_student(session=turn.session, student_id=turn.data["student"])
    held_on = date.fromisoformat(turn.data["day"])
    present = set(turn.data["present"])
    absent = [
        m.person
        for m in members(session=turn.session, partnership_id=id_of(partnership))
        if id_of(m.person) not in present
    ]
    meeting = add_meeting(
        session=turn.session,
        partnership_id=id_of(partnership),
        held_on=held_on,
        recorded_by=id_of(turn.me),
        present=sorted(present),
    )
    me, name = turn.me, student.name if student else ""
    report = await send(
        session=turn.session,
        translator=turn.translator,
        outgoing=Outgoing(
            kind=MessageKind.MEETING_NOTES,
            author=me,
            language=me.language,
            text=turn.data["notes"],
            about=name,
            student_id=turn.data["student"],
            held_on=held_on,
            keep=(me.name, name),
            details={"meeting": meeting.id},
        ),
        recipients=absent,
        now=turn.now,
        channels=turn.channels,
    )
    meeting_sent(session=turn.session, meeting_id=id_of(meeting), message_id=report.message_id)
    turn.reply(
        turn._("Saved. The notes went to: {names}.").format(names=", ".join(isolate(p.name) for p in absent))
        if absent
        else turn._("Saved. Everyone was there, so the notes were not sent.")
    )
    return None


FLOW = Flow(
    name="meetings",
    states={State.STUDENT: on_student, State.DAY: on_day, State.PRESENT: on_present, State.NOTES: on_notes},
)

ENTRIES = Entries(flow=FLOW, commands={"meeting": Command(step=start, flow=FLOW.name)})
