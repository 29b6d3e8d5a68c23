"""/help and /cancel: what a person can do, and a way out of any question."""

from __future__ import annotations

from bot.handlers.flow import StepResult, Turn
from bot.i18n import N_

COMMANDS = (
    ("settings", N_("see or change your language, app, how often, quiet hours and involvement")),
    ("help", N_("show this list")),
    ("cancel", N_("stop the current question")),
)


async def show_help(turn: Turn) -> StepResult:
    lines = [turn._("Here is what you can do:")]
    lines += [f"/{name} – {turn._(description)}" for name, description in COMMANDS]
    turn.reply("\n".join(lines))
    return None


async def cancel(turn: Turn) -> StepResult:
    turn.reply(turn._("Stopped. Nothing else was changed. Send /help to see what you can do."))
    return None
