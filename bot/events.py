"""Channel-neutral value objects: what a person sent (Inbound) and what we say back (Outbound)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file a person sent or we send: bytes already fetched, or a platform file reference."""

    filename: str
    content_type: str
    data: bytes | None = None
    platform_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """One event from a person on a channel, as every adapter reports it."""

    channel: str
    address: str
    event_id: str
    display_name: str | None = None
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    payload: str | None = None
    attachment: Attachment | None = None
    language_hint: str | None = None
    sender: str | None = None  # in a group chat: the speaker's own address (`address` is the group's)
    reply_to: str | None = None  # the platform's id of our message this answers (a channel with threading)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    """A choice; `payload` is an opaque string the adapter hands back when it is pressed."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbound:
    """One message to one chat, already in the recipient's language."""

    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    urgent: bool = False
    rtl: bool = False


def parse_command(text: str) -> tuple[str | None, tuple[str, ...]]:
    """Split "/start abc" into ("start", ("abc",)); text not starting with "/" has no command.

    Telegram appends the bot name in groups ("/start@partnerbot"); that suffix is dropped.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None, ()
    head, *rest = stripped[1:].split()
    name = head.split("@", 1)[0].lower()
    if not name.isascii() or not name.replace("_", "").isalnum():
        return None, ()
    return name, tuple(rest)
