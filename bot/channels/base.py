"""The Channel protocol every adapter implements, its rate limits, its typed send failures, and the
optional protocols a channel may also implement (found with isinstance, never by its class)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.events import Inbound, Outbound

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

#: What an adapter calls with each inbound event; returns once the event is safely recorded (False:
#: it had been recorded before, e.g. a link pressed twice; None: the sink does not say).
InboundSink = Callable[[Inbound], Awaitable[bool | None]]
#: Answers one HTTP request from a platform, given as it came: Slack signs the raw bytes.
WebEndpoint = Callable[["Request"], Awaitable["Response"]]
#: A chat menu per language (None: the default menu): (command, description) pairs.
CommandMenus = Mapping[str | None, Sequence[tuple[str, str]]]


class AddressKind(StrEnum):
    """What an address reaches, as far as a platform's limits tell them apart."""

    PRIVATE = "private"  # one person's chat (a Telegram private chat, a Slack DM)
    GROUP = "group"  # a chat several people read (a Telegram group)
    CHANNEL = "channel"  # a broadcast or team channel (a Slack channel)
    MAILBOX = "mailbox"  # an e-mail address


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `count` sends in any `per_s` seconds (a sliding window): `Quota(20, 60.0)` is
    20 a minute; `Quota(1, 1.0)` is at least a second between two sends."""

    count: int
    per_s: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.per_s <= 0:
            raise ValueError(f"a quota needs a count of at least 1 and a window: {self!r}")

    @classmethod
    def rate(cls, limit: float | None, per_s: float) -> Quota | None:
        """`limit` sends per `per_s` seconds as a quota; None for no limit (None or 0). A limit
        below one becomes one send per longer window (0.5 a minute: 1 per 120 s)."""
        if not limit:
            return None
        count = max(1, math.floor(limit))
        return cls(count, per_s * count / limit)


def _private(_address: str) -> AddressKind:
    return AddressKind.PRIVATE


def _one_method(_out: Outbound) -> frozenset[str]:
    return frozenset({"send"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """A platform's published limits, declared by its channel; nothing declared is unlimited.

    `overall`: quotas on every send of the channel together (the dispatcher also spreads the
    starts of the fastest one evenly). `per_address`: quotas on the sends to one address, by
    the kind `kind_of` tells from the address. `methods_of`: the API calls a send of that message
    makes, so a platform's pause on one call (`Scope.METHOD`) holds back only the sends using it.

    Telegram: overall 30 a second; a private chat 1 a second; a group also 20 a minute. Slack
    (as a future channel might declare it): about 1 a second per channel. A mail relay: e.g.
    `overall=(Quota(100, 60.0), Quota(1000, 3600.0))`.
    """

    overall: tuple[Quota, ...] = ()
    per_address: Mapping[AddressKind, tuple[Quota, ...]] = field(default_factory=dict)
    kind_of: Callable[[str], AddressKind] = _private
    methods_of: Callable[[Outbound], frozenset[str]] = _one_method


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a channel can carry; `threading`: an inbound reply can name the message it answers
    (`Inbound.reply_to`, the provider id that channel's `send` returned for it); `home_page`: it
    keeps a page per person (Slack's App Home), shown again when something on it changes."""

    max_text_length: int = 4096
    buttons: bool = True
    attachments: bool = True
    threading: bool = False
    home_page: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Sent:
    provider_id: str


class SendError(Exception):
    """A send did not succeed."""


class Scope(StrEnum):
    """What a platform's "slow down" holds back."""

    ADDRESS = "address"  # sends to this address (a Telegram 429 for one chat)
    METHOD = "method"  # sends using this API call (a Slack method's own tier), to any address
    CHANNEL = "channel"  # every send on the channel (an SMTP 421, a Slack app-wide limit)


class RetryLater(SendError):
    """Transient failure; try again after `after_s` seconds (the platform's retry-after if given).

    `scope` says what else must wait meanwhile: this address only (and nothing when the platform
    named no wait), every send using `method`, or the whole channel."""

    def __init__(
        self,
        reason: str,
        after_s: float | None = None,
        scope: Scope = Scope.ADDRESS,
        method: str | None = None,
    ) -> None:
        if (scope is Scope.METHOD) != (method is not None):
            raise ValueError("a method is named with, and only with, Scope.METHOD")
        super().__init__(reason)
        self.after_s = after_s
        self.scope = scope
        self.method = method


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


@runtime_checkable
class ServesSomeAddresses(Protocol):
    """A channel a process serves for some addresses only (a console terminal: the person at it);
    deliveries to its other addresses wait for the process that serves them."""

    def own_addresses(self) -> frozenset[str]:
        """The addresses this process sends to now (they may change: a console's `/as`)."""
        ...
