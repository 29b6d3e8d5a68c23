"""PostgreSQL advisory locks: what elects one process among several on one database.

A session-level lock is held by a connection until it unlocks or ends: a process that dies (or
whose connection drops) loses its locks at once, with no lease to wait out. On SQLite there is one
process per database file, so every lock is held by it.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

#: The first key of every partnerbot advisory lock ("pbt"), so other applications' locks never clash.
_CLASS = 0x706274


def _key(name: str) -> int:
    """The second key: a stable 31-bit number for the lock's name."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def has_advisory_locks(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class LockHolder:
    """One dedicated connection holding named advisory locks; `hold` takes the free ones and says
    which it holds, checking the connection is alive (a lost connection has lost every lock)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._held: frozenset[str] = frozenset()

    def hold(self, names: Collection[str]) -> frozenset[str]:
        """Try to take each of `names` not held yet; returns those held now (all, on SQLite)."""
        if not has_advisory_locks(self._engine):
            self._held = frozenset(names)
            return self._held
        try:
            connection = self._connect()
            connection.execute(text("SELECT 1"))  # alive: the locks it holds are still ours
            taken = set(self._held)
            for name in set(names) - self._held:
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": _CLASS, "k": _key(name)}
                ).scalar_one()
                if got:
                    taken.add(name)
            self._held = frozenset(taken)
        except DBAPIError:
            self._drop()
        return self._held

    def release(self) -> None:
        """Give up every lock now (a clean stop: a peer takes over without waiting for a check)."""
        if self._connection is not None:
            with suppress(DBAPIError):
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
        self._drop()

    @property
    def backend_pid(self) -> int | None:
        """The server process of the connection holding the locks (what an operator may terminate)."""
        if self._connection is None:
            return None
        return int(self._connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def _drop(self) -> None:
        self._held = frozenset()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with suppress(DBAPIError):
                connection.invalidate()
                connection.close()


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock `name` for the block, waiting for it if another process holds it (migrations
    when several processes start together run one after another; the later find nothing to do)."""
    if not has_advisory_locks(engine):
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:c, :k)"), {"c": _CLASS, "k": _key(name)})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:c, :k)"), {"c": _CLASS, "k": _key(name)})
