"""`partnerbot db copy`: a school's SQLite file moved into an empty database, every row, ids kept."""

from __future__ import annotations

import asyncio
import sys

from sqlmodel import select

from bot.settings import Settings
from storage.db import make_engine, session_scope, upgrade
from storage.models import Delivery, Person
from tests.test_dispatch_processes import queue_broadcast


async def test_db_copy_moves_every_row_and_new_rows_continue_after_the_copied_ids(database_url, tmp_path):
    source_url = f"sqlite:///{tmp_path / 'school.db'}"
    source = make_engine(source_url)
    upgrade(source)
    source_settings = Settings(database_url=source_url, timezone="Europe/London", _env_file=None)  # type: ignore[call-arg]
    await queue_broadcast(source, source_settings, tmp_path, 50)

    copying = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "copy", source_url, database_url, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(copying.communicate(), timeout=120)
    assert copying.returncode == 0, stderr.decode()
    assert b"Copied" in stderr

    target = make_engine(database_url)
    with session_scope(source) as old, session_scope(target) as new:
        assert [p.name for p in new.exec(select(Person).order_by(Person.id))] == [
            p.name for p in old.exec(select(Person).order_by(Person.id))
        ]
        assert len(new.exec(select(Delivery)).all()) == 50
        highest = max(p.id or 0 for p in new.exec(select(Person)))
        added = Person(school_id=1, name="New Parent")
        new.add(added)
        new.flush()
        assert (added.id or 0) > highest
    target.dispose()
