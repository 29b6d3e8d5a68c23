"""`partnerbot send highlights`: a class's highlights from a file, as if the teacher had used /highlights."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.cli.common import settings as load_settings

send_cli = typer.Typer(help="Send messages from the command line.")


@send_cli.command("highlights")
def highlights(
    klass: Annotated[str, typer.Option("--class", help="The class name.")],
    file: Annotated[
        Path, typer.Option(help="A UTF-8 text file with the highlights.", exists=True, dir_okay=False)
    ],
    author: Annotated[str, typer.Option(help="The teacher sending them (name).")],
    urgent: Annotated[bool, typer.Option(help="Skip digests and quiet hours.")] = False,
) -> None:
    """Queue the highlights for every family of the class; `partnerbot run` sends them."""
    from bot.channels.registry import configured_names
    from bot.errors import BadInput, NotFound
    from bot.handlers.highlights import MAX_LENGTH
    from bot.i18n import Speaker
    from bot.messages.fanout import send_highlights
    from bot.translation import TranslationService
    from bot.translation.backends import make_translator
    from storage.db import ensure_current, make_engine, session_scope
    from storage.models import utcnow
    from storage.people import find_class, find_people

    try:
        text = file.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"{file} is not UTF-8 text (byte {exc.start}): save it as UTF-8 "
            "(Save As → Text, UTF-8) and send it again"
        ) from None
    if not text:
        raise BadInput(f"{file} is empty")
    if len(text) > MAX_LENGTH:  # as in the chat: a phone screen's worth
        said = Speaker("en")._("That is long for a phone screen: please keep it under {limit} characters.")
        raise BadInput(f"{file}: {said.format(limit=MAX_LENGTH)} (it has {len(text)})")
    settings = load_settings()
    db = make_engine(settings.database_url)
    ensure_current(db)
    service = TranslationService(db=db, translator=make_translator(settings))

    async def queue() -> tuple[int, int, tuple[str, ...]]:
        with session_scope(db) as session:
            group = find_class(session=session, name=klass)
            if group is None:
                raise NotFound(f"no class called {klass!r}")
            people = [p for p in find_people(session=session, name=author) if p.role.is_staff]
            if len(people) != 1:
                raise NotFound(f"{len(people)} staff members match {author!r}; use the full name")
            report = await send_highlights(
                session=session,
                translator=service,
                author=people[0],
                group=group,
                text=text,
                now=utcnow(),
                channels=configured_names(settings),
                urgent=urgent,
            )
            return report.recipients, report.unreached, report.languages

    recipients, unreached, languages = asyncio.run(queue())
    Console().print(
        f"Queued for {recipients} family members in {len(languages)} languages ({', '.join(languages)}); "
        f"{unreached} cannot be reached yet. They go out while `partnerbot run` is running."
    )
