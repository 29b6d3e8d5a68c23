"""The channel registry: a channel is built only when its settings enable it; named without building."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from bot.channels.registry import CHANNELS, ChannelEntry, configured_channels, configured_names
from bot.settings import load_settings
from tests.fakes.telegram import TOKEN


class ToySettings(BaseModel):
    address: str | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None


def make_toy(settings: ToySettings) -> SimpleNamespace:
    return SimpleNamespace(name="toy", address=settings.address)


TOY = ChannelEntry(name="toy", settings=f"{__name__}:ToySettings", factory=f"{__name__}:make_toy")


def test_a_channel_is_built_only_when_its_settings_enable_it():
    assert configured_channels(SimpleNamespace(toy=ToySettings()), (TOY,)) == {}  # type: ignore[arg-type]
    built = configured_channels(SimpleNamespace(toy=ToySettings(address="a")), (TOY,))  # type: ignore[arg-type]
    assert list(built) == ["toy"]
    assert built["toy"].address == "a"  # type: ignore[attr-defined]


def test_names_come_without_building_and_the_console_stands_in_for_none():
    assert configured_names(SimpleNamespace(toy=ToySettings()), (TOY,)) == {"console"}  # type: ignore[arg-type]
    assert configured_names(SimpleNamespace(toy=ToySettings(address="a")), (TOY,)) == {"toy"}  # type: ignore[arg-type]


def test_a_settings_path_that_is_not_a_model_is_refused():
    with pytest.raises(TypeError, match="not a pydantic model"):
        ChannelEntry(
            name="bad", settings=f"{__name__}:make_toy", factory=f"{__name__}:make_toy"
        ).settings_model()


def test_each_registered_channel_nests_its_settings_under_its_name_from_flat_variables(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERBOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("PARTNERBOT_TELEGRAM_MAX_PER_S", "12")
    settings = load_settings()
    assert [entry.name for entry in CHANNELS] == ["telegram", "slack", "email"]
    assert settings.telegram.token.get_secret_value() == TOKEN
    assert settings.telegram.max_per_s == 12
    assert configured_names(settings) == {"telegram"}


def test_email_runs_when_a_relay_is_set(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERBOT_EMAIL_HOST", "relay.school.example")
    monkeypatch.setenv("PARTNERBOT_EMAIL_FROM_ADDRESS", "office@school.example")
    monkeypatch.setenv("PARTNERBOT_EMAIL_MAX_PER_HOUR", "500")
    settings = load_settings()
    assert (settings.email.host, settings.email.max_per_hour) == ("relay.school.example", 500)
    assert configured_names(settings) == {"email"}
    assert list(configured_channels(settings)) == ["email"]
