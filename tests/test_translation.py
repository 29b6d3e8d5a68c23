"""Translation: the real LibreTranslate and DeepL clients against loopback fakes, the cache counted
at the fake, what must pass through unchanged, the glossary, and failures that lose nothing."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.glossary import glossary_cli
from bot.errors import ConfigurationError
from bot.i18n import LANGUAGES
from bot.settings import Settings, load_settings
from bot.translation import Translated, TranslationService, Translator, protect
from bot.translation.backends import LibreTranslateTranslator, make_translator
from storage.db import make_engine, session_scope, upgrade
from storage.models import Translation
from storage.translations import (
    add_glossary_term,
    cache_translations,
    cached_translations,
    glossary,
    text_hash,
)
from tests.fakes.deepl import FakeDeepL
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.machine_translation import LoopbackServer, Script

LT_KEY = "lt-key-7f3a9c0e"
DEEPL_KEY = "dl-key-91b2e4d5:fx"


@pytest.fixture
def libretranslate() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate(api_key=LT_KEY) as fake:
        yield fake


@pytest.fixture
def deepl_api() -> Iterator[FakeDeepL]:
    with FakeDeepL(auth_key=DEEPL_KEY) as fake:
        yield fake


def _libre_settings(fake: FakeLibreTranslate, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        translator="libretranslate",
        libretranslate_url=fake.url,
        libretranslate_api_key=LT_KEY,
        **more,
    )


def _deepl_settings(fake: FakeDeepL, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        translator="deepl",
        deepl_auth_key=DEEPL_KEY,
        deepl_server_url=fake.url,
        **more,
    )


@dataclass
class Backend:
    """One backend under test: its fake, and a translator made from settings pointing at it."""

    name: str
    fake: LoopbackServer
    path: str

    def translator(self, **settings: Any) -> Translator:
        if isinstance(self.fake, FakeLibreTranslate):
            return make_translator(_libre_settings(self.fake, **settings))
        assert isinstance(self.fake, FakeDeepL)
        return make_translator(_deepl_settings(self.fake, **settings))

    def calls(self) -> int:
        return self.fake.count(self.path)

    def received(self) -> str:
        return json.dumps(self.fake.bodies(self.path), ensure_ascii=False)


@pytest.fixture(params=["libretranslate", "deepl"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "libretranslate":
        return Backend("libretranslate", request.getfixturevalue("libretranslate"), "/translate")
    return Backend("deepl", request.getfixturevalue("deepl_api"), "/v2/translate")


# --- the backends themselves -------------------------------------------------------------------


async def test_libretranslate_translates_a_batch_in_one_request(libretranslate):
    translator = make_translator(_libre_settings(libretranslate))
    assert await translator.translate(["Hello", "Reading day"], source="en", target="es") == [
        "[es] hola",
        "[es] lectura día",
    ]
    assert await translator.translate(["Bonjour"], source=None, target="en") == ["[en] hello"]
    assert libretranslate.bodies("/translate") == [
        {"q": ["Hello", "Reading day"], "source": "en", "target": "es", "format": "text", "api_key": LT_KEY},
        {"q": ["Bonjour"], "source": "auto", "target": "en", "format": "text", "api_key": LT_KEY},
    ]


@pytest.mark.parametrize(("legacy", "code"), [(False, "zh-Hans"), (True, "zh")])
async def test_libretranslate_names_simplified_chinese_as_the_server_does(legacy, code):
    with FakeLibreTranslate(legacy_chinese=legacy) as fake:
        translator = LibreTranslateTranslator(url=fake.url)
        assert await translator.translate(["Hello"], source="en", target="zh-Hans") == [f"[{code}] 你好"]
        assert await translator.translate(["你好"], source="zh-Hans", target="en") == ["[en] 你好"]
        assert await translator.detect("你好，今天学校见") == "zh-Hans"
        assert fake.count("/languages") == 1


async def test_deepl_translates_a_batch_with_its_codes_and_key(deepl_api):
    translator = make_translator(_deepl_settings(deepl_api))
    assert await translator.translate(["Hello", "School day"], source="en", target="zh-Hans") == [
        "[ZH-HANS] 你好",
        "[ZH-HANS] 学校 天",
    ]
    assert await translator.translate(["你好"], source="zh-Hans", target="en") == ["[EN-GB] 你好"]
    first, second = deepl_api.calls
    assert first.headers["authorization"] == f"DeepL-Auth-Key {DEEPL_KEY}"
    assert (first.body["source_lang"], first.body["target_lang"], first.body["text"]) == (
        "EN",
        "ZH-HANS",
        ["Hello", "School day"],
    )
    assert (second.body["source_lang"], second.body["target_lang"]) == ("ZH", "EN-GB")


async def test_deepl_gets_placeholders_as_xml_tags_and_markup_escaped(deepl_api):
    translator = make_translator(_deepl_settings(deepl_api))
    assert await translator.translate(["Fish & chips <3 at ⟦0⟧"], source="en", target="fr") == [
        "[FR] Fish & chips <3 at ⟦0⟧"
    ]
    body = deepl_api.bodies("/v2/translate")[0]
    assert (body["tag_handling"], body["text"]) == ("xml", ['Fish &amp; chips &lt;3 at <x id="0"/>'])


# --- the service: one request per language, cached ----------------------------------------------


async def test_one_request_per_language_however_many_recipients(db: Engine, backend: Backend):
    service = TranslationService(db=db, translator=backend.translator())
    families = [language for _ in range(100) for language in LANGUAGES]  # 600 recipients

    first = await service.translate("Hello, it is reading day.", source="en", targets=families)
    assert list(first) == list(LANGUAGES)
    assert backend.calls() == len(LANGUAGES) - 1
    assert first["en"] == Translated(
        text="Hello, it is reading day.", language="en", backend="same", translated=False
    )
    assert first["es"].text.endswith("hola, it is lectura día.")
    assert (first["es"].language, first["es"].backend, first["es"].translated) == ("es", backend.name, True)

    again = await TranslationService(db=db, translator=backend.translator()).translate(
        "Hello, it is reading day.", source="en", targets=families
    )
    assert again == first
    assert backend.calls() == len(LANGUAGES) - 1


async def test_another_backend_does_not_use_the_first_ones_cache(db, libretranslate, deepl_api):
    libre = TranslationService(db=db, translator=make_translator(_libre_settings(libretranslate)))
    deepl = TranslationService(db=db, translator=make_translator(_deepl_settings(deepl_api)))
    await libre.translate("Hello", source="en", targets=["es", "fr"])
    assert (await deepl.translate("Hello", source="en", targets=["es", "fr"]))["es"].text == "[ES] hola"
    await libre.translate("Hello", source="en", targets=["es", "fr"])
    assert (libretranslate.count("/translate"), deepl_api.count("/v2/translate")) == (2, 2)


async def test_nothing_to_translate_makes_no_request(db, backend):
    service = TranslationService(db=db, translator=backend.translator())
    same = await service.translate("Hola", source="es", targets=["es", "es"])
    assert same == {"es": Translated(text="Hola", language="es", backend="same", translated=False)}
    blank = await service.translate("  ", source="en", targets=["fr"])
    assert blank == {"fr": Translated(text="  ", language="en", backend="same", translated=False)}
    assert backend.calls() == 0


def test_a_row_cached_meanwhile_by_another_process_is_kept_without_error(db):
    key = (text_hash("Hello"), "es")
    errors: list[BaseException] = []

    def other_process() -> None:
        try:
            with session_scope(db) as session:
                cache_translations(session=session, source="en", backend="deepl", texts={key: "[es] otra"})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    other = threading.Thread(target=other_process)
    with session_scope(db) as session:
        cache_translations(session=session, source="en", backend="deepl", texts={key: "[es] hola"})
        other.start()  # its insert waits for ours to commit, then finds the row
        time.sleep(0.2)
    other.join(timeout=30)
    assert errors == []
    with session_scope(db) as session:
        found = cached_translations(session=session, source="en", backend="deepl", keys=[key, ("x", "es")])
    assert found == {key: "[es] hola"}


async def test_a_busy_sqlite_database_costs_the_cache_not_the_translation(tmp_path, libretranslate, caplog):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    patient, impatient = make_engine(url), create_engine(url, connect_args={"timeout": 0.2})
    upgrade(patient)
    service = TranslationService(db=impatient, translator=make_translator(_libre_settings(libretranslate)))
    with patient.connect() as other:
        other.exec_driver_sql("BEGIN IMMEDIATE")  # another transaction holds the write lock
        with caplog.at_level(logging.WARNING):
            out = await service.translate("Hello", source="en", targets=["es"])
        other.exec_driver_sql("ROLLBACK")
    patient.dispose()
    impatient.dispose()
    assert out["es"].text == "[es] hola"
    assert "translation cache not written (database is locked)" in caplog.text


# --- what passes through unchanged, and the glossary --------------------------------------------

KEPT = [
    "INSET day",
    "inset DAY",
    "3/12",
    "18:30",
    "3B",
    "https://school.example/inset?day=3",
    "office@school.example",
    "Amina Haddad",
]


async def test_addresses_numbers_names_and_kept_terms_pass_through(db, backend):
    with session_scope(db) as session:
        add_glossary_term(session=session, term="INSET day")
    text = (
        "Hello! INSET day is on 3/12 (inset DAY: no school) and reading day starts at 18:30 in "
        "Class 3B. See https://school.example/inset?day=3 or write to office@school.example. "
        "Ask Amina Haddad."
    )
    service = TranslationService(db=db, translator=backend.translator())
    out = await service.translate(text, source="en", targets=["es", "ar"], protect=["Amina Haddad"])
    for target in ("es", "ar"):
        assert out[target].translated
        assert all(kept in out[target].text for kept in KEPT), out[target].text
    assert all(word in out["es"].text for word in ("hola", "escuela", "lectura día"))
    received = backend.received()
    assert not any(private in received for private in ("Amina", "office@", "https://", "18:30"))


@pytest.mark.parametrize(
    "text",
    [
        "INSET days off, then INSET day, inset  DAY and INSET.",
        "Amina's book; Aminas; xAmina; Amina2; 阿米娜Amina在; Amina_; -Amina-",
        "王老师说明天见，王老师！王老师们",
        "INSET dayINSET day INSET",
        "",
    ],
)
def test_terms_are_found_on_word_boundaries_as_one_lookaround_pattern_would(text):
    """Boundaries are checked in code (a pattern holding them is slow to compile); the reference
    is that pattern."""
    terms = ["INSET day", "INSET", "Amina", "王老师"]
    alternatives = "|".join(
        r"\s+".join(re.escape(w) for w in term.lower().split())
        for term in sorted(terms, key=lambda t: (-len(t), t.lower()))
    )
    reference = re.compile(rf"(?<!{protect._WORD})(?:{alternatives})(?!{protect._WORD})", re.IGNORECASE)
    compiled = protect._terms(terms)
    assert compiled is not None
    assert list(protect._term_spans(compiled, text)) == [m.span() for m in reference.finditer(text)]


async def test_a_fixed_translation_replaces_the_term_in_its_language_only(db, libretranslate):
    with session_scope(db) as session:
        add_glossary_term(
            session=session, term="INSET day", language="es", translation="jornada de formación"
        )
    service = TranslationService(db=db, translator=make_translator(_libre_settings(libretranslate)))
    out = await service.translate("No school on inset day.", source="en", targets=["es", "fr"])
    assert out["es"].text == "[es] No escuela on jornada de formación."
    assert out["fr"].text == "[fr] No école on inset jour."


def test_adding_a_term_again_replaces_its_rule_in_that_language(db):
    with session_scope(db) as session:
        add_glossary_term(session=session, term="INSET day")
        add_glossary_term(session=session, term="inset day", language="es", translation="jornada")
        add_glossary_term(session=session, term="INSET  Day", language="es", translation="día de formación")
    with session_scope(db) as session:
        terms = [(t.term, t.language, t.translation) for t in glossary(session=session)]
    assert terms == [("INSET day", "*", "INSET day"), ("INSET Day", "es", "día de formación")]


def test_the_glossary_on_the_command_line(db, settings, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    assert "The glossary is empty" in runner.invoke(glossary_cli, ["list"]).output
    for args in (
        ["add", "INSET day", "--keep"],
        ["add", "Reading Café", "--language=fr", "--translation=Café"],
    ):
        result = runner.invoke(glossary_cli, args)
        assert result.exit_code == 0, result.output
    listed = runner.invoke(glossary_cli, ["list"], terminal_width=200).output
    assert all(shown in listed for shown in ("INSET day", "(kept as it is)", "Reading Café"))
    for wrong in (
        ["add", "X"],
        ["add", "X", "--keep", "--translation", "Y", "--language", "es"],
        ["add", "X", "--translation", "Y"],
        ["add", "X", "--keep", "--language", "de"],
    ):
        assert runner.invoke(glossary_cli, wrong).exit_code == 2, wrong
    with session_scope(db) as session:
        assert [(t.term, t.language) for t in glossary(session=session)] == [
            ("INSET day", "*"),
            ("Reading Café", "fr"),
        ]


# --- failures: the original goes out, nothing is cached ------------------------------------------

FAILURES = {
    "HTTP 500": ({"status": 500}, {}),
    "timeout": ({"delay_s": 5.0}, {"translator_timeout_s": 0.3}),
    "one text too many": ({"extra_texts": 1}, {}),
    "no text": ({"extra_texts": -1}, {}),
    "placeholders lost": ({"lose_placeholders": True}, {}),
}


@pytest.mark.parametrize("failure", FAILURES)
async def test_a_failing_backend_passes_the_original_through(db, backend, failure, caplog):
    script, settings = FAILURES[failure]
    backend.fake.script = Script(**script)
    service = TranslationService(db=db, translator=backend.translator(**settings))
    text = "Hello, reading day starts at 18:30 with Amina."

    with caplog.at_level(logging.WARNING):
        out = await service.translate(text, source="en", targets=["es", "fr", "en"], protect=["Amina"])
    assert out["es"] == out["fr"] == Translated(text=text, language="en", backend="none", translated=False)
    assert out["en"].backend == "same"
    warnings = [r for r in caplog.records if r.name == "bot.translation.service"]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]
    assert not any(word in caplog.text for word in ("Hello", "Amina"))
    with session_scope(db) as session:
        assert session.exec(select(Translation)).all() == []

    backend.fake.script = Script()
    recovered = TranslationService(db=db, translator=backend.translator())  # not the 0.3 s one
    again = await recovered.translate(text, source="en", targets=["es", "fr"], protect=["Amina"])
    assert [again[target].translated for target in ("es", "fr")] == [True, True]


async def test_an_unreachable_backend_passes_the_original_through(db, caplog):
    with FakeLibreTranslate() as gone, FakeDeepL(auth_key=DEEPL_KEY) as gone_too:
        dead = (_libre_settings(gone), _deepl_settings(gone_too))  # their ports are closed from here on
    for settings in dead:
        service = TranslationService(db=db, translator=make_translator(settings))
        with caplog.at_level(logging.WARNING):
            out = await service.translate("Hello", source="en", targets=["es"])
        assert out["es"] == Translated(text="Hello", language="en", backend="none", translated=False)
    assert "LibreTranslate /translate failed: ConnectError" in caplog.text
    assert "DeepL failed: ConnectionException" in caplog.text


async def test_without_a_backend_everyone_gets_the_original_quietly(db, caplog):
    service = TranslationService(db=db, translator=make_translator(Settings(_env_file=None)))  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING):
        out = await service.translate("Hello", source="en", targets=["es"])
        assert await service.detect("Hola, muy bien, gracias", fallback="fr") == "fr"
    assert out == {"es": Translated(text="Hello", language="en", backend="none", translated=False)}
    assert caplog.records == []


async def test_without_a_backend_translating_reads_no_database(tmp_path):
    """Nothing is ever cached for no backend (it never answers), so there is nothing to look up."""
    unopenable = create_engine(f"sqlite:///{tmp_path / 'missing' / 'partnerbot.db'}")  # no such folder
    service = TranslationService(db=unopenable, translator=make_translator(Settings(_env_file=None)))  # type: ignore[call-arg]
    out = await service.translate("Hello", source="en", targets=["es", "en", "ar"])
    kept = Translated(text="Hello", language="en", backend="none", translated=False)
    assert out == {"es": kept, "en": replace(kept, backend="same"), "ar": kept}


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hola, ¿qué tal? Muy bien, gracias.", "es"),
        ("你好，今天学校见", "zh-Hans"),
        ("مرحبا بكم في المدرسة", "ar"),
        ("Die Schule ist heute zu.", "vi"),  # German: not a language partnerbot speaks
    ],
)
async def test_detect_gives_a_language_partnerbot_speaks_or_the_fallback(db, backend, text, expected):
    service = TranslationService(db=db, translator=backend.translator())
    assert await service.detect(text, fallback="vi") == expected


async def test_detect_falls_back_when_the_backend_cannot_tell_or_fails(db, libretranslate, caplog):
    service = TranslationService(db=db, translator=make_translator(_libre_settings(libretranslate)))
    assert await service.detect("zzz qqq", fallback="ar") == "ar"  # LibreTranslate: "en", confidence 0
    libretranslate.script.status = 500
    with caplog.at_level(logging.WARNING):
        assert await service.detect("Hola, muy bien", fallback="fr") == "fr"
    assert "detection by libretranslate failed (LibreTranslate /detect answered HTTP 500)" in caplog.text


# --- settings and secrets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TRANSLATOR": "libretranslate"}, "PARTNERBOT_LIBRETRANSLATE_URL"),
        ({"TRANSLATOR": "deepl"}, "PARTNERBOT_DEEPL_AUTH_KEY"),
        ({"TRANSLATOR": "deepl", "DEEPL_AUTH_KEY": " "}, "PARTNERBOT_DEEPL_AUTH_KEY"),
        ({"TRANSLATOR": "deepl", "DEEPL_AUTH_KEY": "changeme"}, "PARTNERBOT_DEEPL_AUTH_KEY"),
        (
            {"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": "host:5000"},
            "PARTNERBOT_LIBRETRANSLATE_URL",
        ),
        ({"TRANSLATOR": "google"}, "PARTNERBOT_TRANSLATOR"),
        ({"TRANSLATOR_TIMEOUT_S": "0"}, "PARTNERBOT_TRANSLATOR_TIMEOUT_S"),
    ],
)
def test_a_backend_without_its_url_or_key_stops_the_start(monkeypatch, tmp_path, env, named):
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(f"PARTNERBOT_{name}", value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings()


def test_an_empty_key_in_dotenv_means_unset(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PARTNERBOT_DEEPL_AUTH_KEY=\nPARTNERBOT_LIBRETRANSLATE_URL=\n")
    settings = load_settings()
    assert (settings.translator, settings.deepl_auth_key, settings.libretranslate_url) == ("none", None, None)


async def test_keys_never_show_in_settings_or_logs(db, libretranslate, deepl_api, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = (LT_KEY, DEEPL_KEY)
    for settings, fake in [
        (_libre_settings(libretranslate), libretranslate),
        (_deepl_settings(deepl_api), deepl_api),
    ]:
        translator = make_translator(settings)
        assert not any(key in repr(settings) + str(settings) + repr(translator) for key in secrets)
        service = TranslationService(db=db, translator=translator)
        assert (await service.translate("Secret garden party", source="en", targets=["es"]))["es"].translated
        fake.script.status = 500
        await service.translate("Secret garden party", source="en", targets=["fr"])
    assert "WARNING" in caplog.text
    assert not any(leak in caplog.text for leak in (*secrets, "garden"))
