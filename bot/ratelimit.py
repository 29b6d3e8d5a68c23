"""Our own per-channel rate limiter: an overall token bucket, per-chat spacing, a per-group window, pauses.

Not python-telegram-bot's AIORateLimiter: it has no per-chat limit and freezes every chat on
one 429. Here a platform's retry-after pauses only the chat it names. The limiter only
answers "how long until this chat may send?" and is told "sent"; the dispatcher decides
whether to wait or to put a delivery back, so one slow chat holds back no other.
Time comes from an injected monotonic clock, so it is table-tested without waiting.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.channels.base import RateLimits

#: A wait this short is float rounding (sleeping exactly `ready_in` may leave 1e-14 to go).
_ROUNDING_S = 1e-6

#: Seconds from an arbitrary start that never go backwards (time.monotonic in production).
Monotonic = Callable[[], float]


def is_group(address: str) -> bool:
    """Telegram group and supergroup chat ids are negative."""
    return address.startswith("-")


@dataclass(slots=True)
class _Chat:
    """What one chat's limits remember: its last send, its recent sends (groups), its pause."""

    last_s: float | None = None
    recent_s: deque[float] = field(default_factory=deque)
    paused_until_s: float = -math.inf


class RateLimiter:
    """The limits of one channel, applied per chat address."""

    def __init__(self, limits: RateLimits, *, now: Monotonic = time.monotonic) -> None:
        self._now = now
        self._overall_per_s = limits.overall_per_s
        self._spacing_s = 1 / limits.per_chat_per_s if limits.per_chat_per_s else 0.0
        # A per-minute limit below one becomes one message per longer window.
        per_min = limits.per_group_per_min
        self._group_cap = max(1, math.floor(per_min)) if per_min else 0
        self._group_window_s = 60 * self._group_cap / per_min if per_min else 0.0
        self._tokens = max(1.0, self._overall_per_s or 0.0)  # a burst of one second's worth
        self._tokens_at_s = now()
        self._chats: dict[str, _Chat] = {}
        self._sweep_at = 1024

    def __len__(self) -> int:
        """How many chats the limiter remembers (idle ones are forgotten)."""
        return len(self._chats)

    def ready_in(self, address: str, *, behind: int = 0) -> float:
        """Seconds until `address` may send, if `behind` messages to it go first (0: ready now)."""
        now = self._now()
        wait = max(self._overall_wait_s(now), behind * self._spacing_s)
        chat = self._chats.get(address)
        if chat is not None:
            first_s = now if chat.last_s is None else max(now, chat.last_s + self._spacing_s)
            wait = max(wait, chat.paused_until_s - now, first_s + behind * self._spacing_s - now)
            if self._group_cap and is_group(address):
                wait = max(wait, self._group_wait_s(chat, now, behind))
        return wait if wait > _ROUNDING_S else 0.0

    def record(self, address: str) -> None:
        """A message to `address` is going out now."""
        now = self._now()
        if self._overall_per_s:
            self._refill(now, self._overall_per_s)
            self._tokens -= 1
        chat = self._chats.setdefault(address, _Chat())
        chat.last_s = now
        if self._group_cap and is_group(address):
            chat.recent_s.append(now)
        self._sweep(now)

    def pause(self, address: str, seconds: float) -> None:
        """The platform asked us to wait (a retry-after) before sending to this chat again."""
        now = self._now()
        chat = self._chats.setdefault(address, _Chat())
        chat.paused_until_s = max(chat.paused_until_s, now + seconds)
        self._sweep(now)

    def _overall_wait_s(self, now: float) -> float:
        if not self._overall_per_s:
            return 0.0
        self._refill(now, self._overall_per_s)
        return max(0.0, (1 - self._tokens) / self._overall_per_s)

    def _refill(self, now: float, per_s: float) -> None:
        self._tokens = min(max(1.0, per_s), self._tokens + (now - self._tokens_at_s) * per_s)
        self._tokens_at_s = now

    def _group_wait_s(self, chat: _Chat, now: float, behind: int) -> float:
        """Until the sliding window has room for one more after `behind` others."""
        recent = chat.recent_s
        while recent and recent[0] <= now - self._group_window_s:
            recent.popleft()
        index = len(recent) + behind - self._group_cap
        if index < 0:
            return 0.0
        if index < len(recent):
            return recent[index] + self._group_window_s - now
        # Beyond what was sent: a whole window per further capful (an estimate, to put it back).
        return self._group_window_s * (1 + index // self._group_cap)

    def _sweep(self, now: float) -> None:
        """Forget chats whose limits no longer hold anything back; amortised, so state stays bounded
        by the chats active within one spacing, window or pause."""
        if len(self._chats) < self._sweep_at:
            return
        self._chats = {a: c for a, c in self._chats.items() if not self._idle(c, now)}
        self._sweep_at = max(1024, 2 * len(self._chats))

    def _idle(self, chat: _Chat, now: float) -> bool:
        spaced = chat.last_s is None or chat.last_s + self._spacing_s <= now
        windowed = not chat.recent_s or chat.recent_s[-1] <= now - self._group_window_s
        return spaced and windowed and chat.paused_until_s <= now
