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
