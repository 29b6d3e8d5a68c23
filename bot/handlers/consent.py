"""A family's consent for an outside partner (seed 001, 6.3): the answer to the question the
coordinator had partnerbot ask, and withdrawing it from /settings.

Withdrawing takes the partner out of the partnership at once, so nothing new about the student
reaches them, and tells the coordinator. A child-protection override is not the family's to
withdraw (it is not offered); everything is kept in the consent's record.
"""

from __future__ import annotations

from enum import StrEnum

from bot.events import Button
from bot.handlers.flow import Command, Entries, Flow, StepResult, Turn
from bot.handlers.inviting import join_partner, tell_coordinator
from bot.handlers.permissions import payload_id
from bot.i18n import isolate
from storage import consents
from storage.ids import id_of
from storage.models import ConsentStatus
from storage.partnerships import partnership_of, remove


class State(StrEnum):
    WITHDRAW = "withdraw"


async def on_answer(turn: Turn) -> StepResult:
    """ "consent:yes:<id>" or "consent:no:<id>", pressed by a parent of the student, once."""
    payload = turn.inbound.payload or ""
    answer, _, rest = payload.removeprefix("consent:").partition(":")
    consent_id = payload_id(f"consent:{rest}", "consent")
    consent = consents.get(session=turn.session, consent_id=consent_id) if consent_id else None
    if (
        consent is None
        or answer not in {"yes", "no"}
        or consent.status is not ConsentStatus.ASKED
        or not consents.is_parent_of(
            session=turn.session, person_id=id_of(turn.me), student_id=consent.student_id
        )
    ):
        turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
        return None
    given = answer == "yes"
    consents.decide(
        session=turn.session,
        consent=consent,
        status=ConsentStatus.GIVEN if given else ConsentStatus.REFUSED,
        by=id_of(turn.me),
        at=turn.now,
        how="bot",
    )
    if given:
        join_partner(turn, consent)
        turn.reply(turn._("Thank you. You can withdraw your consent at any time with /settings."))
    else:
        turn.reply(turn._("Thank you. They will not be added."))
    tell_coordinator(turn, consent, "given" if given else "refused")
    return None


def _withdraw_buttons(turn: Turn) -> list[Button]:
    standing = consents.standing_for_family(session=turn.session, person_id=id_of(turn.me))
    buttons = [
        Button(
            label=turn._("{partner} ({agency}) for {student}").format(
                partner=v.partner.name, agency=v.consent.agency, student=v.student.name
            ),
            payload=f"withdraw:{v.consent.id}",
        )
        for v in standing
    ]
    return [*buttons, Button(label=turn._("Back"), payload="withdraw:back")]


def ask_withdraw(turn: Turn) -> StepResult:
    """From the /settings menu (which offers it when there is one): the consents to withdraw."""
    turn.reply(
        turn._("Who should no longer be part of it? Choose to withdraw your consent."),
        _withdraw_buttons(turn),
    )
    return State.WITHDRAW


async def on_withdraw(turn: Turn) -> StepResult:
    choice = turn.pick(_withdraw_buttons(turn))
    if choice is None:
        return State.WITHDRAW
    consent_id = payload_id(choice, "withdraw")
    consent = consents.get(session=turn.session, consent_id=consent_id) if consent_id else None
    if consent is None:  # Back
        turn.reply(turn._("Saved. You can come back with /settings at any time."))
        return None
    consents.withdraw(session=turn.session, consent=consent, by=id_of(turn.me), at=turn.now)
    partnership = partnership_of(session=turn.session, student_id=consent.student_id)
    remove(session=turn.session, partnership_id=id_of(partnership), person_id=consent.partner_id)
    tell_coordinator(turn, consent, "withdrawn")
    turn.reply(
        turn._("Done. {agency} no longer sees anything new about your child.").format(
            agency=isolate(consent.agency)
        )
    )
    return None


FLOW = Flow(name="consent", states={State.WITHDRAW: on_withdraw})

ENTRIES = Entries(flow=FLOW, actions={"consent": Command(step=on_answer, keeps_state=True)})
