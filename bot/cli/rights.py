"""`partnerbot person export|erase` and `partnerbot audit`: each person's data rights, and who used them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import current_database, err, settings
from bot.cli.people import person_cli
from bot.i18n import LANGUAGES

if TYPE_CHECKING:
    from storage.db import Session
    from storage.models import Person


Name = Annotated[str, typer.Argument(help="The person's full or first name.")]
PersonId = Annotated[int | None, typer.Option("--id", help="The person's id, when several share the name.")]


def _one(session: Session, name: str, person_id: int | None) -> Person:
    """The person meant, or an exit that lists who matched and asks for --id."""
    from storage.people import find_people, get_person

    if person_id is not None:
        person = get_person(session=session, person_id=person_id)
        if person is None or (name and name.casefold() not in person.name.casefold()):
            err.print(f"No person with id {person_id} is called {name!r}.", markup=False)
            raise typer.Exit(1)
        return person
    matches = find_people(session=session, name=name)
    if not matches:
        err.print(f"No one called {name!r}.", markup=False)
        raise typer.Exit(1)
    if len(matches) > 1:
        err.print(f"{len(matches)} people are called {name!r}; say which with --id:", markup=False)
        for p in matches:
            err.print(f"  --id {p.id}  {p.name} ({p.role.value}, {p.email or 'no e-mail'})", markup=False)
        raise typer.Exit(2)
    return matches[0]


@person_cli.command("export")
def export(
    name: Name,
    person_id: PersonId = None,
    out: Annotated[Path | None, typer.Option(help="Folder to write; by default export-<id>.")] = None,
    language: Annotated[
        str | None, typer.Option(help=f"Language of the HTML file ({', '.join(LANGUAGES)}).")
    ] = None,
) -> None:
    """Write everything held about a person (JSON, a readable HTML file and their photos)."""
    from bot.i18n import Speaker
    from bot.rights.export import export_person
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.models import utcnow

    loaded = settings()
    if language is not None and language not in LANGUAGES:
        raise typer.BadParameter(f"must be one of {', '.join(LANGUAGES)}", param_hint="--language")
    reader = Speaker(language or loaded.default_language, loaded.timezone)
    with current_database() as db, session_scope(db) as session:
        person = _one(session, name, person_id)
        folder = out or Path(f"export-{person.id}")
        written = export_person(
            session=session,
            person_id=id_of(person),
            folder=folder,
            reader=reader,
            at=utcnow(),
            actor_id=None,
            via="cli",
        )
    typer.echo(f"Wrote {written.rows} records about {person.name} to {written.html} and {written.json}.")


@person_cli.command("erase")
def erase(
    name: Name,
    person_id: PersonId = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove or anonymise a person everywhere, except what a legal hold keeps. It cannot be undone."""
    from bot.rights.erase import erase_person
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.models import utcnow

    loaded = settings()
    with current_database() as db, session_scope(db) as session:
        person = _one(session, name, person_id)
        if not yes:
            typer.confirm(
                f"Erase {person.name} (id {person.id}) and everything about them? This cannot be undone.",
                abort=True,
            )
        done = erase_person(
            session=session,
            person_id=id_of(person),
            holds=loaded.legal_holds,
            at=utcnow(),
            actor_id=None,
            via="cli",
        )
    if done.changed:
        typer.echo(f"Erased {person.name} (id {person.id}):")
        for table, count in done.changed.items():
            typer.echo(f"  {table}: {count} removed or anonymised")
    else:
        typer.echo(f"Nothing more to erase for id {person.id}.")
    for table, (count, why) in done.kept.items():
        typer.echo(f"  kept {table}: {count} ({why})")


def audit(
    person: Annotated[int | None, typer.Option(help="Only entries about this person id.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Only entries since this date (UTC).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
) -> None:
    """Who exported, erased, viewed a partnership, changed a consent, used the override or signed in."""
    from datetime import UTC

    from storage.audit import entries
    from storage.db import session_scope

    with current_database() as db, session_scope(db) as session:
        found = entries(
            session=session,
            subject_id=person,
            since=since.replace(tzinfo=UTC) if since and since.tzinfo is None else since,
            limit=limit,
        )
    if not found:
        typer.echo("The audit log has no entries yet." if person is None and since is None else "No entries.")
        return
    table = Table("at (UTC)", "who", "did", "about person", "what", "via", title="Audit log")
    for e in found:
        table.add_row(
            f"{e.at:%Y-%m-%d %H:%M:%S}" if e.at else "",
            str(e.actor_id) if e.actor_id is not None else "(command line)",
            e.action,
            str(e.subject_id or ""),
            e.target or "",
            e.via,
        )
    Console().print(table)
