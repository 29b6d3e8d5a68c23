"""Database work off the event loop, through a database that is busy or restarting for a while.

SQLite gives up on a lock after its busy timeout (another program holding `BEGIN EXCLUSIVE`, a
backup); PostgreSQL drops connections when it restarts. Neither is a reason for `partnerbot run` to
exit or to forget what it was doing: the work is tried again, in a fresh transaction, after 1, 2,
4 … 30 s, and each wait is logged (the error's type only: a statement's parameters hold messages).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import is_transient, session_scope

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The longest wait between two tries.
MAX_WAIT_S = 30.0


async def in_thread(
    db: Engine,
    work: Callable[[Session], _T],
    *,
    what: str,
    patience_s: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> _T:
    """Run `work` in a transaction of its own, in a thread, as `retrying` does."""

    def run() -> _T:
        with session_scope(db) as session:
            return work(session)

    return await retrying(run, what=what, patience_s=patience_s, sleep=sleep)


async def retrying(
    call: Callable[[], _T],
    *,
    what: str,
    patience_s: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> _T:
    """Run `call` (database work in its own transaction) in a thread; while the database fails for a
    passing reason, again after a wait. `patience_s`: give up (raise) once the waits add up to this;
    None waits as long as it takes (a dispatcher confirming sends must not lose them)."""
    waited_s, attempt = 0.0, 0
    while True:
        attempt += 1
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:
            if not is_transient(exc) or (patience_s is not None and waited_s >= patience_s):
                raise
            wait_s = min(MAX_WAIT_S, 2.0 ** (attempt - 1))
            cause = type(getattr(exc, "orig", None) or exc).__name__
            _LOGGER.warning(
                "database busy or unreachable while %s (%s); trying again in %.0f s", what, cause, wait_s
            )
            await sleep(wait_s)
            waited_s += wait_s
