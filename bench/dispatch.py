"""Dispatch: pending delivery rows sent through a loopback channel that answers at once (rate limits
off), claimed and confirmed by the real Dispatcher, on SQLite."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import insert

from bench._common import CHANNEL, NOW, Figure, parser, populate, print_figures, sqlite_database
from bot.dispatcher import Dispatcher
from storage.db import make_engine
from storage.models import Delivery, DeliveryStatus, Message, MessageKind
from tests.harness import TestChannel


def _queue(db: object, roster_parents: tuple[int, ...]) -> None:
    """One message and a pending delivery to each parent's account (account id = person id)."""
    with db.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(
            insert(Message.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": 1,
                    "school_id": 1,
                    "kind": MessageKind.HIGHLIGHT.value,
                    "author_id": 1,
                    "text": "Hello",
                    "language": "en",
                    "details": {},
                    "urgent": False,
                    "created_at": NOW,
                }
            ],
        )
        rows = [
            {
                "message_id": 1,
                "person_id": pid,
                "account_id": pid,
                "channel": CHANNEL,
                "address": f"parent-{pid}",
                "language": "en",
                "text": "Hello from school",
                "buttons": [{"label": "Got it", "payload": "ack:1"}],
                "rtl": False,
                "urgent": False,
                "with_photo": False,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "created_at": NOW,
                "not_before": NOW,
            }
            for pid in roster_parents
        ]
        connection.execute(insert(Delivery.__table__), rows)  # type: ignore[attr-defined]


async def measure(url: str, deliveries: int) -> list[Figure]:
    db = make_engine(url)
    try:
        roster = populate(db, families=deliveries)
        _queue(db, roster.parent_ids)
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
