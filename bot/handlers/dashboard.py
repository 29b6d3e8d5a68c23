"""/dashboard: a staff member gets a one-time, short-lived link that signs them in to the web dashboard."""

from __future__ import annotations

from bot.handlers.flow import Command, Entries, StepResult, Turn
from bot.handlers.permissions import refuse_unless_staff
from bot.web.dashboard.links import link_message, sign_in_url
from bot.web.signing import signer_for
from storage.ids import id_of


async def send_link(turn: Turn) -> StepResult:
    """The link is bound to this person; families and outside partners get the staff-only refusal
    (an unlinked account never gets here: the engine asks it to join first)."""
    if refuse_unless_staff(turn):
        return None
    link = sign_in_url(
        settings=turn.settings, signer=signer_for(turn.settings), person_id=id_of(turn.me), now=turn.now
    )
    turn.reply(link_message(turn.speaker, link))
    return None


ENTRIES = Entries(commands={"dashboard": Command(step=send_link, keeps_state=True)})
