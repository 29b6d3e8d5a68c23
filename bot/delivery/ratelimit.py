"""Our own per-channel rate limiter: sliding-window quotas overall and per address, pauses by scope.

Not python-telegram-bot's AIORateLimiter: it has no per-chat limit and freezes every chat on
one 429. Here a platform's retry-after pauses what its scope names: one address, one API
method, or the whole channel. The limiter only answers "how long until this address may
send?" and is told "sent"; the dispatcher decides whether to wait or to put a delivery back,
so one slow address holds back no other. It knows no platform: the channel's `RateLimits`
say which quotas hold for which kind of address, and how to tell an address's kind.
Time comes from an injected monotonic clock, so it is table-tested without waiting.

Sends are recorded when the platform has answered: a request's arrival lies between its start
and its answer, so counting windows from the answer keeps arrivals within the limits however
long the request was on the way (a "30 per second" is never 31 at the server).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from bot.channels.base import Quota, RateLimits, Scope

#: A wait this short is float rounding (sleeping exactly `ready_in` may leave 1e-14 to go).
_ROUNDING_S = 1e-6

#: How many spacings a start may run ahead of the even schedule (a small burst to catch up).
START_AHEAD = 3

#: Seconds from an arbitrary start that never go backwards (time.monotonic in production).
Monotonic = Callable[[], float]


def _window_wait_s(quota: Quota, sent_s: deque[float], now: float, behind: int) -> float:
    """Until `quota`'s sliding window has room for one more after `behind` others queued ahead,
    given the answer times `sent_s` (oldest first; forgotten once out of the window).

    Each of those sends may go one window after the send `count` places before it: a queued
    send `m` capfuls beyond the recorded ones goes `m - 1` windows after the first of them."""
    while sent_s and sent_s[0] <= now - quota.per_s:
        sent_s.popleft()
    capfuls = behind // quota.count + 1  # ours is in the queue's `capfuls`-th capful
    before = len(sent_s) + behind - capfuls * quota.count  # the send a window before that capful's first
    first_s = max(now, sent_s[before] + quota.per_s) if before >= 0 else now
    return first_s + (capfuls - 1) * quota.per_s - now


@dataclass(slots=True)
class _Address:
    """What one address's limits remember: its answered sends per quota (the last `count` of
    each, within the window) and its pause."""

    sent_s: list[deque[float]]
    paused_until_s: float = -math.inf


@dataclass(slots=True)
class _Overall:
    """One overall quota: the answer times of the channel's last `count` sends; inf for a send
    still on its way (it may arrive at any moment)."""

    quota: Quota
    sent_s: list[float] = field(default_factory=list)

    def keep(self, at: float) -> None:
        """Add a send, forgetting the earliest answered one beyond the count."""
        self.sent_s.append(at)
        if len(self.sent_s) > self.quota.count:
            self.sent_s.remove(min(self.sent_s))

    def wait_s(self, now: float) -> float:
        """Until the earliest of the last `count` sends leaves the window (one on its way counts
        as answered now)."""
        if len(self.sent_s) < self.quota.count:
            return 0.0
        return min(min(self.sent_s), now) + self.quota.per_s - now


class RateLimiter:
    """The limits of one channel, applied per address."""

    def __init__(self, limits: RateLimits, *, now: Monotonic = time.monotonic) -> None:
        self._now = now
        self._kind_of = limits.kind_of
        self._per_kind = {kind: quotas for kind, quotas in limits.per_address.items() if quotas}
        self._overall = [_Overall(quota) for quota in limits.overall]
        # Starts are spread evenly at the fastest overall rate (no burst of 30 then a second's
        # silence): a reply that arrives mid-broadcast then waits a thirtieth of a second for
        # its turn, not up to a second. A schedule (GCRA): each start moves it on by one
        # spacing, and a start may run up to `START_AHEAD` spacings ahead of it, so a late
        # wake-up is made up, not lost.
        self._start_spacing_s = min((q.per_s / q.count for q in limits.overall), default=0.0)
        self._scheduled_s = -math.inf
        self._paused_until_s = -math.inf  # the whole channel's pause
        self._methods_paused_until_s: dict[str, float] = {}
        self._addresses: dict[str, _Address] = {}
        self._sweep_at = 1024

    def spacing_s(self, address: str) -> float:
        """The least time between two messages to `address` (0: none), from its one-at-a-time quotas."""
        return max((q.per_s for q in self._quotas(address) if q.count == 1), default=0.0)

    def __len__(self) -> int:
        """How many addresses the limiter remembers (idle ones are forgotten)."""
        return len(self._addresses)

    def ready_in(self, address: str, *, behind: int = 0, paced: bool = True) -> float:
        """Seconds until `address` may send, if `behind` messages to it go first (0: ready now);
        `paced=False` leaves out the even spacing of starts (a wait of at most 1/rate)."""
        now = self._now()
        wait = max(self._overall_wait_s(now, paced), self._paused_until_s - now)
        quotas = self._quotas(address)
        entry = self._addresses.get(address)
        if entry is not None:
            wait = max(wait, entry.paused_until_s - now)
        for index, quota in enumerate(quotas):
            sent_s = entry.sent_s[index] if entry is not None else deque()
            wait = max(wait, _window_wait_s(quota, sent_s, now, behind))
        return wait if wait > _ROUNDING_S else 0.0

    def methods_ready_in(self, methods: Collection[str]) -> float:
        """Seconds until none of `methods` (the API calls a send makes) is paused (0: none is)."""
        now = self._now()
        wait = max((self._methods_paused_until_s.get(m, -math.inf) - now for m in methods), default=0.0)
        return wait if wait > _ROUNDING_S else 0.0

    def start(self) -> None:
        """A request is leaving: until its answer it holds a place in the overall windows."""
        if self._overall:
            for overall in self._overall:
                overall.keep(math.inf)
            self._scheduled_s = max(self._scheduled_s, self._now()) + self._start_spacing_s

    def abandon(self) -> None:
        """A request started but never sent (its delivery was put back): its place and its turn
        in the even schedule are free again."""
        if self._overall:
            for overall in self._overall:
                overall.sent_s.remove(math.inf)
            self._scheduled_s -= self._start_spacing_s

    def record(self, address: str) -> None:
        """The platform has just answered a message to `address` (whatever it answered)."""
        now = self._now()
        for overall in self._overall:
            if math.inf in overall.sent_s:
                overall.sent_s.remove(math.inf)
            overall.keep(now)
        quotas = self._quotas(address)
        if quotas:
            entry = self._entry(address, quotas)
            for quota, sent_s in zip(quotas, entry.sent_s, strict=True):
                sent_s.append(now)
                if len(sent_s) > quota.count:
                    sent_s.popleft()
        self._sweep(now)

    def pause(
        self, seconds: float, *, scope: Scope, address: str | None = None, method: str | None = None
    ) -> None:
        """The platform asked us to wait (a retry-after) before sending again to `address`, with
        `method`, or on the whole channel, as `scope` says. A shorter wait never shortens a pause."""
        now = self._now()
        until_s = now + seconds
        if scope is Scope.CHANNEL:
            self._paused_until_s = max(self._paused_until_s, until_s)
        elif scope is Scope.METHOD:
            if method is None:
                raise ValueError("a method pause names the method")
            paused = {m: t for m, t in self._methods_paused_until_s.items() if t > now}
            paused[method] = max(paused.get(method, -math.inf), until_s)
            self._methods_paused_until_s = paused
        else:
            if address is None:
                raise ValueError("an address pause names the address")
            entry = self._entry(address, self._quotas(address))
            entry.paused_until_s = max(entry.paused_until_s, until_s)
            self._sweep(now)

    def _quotas(self, address: str) -> Sequence[Quota]:
        if not self._per_kind:
            return ()
        return self._per_kind.get(self._kind_of(address), ())

    def _entry(self, address: str, quotas: Sequence[Quota]) -> _Address:
        entry = self._addresses.get(address)
        if entry is None:
            entry = self._addresses[address] = _Address([deque() for _ in quotas])
        return entry

    def _overall_wait_s(self, now: float, paced: bool) -> float:
        """Until the next even start, and until every overall window has room."""
        if not self._overall:
            return 0.0
        spaced = self._scheduled_s - START_AHEAD * self._start_spacing_s - now if paced else 0.0
        return max(0.0, spaced, *(overall.wait_s(now) for overall in self._overall))

    def _sweep(self, now: float) -> None:
        """Forget addresses whose limits no longer hold anything back; amortised, so state stays
        bounded by the addresses active within one window or pause."""
        if len(self._addresses) < self._sweep_at:
            return
        self._addresses = {a: e for a, e in self._addresses.items() if not self._idle(a, e, now)}
        self._sweep_at = max(1024, 2 * len(self._addresses))

    def _idle(self, address: str, entry: _Address, now: float) -> bool:
        quotas = self._quotas(address)
        windowed = all(
            not sent_s or sent_s[-1] <= now - quota.per_s
            for quota, sent_s in zip(quotas, entry.sent_s, strict=True)
        )
        return windowed and entry.paused_until_s <= now
