"""Ack report: storage.reports.ack_counts (what /acks shows: counts per status and the first
names, made by the database) for one highlight to 10,000 and to 100,000 families (a third said
"Got it", a tenth unreached, the rest delivered), cold (the first call on a new engine,
connected: nothing compiled or cached yet) and warm;
beside it the full listing (ack_summaries, every recipient); and the teacher's /acks through the
app (report rendered, queued and sent). Three runs each; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import update
from sqlmodel import Session, col

from bench._common import CHANNEL, NOW, Figure, databases, of_runs, parser, populate, print_figures
from bot.app import build_app
from bot.events import Inbound
from bot.handlers.acks import NAMES_SHOWN
from bot.messages.fanout import send_highlights
from bot.settings import Settings
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.db import make_engine, session_scope
from storage.models import ClassGroup, Delivery, DeliveryStatus, Person
from storage.reports import ack_counts, ack_summaries
from tests.harness import TestChannel

RUNS = 3
WARM = 5


async def measure(url: str, database: str, families: int) -> list[Figure]:
    db = make_engine(url)
    try:
        roster = populate(db, families=families)
        with session_scope(db) as session:
            author, group = (
                session.get(Person, roster.teacher_id),
                session.get(ClassGroup, roster.class_ids[0]),
            )
            assert author is not None
            assert group is not None
            translator = TranslationService(db=db, translator=NoTranslator())
            report = await send_highlights(
                session=session,
                translator=translator,
                author=author,
                group=group,
                text="Hello",
                now=NOW,
                channels={CHANNEL},
            )
        first = roster.parent_ids[0]
        with db.begin() as connection:
            connection.execute(update(Delivery).values(status=DeliveryStatus.SENT, sent_at=NOW))
            connection.execute(
                update(Delivery)
                .where((col(Delivery.person_id) - first) % 3 == 0)
                .values(acknowledged_at=NOW, acknowledged_channel=CHANNEL)
            )
            connection.execute(
                update(Delivery)
                .where((col(Delivery.person_id) - first) % 10 == 1)
                .values(status=DeliveryStatus.UNREACHED)
            )
        cold: list[float] = []
        warm: list[float] = []
        listing: list[float] = []
        for _ in range(RUNS):
            fresh = make_engine(url)
            for attempt in range(1 + WARM):
                with Session(fresh) as session:
                    session.connection()  # connected: "cold" is the query's, not the connection's
                    start = time.perf_counter()
                    counts = ack_counts(
                        session=session,
                        message_ids=[report.message_id],
                        channels=[CHANNEL],
                        names=NAMES_SHOWN,
                    )
                    (warm if attempt else cold).append(time.perf_counter() - start)
            fresh.dispose()
            with Session(db) as session:
                start = time.perf_counter()
                summaries = ack_summaries(
                    session=session, message_ids=[report.message_id], channels=[CHANNEL]
                )
                listing.append(time.perf_counter() - start)
        found = counts[report.message_id]
        assert found.acknowledged + found.waiting + found.unreached == families
        assert len(summaries[report.message_id].recipients) == families
        settings = Settings(database_url=url, timezone="Europe/London", _env_file=None)
        channel = TestChannel()
        app = build_app(settings, {CHANNEL: channel}, db=db, clock=lambda: NOW, translator=NoTranslator())
        acks = []
        for _ in range(RUNS):
            event = Inbound(
                channel=CHANNEL,
                address=roster.teacher_address,
                event_id=uuid.uuid4().hex,
                text="/acks",
                command="acks",
                received_at=NOW,
            )
            start = time.perf_counter()
            await app.receive_and_answer(event)
            acks.append(time.perf_counter() - start)
        assert "Got it" in channel.sent[roster.teacher_address][-1].text
        aim = "< 100 ms" if families <= 10_000 else "< 300 ms"
        return [
            of_runs("acks", database, f"ack_counts cold ({families:,})", [t * 1000 for t in cold], "ms", aim),
            of_runs("acks", database, f"ack_counts warm ({families:,})", [t * 1000 for t in warm], "ms", aim),
            of_runs(
                "acks",
                database,
                f"full listing ({families:,}, ack_summaries)",
                [t * 1000 for t in listing],
                "ms",
            ),
            of_runs(
                "acks", database, f"/acks through the app ({families:,})", [t * 1000 for t in acks], "ms"
            ),
        ]
    finally:
        db.dispose()


def run(*, quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for families in (1_000,) if quick else (10_000, 100_000):
        for database, context in databases():
            with context as url:
                figures += asyncio.run(measure(url, database, families))
    return figures


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
