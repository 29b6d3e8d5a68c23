"""Every platform channel partnerbot knows, one line each; a channel's code loads only when it is set up.

Adding a channel is a package under bot/channels/ and a line in CHANNELS (README: "Adding a channel").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from pydantic import BaseModel

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.settings import Settings


class ChannelSettings(Protocol):
    """What the registry asks of a channel's settings model (a pydantic model)."""

    @property
    def enabled(self) -> bool:
        """Whether `partnerbot run` serves the channel: its token or address is set."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEntry:
    """A channel by name and by "module:attribute" paths, so naming it imports nothing."""

    #: The channel's name (as in `Channel.name`), its Settings field and its environment prefix:
    #: PARTNERBOT_<NAME>_<SETTING>.
    name: str
    #: A pydantic model with an `enabled` property; keep its module light (it is read at every start).
    settings: str
    #: `(settings) -> Channel`, imported and called only when the settings are enabled.
    factory: str
    #: The factory also takes the app's settings as `app=` (e-mail: links need the public URL and key).
    app_settings: bool = False

    def settings_model(self) -> type[BaseModel]:
        model = _load(self.settings)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{self.settings} is not a pydantic model")
        return model

    def build(self, settings: ChannelSettings, app: Settings | None = None) -> Channel:
        factory = cast("Callable[..., Channel]", _load(self.factory))
        return factory(settings, app=app) if self.app_settings else factory(settings)


CHANNELS: tuple[ChannelEntry, ...] = (
    ChannelEntry(
        name="telegram",
        settings="bot.channels.telegram.settings:TelegramSettings",
        factory="bot.channels.telegram.adapter:from_settings",
    ),
    ChannelEntry(
        name="slack",
        settings="bot.channels.slack.settings:SlackSettings",
        factory="bot.channels.slack.adapter:from_settings",
    ),
    ChannelEntry(
        name="email",
        settings="bot.channels.email.settings:EmailSettings",
        factory="bot.channels.email.adapter:from_settings",
        app_settings=True,
    ),
)


def configured_channels(
    settings: Settings, entries: tuple[ChannelEntry, ...] = CHANNELS
) -> dict[str, Channel]:
    """Every channel whose settings are enabled (Telegram when a token is set), built by its factory."""
    channels: dict[str, Channel] = {}
    for entry in entries:
        own: ChannelSettings = getattr(settings, entry.name)
        if own.enabled:
            channels[entry.name] = entry.build(own, settings)
    return channels


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def configured_names(settings: Settings, entries: tuple[ChannelEntry, ...] = CHANNELS) -> frozenset[str]:
    """The channels `partnerbot run` serves (the console when no platform is set up), named without
    building them: what a command that queues or reports, but does not send, counts as reachable."""
    names = frozenset(entry.name for entry in entries if getattr(settings, entry.name).enabled)
    return names or frozenset({"console"})
