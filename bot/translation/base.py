"""The seam every machine translation backend fits, and how they fail."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from bot.errors import PartnerbotError

#: Stands for protected text (a URL, a name, a time) while a backend translates around it.
#: Backends must return it unchanged; each turns it into whatever its API leaves alone.
PLACEHOLDER = "⟦{}⟧"
#: A placeholder as it may come back: machine translation sometimes adds spaces or localises the digit.
PLACEHOLDER_PATTERN = re.compile(r"⟦\s*(\d+)\s*⟧")


class Translator(Protocol):
    """A machine translation backend. Languages are partnerbot's tags (bot.i18n.LANGUAGES);
    each backend maps them to its own codes."""

    name: str

    async def translate(self, texts: Sequence[str], *, source: str | None, target: str) -> list[str]:
        """Each text in `target`, in order; `source` None lets the backend detect it.
        Raises TranslatorError when the backend cannot answer."""
        ...

    async def detect(self, text: str) -> str | None:
        """The language `text` is written in, or None when the backend cannot tell."""
        ...


class TranslatorError(PartnerbotError):
    """The translation backend failed. Messages name the backend and status, never the text."""


class TranslatorUnavailable(TranslatorError):
    """No translation backend is configured."""
