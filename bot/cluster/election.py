"""Elections by PostgreSQL advisory locks: each role (the leader, one sender per channel) is held by
one process at a time, and taken over by another within `check_s` of its holder's death.

A role's holder keeps a session-level lock on a dedicated connection; every `check_s` each process
checks that connection (a role whose connection is gone is lost at once: its work is stopped before
anything else) and tries to take the roles it does not hold. On SQLite one process holds them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection

from sqlalchemy import Engine

from storage.locks import LockHolder

_LOGGER = logging.getLogger(__name__)

#: The role of the process that runs the singletons: polling, Socket Mode, IMAP, the scheduler.
LEADER = "leader"


def sender(channel: str) -> str:
    """The role of the one process sending on `channel` (its rate limits hold across processes)."""
    return f"sender:{channel}"


#: Told the roles held now, each time they change.
OnChange = Callable[[frozenset[str]], Awaitable[None]]


class Elections:
    def __init__(
        self, db: Engine, roles: Collection[str], on_change: OnChange, *, check_s: float = 1.0
    ) -> None:
        self._holder = LockHolder(db)
        self._roles = frozenset(roles)
        self._on_change = on_change
        self._check_s = check_s
        self._held: frozenset[str] = frozenset()
        self._stopping = asyncio.Event()

    @property
    def held(self) -> frozenset[str]:
        return self._held

    async def check(self) -> frozenset[str]:
        """Check the roles held and try the others once; tell `on_change` if they changed."""
        held = await asyncio.to_thread(self._holder.hold, self._roles)
        if held != self._held:
            lost, won = self._held - held, held - self._held
            self._held = held
            if lost:
                _LOGGER.warning("roles lost: %s", ", ".join(sorted(lost)))
            if won:
                _LOGGER.info("roles taken: %s", ", ".join(sorted(won)))
            await self._on_change(held)
        return held

    async def run(self) -> None:
        """Check every `check_s` until `stop`; then give the roles up for a peer to take."""
        try:
            while not self._stopping.is_set():
                await self.check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._check_s)
        finally:
            await self.resign()

    def stop(self) -> None:
        self._stopping.set()

    async def resign(self) -> None:
        """Give up every role now (the work they guard must be stopped first)."""
        if self._held:
            self._held = frozenset()
            await self._on_change(self._held)
        await asyncio.to_thread(self._holder.release)
