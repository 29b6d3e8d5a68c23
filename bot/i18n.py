"""Gettext bound to each recipient's language, and Babel formatting in their locale and time zone.

Strings are translated per call (never `gettext.install`), so one process can speak to a
parent in Arabic and a teacher in English in the same second. `N_` marks strings defined at
import time (button labels) for extraction; they are translated when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time, get_day_names
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

#: Supported languages: BCP 47 tag → Babel locale identifier (also the catalog folder name).
LANGUAGES: dict[str, str] = {
    "en": "en",
    "es": "es",
    "ar": "ar",
    "zh-Hans": "zh_Hans",
    "vi": "vi",
    "fr": "fr",
}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def isolate(name: str) -> str:
    """A name from outside, shown inside a sentence: in bidi isolates (FSI … PDI), so an Arabic name
    in an English list, or a name with stray direction marks, cannot reorder the text around it."""
    return f"\u2068{name}\u2069"


def normalise_language(tag: str | None, default: str = "en") -> str:
    """Map a platform's language hint (e.g. Telegram's "es-MX", "zh-hans") to a supported tag."""
    if not tag:
        return default
    lowered = tag.replace("_", "-").lower()
    for code in LANGUAGES:
        if lowered == code.lower():
            return code
    if lowered.startswith("zh"):
        return "zh-Hans"
    base = lowered.split("-")[0]
    return base if base in LANGUAGES else default


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LANGUAGES[language])


@cache
def _translations(language: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [LANGUAGES[language]], DOMAIN)


@dataclass(frozen=True, slots=True)
class Speaker:
    """Speaks one person's language: gettext plus Babel formatting in their zone."""

    language: str
    timezone: str = "UTC"

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    @property
    def is_rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    def _(self, message: str) -> str:
        return _translations(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _translations(self.language).ngettext(singular, plural, n)

    def datetime(self, value: datetime, fmt: str = "medium") -> str:
        return format_datetime(value, fmt, tzinfo=ZoneInfo(self.timezone), locale=self.locale)

    def time(self, value: time) -> str:
        return format_time(value, "short", locale=self.locale)

    def weekday(self, index: int) -> str:
        """Name of weekday `index` (0 = Monday) in this locale."""
        return str(get_day_names("wide", locale=self.locale)[index])

    def language_name_here(self, code: str) -> str:
        """A language's name in this speaker's language ("Arabic" to an English reader)."""
        return _locale(code).get_display_name(self.locale) or code

    def language_name(self, code: str) -> str:
        """A language's name in its own tongue ("العربية", "Español"), for the language buttons."""
        name = _locale(code).get_display_name() or code
        return name[:1].upper() + name[1:]
