"""What a partnership says to its members (seed 000, step 5): the choices a coordinator makes, the
communication plan each member reads in their language, and the equity check the coordinator sees.

A plan is built from `PlanData`, which is the same for every reader; only its rendering is per
language. Its hash is of that data, so the plan goes out again exactly when what it says changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date

from babel.dates import format_date
from babel.lists import format_list

from bot.handlers.choices import CHANNEL_NAMES, FREQUENCY_LABELS, INVOLVEMENT_LABELS
from bot.i18n import LANGUAGES, N_, Speaker, isolate
from storage.models import ConsentStatus, Frequency, Involvement
from storage.partnerships import Member

#: What a partnership can be about (seed 000, step 1).
PURPOSES = {
    "adjustments": N_("Planning changes to help at school"),
    "goals": N_("Setting learning goals"),
    "behaviour": N_("A plan to support behaviour"),
    "transition": N_("Moving to a new class or school"),
    "same_page": N_("Making sure everyone is on the same page"),
    "needs": N_("Understanding needs and strengths"),
}
#: What an outside partner would see, as the family is asked to agree to it (seed 001, 6.3).
SHARED = {
    "all": N_("Everything in the partnership: messages, postcards and meeting notes"),
    "postcards": N_("Only the postcards and what was tried at home"),
    "meetings": N_("Only the meeting notes and the plan"),
}
#: A consent's state, as staff read it on the dashboard.
CONSENT_LABELS = {
    ConsentStatus.ASKED: N_("Asked, no answer yet"),
    ConsentStatus.GIVEN: N_("Agreed"),
    ConsentStatus.REFUSED: N_("Did not agree"),
    ConsentStatus.WITHDRAWN: N_("Withdrawn"),
    ConsentStatus.OVERRIDE: N_("Added for child protection, without consent"),
}
#: How a family's agreement reached the school when it was not given through partnerbot.
RECORDED_HOW = {
    "phone": N_("They agreed by phone"),
    "paper": N_("They signed a paper form"),
    "in_person": N_("They agreed in person"),
}


@dataclass(frozen=True, slots=True)
class PlanMember:
    name: str
    relationship: str | None
    involvement: Involvement
    frequency: Frequency
    channel: str | None  # None: no account to reach them on
    key_contact: bool


@dataclass(frozen=True, slots=True)
class PlanData:
    """The communication plan, the same for every reader."""

    student: str
    purpose: str
    goals: str
    goals_language: str
    coordinator: str
    review_date: date | None
    members: tuple[PlanMember, ...]

    @property
    def hash(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), default=str, sort_keys=True).encode()).hexdigest()


def long_date(speaker: Speaker, value: date) -> str:
    return format_date(value, "long", locale=speaker.locale)


def purpose_label(speaker: Speaker, purpose: str | None) -> str:
    return speaker._(PURPOSES[purpose]) if purpose in PURPOSES else ""


def _member_line(speaker: Speaker, member: PlanMember) -> str:
    _ = speaker._
    name = isolate(member.name)
    who = (
        _("{name} ({relationship})").format(name=name, relationship=member.relationship)
        if member.relationship
        else name
    )
    how = (
        _("{frequency}, by {channel}").format(
            frequency=_(FREQUENCY_LABELS[member.frequency]),
            channel=_(CHANNEL_NAMES.get(member.channel, member.channel)),
        )
        if member.channel
        else _("{frequency}, no way to reach them yet").format(
            frequency=_(FREQUENCY_LABELS[member.frequency])
        )
    )
    return _("• {who}: {involvement}. Hears from us: {how}.").format(
        who=who, involvement=_(INVOLVEMENT_LABELS[member.involvement]), how=how
    )


def render_plan(speaker: Speaker, plan: PlanData, goals: str) -> str:
    """The plan in the reader's language; `goals` already in it (or the original, with a note)."""
    _ = speaker._
    keys = [isolate(m.name) for m in plan.members if m.key_contact]
    lines = [
        _("How we keep in touch about {student}").format(student=isolate(plan.student)),
        "",
        _("What it is about: {purpose}").format(purpose=purpose_label(speaker, plan.purpose)),
        _("Our goals: {goals}").format(goals=goals),
        "",
        _("Who is involved, and how each hears from us:"),
        *(_member_line(speaker, member) for member in plan.members),
        "",
        _("Coordinator: {name}").format(name=isolate(plan.coordinator)),
        _("Key contact: {names}").format(
            names=format_list(keys, locale=speaker.locale) if keys else _("not chosen yet")
        ),
    ]
    if plan.review_date is not None:
        lines.append(_("Next review: {date}").format(date=long_date(speaker, plan.review_date)))
    lines += [
        "",
        _("If something is not right for you, send /settings or write to {name}.").format(
            name=isolate(plan.coordinator)
        ),
    ]
    return "\n".join(lines)


def has_translation(language: str, *, translating: bool, coordinator_language: str) -> bool:
    """Whether a member reading `language` gets partnerbot's words and the coordinator's in it."""
    return language in LANGUAGES and (translating or language == coordinator_language)


@dataclass(frozen=True, slots=True)
class Equity:
    """Who may not be heard (seed 000: the plan must be equitable): by name."""

    never_reached: list[str]
    no_translation: list[str]
    not_answered: list[str]


def equity(
    seats: list[Member], unreached: set[int], *, translating: bool, coordinator_language: str
) -> Equity:
    return Equity(
        never_reached=[m.person.name for m in seats if m.person.id in unreached],
        no_translation=[
            m.person.name
            for m in seats
            if not has_translation(
                m.person.language, translating=translating, coordinator_language=coordinator_language
            )
        ],
        not_answered=[m.person.name for m in seats if m.seat.invited_at and not m.seat.answered_at],
    )
