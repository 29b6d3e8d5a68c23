"""What the commands share: settings with logging set up, the console channel, the error console.

Every command module imports the rest of partnerbot inside its commands, not at the top: the command
line is built from all of them, and `partnerbot --help` should not load the chat libraries, the
database or the web server (tests/test_cli_startup.py keeps it so).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.channels.console.adapter import ConsoleChannel, Switch
    from bot.settings import Settings

err = Console(stderr=True)


def settings(*, quiet: bool = False) -> Settings:
    """Load settings and set up logging; `quiet` keeps INFO lines out of a console chat."""
    from bot.logs import configure, secrets_of
    from bot.settings import load_settings

    loaded = load_settings()
    level = logging.getLevelName(loaded.log_level)
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    configure(
        max(level, logging.WARNING) if quiet else level, bodies=loaded.log_bodies, secrets=secrets_of(loaded)
    )
    return loaded


def console(address: str, name: str | None, *, switch: Switch | None = None) -> ConsoleChannel:
    """The terminal as a channel: numbered choices for buttons when a person is typing."""
    from bot.channels.console.adapter import ConsoleChannel

    return ConsoleChannel(
        address=address,
        display_name=name,
        stdin=sys.stdin,
        stdout=sys.stdout,
        interactive=sys.stdin.isatty(),
        switch=switch,
    )


@contextmanager
def current_database() -> Iterator[Engine]:
    """The configured database, refused if its schema is not current; closed afterwards."""
    from storage.db import ensure_current, make_engine

    db = make_engine(settings().database_url)
    try:
        ensure_current(db)
        yield db
    finally:
        db.dispose()


def try_out_database(loaded: Settings) -> Engine:
    """The database for trying partnerbot out: a SQLite file is brought up to date by itself (it is
    the embedded default); a server database must be current (`partnerbot db upgrade`)."""
    from storage.db import ensure_current, make_engine, upgrade

    db = make_engine(loaded.database_url)
    if db.dialect.name == "sqlite":
        upgrade(db)
    else:
        ensure_current(db)
    return db
