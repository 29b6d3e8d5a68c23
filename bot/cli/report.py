"""`partnerbot report acks`: who has acknowledged what, and how each language community is reached."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from bot.cli.common import settings
from bot.errors import NotFound

if TYPE_CHECKING:
    from storage.models import Message
    from storage.reports import AckSummary

report_cli = typer.Typer(help="Reports for staff.")
STATUSES = ("acknowledged", "delivered", "pending", "unreached", "failed")
WIDTH, INDENT = 80, "     "  # the report fits an 80-column terminal; the CSV has every detail


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
    if not messages and message is not None:
        raise NotFound(
            f"Message {message} does not exist: `partnerbot report acks` lists every message with its id."
        )
    if not messages:
        console.print("No highlights or postcards have been sent yet.")
        return
    console.print("[bold]Acknowledgements[/]")
    for item in messages:
        console.print(_message_lines(item, summaries[id_of(item)]), markup=False, highlight=False)
    console.print(_language_table(summaries.values()))
    if csv_file is not None:
        _write_csv(csv_file, messages, summaries)
        console.print(f"Wrote {csv_file}")


def _message_lines(item: Message, summary: AckSummary) -> str:
    """One message in two short lines (an 80-column terminal): what it was, then where it is."""
    counts = Counter(r.status for r in summary.recipients)
    sent = f"{item.created_at:%Y-%m-%d %H:%M}" if item.created_at else "not sent"
    about = str(item.details.get("about", ""))
    what = f"#{item.id}  {sent}  {item.kind.value.replace('_', ' ')}" + (f", about {about}" if about else "")
    where = f"{len(summary.recipients)} people: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    return "\n".join(
        textwrap.wrap(what, width=WIDTH, subsequent_indent=INDENT)
        + textwrap.wrap(where, width=WIDTH, initial_indent=INDENT, subsequent_indent=INDENT)
    )


def _language_table(summaries: Iterable[AckSummary]) -> Table:
    from bot.i18n import Speaker
    from storage.reports import AckSummary, by_language

    merged = AckSummary()
    for summary in summaries:
        merged.recipients.extend(summary.recipients)
    table = Table("language", "people", *STATUSES, title="By language", box=box.SIMPLE_HEAD, padding=(0, 1))
    for language, counts in by_language(merged).items():
        total = sum(counts.values())
        acknowledged = counts.get("acknowledged", 0)
        table.add_row(
            Speaker("en").language_name_here(language),
            str(total),
            f"{acknowledged} ({_percent(acknowledged, total)})",
            *(str(counts.get(s, 0)) for s in STATUSES[1:]),
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
