"""Intake: an event is recorded before the adapter's call returns, then handled in the background.

An adapter's loop (Telegram's polling, a webhook's answer, Slack's `ack()`) must not wait for a
turn, and no turn waits for a send: the dispatcher sends replies on its own, by priority. Turns
run one at a time, in arrival order, on the event loop: a turn's handler may hold a database
transaction across an await, and a second turn on the same loop waiting for that lock would
block the loop itself. A turn takes a millisecond or two, so one worker keeps up with hundreds
of events a second. What is recorded but not yet handled when the process dies is replayed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.database import retrying
from bot.engine import Engine, Handled, storable
from bot.events import Inbound
from storage.db import is_transient

_LOGGER = logging.getLogger(__name__)

#: How long recording an event waits out a busy database before the adapter is told it failed (the
#: platform then sends the event again: Telegram's next poll, Slack's retry).
RECORD_PATIENCE_S = 60.0


class Intake:
    def __init__(
        self,
        *,
        engine: Engine,
        prepare: Callable[[Inbound], Awaitable[Inbound]],
        handled: Callable[[], None],
        answered: Callable[[Inbound, Handled], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._prepare = prepare  # e.g. fetch a photo's bytes, after the event is safely recorded
        self._handled = handled  # e.g. wake the dispatcher for the replies
        self._answered = answered  # what a turn leaves to do at once (open its forms: a trigger lasts 3 s)
        self._queue: asyncio.Queue[tuple[int, Inbound]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def receive(self, inbound: Inbound) -> bool:
        """Record the event (off the event loop: the database may be busy) and queue its turn;
        False if it was recorded before (the same event again)."""
        inbound = storable(inbound)
        try:
            event_id = await retrying(
                lambda: self._engine.record(inbound), what="recording an event", patience_s=RECORD_PATIENCE_S
            )
        except Exception as exc:
            if is_transient(exc):
                raise  # still busy after RECORD_PATIENCE_S: the platform sends the event again
            await self._dead_letter(inbound, exc)
            return False
        if event_id is None:
            return False
        self._queue.put_nowait((event_id, inbound))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="intake")
        return True

    async def _dead_letter(self, inbound: Inbound, exc: Exception) -> None:
        """The database refuses this event for good: set it aside, so the adapter acknowledges it
        (Telegram's offset moves on, a webhook answers 200) and the events behind it are not held
        up by it for ever. The log names the error's type only: its text quotes the event."""
        error = type(getattr(exc, "orig", None) or exc).__name__
        _LOGGER.error(
            "event %s/%s cannot be recorded (%s); set aside as a dead letter",
            inbound.channel,
            inbound.event_id,
            error,
        )
        await retrying(
            lambda: self._engine.dead_letter(inbound, error),
            what="setting an event aside",
            patience_s=RECORD_PATIENCE_S,
        )

    async def settled(self) -> None:
        """Return when every event received so far has been handled."""
        await self._queue.join()

    async def stop(self) -> None:
        """Stop handling; what is left is recorded, and handed back at once (its lease released) to
        be replayed by a peer or by this process restarted."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        left = []
        while not self._queue.empty():
            left.append(self._queue.get_nowait()[0])
            self._queue.task_done()
        if left:
            await retrying(lambda: self._engine.release(left), what="handing back events", patience_s=10.0)
            _LOGGER.info("handed back %d recorded events, not yet handled", len(left))

    async def _work(self) -> None:
        while True:
            event_id, inbound = await self._queue.get()
            try:
                handled = await self._engine.process(event_id, await self._prepare(inbound))
                if self._answered is not None:
                    await self._answered(inbound, handled)
                self._handled()
            except Exception:  # the engine apologises for a failed turn; this is a bug around it
                _LOGGER.exception("event %s could not be handled", event_id)
            finally:
                self._queue.task_done()
