"""Our own per-channel rate limiter: sliding windows overall and per group, per-chat spacing, pauses.

Not python-telegram-bot's AIORateLimiter: it has no per-chat limit and freezes every chat on
one 429. Here a platform's retry-after pauses only the chat it names. The limiter only
answers "how long until this chat may send?" and is told "sent"; the dispatcher decides
whether to wait or to put a delivery back, so one slow chat holds back no other.
Time comes from an injected monotonic clock, so it is table-tested without waiting.

Sends are recorded when the platform has answered: a request's arrival lies between its start
and its answer, so counting windows and spacing from the answer keeps arrivals within the
limits however long the request was on the way (a "30 per second" is never 31 at the server).
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

#: How many spacings a start may run ahead of the even schedule (a small burst to catch up).
START_AHEAD = 3

#: Seconds from an arbitrary start that never go backwards (time.monotonic in production).
Monotonic = Callable[[], float]


def _window(limit: float | None, seconds: float) -> tuple[int, float]:
    """(at most this many, in this many seconds) for `limit` per `seconds`; (0, 0) is no limit.
    A limit below one becomes one message per longer window."""
    if not limit:
        return 0, 0.0
    cap = max(1, math.floor(limit))
    return cap, seconds * cap / limit


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
        self._spacing_s = 1 / limits.per_chat_per_s if limits.per_chat_per_s else 0.0
        self._overall_cap, self._overall_window_s = _window(limits.overall_per_s, 1.0)
        # Starts are spread evenly (no burst of 30 then a second's silence): a reply that arrives
        # mid-broadcast then waits a thirtieth of a second for its turn, not up to a second. A
        # schedule (GCRA): each start moves it on by one spacing, and a start may run up to
        # `START_AHEAD` spacings ahead of it, so a late wake-up is made up, not lost.
        self._start_spacing_s = 1 / limits.overall_per_s if limits.overall_per_s else 0.0
        self._scheduled_s = -math.inf
        # The answer times of the last `_overall_cap` sends; inf for a send still on its way.
        self._recent_s: list[float] = []
        self._group_cap, self._group_window_s = _window(limits.per_group_per_min, 60.0)
        self._chats: dict[str, _Chat] = {}
        self._sweep_at = 1024

    @property
    def spacing_s(self) -> float:
        """The least time between two messages to one chat (0: none)."""
        return self._spacing_s

    def __len__(self) -> int:
        """How many chats the limiter remembers (idle ones are forgotten)."""
        return len(self._chats)

    def ready_in(self, address: str, *, behind: int = 0, paced: bool = True) -> float:
        """Seconds until `address` may send, if `behind` messages to it go first (0: ready now);
        `paced=False` leaves out the even spacing of starts (a wait of at most 1/rate)."""
        now = self._now()
        wait = max(self._overall_wait_s(now, paced), behind * self._spacing_s)
        chat = self._chats.get(address)
        if chat is not None:
            first_s = now if chat.last_s is None else max(now, chat.last_s + self._spacing_s)
            wait = max(wait, chat.paused_until_s - now, first_s + behind * self._spacing_s - now)
            if self._group_cap and is_group(address):
                wait = max(wait, self._group_wait_s(chat, now, behind))
        return wait if wait > _ROUNDING_S else 0.0

    def start(self) -> None:
        """A request is leaving: until its answer it holds a place in the overall window."""
        if self._overall_cap:
            self._keep(math.inf)
            self._scheduled_s = max(self._scheduled_s, self._now()) + self._start_spacing_s

    def record(self, address: str) -> None:
        """The platform has just answered a message to `address` (whatever it answered)."""
        now = self._now()
        if self._overall_cap:
            if math.inf in self._recent_s:
                self._recent_s.remove(math.inf)
            self._keep(now)
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

    def _keep(self, at: float) -> None:
        """Add a send, forgetting the earliest answered one beyond the cap."""
        self._recent_s.append(at)
        if len(self._recent_s) > self._overall_cap:
            self._recent_s.remove(min(self._recent_s))

    def _overall_wait_s(self, now: float, paced: bool) -> float:
        """Until the next even start, and the earliest of the last `cap` sends leaves the window;
        a send still on its way counts as answered now."""
        if not self._overall_cap:
            return 0.0
        spaced = self._scheduled_s - START_AHEAD * self._start_spacing_s - now if paced else 0.0
        if len(self._recent_s) < self._overall_cap:
            return max(0.0, spaced)
        return max(0.0, spaced, min(min(self._recent_s), now) + self._overall_window_s - now)

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
