"""The catalogs: every string the code uses is translated in every language, placeholders intact."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, Speaker, normalise_language

ROOT = Path(__file__).parent.parent
LOCALE_DIR = ROOT / "bot" / "locale"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _used_msgids() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"_": None, "N_": None, "ngettext": (1, 2)},
    )
    return {msgid if isinstance(msgid, str) else msgid[0] for _, _, msgid, _, _ in found}


def _catalog(folder: str):
    with (LOCALE_DIR / folder / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=folder)


def test_the_template_lists_every_string_the_code_uses():
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        template = {_forms(m.id)[0] for m in read_po(handle) if m.id}
    assert _used_msgids() == template, "run the pybabel extract command in README.md"


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("folder", sorted(LANGUAGES.values()))
def test_every_catalog_translates_every_string(folder):
    catalog = _catalog(folder)
    missing = [
        msgid
        for msgid in sorted(_used_msgids())
        if not (catalog.get(msgid) and all(_forms(catalog.get(msgid).string)))
    ]
    assert not missing, f"{folder} is missing {len(missing)}: {missing[:5]}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{folder} has fuzzy entries: {fuzzy[:5]}"


@pytest.mark.parametrize("folder", sorted(LANGUAGES.values()))
def test_translations_keep_their_placeholders_and_commands(folder):
    for message in _catalog(folder):
        if not message.id:
            continue
        source = _forms(message.id)[-1]  # the plural source carries every placeholder
        for form in _forms(message.string):
            assert set(PLACEHOLDER.findall(source)) == set(PLACEHOLDER.findall(form)), source
            assert set(re.findall(r"/[a-z]+", source)) <= set(re.findall(r"/[a-z]+", form)), source


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_other_languages_do_not_answer_in_english(code):
    english = "Sorry, I did not understand that. Send /help to see what you can do."
    assert Speaker(code)._(english) != english


def test_dates_and_times_follow_the_locale_and_time_zone():
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # London changes to summer time at 01:00 UTC that day
    assert Speaker("en", "Europe/London").datetime(moment, "short") == "3/29/26, 12:30\u202fAM"
    assert (
        Speaker("en", "Europe/London")
        .datetime(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "short")
        .endswith("2:30\u202fAM")
    )
    assert Speaker("fr", "Europe/Paris").time(time(18, 45)) == "18:45"
    assert Speaker("ar").weekday(0) == "الاثنين"
    assert Speaker("ar").is_rtl and not Speaker("fr").is_rtl


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("es-MX", "es"),
        ("zh-hans", "zh-Hans"),
        ("zh-TW", "zh-Hans"),
        ("pt-BR", "en"),
        (None, "en"),
        ("AR", "ar"),
    ],
)
def test_platform_language_hints_map_to_supported_languages(hint, expected):
    assert normalise_language(hint) == expected
