"""Telegram's rate limits, declared for the channel-neutral limiter: its published quotas, which
chat ids are groups, and which Bot API methods a message uses.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
"""

from __future__ import annotations

from bot.channels.base import AddressKind, Quota, RateLimits
from bot.channels.telegram.render import render
from bot.events import Outbound


def kind_of(address: str) -> AddressKind:
    """Telegram group, supergroup and channel chat ids are negative; a person's chat is positive."""
    return AddressKind.GROUP if address.startswith("-") else AddressKind.PRIVATE


def methods_of(out: Outbound) -> frozenset[str]:
    """The Bot API methods sending `out` calls (a photo, then the rest of a long text)."""
    return frozenset("sendPhoto" if part.photo is not None else "sendMessage" for part in render(out))


def telegram_limits(
    *,
    overall_per_s: float | None = 30,
    per_chat_per_s: float | None = 1,
    per_group_per_min: float | None = 20,
) -> RateLimits:
    """Telegram's published limits by default (30 a second overall, 1 a second per chat, 20 a
    minute per group); None or 0 leaves that one out."""
    chat = Quota.rate(per_chat_per_s, 1.0)
    group = Quota.rate(per_group_per_min, 60.0)
    overall = Quota.rate(overall_per_s, 1.0)
    return RateLimits(
        overall=(overall,) if overall else (),
        per_address={
            AddressKind.PRIVATE: tuple(q for q in (chat,) if q),
            AddressKind.GROUP: tuple(q for q in (chat, group) if q),
        },
        kind_of=kind_of,
        methods_of=methods_of,
    )
