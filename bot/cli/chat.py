"""`partnerbot chat`: the terminal as a chat, for a new account or as a person of the school.

Each console person has their own address (`console:<person id>`, or the account they joined with):
a terminal is sent only its person's messages, so two terminals show both sides of an exchange.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import console, err, settings, try_out_database

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from bot.settings import Settings
    from storage.models import Person


def chat(as_: Annotated[str | None, typer.Option("--as", help="Act as this person (name).")] = None) -> None:
    """Chat in the terminal, as a new unlinked account or as a person of the school."""
    from storage.db import session_scope

    loaded = settings(quiet=True)
    db = try_out_database(loaded)
    if as_ is None:
        chat_in_console(loaded, db, address=new_address(), name=None)
        return
    with session_scope(db) as session:
        person = one_person(session, as_)
        address = console_address(session, person)
        err.print(banner(session, person), highlight=False)
    chat_in_console(loaded, db, address=address, name=person.name)


def new_address() -> str:
    """A console account nobody has used: a newcomer who joins with an invite."""
    return f"console:new-{uuid.uuid4().hex[:12]}"


def one_person(session: Session, name: str) -> Person:
    from bot.errors import NotFound
    from storage.people import find_people

    people = find_people(session=session, name=name)
    if len(people) != 1:
        raise NotFound(f"{len(people)} people match {name!r}: give the full name (`partnerbot person list`).")
    return people[0]


def console_address(session: Session, person: Person) -> str:
    """The person's console account: the one they joined with, else `console:<id>`, linked now."""
    from storage.accounts import accounts_of, get_or_create_account, link_account
    from storage.models import utcnow

    joined = [a for a in accounts_of(session=session, person_id=person.id) if a.channel == "console"]
    if joined:
        return joined[0].address
    address = f"console:{person.id}"
    account = get_or_create_account(
        session=session, channel="console", address=address, display_name=person.name
    )
    link_account(session=session, account=account, person=person, at=utcnow())
    return address


def banner(session: Session, person: Person) -> str:
    """Who the terminal is now, and how to use it."""
    from storage.ids import id_of
    from storage.people import memberships_of

    students = [m.student_name for m in memberships_of(session=session, person_id=id_of(person))]
    about = f"; {', '.join(students)}" if students else ""
    return (
        f"[bold]You are {person.name}[/] ({person.role.value.replace('_', ' ')}{about}).\n"
        "You see only their messages, including those sent while you were away.\n"
        "Buttons appear as numbered choices: type the number. /help lists what you can do.\n"
        "Try-out: /as NAME becomes someone else here. Ctrl-D quits.\n"
    )


def chat_in_console(loaded: Settings, db: Engine, *, address: str, name: str | None) -> None:
    """Chat at `address` until the input ends; `/as NAME` switches person where it is allowed."""
    from bot.app import build_app
    from bot.channels.registry import configured_names
    from storage.db import session_scope

    async def switch(to: str) -> None:
        from bot.errors import NotFound

        try:
            with session_scope(db) as session:
                person = one_person(session, to)
                channel.become(address=console_address(session, person), display_name=person.name)
                err.print(banner(session, person), highlight=False)
        except NotFound as exc:
            err.print(str(exc), style="red", markup=False, highlight=False)
            return
        await app.dispatcher.drain()  # what was queued for them while nobody was them

    allowed = loaded.console_switch
    if allowed is None:  # a try-out: no platform is set up
        allowed = configured_names(loaded) == {"console"}
    channel = console(address, name, switch=switch if allowed else None)
    app = build_app(loaded, {"console": channel}, db=db)
    asyncio.run(app.serve(channel))
