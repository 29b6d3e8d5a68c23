"""Responsiveness under load: the whole app (polling Telegram through python-telegram-bot against the
loopback fake Bot API, in the same process) while a teacher's highlight goes to 10,000 families at
Telegram's limits. Measures the event loop's lag (a 10 ms ticker's lateness) during the fan-out and
during the paced sending, and how long a parent waits for the answer to /help: single presses
spread over the sending, then ten families at once. SQLite, real time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bench._common import (
    Figure,
    parser,
    percentile,
    populate,
    print_figures,
    sqlite_database,
    teacher_highlight,
)
from bot.app import build_app
from bot.channels.telegram.adapter import TelegramChannel
from bot.settings import Settings
from bot.translation.backends import NoTranslator
from storage.db import make_engine
from tests.fakes.telegram import FakeTelegram

PRIVATE_CHAT = "70{pid:07d}"
TICK_S = 0.01
HIGHLIGHT = "This fortnight we learned about fractions."


@dataclass(frozen=True, slots=True)
class Plan:
    families: int
    singles: int  # presses one after another, spread over the sending
    spacing_s: float  # between single presses
    together: int  # families pressing at the same moment, after the singles


FULL = Plan(families=10_000, singles=40, spacing_s=0.5, together=10)
QUICK = Plan(families=1_000, singles=10, spacing_s=0.3, together=10)


@dataclass(slots=True)
class LoopLag:
    """A ticker that notes how late each 10 ms tick wakes: what any event waits for the loop."""

    samples: list[float] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            expected = time.perf_counter() + TICK_S
            await asyncio.sleep(TICK_S)
            self.samples.append(max(0.0, time.perf_counter() - expected))

    @contextlib.asynccontextmanager
    async def phase(self) -> AsyncIterator[list[float]]:
        """The lag samples taken during the block (and the tick it held up, if it blocked)."""
        start, taken = len(self.samples), list[float]()
        try:
            yield taken
        finally:
            await asyncio.sleep(2 * TICK_S)
            taken += self.samples[start:]


async def _answered(api: FakeTelegram, chat: int, after: int) -> float:
    """Wait until the fake has more than `after` answers (not the highlight) for `chat`; when."""

    def answers() -> list[float]:
        return [c.at for c in api.sent_to(chat) if HIGHLIGHT not in str(c.params.get("text", ""))]

    await api.wait_for(lambda: len(answers()) > after, timeout_s=60)
    return answers()[after]


async def _press(api: FakeTelegram, chat: int) -> float:
    """/help from `chat`; seconds until its answer reached the fake."""
    before = len([c for c in api.sent_to(chat) if HIGHLIGHT not in str(c.params.get("text", ""))])
    pressed = time.monotonic()
    api.push_command(chat, "help")
    return await _answered(api, chat, before) - pressed


async def measure(url: str, plan: Plan) -> list[Figure]:
    db = make_engine(url)
    roster = populate(db, families=plan.families, channel="telegram", address=PRIVATE_CHAT)
    settings = Settings(database_url=url, _env_file=None)
    lag = LoopLag()
    ticking = asyncio.create_task(lag.run())
    async with FakeTelegram.running() as api:
        channel = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        app = build_app(settings, {"telegram": channel}, db=db, translator=NoTranslator())
        serving = asyncio.create_task(app.serve_forever())
        try:
            chats = [int(PRIVATE_CHAT.format(pid=pid)) for pid in roster.parent_ids]
            await _press(api, chats[0])  # polling has started
            async with lag.phase() as fanout_lag:
                start = time.perf_counter()
                await teacher_highlight(app, roster.teacher_id, HIGHLIGHT)  # as the teacher's turn does
                fanout_s = time.perf_counter() - start
            sent_before = len(api.calls_to("sendMessage"))
            paced_start = time.monotonic()
            singles: list[float] = []
            async with lag.phase() as pacing_lag:
                for n in range(plan.singles):
                    pressing = asyncio.create_task(_press(api, chats[1 + n]))
                    await asyncio.sleep(plan.spacing_s)
                    singles.append(await pressing)
                together = await asyncio.gather(
                    *(
                        _press(api, chat)
                        for chat in chats[1 + plan.singles : 1 + plan.singles + plan.together]
                    )
                )
            paced_s = time.monotonic() - paced_start
            sent = len(api.calls_to("sendMessage")) - sent_before
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            ticking.cancel()
            db.dispose()

    def figure(metric: str, value: float, unit: str, target: str = "") -> Figure:
        return Figure("respond", "sqlite", metric, value, unit, target)

    ms = 1000
    return [
        figure(f"fan-out of {plan.families:,} (the teacher's turn)", fanout_s * ms, "ms"),
        figure("  loop lag during it, max", ms * max(fanout_lag, default=0.0), "ms"),
        figure(f"sending paced for {paced_s:.0f} s: sends/s", sent / paced_s, "/s", "≈ 30/s"),
        figure("  loop lag p50", ms * percentile(pacing_lag, 0.5), "ms"),
        figure("  loop lag p99", ms * percentile(pacing_lag, 0.99), "ms", "< 50 ms"),
        figure("  loop lag max", ms * max(pacing_lag), "ms"),
        figure(f"  answer to /help p50 ({plan.singles} presses)", ms * percentile(singles, 0.5), "ms"),
        figure("  answer to /help p99", ms * percentile(singles, 0.99), "ms", "< 1,000 ms"),
        figure(f"  {plan.together} families at once: last answered", ms * max(together), "ms", "< 1,000 ms"),
    ]


def run(*, quick: bool = False) -> list[Figure]:
    with sqlite_database() as url:
        return asyncio.run(measure(url, QUICK if quick else FULL))


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
