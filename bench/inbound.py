"""Inbound: events from linked parents, half /help and half free text answering the teacher's
highlight, on SQLite. End to end: through the real app (App.receive with a TestChannel), each
reply queued and sent before the next event; events/s and per-event latency. Engine only: as many
events again through Engine.handle (recorded, handled, replies queued), timed alone, then the
queued replies drained as one dispatcher run, timed apart."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

from sqlalchemy import update

from bench._common import CHANNEL, NOW, Figure, parser, percentile, populate, print_figures, sqlite_database
from bot.app import build_app
from bot.events import Inbound
from bot.messages.fanout import send_highlights
from bot.settings import Settings
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.db import make_engine, session_scope
from storage.models import ClassGroup, Delivery, DeliveryStatus, Person
from tests.harness import TestChannel


def _event(address: str, text: str) -> Inbound:
    command = text[1:] if text.startswith("/") else None
    return Inbound(
        channel=CHANNEL,
        address=address,
        event_id=uuid.uuid4().hex,
        text=text,
        command=command,
        received_at=NOW,
    )


def _events(parent_ids: tuple[int, ...], events: int) -> Iterator[tuple[str, str, str]]:
    """(address, kind, text) of each event: parents in turn, /help and free text alternately."""
    for index in range(events):
        kind = "/help" if index % 2 == 0 else "free text"
        text = "/help" if kind == "/help" else "Thank you, we will read together tonight."
        yield f"parent-{parent_ids[index % len(parent_ids)]}", kind, text


async def measure(url: str, parents: int, events: int) -> list[Figure]:
    db = make_engine(url)
    try:
        roster = populate(db, families=parents)
        with session_scope(db) as session:  # a highlight to answer, already delivered
            author, group = (
                session.get(Person, roster.teacher_id),
                session.get(ClassGroup, roster.class_ids[0]),
            )
            assert author is not None
            assert group is not None
            translator = TranslationService(db=db, translator=NoTranslator())
            await send_highlights(
                session=session,
                translator=translator,
                author=author,
                group=group,
                text="Hi",
                now=NOW,
                channels={CHANNEL},
            )
        with db.begin() as connection:
            connection.execute(update(Delivery).values(status=DeliveryStatus.SENT, sent_at=NOW))
        settings = Settings(database_url=url, timezone="Europe/London", _env_file=None)
        channel = TestChannel()
        app = build_app(settings, {CHANNEL: channel}, db=db, clock=lambda: NOW, translator=NoTranslator())
        latencies: dict[str, list[float]] = {"/help": [], "free text": []}
        start = time.perf_counter()
        for address, kind, text in _events(roster.parent_ids, events):
            began = time.perf_counter()
            await app.receive_and_answer(_event(address, text))
            latencies[kind].append(time.perf_counter() - began)
        seconds = time.perf_counter() - start
        replies = sum(len(v) for v in channel.sent.values())
        assert replies >= events, (replies, events)
        every = latencies["/help"] + latencies["free text"]

        start = time.perf_counter()
        for address, _kind, text in _events(roster.parent_ids, events):
            assert await app.engine.handle(_event(address, text))
        engine_seconds = time.perf_counter() - start
        start = time.perf_counter()
        drained = await app.dispatcher.drain()
        drain_seconds = time.perf_counter() - start
        assert sum(len(v) for v in channel.sent.values()) - replies == drained >= events
        return [
            Figure("inbound", "sqlite", "events/s end to end (receive + send)", events / seconds, "/s"),
            Figure("inbound", "sqlite", "latency p50", percentile(every, 0.5) * 1000, "ms"),
            Figure("inbound", "sqlite", "latency p99", percentile(every, 0.99) * 1000, "ms"),
            *(
                Figure("inbound", "sqlite", f"latency p50 {kind}", percentile(samples, 0.5) * 1000, "ms")
                for kind, samples in latencies.items()
            ),
            Figure("inbound", "sqlite", "messages sent (replies, threads)", replies, "sends"),
            Figure(
                "inbound",
                "sqlite",
                "events/s engine only (replies queued)",
                events / engine_seconds,
                "/s",
                "≥ 1,000/s",
            ),
            Figure(
                "inbound", "sqlite", f"then sends/s draining those {drained:,}", drained / drain_seconds, "/s"
            ),
        ]
    finally:
        db.dispose()


def run(*, quick: bool = False) -> list[Figure]:
    with sqlite_database() as url:
        return asyncio.run(measure(url, parents=200 if quick else 1_000, events=200 if quick else 2_000))


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
