"""Elections by advisory locks on one database: one holder per role, taken over when it dies."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, text

from bot.cluster.election import LEADER, Elections, sender
from storage.db import make_engine


class Told:
    """What `on_change` was told, in order."""

    def __init__(self) -> None:
        self.changes: list[frozenset[str]] = []
        self.changed = asyncio.Event()

    async def __call__(self, held: frozenset[str]) -> None:
        self.changes.append(held)
        self.changed.set()


def _on_postgres(db: Engine) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; on SQLite one process holds every role")


async def test_on_sqlite_the_one_process_holds_every_role(db):
    if db.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    told = Told()
    elections = Elections(db, {LEADER, sender("telegram")}, told)
    assert await elections.check() == {LEADER, sender("telegram")}
    assert told.changes == [{LEADER, sender("telegram")}]


async def test_one_process_holds_a_role_and_another_takes_it_when_it_resigns(db, settings):
    _on_postgres(db)
    peer_db = make_engine(settings.database_url)
    first_told, second_told = Told(), Told()
    first = Elections(db, {LEADER, sender("telegram")}, first_told)
    second = Elections(peer_db, {LEADER, sender("telegram")}, second_told)
    try:
        assert await first.check() == {LEADER, sender("telegram")}
        assert await second.check() == frozenset()
        assert second_told.changes == []  # nothing held, nothing to start
        await first.resign()
        assert first_told.changes[-1] == frozenset()
        assert await second.check() == {LEADER, sender("telegram")}
        assert await first.check() == frozenset()
    finally:
        await first.resign()
        await second.resign()
        peer_db.dispose()


async def test_a_holder_whose_connection_dies_stops_at_its_next_check_and_a_peer_takes_over(db, settings):
    """As when a process is killed or cut off: the server ends its session, and its locks with it."""
    _on_postgres(db)
    peer_db = make_engine(settings.database_url)
    first_told, second_told = Told(), Told()
    first = Elections(db, {LEADER}, first_told)
    second = Elections(peer_db, {LEADER}, second_told, check_s=0.05)
    try:
        assert await first.check() == {LEADER}
        pid = first._holder.backend_pid
        with peer_db.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
        running = asyncio.create_task(second.run())
        await asyncio.wait_for(second_told.changed.wait(), timeout=5)
        assert second.held == {LEADER}
        assert await first.check() == frozenset()  # it knows at once, and stops the singletons
        assert first_told.changes == [{LEADER}, frozenset()]
        second.stop()
        await running
        assert second_told.changes == [{LEADER}, frozenset()]  # stopping, it gives the role up
    finally:
        await first.resign()
        peer_db.dispose()
