"""`partnerbot` with no command: the demo school, and a console chat joining it with an invite."""

from __future__ import annotations

from bot.cli.common import err, settings, try_out_database


def try_it() -> None:
    """Set up the demo school and chat in the console: as Amina, joining with an invite, or as
    Amina again once she has joined (re-running never mints her another code)."""
    from bot.cli.chat import banner, chat_in_console, new_address
    from bot.roster.demo import FAMILIES, create_demo_school
    from bot.roster.invites import issue_invites
    from storage.accounts import accounts_of
    from storage.db import session_scope
    from storage.models import utcnow
    from storage.people import find_people

    loaded = settings(quiet=True)
    db = try_out_database(loaded)
    with session_scope(db) as session:
        create_demo_school(session=session, settings=loaded)
        amina = find_people(session=session, name=FAMILIES[2].parent)[0]
        joined = [a for a in accounts_of(session=session, person_id=amina.id) if a.channel == "console"]
        if joined:
            address, name = joined[0].address, amina.name
            err.print(f"[bold]partnerbot demo[/] — {amina.name} has joined already.", highlight=False)
            err.print(banner(session, amina), highlight=False)
            err.print("Her teacher, in another terminal:  [bold green]partnerbot chat --as emma[/]\n")
        else:
            # A new console account each time until she joins: no earlier wrong code locks it out.
            address, name = new_address(), None
            invite = issue_invites(session=session, people=[amina], now=utcnow(), ttl=loaded.invite_ttl)[0]
            err.print(
                f"[bold]partnerbot demo[/] — {amina.name} (Yusuf's mother) has been invited.\n"
                f"Join as her by typing:  [bold green]/start {invite.code}[/]\n"
                "Buttons appear as numbered choices: type the number. Ctrl-D quits.\n"
                "Too many wrong codes? Quit and run `partnerbot` again: a new try-out account.\n"
                "Her teacher, in another terminal:  [bold green]partnerbot chat --as emma[/]\n",
                highlight=False,
            )
    chat_in_console(loaded, db, address=address, name=name)
