"""`partnerbot deliveries retry`: queue again what kept failing (after a long outage, say)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli.common import current_database

deliveries_cli = typer.Typer(help="The outbox: messages on their way to people.")


@deliveries_cli.command("retry")
def retry(
    since: Annotated[
        datetime | None,
        typer.Option(help="Only messages queued at or after this time (UTC), e.g. 2026-12-03T08:00."),
    ] = None,
    message: Annotated[int | None, typer.Option(help="Only this message's deliveries (its id).")] = None,
) -> None:
    """Queue failed deliveries again; a running `partnerbot run` sends them within seconds."""
    from storage.db import session_scope
    from storage.models import utcnow
    from storage.outbox import requeue_failed

    with current_database() as db, session_scope(db) as session:
        count = requeue_failed(
            session=session,
            now=utcnow(),
            since=since.replace(tzinfo=since.tzinfo or UTC) if since else None,
            message_id=message,
        )
    typer.echo(f"{count} failed deliveries queued again.")
