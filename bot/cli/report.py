"""`partnerbot report acks`: who has acknowledged what, and how each language community is reached."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import settings

if TYPE_CHECKING:
    from storage.models import Message
    from storage.reports import AckSummary

report_cli = typer.Typer(help="Reports for staff.")
STATUSES = ("acknowledged", "delivered", "pending", "unreached", "failed")


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


@report_cli.command("acks")
def report_acks(
    message: Annotated[int | None, typer.Option(help="Only this message id.")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per recipient to this file.")
    ] = None,
) -> None:
    """Acknowledged / delivered but not acknowledged / pending / unreached / failed (sending kept
    failing: `partnerbot deliveries retry`), per message and per language."""
    from bot.channels.registry import configured_names
    from storage.db import ensure_current, make_engine, session_scope
    from storage.ids import id_of
    from storage.reports import ack_summaries, all_reported

    loaded = settings()
    db = make_engine(loaded.database_url)
    ensure_current(db)
    with session_scope(db) as session:
        messages = all_reported(session=session, message_id=message)
        summaries = ack_summaries(
            session=session, message_ids=[id_of(m) for m in messages], channels=configured_names(loaded)
        )
    console = Console()
    if not messages:
        console.print("No highlights or postcards have been sent yet.")
        raise typer.Exit(0 if message is None else 1)
    table = Table("id", "sent", "kind", "about", "recipients", *STATUSES, title="Acknowledgements")
    for item in messages:
        summary = summaries[id_of(item)]
        counts = Counter(r.status for r in summary.recipients)
        table.add_row(
            str(item.id),
            f"{item.created_at:%Y-%m-%d %H:%M}" if item.created_at else "",
            item.kind.value,
            str(item.details.get("about", "")),
            str(len(summary.recipients)),
            *(str(counts[s]) for s in STATUSES),
        )
    console.print(table)
    console.print(_language_table(summaries.values()))
    if csv_file is not None:
        _write_csv(csv_file, messages, summaries)
        console.print(f"Wrote {csv_file}")


def _language_table(summaries: Iterable[AckSummary]) -> Table:
    from bot.i18n import Speaker
    from storage.reports import AckSummary, by_language

    merged = AckSummary()
    for summary in summaries:
        merged.recipients.extend(summary.recipients)
    table = Table("language", "recipients", *STATUSES, "acknowledged %", title="By language")
    for language, counts in by_language(merged).items():
        total = sum(counts.values())
        table.add_row(
            Speaker("en").language_name_here(language),
            str(total),
            *(str(counts.get(s, 0)) for s in STATUSES),
            _percent(counts.get("acknowledged", 0), total),
        )
    return table


def _write_csv(path: Path, messages: list[Message], summaries: dict[int, AckSummary]) -> None:
    from bot.exports import private_csv
    from storage.ids import id_of

    with private_csv(path) as writer:
        writer.writerow(
            [
                "message_id",
                "kind",
                "person",
                "language",
                "channel",
                "status",
                "sent_at",
                "acknowledged_at",
                "acknowledged_channel",
            ]
        )
        for item in messages:
            for r in summaries[id_of(item)].recipients:
                writer.writerow(
                    [
                        item.id,
                        item.kind.value,
                        r.name,
                        r.language,
                        r.channel,
                        r.status,
                        r.sent_at.isoformat() if r.sent_at else "",
                        r.acknowledged_at.isoformat() if r.acknowledged_at else "",
                        r.acknowledged_channel or "",
                    ]
                )
