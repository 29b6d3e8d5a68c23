"""What one process runs on behalf of all: started when it is elected, stopped at once when not.

The leader runs the channels that receive by a connection of their own — Telegram's long polling
(a second `getUpdates` gets 409 Conflict), Slack's Socket Mode, IMAP IDLE: a channel serving no web
route — and the scheduler's jobs. Each channel with rate limits has one elected sender, so its
limits hold across processes; a channel without limits is sent on by every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.base import Channel, InboundSink, ServesWeb
from bot.cluster.election import LEADER, sender

_LOGGER = logging.getLogger(__name__)


def receives_alone(channel: Channel) -> bool:
    """A channel that serves no web route receives over a connection it opens itself (polling, a
    WebSocket, IMAP): one process at a time. One served by the web app receives in every process."""
    return not isinstance(channel, ServesWeb) or not channel.web_routes()


def is_limited(channel: Channel) -> bool:
    return bool(channel.limits.overall or any(channel.limits.per_address.values()))


class Singletons:
    def __init__(
        self,
        channels: Mapping[str, Channel],
        sink: InboundSink,
        scheduler: AsyncIOScheduler,
        wake: Callable[[], None],
    ) -> None:
        self._alone = {name: c for name, c in channels.items() if receives_alone(c)}
        self._everywhere = {name: c for name, c in channels.items() if name not in self._alone}
        self._limited = frozenset(name for name, c in channels.items() if is_limited(c))
        self._sink = sink
        self._scheduler = scheduler
        self._wake = wake
        self._receiving: dict[str, asyncio.Task[None]] = {}
        self._leading = False
        self.sending: frozenset[str] = frozenset(channels) - self._limited
        self.died: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def roles(self) -> frozenset[str]:
        """The roles to stand for."""
        return frozenset({LEADER, *(sender(name) for name in self._limited)})

    @property
    def everywhere(self) -> Mapping[str, Channel]:
        """The channels every process runs (served by the web app)."""
        return self._everywhere

    @property
    def leading(self) -> bool:
        return self._leading

    async def on_change(self, held: frozenset[str]) -> None:
        """Stop what was lost first, then start what was won."""
        sending = frozenset(name for name in self._limited if sender(name) in held)
        sending |= self.sending - self._limited
        won = sending - self.sending
        self.sending = sending
        if LEADER in held and not self._leading:
            self._lead()
        elif LEADER not in held and self._leading:
            await self.step_down()
        if won:
            self._wake()

    def _lead(self) -> None:
        self._leading = True
        self._scheduler.resume()
        for name, channel in self._alone.items():
            task = asyncio.create_task(channel.start(self._sink), name=name)
            task.add_done_callback(self._ended)
            self._receiving[name] = task

    async def step_down(self) -> None:
        """Stop the jobs and the channels that receive alone, now (another process takes them)."""
        self._leading = False
        self._scheduler.pause()
        receiving, self._receiving = self._receiving, {}
        for name, task in receiving.items():
            task.remove_done_callback(self._ended)
            await self._alone[name].stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A channel that ended by itself takes the process down, loudly (as before elections)."""
        if self.died.done():
            return
        if task.cancelled():
            self.died.set_exception(RuntimeError(f"channel {task.get_name()} was cancelled"))
        elif (error := task.exception()) is not None:
            self.died.set_exception(error)
        else:
            self.died.set_result(None)
