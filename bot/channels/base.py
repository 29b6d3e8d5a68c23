"""The Channel protocol every adapter implements, its rate limits, its typed send failures, and the
optional protocols a channel may also implement (found with isinstance, never by its class)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.events import Inbound, Outbound

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

#: What an adapter calls with each inbound event; returns once the event is safely recorded.
InboundSink = Callable[[Inbound], Awaitable[None]]
#: Answers one HTTP request from a platform, given as it came: Slack signs the raw bytes.
WebEndpoint = Callable[["Request"], Awaitable["Response"]]
#: A chat menu per language (None: the default menu): (command, description) pairs.
CommandMenus = Mapping[str | None, Sequence[tuple[str, str]]]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class WebRoute:
    """One path of the web app a channel serves (a webhook, an events URL)."""

    path: str
    endpoint: WebEndpoint
    methods: tuple[str, ...] = ("POST",)


@runtime_checkable
class ServesWeb(Protocol):
    """A channel the platform calls over HTTP; the web app runs when any channel serves a route."""

    def web_routes(self) -> Sequence[WebRoute]:
        """The routes to mount now (none, e.g., while Telegram polls)."""
        ...


@runtime_checkable
class HasCommandMenu(Protocol):
    """A channel whose app shows a command menu, registered at start in every catalog language."""

    async def register_commands(self, commands_by_language: CommandMenus) -> None: ...


@runtime_checkable
class MakesJoinLinks(Protocol):
    """A channel with links that open a chat already holding an invite code (one tap for a family)."""

    async def join_link(self, code: str) -> str: ...


@runtime_checkable
class FetchesFiles(Protocol):
    """A channel whose attachments arrive as references (Telegram's file_id) to fetch."""

    async def fetch_file(self, platform_ref: str) -> bytes: ...
