"""Preferences: language, channel, how often, quiet hours, involvement; asked on joining, then /settings.

```mermaid
flowchart LR
    join --> LANGUAGE --> CHANNEL --> FREQUENCY -->|weekly, fortnightly| DIGEST_DAY --> DIGEST_TIME
    FREQUENCY -->|daily| DIGEST_TIME --> QUIET_HOURS
    FREQUENCY -->|as it happens| QUIET_HOURS --> INVOLVEMENT --> done
    settings[/settings/] --> MENU -->|one choice| LANGUAGE & CHANNEL & FREQUENCY -.-> MENU
```
In onboarding each answer leads to the next question; from the /settings menu each answer
returns to the menu. Every answer is stored at once and confirmed in the person's language.
"""

from __future__ import annotations

from enum import StrEnum

from bot.events import Button
from bot.handlers import consent
from bot.handlers.choices import (
    DIGEST_TIMES,
    FREQUENCY_LABELS,
    INVOLVEMENT_LABELS,
    QUIET_CHOICES,
    channel_label,
    describe_frequency,
    offered,
    parse_range,
    parse_time,
    summary,
    time_range,
)
from bot.handlers.flow import Command, Entries, Flow, Goto, StepResult, Turn, speaker_for
from bot.i18n import LANGUAGES, N_
from storage import consents
from storage.accounts import set_preferred, stop_account
from storage.ids import id_of
from storage.models import Frequency, Involvement, Role
from storage.outbox import bounced
from storage.people import (
    mark_onboarded,
    memberships_of,
    set_digest_day,
    set_digest_time,
    set_frequency,
    set_involvement,
    set_language,
    set_quiet_hours,
)


class State(StrEnum):
    MENU = "menu"
    LANGUAGE = "language"
    CHANNEL = "channel"
    FREQUENCY = "frequency"
    DIGEST_DAY = "digest_day"
    DIGEST_TIME = "digest_time"
    QUIET_HOURS = "quiet_hours"
    INVOLVEMENT = "involvement"


ONBOARDING = "onboarding"
# --- entry points ---------------------------------------------------------------------------


async def start_onboarding(turn: Turn) -> StepResult:
    turn.data = {"mode": ONBOARDING}
    return ask_language(turn)


async def start_menu(turn: Turn) -> StepResult:
    turn.data = {"mode": "menu"}
    return show_menu(turn)


def _next(turn: Turn, answered: State) -> StepResult:
    """After an answer: the next onboarding question, or back to the menu."""
    if turn.data.get("mode") != ONBOARDING:
        turn.data["answered"] = [*turn.data.get("answered", []), str(answered)]
        return show_menu(turn)
    person = turn.me
    if answered is State.LANGUAGE:
        return ask_channel(turn)
    if answered is State.CHANNEL:
        return ask_frequency(turn)
    if answered is State.DIGEST_TIME:  # the end of the "how often" questions
        return ask_quiet_hours(turn)
    if answered is State.QUIET_HOURS:
        turn.data["pending"] = [
            m.partnership_id for m in memberships_of(session=turn.session, person_id=id_of(person))
        ]
    return ask_involvement(turn) if turn.data.get("pending") else _finish_onboarding(turn)


def _finish_onboarding(turn: Turn) -> StepResult:
    mark_onboarded(session=turn.session, person_id=id_of(turn.me), at=turn.now)
    turn.reply(
        turn._("All set, thank you! Here is how we will keep in touch:")
        + "\n\n"
        + summary(turn)
        + "\n\n"
        + turn._("You can change any of this at any time with /settings. Send /help to see what you can do.")
    )
    return None


# --- the menu -------------------------------------------------------------------------------

_MENU = (
    (State.LANGUAGE, N_("Language")),
    (State.CHANNEL, N_("Where to reach me")),
    (State.FREQUENCY, N_("How often")),
    (State.QUIET_HOURS, N_("Quiet hours")),
    (State.INVOLVEMENT, N_("My involvement")),
    ("consent", N_("Outside partners")),
    ("done", N_("Done")),
)


def _menu_buttons(turn: Turn) -> list[Button]:
    """The menu; only parents and carers give (and withdraw) consent for outside partners."""
    return [
        Button(label=turn._(label), payload=f"menu:{key}")
        for key, label in _MENU
        if key != "consent" or turn.me.role is Role.PARENT
    ]


def show_menu(turn: Turn) -> StepResult:
    turn.reply(
        turn._("Your settings:") + "\n\n" + summary(turn) + "\n\n" + turn._("What would you like to change?"),
        _menu_buttons(turn),
    )
    return State.MENU


async def on_menu(turn: Turn) -> StepResult:
    choice = turn.pick(_menu_buttons(turn))
    if choice is None:
        return State.MENU
    key = choice.removeprefix("menu:")
    if key == "done":
        if turn.me.onboarded_at is None:
            return _resume_onboarding(turn)
        turn.reply(turn._("Saved. You can come back with /settings at any time."))
        return None
    if key == "consent":
        if consents.standing_for_family(session=turn.session, person_id=id_of(turn.me)):
            return Goto(consent.FLOW.name, str(consent.ask_withdraw(turn)))
        turn.reply(turn._("No outside partner works with your child through partnerbot."))
        return show_menu(turn)
    if key == State.INVOLVEMENT:
        turn.data["pending"] = [
            m.partnership_id for m in memberships_of(session=turn.session, person_id=id_of(turn.me))
        ]
        if not turn.data["pending"]:
            turn.reply(turn._("You are not linked to a child yet."))
            return show_menu(turn)
    return {
        State.LANGUAGE: ask_language,
        State.CHANNEL: ask_channel,
        State.FREQUENCY: ask_frequency,
        State.QUIET_HOURS: ask_quiet_hours,
        State.INVOLVEMENT: ask_involvement,
    }[State(key)](turn)


def _resume_onboarding(turn: Turn) -> StepResult:
    """/settings sent before the first-time questions were over: "Done" goes on with those not
    answered in the menu (quiet hours, involvement), so none is skipped, then finishes joining."""
    answered = turn.data.get("answered", [])
    turn.data = {"mode": ONBOARDING}
    if State.QUIET_HOURS not in answered:
        return ask_quiet_hours(turn)
    if State.INVOLVEMENT not in answered:
        return _next(turn, State.QUIET_HOURS)
    return _finish_onboarding(turn)


# --- language -------------------------------------------------------------------------------


def _language_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn.speaker.language_name(code), payload=f"lang:{code}") for code in LANGUAGES]


def ask_language(turn: Turn) -> StepResult:
    turn.reply(turn._("Which language would you like us to use?"), _language_buttons(turn))
    return State.LANGUAGE


async def on_language(turn: Turn) -> StepResult:
    choice = turn.choice(_language_buttons(turn))
    if choice is None:
        turn.reply(turn._("Please choose a language from the list."), _language_buttons(turn))
        return State.LANGUAGE
    person = set_language(
        session=turn.session, person_id=id_of(turn.me), language=choice.removeprefix("lang:")
    )
    turn.speaker = speaker_for(session=turn.session, person=person)
    turn.reply(
        turn._("Thank you. From now on we will write to you in {language}.").format(
            language=turn.speaker.language_name(person.language)
        )
    )
    return _next(turn, State.LANGUAGE)


# --- channel --------------------------------------------------------------------------------


def _channel_buttons(turn: Turn) -> list[Button]:
    return [Button(label=channel_label(turn, a), payload=f"account:{a.id}") for a in offered(turn)]


def ask_channel(turn: Turn) -> StepResult:
    turn.reply(
        turn._("Where should we send your messages?")
        + "\n"
        + turn._("To add another app later, ask the school for a new invite code and send it from that app."),
        _channel_buttons(turn),
    )
    return State.CHANNEL


async def on_channel(turn: Turn) -> StepResult:
    choice = turn.pick(_channel_buttons(turn))
    chosen = (
        set_preferred(session=turn.session, person_id=id_of(turn.me), account_id=int(choice.split(":")[1]))
        if choice
        else None
    )
    if chosen is None:
        return State.CHANNEL
    turn.reply(
        turn._("Done: we will send your messages to {channel}.").format(channel=channel_label(turn, chosen))
    )
    return _next(turn, State.CHANNEL)


# --- frequency, digest day and time ---------------------------------------------------------


def _frequency_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn._(label), payload=f"freq:{f.value}") for f, label in FREQUENCY_LABELS.items()]


def ask_frequency(turn: Turn) -> StepResult:
    turn.reply(
        turn._("How often would you like to hear from us? Urgent messages always come straight away."),
        _frequency_buttons(turn),
    )
    return State.FREQUENCY


async def on_frequency(turn: Turn) -> StepResult:
    choice = turn.pick(_frequency_buttons(turn))
    if choice is None:
        return State.FREQUENCY
    frequency = Frequency(choice.removeprefix("freq:"))
    person = set_frequency(session=turn.session, person_id=id_of(turn.me), frequency=frequency)
    if person.frequency == Frequency.IMMEDIATE:
        turn.reply(turn._("Done: {frequency}.").format(frequency=describe_frequency(turn)))
        return _next(turn, State.DIGEST_TIME)
    return ask_digest_day(turn) if person.frequency != Frequency.DAILY else ask_digest_time(turn)


def _day_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn.speaker.weekday(day), payload=f"day:{day}") for day in range(7)]


def ask_digest_day(turn: Turn) -> StepResult:
    turn.reply(turn._("On which day would you like your digest?"), _day_buttons(turn))
    return State.DIGEST_DAY


async def on_digest_day(turn: Turn) -> StepResult:
    choice = turn.choice(_day_buttons(turn))
    if choice is None:
        turn.reply(turn._("Please choose a day from the list."), _day_buttons(turn))
        return State.DIGEST_DAY
    weekday = int(choice.removeprefix("day:"))
    set_digest_day(session=turn.session, person_id=id_of(turn.me), weekday=weekday)
    return ask_digest_time(turn)


def _digest_time_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn.speaker.time(t), payload=f"time:{t:%H:%M}") for t in DIGEST_TIMES]


def ask_digest_time(turn: Turn) -> StepResult:
    turn.reply(turn._("At what time? Choose one, or type a time such as 18:30."), _digest_time_buttons(turn))
    return State.DIGEST_TIME


async def on_digest_time(turn: Turn) -> StepResult:
    choice = turn.choice(_digest_time_buttons(turn))
    chosen = parse_time(choice.removeprefix("time:") if choice else turn.text)
    if chosen is None:
        turn.reply(
            turn._("Sorry, I did not understand that time. Please choose one, or type it like 18:30."),
            _digest_time_buttons(turn),
        )
        return State.DIGEST_TIME
    set_digest_time(session=turn.session, person_id=id_of(turn.me), digest_time=chosen)
    turn.reply(turn._("Done: {frequency}.").format(frequency=describe_frequency(turn)))
    return _next(turn, State.DIGEST_TIME)


# --- quiet hours ----------------------------------------------------------------------------


def _quiet_buttons(turn: Turn) -> list[Button]:
    buttons = [
        Button(label=time_range(turn.speaker, start, end), payload=f"quiet:{start:%H:%M}-{end:%H:%M}")
        for start, end in QUIET_CHOICES
    ]
    return [*buttons, Button(label=turn._("No quiet hours"), payload="quiet:none")]


def ask_quiet_hours(turn: Turn) -> StepResult:
    turn.reply(
        turn._(
            "When should we not send you messages (for example at night)? "
            "Choose, or type a range such as 21:30-07:00. Urgent messages still come through."
        ),
        _quiet_buttons(turn),
    )
    return State.QUIET_HOURS


async def on_quiet_hours(turn: Turn) -> StepResult:
    choice = turn.choice(_quiet_buttons(turn))
    if choice == "quiet:none":
        set_quiet_hours(session=turn.session, person_id=id_of(turn.me), quiet=None)
        turn.reply(turn._("Done: no quiet hours. Messages can arrive at any time."))
        return _next(turn, State.QUIET_HOURS)
    chosen = parse_range(choice.removeprefix("quiet:") if choice else turn.text)
    if chosen is None:
        turn.reply(
            turn._("Sorry, I did not understand that. Please choose one, or type a range like 21:30-07:00."),
            _quiet_buttons(turn),
        )
        return State.QUIET_HOURS
    set_quiet_hours(session=turn.session, person_id=id_of(turn.me), quiet=chosen)
    turn.reply(
        turn._("Done: no messages between {start} and {end}, except urgent ones.").format(
            start=turn.speaker.time(chosen[0]), end=turn.speaker.time(chosen[1])
        )
    )
    return _next(turn, State.QUIET_HOURS)


# --- involvement ----------------------------------------------------------------------------


def _involvement_buttons(turn: Turn) -> list[Button]:
    return [Button(label=turn._(label), payload=f"inv:{i.value}") for i, label in INVOLVEMENT_LABELS.items()]


def ask_involvement(turn: Turn) -> StepResult:
    pending = turn.data.get("pending", [])
    membership = next(
        (
            m
            for m in memberships_of(session=turn.session, person_id=id_of(turn.me))
            if pending and m.partnership_id == pending[0]
        ),
        None,
    )
    if membership is None:
        turn.data["pending"] = []
        return _finish_onboarding(turn) if turn.data.get("mode") == ONBOARDING else show_menu(turn)
    turn.reply(
        turn._("How would you like to be involved in {student}'s learning partnership?").format(
            student=membership.student_name
        ),
        _involvement_buttons(turn),
    )
    return State.INVOLVEMENT


async def on_involvement(turn: Turn) -> StepResult:
    choice = turn.pick(_involvement_buttons(turn))
    pending: list[int] = turn.data.get("pending", [])
    if choice is None:
        return State.INVOLVEMENT
    if not pending:  # nothing left to ask about (the partnerships changed meanwhile)
        return _finish_onboarding(turn) if turn.data.get("mode") == ONBOARDING else show_menu(turn)
    involvement = Involvement(choice.removeprefix("inv:"))
    membership = set_involvement(
        session=turn.session,
        person_id=id_of(turn.me),
        partnership_id=pending[0],
        involvement=involvement,
    )
    turn.data["pending"] = pending[1:]
    if membership is not None:
        turn.reply(
            turn._("Saved. For {student} you chose: {involvement}.").format(
                student=membership.student_name, involvement=turn._(INVOLVEMENT_LABELS[involvement])
            )
        )
    if turn.data["pending"]:
        return ask_involvement(turn)
    return _finish_onboarding(turn) if turn.data.get("mode") == ONBOARDING else show_menu(turn)


FLOW = Flow(
    name="preferences",
    states={
        State.MENU: on_menu,
        State.LANGUAGE: on_language,
        State.CHANNEL: on_channel,
        State.FREQUENCY: on_frequency,
        State.DIGEST_DAY: on_digest_day,
        State.DIGEST_TIME: on_digest_time,
        State.QUIET_HOURS: on_quiet_hours,
        State.INVOLVEMENT: on_involvement,
    },
)


async def on_unsubscribe(turn: Turn) -> StepResult:
    """One-click unsubscribe from a mail (RFC 8058): nothing more goes to this account, the person's
    other channels still work. The page they saw confirms it, so nothing is sent here."""
    stop_account(session=turn.session, account=turn.account)
    return None


async def on_bounced(turn: Turn) -> StepResult:
    """A mail to this account came back undeliverable (a hard bounce naming it): that delivery is
    unreached and the account stopped, as when a chat blocks the bot; nothing is sent here."""
    inbound = turn.inbound
    bounced(
        session=turn.session,
        channel=inbound.channel,
        address=inbound.address,
        provider_id=inbound.reply_to or "",
        error="bounced",
    )
    return None


ENTRIES = Entries(
    flow=FLOW,
    commands={"settings": Command(step=start_menu, flow=FLOW.name)},
    actions={
        "unsubscribe": Command(step=on_unsubscribe, keeps_state=True),
        "bounced": Command(step=on_bounced, keeps_state=True),
    },
)
