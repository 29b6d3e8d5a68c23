"""Ack report: storage.reports.ack_summaries for one highlight to 10,000 families (a third said
"Got it", a third delivered, a tenth unreached), and the teacher's /acks through the app (report
rendered, queued and sent); SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import update
from sqlmodel import Session, col

from bench._common import CHANNEL, NOW, Figure, databases, median, parser, populate, print_figures
from bot.app import build_app
from bot.events import Inbound
from bot.messages.fanout import send_highlights
from bot.settings import Settings
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.db import make_engine, session_scope
from storage.models import ClassGroup, Delivery, DeliveryStatus, Person
from storage.reports import ack_summaries
from tests.harness import TestChannel

REPEATS = 5


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
        timings = []
        for _ in range(REPEATS):
            with Session(db) as session:
                start = time.perf_counter()
                summaries = ack_summaries(
                    session=session, message_ids=[report.message_id], channels=[CHANNEL]
                )
                timings.append(time.perf_counter() - start)
        assert len(summaries[report.message_id].recipients) == families
        settings = Settings(database_url=url, timezone="Europe/London", _env_file=None)
        channel = TestChannel()
        app = build_app(settings, {CHANNEL: channel}, db=db, clock=lambda: NOW, translator=NoTranslator())
        acks = []
        for _ in range(REPEATS):
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
        return [
            Figure(
                "acks",
                database,
                f"ack_summaries ({families:,}) median",
                median(timings) * 1000,
                "ms",
                "< 100 ms",
            ),
            Figure("acks", database, "ack_summaries max", max(timings) * 1000, "ms"),
            Figure("acks", database, "/acks through the app median", median(acks) * 1000, "ms"),
        ]
    finally:
        db.dispose()


def run(*, quick: bool = False) -> list[Figure]:
    families = 1_000 if quick else 10_000
    figures: list[Figure] = []
    for database, context in databases():
        with context as url:
            figures += asyncio.run(measure(url, database, families))
    return figures


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
