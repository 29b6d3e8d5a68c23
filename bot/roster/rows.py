"""What a roster file says, whatever its format, and the checks both formats share.

Parsers turn a file into a `Roster` of frozen rows or report every problem at once, so a
school admin can fix the whole file in one pass and nothing half-imports.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from babel import Locale

from bot.errors import RosterError
from bot.i18n import LANGUAGES, normalise_language
from storage.models import Involvement, Role

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_TELEGRAM = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")
#: zh-TW, zh-HK, zh-MO, zh-Hant(-…): written in Traditional characters, which no catalog has yet.
_TRADITIONAL_CHINESE = re.compile(
    r"zh[-_](hant([-_]\w+)?|tw|hk|mo)|繁體中文|正體中文|traditional chinese", re.I
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassRow:
    """A class group; rows refer to it by `key` (its external id, else its name)."""

    key: str
    name: str
    external_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonRow:
    """A family member or member of staff; `language` None means the school's default."""

    name: str
    role: Role
    language: str | None = None
    email: str | None = None
    phone: str | None = None
    telegram: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRow:
    """A person's seat in one student's partnership."""

    person: PersonRow
    relationship: str | None = None
    involvement: Involvement = Involvement.INFORMED


@dataclass(frozen=True, slots=True, kw_only=True)
class StudentRow:
    """A student and their partnership: family first, in file order (the first is key contact), then staff."""

    name: str
    class_key: str | None
    external_id: str | None = None
    members: tuple[MemberRow, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Roster:
    classes: tuple[ClassRow, ...]
    students: tuple[StudentRow, ...]


@dataclass(frozen=True, slots=True)
class Record:
    """One CSV row, with the file and line a problem report names."""

    source: str
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


class Problems:
    """Collects every problem in a file; `check` raises them together as one RosterError."""

    def __init__(self) -> None:
        self._found: list[tuple[str, int, str]] = []

    def add(self, where: Record | str, message: str) -> None:
        if isinstance(where, Record):
            self._found.append((where.source, where.line, f"{where.source} line {where.line}: {message}"))
        else:
            self._found.append((where, 0, f"{where}: {message}"))

    def __len__(self) -> int:
        return len(self._found)

    def parse(self, record: Record, parse: Callable[[str], T], column: str) -> T | None:
        """`parse(record[column])`, or None with the problem noted if it raises ValueError."""
        try:
            return parse(record[column])
        except ValueError as exc:
            self.add(record, str(exc))
            return None

    def check(self) -> None:
        if self._found:
            raise RosterError([message for _, _, message in sorted(self._found, key=lambda p: p[:2])])


def decode(data: bytes, source: str) -> str:
    """UTF-8 with or without the BOM spreadsheets add; anything else is refused, not guessed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(
            [f"{source}: is not UTF-8 text (in a spreadsheet, save it as “CSV UTF-8”)"]
        ) from None


def read_csv(
    text: str,
    *,
    source: str,
    columns: Iterable[str],
    required: Iterable[str],
    problems: Problems,
    strict: bool,
) -> list[Record]:
    """Rows keyed by canonical column names (headers match case-insensitively); blank rows are skipped.

    `strict` reports unknown columns, so a misspelt "e-mail" header does not silently drop data;
    OneRoster allows extension columns, so it is not strict.
    """
    canonical = {name.casefold(): name for name in columns}
    first_line = text.split("\n", 1)[0]
    # Excel saves "CSV" with ";" where the decimal comma is usual (Spanish, French…): read either.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        problems.add(source, "is empty; its first row must name the columns")
        return []
    names = [canonical.get(name.strip().casefold(), name.strip()) for name in header]
    missing = [name for name in required if name not in names]
    unknown = [name for name in names if name not in canonical.values()]
    if missing:
        problems.add(source, f"has no column {', '.join(missing)} (its columns are: {', '.join(names)})")
    if strict and unknown:
        problems.add(source, f"unknown column {', '.join(unknown)}; the columns are {', '.join(columns)}")
    if missing or (strict and unknown):
        return []
    records = []
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        record = Record(source, start, dict(zip(names, values, strict=False)))
        if len(values) > len(names):
            problems.add(record, f"has {len(values)} values but the header names {len(names)} columns")
            continue
        records.append(record)
    return records


#: Invisible characters that reorder or hide text: bidi embeddings, overrides and isolates
#: (U+202E shows "Amina\u202etxt.exe" as "Aminaexe.txt"), zero-width spaces, word joiners, BOMs.
#: ZWNJ and ZWJ stay: Persian, Arabic and Indic names spell with them.
_HIDDEN = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x2060, 0xFEFF, 0x180E], None
)


def clean_name(value: str) -> str:
    """Collapse the stray spaces spreadsheets collect, so "Ana  López " matches "Ana López", and
    drop the invisible characters that would let a name pass itself off as another."""
    return " ".join(value.translate(_HIDDEN).split())


@cache
def _language_names() -> dict[str, str]:
    """Each language's name in English and in itself ("Spanish", "español"), as rosters often give."""
    names: dict[str, str] = {}
    for code, locale_id in LANGUAGES.items():
        locale = Locale.parse(locale_id)
        for name in (
            locale.get_language_name("en"),
            locale.get_language_name(locale_id),
            locale.get_display_name("en"),
            locale.get_display_name(locale_id),
        ):
            if name:
                names[name.casefold()] = code
    return names


def parse_language(value: str) -> str | None:
    """A supported BCP 47 tag from a tag in any case, a regional variant or a language name."""
    if not value:
        return None
    if _TRADITIONAL_CHINESE.fullmatch(value):
        raise ValueError(
            f"language {value!r} (Traditional Chinese) is not supported yet; "
            f"use one of {', '.join(LANGUAGES)}, or leave it empty for the school's default"
        )
    known = _language_names().get(value.casefold())
    if known is None and _LANGUAGE_TAG.fullmatch(value):
        known = normalise_language(value, default="") or None
    if known is None:
        raise ValueError(f"unknown language {value!r} (use one of {', '.join(LANGUAGES)})")
    return known


def parse_email(value: str) -> str | None:
    if not value:
        return None
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError(f"malformed e-mail address {value!r}")
    return value.lower()


def parse_phone(value: str) -> str | None:
    if not value:
        return None
    if not _PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 6:
        raise ValueError(f"malformed phone number {value!r}")
    return value


def parse_telegram(value: str) -> str | None:
    """A Telegram username, stored without the "@" or t.me link people paste."""
    username = value.removeprefix("https://").removeprefix("t.me/").removeprefix("@")
    if not username:
        return None
    if not _TELEGRAM.fullmatch(username):
        raise ValueError(f"malformed Telegram username {value!r} (5–32 letters, digits or _)")
    return username
