"""A database busy for longer than its timeout, or a PostgreSQL that drops its connections, holds the
dispatcher back; it never ends it, and what it claimed is sent once."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from bot.channels.base import Outbound, Sent
from bot.delivery.dispatcher import Dispatcher
from storage.db import make_engine, upgrade
from storage.models import Delivery, DeliveryStatus
from tests.conftest import _backends
from tests.delivery.test_dispatcher import queue, texts
from tests.harness import FakeClock, TestChannel


async def test_a_database_locked_by_another_program_is_waited_out(tmp_path, caplog):
    path = tmp_path / "school.db"
    db = make_engine(f"sqlite:///{path}", busy_timeout_s=0.05)
    upgrade(db)
    clock, channel = FakeClock(), TestChannel()
    queue(db, clock, "test", [("a", "one"), ("b", "two")])
    other = sqlite3.connect(path, isolation_level=None)  # e.g. an sqlite3 shell, or a backup
    other.execute("BEGIN EXCLUSIVE")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:  # the other program lets go after the dispatcher's third wait
            other.execute("COMMIT")
        clock.advance(seconds=seconds)

    dispatcher = Dispatcher(
        db=db, channels={"test": channel}, clock=clock, monotonic=lambda: clock().timestamp(), sleep=sleep
    )
    assert await dispatcher.drain() == 2
    assert (texts(channel, "a"), texts(channel, "b")) == (["one"], ["two"])
    assert waits[:3] == [1.0, 2.0, 4.0]
    assert "database busy or unreachable while dispatching (OperationalError); trying again in 1 s" in (
        caplog.text
    )
    with Session(db) as session:
        assert {d.status for d in session.exec(select(Delivery))} == {DeliveryStatus.SENT}
    other.close()
    db.dispose()


class _CutOff(TestChannel):
    """Its first send cuts every other connection to the database, as a PostgreSQL restart does."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.cut = 0

    async def send(self, address: str, out: Outbound) -> Sent:
        if not self.cut:
            with self._admin.connect() as connection:
                self.cut = len(
                    connection.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).all()
                )
            self._admin.dispose()
        return await super().send(address, out)


@pytest.mark.parametrize("database_url", [_backends()[1]], indirect=True)
async def test_connections_dropped_by_postgresql_are_made_again_and_nothing_is_sent_twice(database_url):
    db = make_engine(database_url)
    upgrade(db)
    clock, channel = FakeClock(), _CutOff(database_url)
    queue(db, clock, "test", [(address, f"to {address}") for address in ("a", "b", "c")])
    with db.connect():  # a second pooled connection, idle while it is cut off
        pass

    dispatcher = Dispatcher(
        db=db, channels={"test": channel}, clock=clock, monotonic=lambda: clock().timestamp(), sleep=_no_wait
    )
    assert await dispatcher.drain() == 3
    assert channel.cut >= 1  # the dispatcher's own pooled connections were among those cut
    assert {address: texts(channel, address) for address in "abc"} == {
        address: [f"to {address}"] for address in "abc"
    }
    with Session(db) as session:
        assert [(d.status, d.ambiguous) for d in session.exec(select(Delivery))] == [
            (DeliveryStatus.SENT, False)
        ] * 3
    db.dispose()


async def _no_wait(_seconds: float) -> None:
    return None
