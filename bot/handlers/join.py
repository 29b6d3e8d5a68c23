"""Joining: an unlinked chat account sends an invite code (/start CODE, or just the code) to link itself.

An account that is not linked learns how to join and nothing else: no student, no class, no name.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.events import Section
from bot.handlers import home, preferences
from bot.handlers.flow import Command, Entries, Goto, StepResult, Turn, speaker_for
from storage.accounts import link_account
from storage.ids import id_of
from storage.invites import Redeemed, looks_like_code, recent_failures, record_failure, redeem_invite
from storage.models import Person
from storage.people import memberships_of, staff_with_email

_FAILURE_WINDOW = timedelta(hours=1)
_LOGGER = logging.getLogger(__name__)


def how_to_join(turn: Turn) -> StepResult:
    text = (
        turn._("Hello! This is the school's partnerbot. It keeps families and the school in touch.")
        + "\n"
        + turn._("To join, send the invite code your school gave you, like this: /start your-code")
    )
    if turn.inbound.command == "home":  # opening a home page (Slack's App Home): shown there, not sent
        home.show(turn, [Section(paragraphs=(text,))])
    else:
        turn.reply(text)
    return None


async def on_unlinked(turn: Turn) -> StepResult:
    """Everything an unlinked account sends ends here. A staff member whose e-mail the platform
    vouches for (Slack's workspace e-mail) is linked by it, without a code."""
    inbound = turn.inbound
    staff = (
        staff_with_email(session=turn.session, email=inbound.verified_email)
        if inbound.verified_email
        else None
    )
    if staff is not None:
        link_account(session=turn.session, account=turn.account, person=staff, at=turn.now)
        return greet(turn, staff)
    if inbound.command == "start" and inbound.args:
        return await redeem(turn, " ".join(inbound.args))
    if inbound.command is None and looks_like_code(turn.text):
        return await redeem(turn, turn.text)
    return how_to_join(turn)


async def redeem(turn: Turn, code: str) -> StepResult:
    account, settings = turn.account, turn.settings
    failures = recent_failures(
        session=turn.session, account_id=id_of(account), now=turn.now, window=_FAILURE_WINDOW
    )
    everyone = recent_failures(session=turn.session, account_id=None, now=turn.now, window=_FAILURE_WINDOW)
    if everyone >= settings.invite_max_failures_per_hour_overall:
        _LOGGER.warning("invite codes: %d wrong in the last hour across accounts; refusing more", everyone)
    if failures >= settings.invite_max_failures_per_hour or everyone >= (
        settings.invite_max_failures_per_hour_overall
    ):
        turn.reply(
            turn._(
                "Too many wrong codes. Please wait an hour and try again, or ask the school for a new code."
            )
        )
        return None
    result = redeem_invite(session=turn.session, code=code, account=account, now=turn.now)
    if result.person is None:
        record_failure(session=turn.session, account_id=id_of(account), now=turn.now)
        turn.reply(
            {
                Redeemed.UNKNOWN: turn._(
                    "Sorry, that code did not work. Please check it and try again, "
                    "or ask the school for a new one."
                ),
                Redeemed.EXPIRED: turn._(
                    "Sorry, that code has expired. Please ask the school for a new one."
                ),
                Redeemed.USED: turn._(
                    "Sorry, that code has already been used. Please ask the school for a new one."
                ),
            }[result.outcome]
        )
        return None
    return greet(turn, result.person)


def greet(turn: Turn, person: Person) -> StepResult:
    """The newly linked person is greeted by name, then asked how they like to keep in touch."""
    turn.person = person
    turn.speaker = speaker_for(session=turn.session, person=person)
    students = [m.student_name for m in memberships_of(session=turn.session, person_id=id_of(person))]
    welcome = turn._("Welcome, {name}! You are now connected with the school.").format(name=person.name)
    if students:
        welcome += "\n" + turn._("You are part of the learning partnership for: {students}.").format(
            students=turn.speaker.listing(students)
        )
    turn.reply(welcome + "\n" + turn._("A few quick questions so we keep in touch the way that suits you."))
    turn.data = {"mode": preferences.ONBOARDING}
    state = preferences.ask_language(turn)
    return Goto(preferences.FLOW.name, str(state))


async def on_start_when_linked(turn: Turn) -> StepResult:
    """A linked account sending /start again: greet; a code for someone else links nothing."""
    if turn.inbound.args:
        turn.reply(
            turn._(
                "This chat is already connected. If a code is for someone else, "
                "they should send it from their own account."
            )
        )
    else:
        turn.reply(
            turn._("Hello again, {name}! Send /help to see what you can do.").format(
                name=turn.person.name if turn.person else ""
            )
        )
    return None


ENTRIES = Entries(commands={"start": Command(step=on_start_when_linked, keeps_state=True)})
