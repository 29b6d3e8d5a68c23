"""Pacing: pending deliveries sent by the real Dispatcher through TelegramChannel (python-telegram-bot)
with Telegram's default limits, against the loopback fake Bot API, which notes when each request
arrived; the pacing is measured there, where Telegram would see it. SQLite, real time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from bench._common import Figure, parser, populate, print_figures, queue_pending, sqlite_database
from bot.channels.base import AddressKind
from bot.channels.telegram.adapter import TelegramChannel
from bot.delivery.dispatcher import Dispatcher
from storage.db import make_engine
from tests.fakes.telegram import FakeTelegram

LIMITS = TelegramChannel.DEFAULT_LIMITS
[_OVERALL] = LIMITS.overall
OVERALL_PER_S = _OVERALL.count / _OVERALL.per_s
[_CHAT] = LIMITS.per_address[AddressKind.PRIVATE]
CHAT_SPACING_S = _CHAT.per_s
[_GROUP] = [quota for quota in LIMITS.per_address[AddressKind.GROUP] if quota.per_s == 60.0]
GROUP_PER_MIN = _GROUP.count


def is_group(chat: str) -> bool:
    return LIMITS.kind_of(chat) is AddressKind.GROUP


#: A parent's private chat id: numeric, as Telegram's are (a group's is negative).
PRIVATE_CHAT = "70{pid:07d}"


@dataclass(frozen=True, slots=True)
class Plan:
    """How many messages go where: most chats get one; a few private chats and groups get several."""

    singles: int
    busy_chats: int
    per_busy_chat: int
    groups: int
    per_group: int
    timeout_s: float

    @property
    def total(self) -> int:
        return self.singles + self.busy_chats * self.per_busy_chat + self.groups * self.per_group

    @property
    def held_by_groups(self) -> int:
        """Messages that must wait for a group's 60-second window (they go out after the rest)."""
        return self.groups * max(0, self.per_group - GROUP_PER_MIN)


#: Full: ~30 s at 30/s, then each group's last 5 a minute after its first (over a minute in all).
FULL = Plan(singles=775, busy_chats=5, per_busy_chat=10, groups=3, per_group=25, timeout_s=150)
#: Quick: ~5 s, too short for a group's 60-second window to hold anything back.
QUICK = Plan(singles=125, busy_chats=3, per_busy_chat=5, groups=2, per_group=5, timeout_s=30)


def _group_chat(n: int) -> str:
    return f"-100123000000{n}"


def _queue(db: Engine, plan: Plan) -> None:
    """One message; its deliveries to each busy chat and group queued together, busy chats first,
    so the first batches mix chats that must wait with chats that may go."""
    private = plan.busy_chats + plan.singles
    roster = populate(db, families=private, channel="telegram", address=PRIVATE_CHAT)
    busy, single = roster.parent_ids[: plan.busy_chats], roster.parent_ids[plan.busy_chats :]
    chats: list[tuple[int | None, str]] = [
        *((None, _group_chat(n)) for n in range(plan.groups) for _ in range(plan.per_group)),
        *((pid, PRIVATE_CHAT.format(pid=pid)) for pid in busy for _ in range(plan.per_busy_chat)),
        *((pid, PRIVATE_CHAT.format(pid=pid)) for pid in single),
    ]
    queue_pending(db, chats, channel="telegram")


def busiest_window(times: Sequence[float], width_s: float, limit: int) -> tuple[int, int]:
    """The most of `times` (sorted) in any window [t, t + width_s), and how many of the windows
    starting at each of them held more than `limit`."""
    most = over = end = 0
    for start, at in enumerate(times):
        while end < len(times) and times[end] < at + width_s:
            end += 1
        most = max(most, end - start)
        over += end - start > limit
    return most, over


async def _send_all(url: str, plan: Plan, latency_s: float) -> tuple[FakeTelegram, float]:
    """Dispatch until the fake has every message (or the plan's timeout), each answered after
    `latency_s`; the fake, and seconds taken."""
    db = make_engine(url)
    try:
        _queue(db, plan)
        async with FakeTelegram.running() as api:
            if latency_s:
                api.stall(method="sendMessage", seconds=latency_s, times=None)
            channel = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
            dispatcher = Dispatcher(db=db, channels={"telegram": channel})
            start = time.perf_counter()
            running = asyncio.create_task(dispatcher.run())
            try:
                with contextlib.suppress(TimeoutError):
                    await api.wait_for(
                        lambda: len(api.calls_to("sendMessage")) >= plan.total, timeout_s=plan.timeout_s
                    )
            finally:
                seconds = time.perf_counter() - start
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
                await channel.stop()
        return api, seconds
    finally:
        db.dispose()


async def measure(url: str, plan: Plan, *, latency_s: float = 0.0) -> list[Figure]:
    api, seconds = await _send_all(url, plan, latency_s)
    sends = api.calls_to("sendMessage")
    arrivals = sorted(call.at for call in sends)
    by_chat: dict[str, list[float]] = {}
    for call in sends:
        by_chat.setdefault(call.chat_id or "", []).append(call.at)
    # The rate while the queue kept the limiter busy (without the groups' messages held for a
    # minute), over whole seconds from the first arrival: the limiter sends in bursts of up to 30,
    # so (n - 1) / (last - first) would overstate it.
    paced = arrivals[: len(arrivals) - plan.held_by_groups]
    whole_s = math.floor(paced[-1] - paced[0]) if paced else 0
    rate = sum(at < paced[0] + whole_s for at in paced) / whole_s if whole_s else 0.0
    most_per_s, over_per_s = busiest_window(arrivals, 1.0, int(OVERALL_PER_S))
    gaps = [
        later - earlier
        for chat, times in by_chat.items()
        if not is_group(chat)
        for earlier, later in itertools.pairwise(sorted(times))
    ]
    groups = [busiest_window(sorted(t), 60.0, GROUP_PER_MIN) for chat, t in by_chat.items() if is_group(chat)]

    away = f", {1000 * latency_s:g} ms away" if latency_s else ""

    def figure(metric: str, value: float, unit: str, target: str = "") -> Figure:
        return Figure("pacing", "sqlite", metric + away, value, unit, target)

    return [
        figure(f"sends/s (first {whole_s} s, limiter busy)", rate, "/s", f"≥ {0.95 * OVERALL_PER_S:g}/s"),
        figure("  as % of the overall limit", 100 * rate / OVERALL_PER_S, "%", "≥ 95 %"),
        figure("most requests in any 1 s", most_per_s, "reqs", f"≤ {OVERALL_PER_S:g}"),
        figure(f"1 s windows over {OVERALL_PER_S:g}", over_per_s, "count", "0 over"),
        figure("least gap, one private chat", 1000 * min(gaps, default=0.0), "ms", "≥ 1,000 ms"),
        figure("private-chat gaps under 1 s", sum(gap < CHAT_SPACING_S for gap in gaps), "count", "0 over"),
        figure(
            "most to one group in any 60 s",
            max((most for most, _ in groups), default=0),
            "reqs",
            f"≤ {GROUP_PER_MIN}",
        ),
        figure(
            f"group 60 s windows over {GROUP_PER_MIN}", sum(over for _, over in groups), "count", "0 over"
        ),
        figure(f"time ({len(sends):,} of {plan.total:,} sent)", seconds, "s"),
    ]


def run(*, quick: bool = False) -> list[Figure]:
    """The plan against a fake answering at once, then the quick plan against one that answers
    after 80 ms, as Telegram's servers might from a school's (sends overlap to keep the rate)."""
    figures = []
    for plan, latency_s in ((QUICK if quick else FULL, 0.0), (QUICK, 0.08)):
        with sqlite_database() as url:
            figures += asyncio.run(measure(url, plan, latency_s=latency_s))
    return figures


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
