"""A database busy for longer than its timeout holds the dispatcher back; it never ends it, and what
it claimed is sent once."""

from __future__ import annotations

import sqlite3

from sqlmodel import Session, select

from bot.delivery.dispatcher import Dispatcher
from storage.db import make_engine, upgrade
from storage.models import Delivery, DeliveryStatus
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
