"""`partnerbot demo`: the demo school, created once."""

from __future__ import annotations

from bot.cli.common import err, settings, try_out_database


def demo() -> None:
    """Create the demo school (idempotent)."""
    from bot.roster.demo import create_demo_school
    from storage.db import session_scope

    loaded = settings()
    with session_scope(try_out_database(loaded)) as session:
        created = create_demo_school(session=session, settings=loaded)
    err.print("Demo school created." if created else "The demo school is already there.")
