"""Settings: environment and .env, with bad values refused by name."""

from __future__ import annotations

import pytest

from bot.errors import ConfigurationError
from bot.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ["DATABASE_URL", "DEFAULT_LANGUAGE", "TIMEZONE", "INVITE_TTL_DAYS", "LOG_LEVEL"]:
        monkeypatch.delenv(f"PARTNERBOT_{name}", raising=False)


def test_defaults_are_an_embedded_sqlite_file_in_english_utc():
    settings = load_settings()
    assert settings.database_url == "sqlite:///partnerbot.db"
    assert (settings.default_language, settings.timezone, settings.invite_ttl_days) == ("en", "UTC", 14)


def test_environment_and_dotenv_are_read(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("PARTNERBOT_TIMEZONE=Europe/Madrid\nPARTNERBOT_DEFAULT_LANGUAGE=es\n")
    monkeypatch.setenv("PARTNERBOT_INVITE_TTL_DAYS", "3")
    settings = load_settings()
    assert (settings.timezone, settings.default_language, settings.invite_ttl.days) == (
        "Europe/Madrid",
        "es",
        3,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("DEFAULT_LANGUAGE", "klingon"),
        ("INVITE_TTL_DAYS", "0"),
        ("INVITE_TTL_DAYS", "soon"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_fails_at_start_naming_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(f"PARTNERBOT_{name}", value)
    with pytest.raises(ConfigurationError, match=f"PARTNERBOT_{name}"):
        load_settings()
