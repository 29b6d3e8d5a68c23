"""The Channel protocol every adapter implements, its rate limits and its typed send failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.events import Inbound, Outbound

#: What an adapter calls with each inbound event; returns once the event is safely recorded.
InboundSink = Callable[[Inbound], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """Published platform limits; None means unlimited."""

    overall_per_s: float | None = None
    per_chat_per_s: float | None = None
    per_group_per_min: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a channel can carry; `threading`: an inbound reply can name the message it answers
    (`Inbound.reply_to`, the provider id that channel's `send` returned for it)."""

    max_text_length: int = 4096
    buttons: bool = True
    attachments: bool = True
    threading: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Sent:
    provider_id: str


class SendError(Exception):
    """A send did not succeed."""


class RetryLater(SendError):
    """Transient failure; try again after `after_s` seconds (the platform's retry-after if given)."""

    def __init__(self, reason: str, after_s: float | None = None) -> None:
        super().__init__(reason)
        self.after_s = after_s


class PermanentFailure(SendError):
    """The address cannot be reached (blocked, deleted, invalid): never retried."""


class AmbiguousSend(SendError):
    """The platform may or may not have received the message (e.g. a timeout after the request)."""


class AddressChanged(PermanentFailure):
    """The chat moved (a Telegram group became a supergroup): this address is gone, `new_address` works."""

    def __init__(self, reason: str, new_address: str) -> None:
        super().__init__(reason)
        self.new_address = new_address


class Rejected(SendError):
    """The platform refused this message as it is (too long, bad markup, bad file): the address is
    fine, and sending the same message again will not help."""


class Channel(Protocol):
    name: str
    limits: RateLimits
    capabilities: Capabilities

    async def start(self, sink: InboundSink) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, address: str, out: Outbound) -> Sent: ...
