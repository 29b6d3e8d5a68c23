"""Composition root: settings → database → engine → dispatcher → channels. Nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine as DbEngine

from bot.channels.base import Channel
from bot.dispatcher import Dispatcher
from bot.engine import Clock, Engine
from bot.events import Inbound
from bot.settings import Settings
from bot.translation import TranslationService, Translator
from bot.translation.backends import make_translator
from storage.db import ensure_current, make_engine
from storage.models import utcnow

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    settings: Settings
    db: DbEngine
    engine: Engine
    dispatcher: Dispatcher
    channels: Mapping[str, Channel]

    async def receive(self, inbound: Inbound) -> None:
        """The sink every channel calls: handle the event, then send the replies at once."""
        if await self.engine.handle(inbound):
            await self.dispatcher.drain()

    async def serve(self, foreground: Channel) -> None:
        """Run `foreground` (e.g. the console) until it ends, with the dispatcher behind it."""
        await self.engine.replay_unhandled()
        dispatching = asyncio.create_task(self.dispatcher.run())
        try:
            await foreground.start(self.receive)
            await self.dispatcher.drain()
        finally:
            dispatching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatching
            await foreground.stop()


def build_app(
    settings: Settings,
    channels: Mapping[str, Channel],
    *,
    db: DbEngine | None = None,
    clock: Clock = utcnow,
    translator: Translator | None = None,
) -> App:
    """Wire the app; refuses to start on a database whose schema is not current."""
    db = db or make_engine(settings.database_url)
    ensure_current(db)
    translation = TranslationService(db=db, translator=translator or make_translator(settings))
    engine = Engine(db=db, settings=settings, clock=clock, translator=translation)
    dispatcher = Dispatcher(db=db, channels=channels, clock=clock)
    return App(settings=settings, db=db, engine=engine, dispatcher=dispatcher, channels=channels)
