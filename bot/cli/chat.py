"""`partnerbot chat`: the terminal as a chat, for a new account or a person of the school."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import console, err, settings


def chat(as_: Annotated[str | None, typer.Option("--as", help="Act as this person (name).")] = None) -> None:
    """Chat in the terminal, as a new unlinked account or as a person of the school."""
    from bot.app import build_app
    from storage.accounts import get_or_create_account, link_account
    from storage.db import make_engine, session_scope
    from storage.models import utcnow
    from storage.people import find_people

    loaded = settings(quiet=True)
    db = make_engine(loaded.database_url)
    address = "console"
    if as_:
        with session_scope(db) as session:
            people = find_people(session=session, name=as_)
            if len(people) != 1:
                err.print(f"[red]{len(people)} people match {as_!r}; use the full name.[/]")
                raise typer.Exit(1)
            address = f"console:{people[0].id}"
            account = get_or_create_account(
                session=session, channel="console", address=address, display_name=people[0].name
            )
            if account.person_id is None:
                link_account(session=session, account=account, person=people[0], at=utcnow())
    channel = console(address, as_)
    asyncio.run(build_app(loaded, {"console": channel}, db=db).serve(channel))
