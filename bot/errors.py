"""Exceptions raised by partnerbot itself; each docstring is its default message."""

from __future__ import annotations


class PartnerbotError(Exception):
    """Something went wrong in partnerbot."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__)


class ConfigurationError(PartnerbotError):
    """The configuration is invalid."""


class SchemaOutOfDate(PartnerbotError):
    """The database schema is out of date: run `partnerbot db upgrade`."""


class NotFound(PartnerbotError):
    """No such record."""


class RosterError(PartnerbotError):
    """The roster could not be imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
