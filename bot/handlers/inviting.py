"""Bringing people into a partnership: asking a member how they want to be involved, asking the
family's consent for an outside partner, adding the partner once it stands, and telling the
coordinator what happened — each in the reader's own language."""

from __future__ import annotations

from bot.handlers.choices import INVOLVEMENT_LABELS
from bot.handlers.flow import Turn
from bot.i18n import N_, Speaker, isolate
from bot.messages.fanout import notify
from bot.partnerships import SHARED, purpose_label
from storage import consents
from storage.ids import id_of
from storage.models import Consent, Partnership, Person
from storage.partnerships import get_student, invite, partnership_of
from storage.people import get_person


def ask_member(turn: Turn, partnership: Partnership, person: Person) -> None:
    """Invite `person` and ask them, in their language, how they want to be involved."""
    invite(session=turn.session, partnership=partnership, person=person, at=turn.now)
    student = get_student(session=turn.session, student_id=partnership.student_id)
    coordinator = get_person(session=turn.session, person_id=partnership.coordinator_id or id_of(turn.me))
    speaker = Speaker(person.language, person.timezone)
    text = speaker._(
        "{coordinator} is bringing together the people who help {student}. It is about: {purpose}. "
        "How would you like to be involved?"
    ).format(
        coordinator=isolate(coordinator.name if coordinator else turn.me.name),
        student=isolate(student.name if student else ""),
        purpose=purpose_label(speaker, partnership.purpose),
    )
    buttons = [
        (speaker._(label), f"involve:{partnership.id}:{involvement.value}")
        for involvement, label in INVOLVEMENT_LABELS.items()
    ]
    notify(
        session=turn.session,
        person=person,
        text=text,
        now=turn.now,
        channels=turn.channels,
        buttons=buttons,
        details={"invited": partnership.id},
    )


def _names(turn: Turn, consent: Consent) -> dict[str, str]:
    partner = get_person(session=turn.session, person_id=consent.partner_id)
    student = get_student(session=turn.session, student_id=consent.student_id)
    return {
        "partner": isolate(partner.name if partner else ""),
        "agency": isolate(consent.agency),
        "student": isolate(student.name if student else ""),
    }


def ask_family(turn: Turn, consent: Consent, parents: list[Person]) -> None:
    """Ask each parent or carer, in their language, whether the partner may join."""
    names = _names(turn, consent)
    for parent in parents:
        speaker = Speaker(parent.language, parent.timezone)
        text = speaker._(
            "{coordinator} would like {partner} ({agency}) to help {student} with the school. "
            "They would see: {shared}. Do you agree? You can say no. You can also change your mind "
            "later with /settings."
        ).format(coordinator=isolate(turn.me.name), shared=speaker._(SHARED[consent.shared]), **names)
        buttons = [
            (speaker._("Yes, I agree"), f"consent:yes:{consent.id}"),
            (speaker._("No"), f"consent:no:{consent.id}"),
        ]
        notify(
            session=turn.session,
            person=parent,
            text=text,
            now=turn.now,
            channels=turn.channels,
            buttons=buttons,
            details={"consent": consent.id},
        )


def join_partner(turn: Turn, consent: Consent) -> None:
    """The consent stands: the partner joins and is asked how they want to be involved."""
    partner = get_person(session=turn.session, person_id=consent.partner_id)
    if partner is None or not consents.may_join(
        session=turn.session, student_id=consent.student_id, partner_id=consent.partner_id
    ):
        return
    ask_member(turn, partnership_of(session=turn.session, student_id=consent.student_id), partner)


#: What the coordinator is told, by what happened to a consent.
TOLD = {
    "given": N_(
        "{name} agreed that {partner} ({agency}) joins {student}'s partnership. "
        "We asked them how they want to be involved."
    ),
    "refused": N_(
        "{name} did not agree that {partner} ({agency}) joins {student}'s partnership. They are not added."
    ),
    "withdrawn": N_(
        "{name} withdrew their consent for {partner} ({agency}) in {student}'s partnership. "
        "{partner} no longer sees anything new about {student}."
    ),
    "override": N_(
        "{name} added {partner} ({agency}) to {student}'s partnership without the family's consent, "
        "for child protection. This is recorded."
    ),
}


def tell_coordinator(turn: Turn, consent: Consent, what: str) -> None:
    """Tell the partnership's coordinator, in their language, what `turn.me` did to the consent."""
    partnership = partnership_of(session=turn.session, student_id=consent.student_id)
    coordinator = get_person(
        session=turn.session, person_id=partnership.coordinator_id or consent.requested_by
    )
    if coordinator is None:
        return
    speaker = Speaker(coordinator.language, coordinator.timezone)
    text = speaker._(TOLD[what]).format(name=isolate(turn.me.name), **_names(turn, consent))
    notify(
        session=turn.session,
        person=coordinator,
        text=text,
        now=turn.now,
        channels=turn.channels,
        details={"consent": consent.id},
    )
