"""/help and /cancel: what a person can do (by role), and a way out of any question."""

from __future__ import annotations

from bot.handlers.flow import Command, Entries, StepResult, Turn
from bot.i18n import LANGUAGES, N_, Speaker
from storage.models import Role

FAMILY = (("tried", N_("tell the school about something you tried at home")),)
STAFF = (
    ("highlights", N_("share your class's learning highlights with every family")),
    ("postcard", N_('send a "Something to try at home" postcard to a family or a class')),
    ("acks", N_("see who has read your messages, and nudge those who have not")),
    ("reviews", N_("see this term's answers to “Is the way we keep in touch working for you?”")),
    ("dashboard", N_("get a link to the staff web page: who has read what, and each partnership")),
    ("partnership", N_("set up a student's partnership: what it is about, its goals, who is in it")),
    ("meeting", N_("record a partnership meeting and send its notes to those who were not there")),
)
EXTERNAL = (STAFF[1],)
COMMON = (
    ("settings", N_("see or change your language, app, how often, quiet hours and involvement")),
    ("help", N_("show this list")),
    ("cancel", N_("stop the current question")),
)


def menu(language: str) -> list[tuple[str, str]]:
    """A platform's command menu (what families see) in `language`."""
    speaker = Speaker(language)
    return [(name, speaker._(description)) for name, description in (*FAMILY, *COMMON)]


def menus() -> dict[str | None, list[tuple[str, str]]]:
    """The menu in every catalog language, for a HasCommandMenu channel; None: the default (English)."""
    by_language: dict[str | None, list[tuple[str, str]]] = {
        code: menu(code) for code in LANGUAGES if code != "en"
    }
    by_language[None] = menu("en")
    return by_language


async def show_help(turn: Turn) -> StepResult:
    role = turn.me.role
    own = STAFF if role.is_staff else EXTERNAL if role == Role.EXTERNAL else FAMILY
    lines = [turn._("Here is what you can do:")]
    lines += [f"/{name} – {turn._(description)}" for name, description in (*own, *COMMON)]
    if not role.is_staff:
        lines.append(turn._("You can also answer any message just by writing back."))
    turn.reply("\n".join(lines))
    return None


async def cancel(turn: Turn) -> StepResult:
    turn.reply(turn._("Stopped. Nothing else was changed. Send /help to see what you can do."))
    return None


ENTRIES = Entries(
    commands={"help": Command(step=show_help, keeps_state=True), "cancel": Command(step=cancel)}
)
