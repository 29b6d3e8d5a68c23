"""Every conversation partnerbot has, one line each: a new flow is its module (with its `ENTRIES`)
and a line here. The engine routes slash commands, any-time buttons and open questions from these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.handlers import (
    acks,
    consent,
    dashboard,
    help,
    highlights,
    home,
    join,
    meetings,
    partnership,
    postcards,
    preferences,
    replies,
    review,
)
from bot.handlers.flow import Command, Entries, Flow

HANDLERS: tuple[Entries, ...] = (
    join.ENTRIES,
    preferences.ENTRIES,
    help.ENTRIES,
    highlights.ENTRIES,
    postcards.ENTRIES,
    acks.ENTRIES,
    review.ENTRIES,
    dashboard.ENTRIES,
    partnership.ENTRIES,
    consent.ENTRIES,
    meetings.ENTRIES,
    replies.ENTRIES,
    home.ENTRIES,
)


def _merged(tables: Iterable[Mapping[str, Command]], what: str) -> dict[str, Command]:
    """One table from every module's; two modules claiming one name is a bug, found at import."""
    merged: dict[str, Command] = {}
    for table in tables:
        for name, command in table.items():
            if name in merged:
                raise ValueError(f"two handlers declare the {what} {name!r}")
            merged[name] = command
    return merged


FLOWS: Mapping[str, Flow] = {entries.flow.name: entries.flow for entries in HANDLERS if entries.flow}
COMMANDS: Mapping[str, Command] = _merged((entries.commands for entries in HANDLERS), "command")
#: Buttons that work at any time, by payload prefix ("ack:42"); the rest belong to the open question.
ACTIONS: Mapping[str, Command] = _merged((entries.actions for entries in HANDLERS), "button")
