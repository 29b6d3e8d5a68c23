"""Dispatch through the real adapter: pending deliveries sent by the Dispatcher through
TelegramChannel (python-telegram-bot, limits off) to the loopback fake Bot API running in a process
of its own; beside it, in the same run, bare PTB (the same Bot, the same messages with a Got it
button, as many in flight at once as the dispatcher keeps) to the same fake. Three runs of each,
alternating; sends/s and CPU per send of this process. Then the guard: a profile of the dispatcher
sending must show no import machinery among its top frames (an import retried on every call cost
15 % of the CPU once); it fails loudly when one does."""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine, update
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ApplicationBuilder

from bench._common import (
    NOW,
    Figure,
    of_runs,
    parser,
    populate,
    print_figures,
    queue_pending,
    sqlite_database,
)
from bot.channels.base import RateLimits
from bot.channels.telegram.adapter import TelegramChannel
from bot.delivery.dispatcher import CONCURRENCY, Dispatcher
from storage.db import make_engine
from storage.models import Delivery, DeliveryStatus

RUNS = 3
PRIVATE_CHAT = "70{pid:07d}"
#: Frames of the import system: none may be among the dispatcher's top frames once it is warm.
IMPORT_FRAMES = ("<frozen importlib._bootstrap", "_find_and_load", "_find_spec", "_handle_fromlist")
TOP_FRAMES = 25


class ImportOnHotPath(AssertionError):
    """The dispatcher's profile shows the import system among its top frames."""


async def _serve() -> None:
    """In the child: serve the fake Bot API until stdin closes; say where on stdout first."""
    from tests.fakes.telegram import FakeTelegram

    async with FakeTelegram.running() as fake:
        print(
            json.dumps({"base_url": fake.base_url, "base_file_url": fake.base_file_url, "token": fake.token})
        )
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.read)


def _pending_again(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(
            update(Delivery).values(
                status=DeliveryStatus.PENDING, attempts=0, claimed_until=None, sent_at=None, provider_id=None
            )
        )


async def _timed(call: Callable[[], Awaitable[int]]) -> tuple[int, float, float]:
    """(sends, wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    sent = await call()
    return sent, time.perf_counter() - wall, time.process_time() - cpu


async def measure(url: str, families: int, fake: dict[str, str]) -> list[Figure]:
    db = make_engine(url)
    try:
        roster = populate(db, families=families, channel="telegram", address=PRIVATE_CHAT)
        queue_pending(
            db, [(pid, PRIVATE_CHAT.format(pid=pid)) for pid in roster.parent_ids], channel="telegram"
        )
        channel = TelegramChannel(
            token=fake["token"],
            base_url=fake["base_url"],
            base_file_url=fake["base_file_url"],
            limits=RateLimits(),
        )
        dispatcher = Dispatcher(db=db, channels={"telegram": channel}, clock=lambda: NOW)
        bot = ApplicationBuilder().token(fake["token"]).base_url(fake["base_url"]).build().bot
        await bot.initialize()
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Got it", callback_data="ack:1")]])
        chats = [PRIVATE_CHAT.format(pid=pid) for pid in roster.parent_ids]

        async def bare() -> int:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(chat: str, bot: Bot = bot) -> None:
                async with gate:
                    await bot.send_message(chat, "Hello from school", reply_markup=markup)

            await asyncio.gather(*(one(chat) for chat in chats))
            return len(chats)

        async def real() -> int:
            _pending_again(db)
            return await dispatcher.drain()

        await real()  # warm: connections open, everything imported
        await bare()
        rates: dict[str, list[float]] = {"real": [], "bare": []}
        cpu: dict[str, list[float]] = {"real": [], "bare": []}
        for _ in range(RUNS):
            for name, call in (("real", real), ("bare", bare)):
                sent, wall, used = await _timed(call)
                assert sent == families, (name, sent)
                rates[name].append(sent / wall)
                cpu[name].append(used / sent * 1000)
        profile = cProfile.Profile()
        _pending_again(db)
        profile.enable()
        await dispatcher.drain()
        profile.disable()
        await bot.shutdown()
        await channel.stop()
        guard(profile)
        ratios = [r / b for r, b in zip(rates["real"], rates["bare"], strict=True)]
        return [
            of_runs("dispatch", "sqlite", "Dispatcher+TelegramChannel sends/s", rates["real"], "/s"),
            of_runs("dispatch", "sqlite", "bare PTB sends/s (same fake, same run)", rates["bare"], "/s"),
            of_runs("dispatch", "sqlite", "real path ÷ bare PTB", ratios, "×", "≥ 0.9"),
            of_runs("dispatch", "sqlite", "CPU per send, real path", cpu["real"], "ms"),
            of_runs("dispatch", "sqlite", "CPU per send, bare PTB", cpu["bare"], "ms"),
            Figure("dispatch", "sqlite", f"import frames in top {TOP_FRAMES} (guard)", 0, "frames", "0"),
        ]
    finally:
        db.dispose()


def guard(profile: cProfile.Profile) -> None:
    """Raise ImportOnHotPath if the import system is among the profile's top frames, by own time
    or by total time (warm: everything the path needs is imported already)."""
    stats = pstats.Stats(profile)
    found = []
    for key in ("tottime", "cumulative"):
        stats.sort_stats(key)
        for filename, line, function in stats.fcn_list[:TOP_FRAMES]:  # type: ignore[attr-defined]
            where = f"{filename}:{line}({function})"
            if any(mark in where for mark in IMPORT_FRAMES):
                found.append(f"{key}: {where}")
    if found:
        raise ImportOnHotPath(
            "import machinery on the dispatcher's hot path (a module imported on every send? a"
            " missing dependency retried?):\n  " + "\n  ".join(found)
        )


def run(*, quick: bool = False) -> list[Figure]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.telegram_dispatch", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        fake = json.loads(server.stdout.readline())
        with sqlite_database() as url:
            return asyncio.run(measure(url, 200 if quick else 1_000, fake))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


def main() -> None:
    args = parser(__doc__ or "")
    args.add_argument("--serve", action="store_true", help="(the fake's own process)")
    parsed = args.parse_args()
    if parsed.serve:
        asyncio.run(_serve())
        return
    print_figures(run(quick=parsed.quick))


if __name__ == "__main__":
    main()
