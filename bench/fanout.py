"""Fan-out: one highlight from a teacher to a class of 10,000 families in six languages, turned into
delivery rows, translated by a loopback fake LibreTranslate through the cache; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select
from sqlmodel import Session

from bench._common import CHANNEL, NOW, Figure, databases, parser, populate, print_figures
from bot.messages.fanout import send_highlights
from bot.translation import TranslationService
from bot.translation.backends import LibreTranslateTranslator
from storage.db import make_engine, session_scope
from storage.models import ClassGroup, Delivery, Person
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


async def measure(url: str, database: str, families: int) -> list[Figure]:
    """Populate, then send the same highlight twice (the second from the translation cache)."""
    db = make_engine(url)
    try:
        roster = populate(db, families=families)
        with FakeLibreTranslate() as fake:
            translator = TranslationService(db=db, translator=LibreTranslateTranslator(url=fake.url))
            figures = []
            for attempt in ("first", "second"):
                before = fake.count("/translate")
                seconds, recipients = await _send(db, translator, roster.teacher_id, roster.class_ids[0])
                calls = fake.count("/translate") - before
                figures += [
                    Figure(
                        "fan-out",
                        database,
                        f"deliveries/s ({attempt} send)",
                        recipients / seconds,
                        "/s",
                        "≥ 10,000/s",
                    ),
                    Figure(
                        "fan-out", database, f"time ({attempt} send, {recipients:,})", seconds * 1000, "ms"
                    ),
                    Figure(
                        "fan-out", database, f"translation calls ({attempt} send)", calls, "calls", "5 then 0"
                    ),
                ]
        with Session(db) as session:
            rows = session.execute(select(func.count()).select_from(Delivery)).scalar_one()
        assert rows == 2 * families, f"expected {2 * families} deliveries, found {rows}"
        return figures
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
