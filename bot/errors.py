"""Exceptions raised by the bot; each docstring is its default message. Those storage raises
too (and their base) come from `storage.errors`."""

from __future__ import annotations

from storage.errors import ConfigurationError, PartnerbotError, SchemaOutOfDate

__all__ = [
    "BadInput",
    "ConfigurationError",
    "NotFound",
    "PartnerbotError",
    "RosterError",
    "SchemaOutOfDate",
]


class NotFound(PartnerbotError):
    """No such record."""


class BadInput(PartnerbotError):
    """What was given cannot be used as it is."""


class RosterError(PartnerbotError):
    """The roster could not be imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
