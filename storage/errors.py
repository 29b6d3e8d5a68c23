"""Errors storage raises, and the base of every partnerbot error; each docstring is its default message.

They live here, not in `bot.errors`, so storage depends on nothing in the bot; `bot.errors`
re-exports them beside the bot's own errors.
"""

from __future__ import annotations


class PartnerbotError(Exception):
    """Something went wrong in partnerbot."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__)


class ConfigurationError(PartnerbotError):
    """The configuration is invalid."""


class SchemaOutOfDate(PartnerbotError):
    """The database schema is out of date: run `partnerbot db upgrade`."""
