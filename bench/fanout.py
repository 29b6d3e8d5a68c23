"""Fan-out: one highlight from a teacher to a class of 10,000 families in six languages, over seven
time zones, quiet hours and digest frequencies, turned into delivery rows, translated by a loopback
fake LibreTranslate through the cache; beside it in the same run, the raw-insert ceiling (the same
rows prebuilt and inserted with bare SQLAlchemy Core, 2,000 a statement); SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session

from bench._common import CHANNEL, NOW, Figure, databases, of_runs, parser, populate, print_figures
from bot.events import Content
from bot.messages.fanout import send_highlights
from bot.translation import TranslationService
from bot.translation.backends import LibreTranslateTranslator
from storage.db import make_engine, session_scope
from storage.models import ClassGroup, Delivery, DeliveryStatus, Person
from tests.fakes.libretranslate import FakeLibreTranslate

TEXT = (
    "This week we read 'The Snail and the Whale' and measured the school garden: 12.5 metres! "
    "Ask your child which animal they would like to be, and read together for 10 minutes a day."
)


async def _send(
    db: object, translator: TranslationService, roster_teacher: int, class_id: int
) -> tuple[float, int]:
    """Seconds one send_highlights took (in its own transaction) and the deliveries it made."""
    start = time.perf_counter()
    with session_scope(db) as session:  # type: ignore[arg-type]
        author = session.get(Person, roster_teacher)
        group = session.get(ClassGroup, class_id)
        assert author is not None
        assert group is not None
        report = await send_highlights(
            session=session,
            translator=translator,
            author=author,
            group=group,
            text=TEXT,
            now=NOW,
            channels={CHANNEL},
        )
    return time.perf_counter() - start, report.recipients


RUNS = 3


def _raw_insert(db: Engine, message_id: int, people: list[int]) -> float:
    """Seconds to insert one prebuilt delivery row per person (no reading, no rendering), in one
    transaction of statements of 2,000 rows: what the database and driver allow at best."""
    content = Content.plain(TEXT).to_json()
    rows = [
        {
            "message_id": message_id,
            "person_id": pid,
            "account_id": pid,
            "channel": CHANNEL,
            "address": f"parent-{pid}",
            "language": "en",
            "content": content,
            "buttons": [{"label": "Got it", "payload": f"ack:{message_id}"}],
            "rtl": False,
            "urgent": False,
            "priority": 2,
            "with_photo": False,
            "status": DeliveryStatus.PENDING.value,
            "last_error": None,
            "attempts": 0,
            "created_at": NOW,
            "not_before": NOW,
        }
        for pid in people
    ]
    start = time.perf_counter()
    with db.begin() as connection:
        for at in range(0, len(rows), 2_000):
            connection.execute(insert(Delivery.__table__), rows[at : at + 2_000])  # type: ignore[attr-defined]
    return time.perf_counter() - start


async def measure(url: str, database: str, families: int) -> list[Figure]:
    """Populate, send the highlight once (filling the translation cache), then RUNS times: the
    same highlight again from the cache, and the raw-insert ceiling beside it."""
    db = make_engine(url)
    try:
        roster = populate(db, families=families, varied=True)
        with FakeLibreTranslate() as fake:
            translator = TranslationService(db=db, translator=LibreTranslateTranslator(url=fake.url))
            seconds, recipients = await _send(db, translator, roster.teacher_id, roster.class_ids[0])
            first_calls = fake.count("/translate")
            rates, ceilings, ratios = [], [], []
            for _ in range(RUNS):
                before = fake.count("/translate")
                taken, sent = await _send(db, translator, roster.teacher_id, roster.class_ids[0])
                assert fake.count("/translate") == before, "the cache should serve a second send"
                ceiling = _raw_insert(db, 1, list(roster.parent_ids))
                rates.append(sent / taken)
                ceilings.append(len(roster.parent_ids) / ceiling)
                ratios.append(ceiling / taken)
        with Session(db) as session:
            rows = session.execute(select(func.count()).select_from(Delivery)).scalar_one()
        expected = (1 + 2 * RUNS) * families
        assert rows == expected, f"expected {expected} deliveries, found {rows}"
        return [
            Figure(
                "fan-out", database, f"deliveries/s (first send, {recipients:,})", recipients / seconds, "/s"
            ),
            Figure(
                "fan-out",
                database,
                "translation calls (first send, then each)",
                first_calls,
                "calls",
                "5 then 0",
            ),
            of_runs("fan-out", database, "deliveries/s (cached send)", rates, "/s", "≥ 10,000/s"),
            of_runs("fan-out", database, "raw-insert ceiling rows/s (same run)", ceilings, "/s"),
            of_runs("fan-out", database, "fan-out ÷ raw insert", ratios, "×", "≥ 0.5"),
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
