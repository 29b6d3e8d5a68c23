"""The catalogs: every string the code uses is translated in every language, placeholders intact."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.handlers.help import STAFF
from bot.i18n import LANGUAGES, Speaker, normalise_language
from bot.jobs.reviews import QUESTION
from bot.messages.render import Context, Version, render_for_family, render_for_staff
from storage.models import MessageKind

ROOT = Path(__file__).parent.parent
LOCALE_DIR = ROOT / "bot" / "locale"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _used_msgids() -> set[str]:
    return {msgid for msgid, _ in _used()}


def _used() -> set[tuple[str, str | None]]:
    """(msgid, context) of every string the code marks."""
    found = extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"_": None, "N_": None, "NP_": ((1, "c"), 2), "ngettext": (1, 2)},
    )
    return {(msgid if isinstance(msgid, str) else msgid[0], context) for _, _, msgid, _, context in found}


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
        (msgid, context)
        for msgid, context in sorted(_used(), key=str)
        if not (catalog.get(msgid, context) and all(_forms(catalog.get(msgid, context).string)))
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


# --- generated phrases in each language ---------------------------------------------------------

#: English words that must never show inside another language's message: channels, the
#: relationships the roster gives, and the joining words of a list.
ENGLISH_WORDS = re.compile(
    r"\b(mother|father|carer|guardian|parent of|console|telegram chat|e-mail address|and|or)\b"
)


def _from_home(language: str, relationship: str, author: str = "Amina Haddad") -> str:
    speaker = Speaker(language)
    ctx = Context(
        message_id=1,
        kind=MessageKind.POSTCARD_FROM_HOME,
        author_name=author,
        about="Yusuf Haddad",
        relationship=relationship,
        outcome="well",
    )
    version = Version(language="ar", text="…")
    content, _ = render_for_staff(speaker, ctx, version, version)
    return content.heading


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_no_english_channel_relationship_or_list_word_inside_another_language(code):
    speaker = Speaker(code)
    for relationship in ("mother", "father", "carer", "guardian", "Mother "):
        heading = _from_home(code, relationship)
        assert not ENGLISH_WORDS.search(heading), heading
    listed = speaker.listing(["Emma Clarke", "Daniel Lee", "Priya Patel"])
    assert not ENGLISH_WORDS.search(listed) and "Priya Patel" in listed
    for message in _catalog(LANGUAGES[code]):
        for form in _forms(message.string) if message.id else ():
            assert not ENGLISH_WORDS.search(form.replace("/start", "")), (message.id, form)


def test_a_relationship_the_roster_spells_otherwise_is_shown_as_written():
    assert "(speech therapist de Yusuf Haddad)" in _from_home("fr", "speech therapist")
    assert _from_home("fr", "mother").endswith("Amina Haddad (mère de Yusuf Haddad)")


def test_lists_are_joined_as_each_language_joins_them():
    names = ["Emma", "Daniel", "Priya"]
    assert Speaker("en").listing(names) == "Emma, Daniel, and Priya"
    assert Speaker("zh-Hans").listing(names) == "Emma、Daniel和Priya"
    assert Speaker("ar").listing(names) == "Emma وDaniel وPriya"
    assert Speaker("fr").listing(names) == "Emma, Daniel et Priya"


def test_french_elides_de_before_a_vowel():
    heading = _from_home("fr", "mother", author="Amina Haddad")
    assert heading.startswith("Ce que nous avons essayé à la maison, de la part d'Amina Haddad")
    assert _from_home("fr", "father", author="Carlos García").endswith(
        "de la part de Carlos García (père de Yusuf Haddad)"
    )
    fr = Speaker("fr")
    assert fr.fill("{x} de {name}", x="a", name="\u2068Oliver") == "a d'\u2068Oliver"


def test_chinese_punctuation_is_full_width_and_the_untranslated_note_has_no_nested_parentheses():
    for message in _catalog("zh_Hans"):
        for form in _forms(message.string) if message.id else ():
            assert not re.search(r"[^\d\s]:\s|[^\d/]:$", form), form
    for code in LANGUAGES:
        if code == "zh-Hans":
            continue
        ctx = Context(message_id=1, kind=MessageKind.HIGHLIGHT, author_name="Emma", about="3B")
        content, _ = render_for_family(Speaker(code), ctx, Version(language="zh-Hans", text="…"), "zh-Hans")
        assert not re.search(r"\([^)]*\(", content.note), content.note
        assert "(" not in Speaker(code).language_name_here("zh-Hans")


def test_french_something_else_and_something_new_differ():
    fr = Speaker("fr")
    assert fr._("Something else") != fr._("Something new")


def test_vietnamese_addresses_people_respectfully():
    for message in _catalog("vi"):
        for form in _forms(message.string) if message.id else ():
            assert not re.search(r"\b[Bb]ạn\b", form), form


@pytest.mark.parametrize(
    ("gender", "expected"),
    [("female", "أي فكرة جرّبتِ؟"), ("male", "أي فكرة جرّبتَ؟"), (None, "أي فكرة جرّبتم؟")],
)
def test_arabic_addresses_a_mother_and_a_father_each_in_their_form_and_others_neutrally(gender, expected):
    assert Speaker("ar", gender=gender)._("Which strategy did you try?") == expected
    # a sentence with one form for everyone is the same whoever reads it
    assert Speaker("ar", gender=gender)._("Got it") == "وصلتني"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_reviews_help_quotes_the_exact_question(code):
    speaker = Speaker(code)
    [reviews] = [speaker._(text) for command, text in STAFF if command == "reviews"]
    assert speaker._(QUESTION) in reviews
