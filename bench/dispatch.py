"""Dispatch: pending delivery rows sent through a loopback channel that answers at once (rate limits
off), claimed and confirmed by the real Dispatcher, on SQLite."""

from __future__ import annotations

import asyncio
import time

from bench._common import (
    CHANNEL,
    NOW,
    Figure,
    parser,
    populate,
    print_figures,
    queue_pending,
    sqlite_database,
)
from bot.delivery.dispatcher import Dispatcher
from storage.db import make_engine
from tests.harness import TestChannel


async def measure(url: str, deliveries: int) -> list[Figure]:
    db = make_engine(url)
    try:
        roster = populate(db, families=deliveries)
        queue_pending(db, [(pid, f"parent-{pid}") for pid in roster.parent_ids])
        channel = TestChannel()
        dispatcher = Dispatcher(db=db, channels={CHANNEL: channel}, clock=lambda: NOW)
        start = time.perf_counter()
        attempted = await dispatcher.drain()
        seconds = time.perf_counter() - start
        sent = sum(len(v) for v in channel.sent.values())
        assert attempted == sent == deliveries, (attempted, sent)
        return [
            Figure("dispatch", "sqlite", "sends/s (limits off)", sent / seconds, "/s", "≥ 2,000/s"),
            Figure("dispatch", "sqlite", f"time ({sent:,} sends)", seconds * 1000, "ms"),
        ]
    finally:
        db.dispose()


def run(*, quick: bool = False) -> list[Figure]:
    with sqlite_database() as url:
        return asyncio.run(measure(url, 1_000 if quick else 10_000))


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
