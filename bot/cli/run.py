"""`partnerbot run`: every configured channel (else the console) and the web app with the dashboard."""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
from typing import TYPE_CHECKING

from bot.cli.common import console, settings

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.base import CommandMenus, HasCommandMenu

_LOGGER = logging.getLogger(__name__)


def run() -> None:
    """Run the bot on every configured channel (README.md: Configuration); else the console."""
    from bot.app import build_app
    from bot.channels.registry import configured_channels
    from bot.web.app import make_web_server

    loaded = settings()
    channels = configured_channels(loaded)
    if not channels:
        channel = console("console", None)
        app = build_app(loaded, {"console": channel})
        web = make_web_server(app.web_app(), host=loaded.web_host, port=loaded.web_port)
        asyncio.run(app.serve(channel, web=web))
        return
    asyncio.run(_serve(build_app(loaded, channels)))


async def _serve(app: App) -> None:
    """Register each channel's command menu, gather the routes channels serve, then run with the web app."""
    from bot.channels.base import HasCommandMenu, ServesWeb, WebRoute
    from bot.handlers.help import menus
    from bot.web.app import make_web_server

    routes: list[WebRoute] = []
    registering: list[asyncio.Task[None]] = []
    for name, channel in app.channels.items():
        if isinstance(channel, HasCommandMenu):
            registering.append(asyncio.create_task(_register_menu(name, channel, menus())))
        if isinstance(channel, ServesWeb):
            served = channel.web_routes()
            _LOGGER.info("channel %s serves %d web routes", name, len(served))
            routes += served
    stop = asyncio.Event()  # SIGTERM (systemctl stop) or SIGINT (Ctrl-C): a clean stop
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    web = make_web_server(app.web_app(routes), host=app.settings.web_host, port=app.settings.web_port)
    try:
        await app.serve_forever(web=web, stop=stop)
    finally:
        for task in registering:
            task.cancel()


async def _register_menu(name: str, channel: HasCommandMenu, commands: CommandMenus) -> None:
    """Register the command menu, trying again with back-off while the platform cannot be reached
    (no network at start is no reason to stop, nor to fill the log)."""
    from bot.channels.base import RetryLater
    from bot.delivery.dispatcher import backoff_s

    for attempt in itertools.count(1):
        try:
            await channel.register_commands(commands)
        except RetryLater as exc:
            log = _LOGGER.info if attempt == 1 else _LOGGER.debug  # the channel itself warns, once
            log("channel %s: command menu not registered yet (%s); trying again with back-off", name, exc)
            await asyncio.sleep(max(exc.after_s or 0.0, backoff_s(attempt)))
        else:
            return
