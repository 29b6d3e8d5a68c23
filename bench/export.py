"""Export time for a family with two years of messages (3 a day, each translated, 1 in 20 with a photo)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.i18n import Speaker
from bot.rights.export import write_export
from bot.roster.demo import create_demo_school
from bot.settings import Settings
from storage.db import make_engine, session_scope, upgrade
from storage.models import Delivery, DeliveryStatus, Message, MessagePhoto, MessageTranslation
from storage.people import find_people
from storage.rights import collect


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db", _env_file=None)
        db = make_engine(settings.database_url)
        upgrade(db)
        start = datetime(2024, 9, 1, tzinfo=UTC)
        with session_scope(db) as session:
            create_demo_school(session=session, settings=settings)
            amina = find_people(session=session, name="Amina")[0]
            for i in range(3 * 730):
                at = start + timedelta(hours=8 * i)
                m = Message(
                    school_id=amina.school_id,
                    author_id=None,
                    text=f"Highlight {i} " * 20,
                    language="en",
                    created_at=at,
                )
                session.add(m)
                session.flush()
                session.execute(
                    insert(MessageTranslation).values(
                        message_id=m.id, language="ar", text="…" * 200, backend="x"
                    )
                )
                session.execute(
                    insert(Delivery).values(
                        message_id=m.id,
                        person_id=amina.id,
                        language="ar",
                        content={"body": "x" * 400},
                        buttons=[],
                        status=DeliveryStatus.SENT,
                        created_at=at,
                        sent_at=at,
                        acknowledged_at=at,
                    )
                )
                if i % 20 == 0:
                    session.add(
                        MessagePhoto(
                            message_id=int(m.id or 0),
                            filename="p.jpg",
                            content_type="image/jpeg",
                            data=b"\xff" * 200_000,
                        )
                    )
            person_id = int(amina.id or 0)
        began = time.perf_counter()
        with session_scope(db) as session:
            rows = collect(session=session, person_id=person_id)
        written = write_export(
            rows=rows, folder=Path(folder) / "out", reader=Speaker("ar"), at=datetime.now(UTC)
        )
        print(f"export: {written.rows} rows in {time.perf_counter() - began:.2f} s")


if __name__ == "__main__":
    main()
