"""`partnerbot` with no command: the demo school, and a console chat joining it with an invite."""

from __future__ import annotations

import asyncio

from bot.cli.common import console, err, settings


def try_it() -> None:
    """Set up the demo school and chat in the console, joining with an invite."""
    from bot.app import build_app
    from bot.roster.demo import FAMILIES, create_demo_school
    from bot.roster.invites import issue_invites
    from storage.accounts import get_or_create_account
    from storage.db import make_engine, session_scope, upgrade
    from storage.models import utcnow
    from storage.people import find_people

    loaded = settings(quiet=True)
    db = make_engine(loaded.database_url)
    upgrade(db)
    with session_scope(db) as session:
        create_demo_school(session=session, settings=loaded)
        account = get_or_create_account(session=session, channel="console", address="console")
        if account.person_id is None:
            amina = find_people(session=session, name=FAMILIES[2].parent)[0]
            invite = issue_invites(session=session, people=[amina], now=utcnow(), ttl=loaded.invite_ttl)[0]
            err.print(
                f"[bold]partnerbot demo[/] — {amina.name} (Yusuf's mother) has been invited.\n"
                f"Join as her by typing:  [bold green]/start {invite.code}[/]\n"
                "Buttons appear as numbered choices: type the number. Ctrl-D quits.\n"
            )
    channel = console("console", None)
    asyncio.run(build_app(loaded, {"console": channel}, db=db).serve(channel))
