"""`partnerbot db`: the database schema."""

from __future__ import annotations

import typer

from bot.cli.common import err, settings

db_cli = typer.Typer(help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from storage.db import make_engine, upgrade

    upgrade(make_engine(settings().database_url))
    err.print("Database is up to date.")


@db_cli.command("copy")
def db_copy(source: str, target: str) -> None:
    """Copy every row of the database at SOURCE into the empty one at TARGET (e.g. sqlite:///partnerbot.db
    to postgresql+psycopg://…), migrating TARGET first."""
    import time

    from storage.copy import copy_database
    from storage.db import make_engine

    started = time.monotonic()
    copied = copy_database(make_engine(source), make_engine(target))
    err.print(f"Copied {sum(copied.values())} rows in {time.monotonic() - started:.1f} s.")
