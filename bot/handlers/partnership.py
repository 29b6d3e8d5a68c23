"""/partnership: a coordinator sets up the partnership around a student (seed 000, steps 1–4), and
each invited member says how they want to be involved and what limits them.

```mermaid
flowchart LR
    partnership[/partnership/] --> STUDENT -->|new| PURPOSE --> GOALS --> REVIEW --> INVITE
    STUDENT -->|set up| OVERVIEW -->|invite| INVITE
    OVERVIEW -->|change| PURPOSE
    INVITE -->|outside partner| AGENCY --> SHARED --> HOW -->|override| REASON --> INVITE
    HOW --> INVITE -->|done| done
    involve[/involve button/] --> CONSTRAINTS --> preferences.FREQUENCY
```
The communication plan goes out from bot/jobs/plans.py once everyone answered or its time came.
Outside partners join only with consent (bot/handlers/consent.py asks the family).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.events import Button
from bot.handlers import preferences
from bot.handlers.answers import skip_button, take_text
from bot.handlers.choices import INVOLVEMENT_LABELS
from bot.handlers.flow import Command, Entries, Flow, Goto, StepResult, Turn
from bot.handlers.inviting import ask_family, ask_member, join_partner, tell_coordinator
from bot.handlers.permissions import payload_id, refuse_unless_staff
from bot.i18n import isolate
from bot.partnerships import PURPOSES, RECORDED_HOW, SHARED, equity, long_date, purpose_label
from storage import consents
from storage.ids import id_of
from storage.models import Consent, ConsentStatus, Involvement, Partnership, Person, Role
from storage.partnerships import (
    answer_constraints,
    answer_involvement,
    candidates,
    get_partnership,
    members,
    never_reached,
    partnership_of,
    plan_due,
    seat_of,
    set_up,
    students_for_coordinator,
)
from storage.people import get_person

_LOGGER = logging.getLogger(__name__)
#: Weeks from today offered for the next review.
REVIEW_WEEKS = (4, 6, 8, 12)


class State(StrEnum):
    STUDENT = "student"
    OVERVIEW = "overview"
    PURPOSE = "purpose"
    GOALS = "goals"
    REVIEW = "review"
    INVITE = "invite"
    AGENCY = "agency"
    SHARED = "shared"
    HOW = "how"
    REASON = "reason"
    CONSTRAINTS = "constraints"


def _today(turn: Turn) -> date:
    return turn.now.astimezone(ZoneInfo(turn.me.timezone)).date()


def _partnership(turn: Turn) -> Partnership:
    found = get_partnership(session=turn.session, partnership_id=turn.data["partnership"])
    if found is None:
        raise LookupError("the partnership of this conversation is gone")
    return found


# --- choosing the student -------------------------------------------------------------------


def _student_buttons(turn: Turn) -> list[Button]:
    students = students_for_coordinator(session=turn.session, person=turn.me)
    return [Button(label=s.name, payload=f"pstudent:{s.id}") for s in students]


async def start(turn: Turn) -> StepResult:
    if refuse_unless_staff(turn):
        return None
    buttons = _student_buttons(turn)
    if not buttons:
        turn.reply(turn._("You do not work with any student in partnerbot yet."))
        return None
    turn.data = {}
    turn.reply(turn._("Which student is the partnership for?"), buttons)
    return State.STUDENT


async def on_student(turn: Turn) -> StepResult:
    choice = turn.pick(_student_buttons(turn))
    if choice is None:
        return State.STUDENT
    student_id = int(choice.removeprefix("pstudent:"))
    partnership = partnership_of(session=turn.session, student_id=student_id)
    turn.data = {"partnership": id_of(partnership), "student": student_id}
    if partnership.purpose is None:
        return ask_purpose(turn)
    return show_overview(turn, partnership)


# --- overview and the equity check ----------------------------------------------------------


def equity_check(turn: Turn, partnership: Partnership) -> str:
    """Who may not be heard: never reached, no translation for their language, no answer yet."""
    seats = members(session=turn.session, partnership_id=id_of(partnership))
    found = equity(
        seats,
        never_reached(session=turn.session, person_ids=[id_of(m.person) for m in seats]),
        translating=turn.settings.translator != "none",
        coordinator_language=turn.me.language,
    )
    checks = (
        (found.never_reached, turn._("Never reached: {names}"), turn._("Everyone has been reached.")),
        (
            found.no_translation,
            turn._("No translation for their language: {names}"),
            turn._("Everyone can read partnerbot in their language."),
        ),
        (found.not_answered, turn._("Not answered yet: {names}"), turn._("Everyone has answered.")),
    )
    lines = [turn._("Is every voice heard?")]
    for names, some, none in checks:
        lines.append("• " + (some.format(names=", ".join(isolate(n) for n in names)) if names else none))
    return "\n".join(lines)


def _overview_buttons(turn: Turn) -> list[Button]:
    return [
        Button(label=turn._("Invite someone"), payload="pov:invite"),
        Button(label=turn._("Change what it is about"), payload="pov:purpose"),
        Button(label=turn._("Done"), payload="pov:done"),
    ]


def show_overview(turn: Turn, partnership: Partnership) -> StepResult:
    seats = members(session=turn.session, partnership_id=id_of(partnership))
    lines = [
        turn._("What it is about: {purpose}").format(
            purpose=purpose_label(turn.speaker, partnership.purpose)
        ),
        turn._("Our goals: {goals}").format(goals=partnership.goals),
        turn._("Members: {names}").format(names=", ".join(isolate(m.person.name) for m in seats) or "—"),
        "",
        equity_check(turn, partnership),
    ]
    turn.reply("\n".join(lines), _overview_buttons(turn))
    return State.OVERVIEW


async def on_overview(turn: Turn) -> StepResult:
    choice = turn.pick(_overview_buttons(turn))
    if choice == "pov:invite":
        return ask_invite(turn)
    if choice == "pov:purpose":
        return ask_purpose(turn)
    if choice == "pov:done":
        turn.reply(turn._("Saved. Send /partnership at any time to come back."))
        return None
    return State.OVERVIEW


# --- purpose, goals, review -----------------------------------------------------------------


def _purpose_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn._(label), payload=f"purpose:{key}") for key, label in PURPOSES.items()]


def ask_purpose(turn: Turn) -> StepResult:
    turn.reply(turn._("What do you need to work on together?"), _purpose_buttons(turn))
    return State.PURPOSE


async def on_purpose(turn: Turn) -> StepResult:
    choice = turn.pick(_purpose_buttons(turn))
    if choice is None:
        return State.PURPOSE
    turn.data["purpose"] = choice.removeprefix("purpose:")
    turn.reply(turn._("What are the first goals you want to reach together? A few words are enough."))
    return State.GOALS


async def on_goals(turn: Turn) -> StepResult:
    if not take_text(turn, "goals", limit=800):
        return State.GOALS
    return ask_review(turn)


def _review_buttons(turn: Turn) -> list[Button]:
    today = _today(turn)
    days = [today + timedelta(weeks=w) for w in REVIEW_WEEKS]
    return [Button(label=long_date(turn.speaker, d), payload=f"prev:{d.isoformat()}") for d in days]


def ask_review(turn: Turn) -> StepResult:
    turn.reply(turn._("When should the partnership look again at how it is going?"), _review_buttons(turn))
    return State.REVIEW


async def on_review(turn: Turn) -> StepResult:
    choice = turn.pick(_review_buttons(turn))
    if choice is None:
        return State.REVIEW
    partnership = set_up(
        session=turn.session,
        student_id=turn.data["student"],
        coordinator_id=id_of(turn.me),
        purpose=turn.data["purpose"],
        goals=turn.data["goals"],
        goals_language=turn.me.language,
        review_date=date.fromisoformat(choice.removeprefix("prev:")),
    )
    turn.reply(turn._("Saved. You coordinate this partnership."))
    return ask_invite(turn, partnership)


# --- inviting members -----------------------------------------------------------------------


def _invite_buttons(turn: Turn, partnership: Partnership | None = None) -> list[Button]:
    people = candidates(session=turn.session, partnership=partnership or _partnership(turn))
    buttons = [Button(label=p.name, payload=f"pinvite:{p.id}") for p in people]
    return [*buttons, Button(label=turn._("Done"), payload="pinvite:done")]


def ask_invite(turn: Turn, partnership: Partnership | None = None) -> StepResult:
    turn.reply(
        turn._("Who should be in the partnership? Choose one person at a time, then press Done."),
        _invite_buttons(turn, partnership),
    )
    return State.INVITE


async def on_invite(turn: Turn) -> StepResult:
    choice = turn.pick(_invite_buttons(turn))
    if choice is None:
        return State.INVITE
    partnership = _partnership(turn)
    if choice == "pinvite:done":
        for member in members(session=turn.session, partnership_id=id_of(partnership)):
            if member.seat.invited_at is None and member.person.id != turn.me.id:
                ask_member(turn, partnership, member.person)  # in it from the roster, never asked
        due = turn.now + timedelta(days=turn.settings.plan_wait_days)
        plan_due(session=turn.session, partnership_id=id_of(partnership), at=due)
        turn.reply(
            turn._(
                "Thank you. Each person is asked how they want to be involved. Everyone gets the plan "
                "for keeping in touch when all have answered, or on {date} at the latest."
            ).format(date=long_date(turn.speaker, due.date()))
        )
        return None
    person = get_person(session=turn.session, person_id=int(choice.removeprefix("pinvite:")))
    if person is None:
        return ask_invite(turn)
    if person.role is Role.EXTERNAL and not consents.may_join(
        session=turn.session, student_id=partnership.student_id, partner_id=id_of(person)
    ):
        turn.data["partner"] = id_of(person)
        turn.reply(
            turn._("{name} works outside the school. Which service or agency are they from?").format(
                name=isolate(person.name)
            )
        )
        return State.AGENCY
    ask_member(turn, partnership, person)
    turn.reply(turn._("We asked {name} how they want to be involved.").format(name=isolate(person.name)))
    return ask_invite(turn)


# --- an outside partner: what is shared, and the family's consent ---------------------------


async def on_agency(turn: Turn) -> StepResult:
    if not take_text(turn, "agency", limit=200):
        return State.AGENCY
    return ask_shared(turn)


def _shared_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn._(label), payload=f"pshare:{key}") for key, label in SHARED.items()]


def ask_shared(turn: Turn) -> StepResult:
    turn.reply(turn._("What would they see?"), _shared_buttons(turn))
    return State.SHARED


async def on_shared(turn: Turn) -> StepResult:
    choice = turn.pick(_shared_buttons(turn))
    if choice is None:
        return State.SHARED
    turn.data["shared"] = choice.removeprefix("pshare:")
    return ask_how(turn)


def _how_buttons(turn: Turn) -> list[Button]:
    buttons = [Button(label=turn._("Ask the family through partnerbot"), payload="phow:bot")]
    buttons += [Button(label=turn._(label), payload=f"phow:{key}") for key, label in RECORDED_HOW.items()]
    if turn.me.safeguarding_lead:
        buttons.append(
            Button(label=turn._("Child protection: add now without consent"), payload="phow:override")
        )
    return buttons


def ask_how(turn: Turn) -> StepResult:
    turn.reply(
        turn._("An outside partner can only join when the family agrees. How will the family agree?"),
        _how_buttons(turn),
    )
    return State.HOW


def _consent(turn: Turn) -> Consent:
    partnership = _partnership(turn)
    return consents.request(
        session=turn.session,
        student_id=partnership.student_id,
        partner_id=turn.data["partner"],
        agency=turn.data["agency"],
        shared=turn.data["shared"],
        requested_by=id_of(turn.me),
        at=turn.now,
    )


def _parents(turn: Turn) -> list[Person]:
    seats = members(session=turn.session, partnership_id=id_of(_partnership(turn)))
    return [m.person for m in seats if m.person.role is Role.PARENT]


async def on_how(turn: Turn) -> StepResult:
    choice = turn.pick(_how_buttons(turn))
    if choice is None:
        return State.HOW
    how = choice.removeprefix("phow:")
    if how == "override":
        turn.reply(
            turn._("Write in a few words why this is needed for the child's protection. It is recorded.")
        )
        return State.REASON
    parents = _parents(turn)
    if not parents:
        turn.reply(
            turn._("There is no parent or carer in this partnership to ask yet. Please invite them first.")
        )
        return ask_invite(turn)
    consent = _consent(turn)
    if how == "bot":
        ask_family(turn, consent, parents)
        turn.reply(
            turn._("We asked {names} in their language. We will tell you their answer.").format(
                names=", ".join(isolate(p.name) for p in parents)
            )
        )
        return ask_invite(turn)
    consents.decide(
        session=turn.session,
        consent=consent,
        status=ConsentStatus.GIVEN,
        by=id_of(parents[0]),
        at=turn.now,
        how=how,
        recorded_by=id_of(turn.me),
    )
    join_partner(turn, consent)
    turn.reply(
        turn._("Recorded: {how}. They are now in the partnership.").format(how=turn._(RECORDED_HOW[how]))
    )
    return ask_invite(turn)


async def on_reason(turn: Turn) -> StepResult:
    if not take_text(turn, "reason", limit=800):
        return State.REASON
    consent = _consent(turn)
    consents.decide(
        session=turn.session,
        consent=consent,
        status=ConsentStatus.OVERRIDE,
        by=id_of(turn.me),
        at=turn.now,
        how="override",
        reason=turn.data["reason"],
    )
    _LOGGER.warning("consent %s overridden for child protection by person %s", consent.id, turn.me.id)
    join_partner(turn, consent)
    tell_coordinator(turn, consent, "override")
    turn.reply(turn._("Done, and recorded. The coordinator has been told."))
    return ask_invite(turn)


# --- a member answers -----------------------------------------------------------------------


async def on_involve(turn: Turn) -> StepResult:
    """An invited member chose how to be involved: ask about their constraints next."""
    payload = turn.inbound.payload or ""
    partnership_id = payload_id(payload.rpartition(":")[0], "involve")
    value = payload.rpartition(":")[2]
    seat = (
        seat_of(session=turn.session, partnership_id=partnership_id, person_id=id_of(turn.me))
        if partnership_id and value in set(Involvement)
        else None
    )
    if seat is None:
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    answer_involvement(
        session=turn.session,
        partnership_id=seat.partnership_id,
        person_id=id_of(turn.me),
        involvement=Involvement(value),
    )
    turn.data = {"partnership": seat.partnership_id}
    turn.reply(
        turn._("Saved: {involvement}.").format(involvement=turn._(INVOLVEMENT_LABELS[Involvement(value)]))
        + "\n\n"
        + turn._(
            "Is there anything that limits when or how you can take part? For example: "
            "“I work in the day”, “only by phone”. Write a few words, or press Skip."
        ),
        skip_button(turn),
    )
    return State.CONSTRAINTS


async def on_constraints(turn: Turn) -> StepResult:
    skipped = turn.choice(skip_button(turn)) == "skip"
    if not skipped and not take_text(turn, "constraints", limit=500):
        return State.CONSTRAINTS
    answer_constraints(
        session=turn.session,
        partnership_id=turn.data["partnership"],
        person_id=id_of(turn.me),
        constraints=None if skipped else turn.data["constraints"],
        at=turn.now,
    )
    turn.reply(turn._("Thank you. One more question:"))
    turn.data = {"mode": "menu"}
    return Goto(preferences.FLOW.name, str(preferences.ask_frequency(turn)))


FLOW = Flow(
    name="partnership",
    states={
        State.STUDENT: on_student,
        State.OVERVIEW: on_overview,
        State.PURPOSE: on_purpose,
        State.GOALS: on_goals,
        State.REVIEW: on_review,
        State.INVITE: on_invite,
        State.AGENCY: on_agency,
        State.SHARED: on_shared,
        State.HOW: on_how,
        State.REASON: on_reason,
        State.CONSTRAINTS: on_constraints,
    },
)

ENTRIES = Entries(
    flow=FLOW,
    commands={"partnership": Command(step=start, flow=FLOW.name)},
    actions={"involve": Command(step=on_involve, flow=FLOW.name)},
)
