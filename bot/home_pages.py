"""Home pages shown again when something on them changes (Slack's App Home), not only when opened.

A turn names the people whose page it changed (a Got it on their message, a message they sent);
each is shown again after `window_s`, once for every change of that window: at most one publish
per person per window, within Slack's views.publish tier however busy the class is. The page
is made by the engine's own /home turn, so it goes through the outbox like any message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from bot.channels.base import InboundSink
from bot.database import in_thread
from bot.events import Inbound
from storage.accounts import accounts_of

_LOGGER = logging.getLogger(__name__)

#: How long changes are gathered before a person's page is shown again.
WINDOW_S = 5.0


class HomePages:
    def __init__(
        self, *, db: DbEngine, channels: frozenset[str], receive: InboundSink, window_s: float = WINDOW_S
    ) -> None:
        """`channels`: those that keep a home page; `receive`: where the /home events go."""
        self.window_s = window_s
        self._db = db
        self._channels = channels
        self._receive = receive
        self._pending: set[int] = set()
        self._showing: asyncio.Task[None] | None = None

    def changed(self, person_ids: Collection[int]) -> None:
        """Show these people's pages again at the end of the window (starting one if none is open)."""
        if not person_ids or not self._channels:
            return
        self._pending.update(person_ids)
        if self._showing is None or self._showing.done():
            self._showing = asyncio.create_task(self._after_window(), name="home-pages")

    async def stop(self) -> None:
        """Drop what is pending: each page is shown again when next opened."""
        if self._showing is not None:
            self._showing.cancel()
            await asyncio.gather(self._showing, return_exceptions=True)
            self._showing = None
        self._pending.clear()

    async def _after_window(self) -> None:
        await asyncio.sleep(self.window_s)
        people, self._pending = self._pending, set()
        try:
            addresses = await in_thread(
                self._db, lambda s: self._home_addresses(s, people), what="home pages"
            )
            for channel, address in addresses:
                await self._receive(
                    Inbound(
                        channel=channel,
                        address=address,
                        event_id=f"home:{uuid.uuid4().hex}",
                        text="/home",
                        command="home",
                    )
                )
        except Exception:  # a page not shown again now is shown when opened
            _LOGGER.exception("could not show %d home pages again", len(people))

    def _home_addresses(self, session: Session, people: set[int]) -> list[tuple[str, str]]:
        return [
            (account.channel, account.address)
            for person_id in sorted(people)
            for account in accounts_of(session=session, person_id=person_id, active_only=True)
            if account.channel in self._channels
        ]
