"""Gettext bound to each recipient's language, and Babel formatting in their locale and time zone.

Strings are translated per call (never `gettext.install`), so one process can speak to a
parent in Arabic and a teacher in English in the same second. `N_` marks strings defined at
import time (button labels) for extraction; they are translated when rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time, get_day_names
from babel.lists import format_list
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


def NP_(context: str, message: str) -> str:
    """Mark a string with a gettext context (e.g. "female") for extraction without translating it."""
    return message


#: Roster relationship words → their gettext entries (context "relationship": "carer" the person,
#: not the adjective). A relationship the roster spells otherwise is shown as written.
RELATIONSHIPS = {
    "mother": NP_("relationship", "mother"),
    "father": NP_("relationship", "father"),
    "parent": NP_("relationship", "parent"),
    "carer": NP_("relationship", "carer"),
    "guardian": NP_("relationship", "guardian"),
    "grandmother": NP_("relationship", "grandmother"),
    "grandfather": NP_("relationship", "grandfather"),
}
#: Who the roster says a person is, for languages that address a woman and a man differently
#: (Arabic): a relationship → the gettext context of the sentences addressed to them.
GENDER_OF = {"mother": "female", "grandmother": "female", "father": "male", "grandfather": "male"}
#: Languages whose catalogs have "female"/"male" forms of sentences addressed to the reader.
GENDERED_LANGUAGES = frozenset({"ar"})


def gender_of(relationships: Iterable[str | None]) -> str | None:
    """The reader's gender when every relationship the roster gives agrees (a mother of two is
    "female"); None — neutral wording — when it says nothing or disagrees."""
    genders = {GENDER_OF.get((r or "").strip().casefold()) for r in relationships}
    return genders.pop() if len(genders) == 1 else None


#: Sentences that say "you" to the reader, which Arabic says differently to a woman and to a man:
#: their "female" and "male" forms (the plain entry stays neutral, for when we do not know).
GENDERED = frozenset(
    {
        NP_("female", "Saved. For {student} you chose: {involvement}."),
        NP_("male", "Saved. For {student} you chose: {involvement}."),
        NP_("female", "What did you try? A few words are enough."),
        NP_("male", "What did you try? A few words are enough."),
        NP_("female", "Which strategy did you try?"),
        NP_("male", "Which strategy did you try?"),
        NP_("female", "You are part of the learning partnership for: {students}."),
        NP_("male", "You are part of the learning partnership for: {students}."),
        NP_("female", "Welcome, {name}! You are now connected with the school."),
        NP_("male", "Welcome, {name}! You are now connected with the school."),
    }
)
#: A French "de"/"que" before a value that starts with a vowel sound is elided: "d'Amina".
_ELIDED = re.compile(r"\b(de|que) \{(\w+)\}")


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
    #: "female" or "male" when the roster says (a mother, a father); None reads neutral.
    gender: str | None = None

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    @property
    def is_rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    def _(self, message: str) -> str:
        """`message` in this language; the form for the reader's gender where the catalog has one."""
        translations = _translations(self.language)
        if self.gender is not None and message in GENDERED:
            gendered = str(translations.pgettext(self.gender, message))
            if gendered != message:
                return gendered
        return translations.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return str(_translations(self.language).pgettext(context, message))

    def relationship(self, word: str) -> str:
        """A roster relationship ("mother") in this language; one we do not know, as written."""
        known = RELATIONSHIPS.get(word.strip().casefold())
        return self.pgettext("relationship", known) if known else word

    def listing(self, items: Iterable[str]) -> str:
        """Items joined as this language joins a list: "a, b and c", "a، b وc", "a、b和c"."""
        return format_list(list(items), locale=self.locale)

    def fill(self, template: str, **values: str) -> str:
        """`template` (already translated) filled in, with French elision before a vowel: "d'Amina"."""
        if self.language == "fr":

            def elide(found: re.Match[str]) -> str:
                value = values.get(found[2], "").lstrip("\u2068")
                vowel = value[:1].casefold() in set("aeiouéèêàâîôû")
                return f"{found[1][0]}'{{{found[2]}}}" if vowel else found[0]

            template = _ELIDED.sub(elide, template)
        return template.format(**values)

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
        """A language's name in this speaker's language ("Arabic" to an English reader), without
        the script Babel adds in parentheses ("Chinese", not "Chinese (Simplified)"): it goes
        inside sentences and parentheses of its own."""
        return Locale.parse(_locale(code).language).get_display_name(self.locale) or code

    def language_name(self, code: str) -> str:
        """A language's name in its own tongue ("العربية", "Español"), for the language buttons."""
        name = _locale(code).get_display_name() or code
        return name[:1].upper() + name[1:]
