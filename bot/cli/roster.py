"""`partnerbot import`: a roster in, new family members invited (docs/roster.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import err, settings


def import_roster(
    path: Annotated[Path, typer.Argument(help="A partnerbot .csv, or a OneRoster 1.1 folder or .zip.")],
    school: Annotated[str, typer.Option(help="School name, if there is no school yet.")] = "My School",
    invites_csv: Annotated[
        Path | None, typer.Option("--invites-csv", help="Write new invite codes to this CSV, not the screen.")
    ] = None,
) -> None:
    """Import classes, students, families and staff; new family members get invites (docs/roster.md)."""
    from bot.errors import RosterError
    from bot.roster import importer as roster
    from storage.db import ensure_current, make_engine, session_scope
    from storage.models import utcnow

    loaded = settings()
    db = make_engine(loaded.database_url)
    ensure_current(db)
    try:
        with session_scope(db) as session:
            summary = roster.import_roster(
                session=session, path=path, settings=loaded, school_name=school, now=utcnow()
            )
    except RosterError:
        err.print("[bold]Nothing was imported.[/] Fix these rows and run the import again:")
        raise
    out = Console()
    out.print(str(summary), markup=False)
    if invites_csv is not None:
        roster.write_invites_csv(invites_csv, summary.invites)
        out.print(f"Invite codes written to {invites_csv}.", markup=False)
    elif summary.invites:
        table = Table("person", "code", "expires (UTC)")
        for invite in summary.invites:
            table.add_row(invite.person.name, invite.code, f"{invite.expires_at:%Y-%m-%d %H:%M}")
        out.print(table)
