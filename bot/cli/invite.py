"""`partnerbot invite create`: one-time invite codes, with join links from the channels that make them."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from bot.cli.common import current_database, err, settings

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from storage.models import Person

invite_cli = typer.Typer(help="One-time invite codes.")


@invite_cli.command("create")
def invite_create(
    person: Annotated[str | None, typer.Option(help="A person's name.")] = None,
    family: Annotated[str | None, typer.Option(help="A student's name: invites their family.")] = None,
    klass: Annotated[str | None, typer.Option("--class", help="A class name: invites every family.")] = None,
    qr: Annotated[
        Path | None, typer.Option(help="Also write a QR code (PNG) per invite into this folder.")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="With --family or --class: invite those already joined too.")
    ] = False,
) -> None:
    """Print one-time invite codes (shown once; only a hash is stored), with join links when set up.
    A family or class invite skips people who have joined already, unless --all."""
    import segno

    from bot.channels.registry import configured_channels
    from bot.exports import private_folder, write_private
    from bot.roster.invites import invite_targets, issue_invites
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.invites import joined_people
    from storage.models import utcnow

    loaded = settings()
    with current_database() as db, session_scope(db) as session:
        people = invite_targets(session=session, person=person, family=family, klass=klass)
        if person is None and not all_:
            joined = joined_people(session=session, person_ids=[id_of(p) for p in people])
            if skipped := [p.name for p in people if p.id in joined]:
                err.print(
                    f"Skipped, already joined (--all invites them too): {', '.join(skipped)}", markup=False
                )
            people = [p for p in people if p.id not in joined]
        invites = issue_invites(session=session, people=people, now=utcnow(), ttl=loaded.invite_ttl)
    if not invites:
        typer.echo("No one to invite.")
        return
    links = asyncio.run(_join_links(configured_channels(loaded), [i.code for i in invites]))
    names = list(links)
    table = Table("person", "code", "expires (UTC)", *(f"{name.capitalize()} link" for name in names))
    for invite in invites:
        own = [links[name][invite.code] for name in names]
        table.add_row(invite.person.name, invite.code, f"{invite.expires_at:%Y-%m-%d %H:%M}", *own)
        if qr is not None:  # each QR code lets someone in: the owner's alone
            image = io.BytesIO()
            segno.make(own[0] if own else invite.code, error="m").save(image, kind="png", scale=8)
            write_private(private_folder(qr) / qr_file_name(invite.person), image.getvalue())
    Console().print(table)


def qr_file_name(person: Person) -> str:
    """Whose code it is, readable in a file manager: invite-12-amina-haddad.png."""
    name = re.sub(r"[^\w]+", "-", person.name.casefold()).strip("-")
    return f"invite-{person.id}-{name}.png"


@invite_cli.command("list")
def invite_list() -> None:
    """Every invite, newest first: whose, when it ends, and whether that person has joined."""
    from storage.db import session_scope
    from storage.invites import list_invites
    from storage.models import utcnow

    with current_database() as db, session_scope(db) as session:
        rows = list_invites(session=session)
    if not rows:
        typer.echo("No invites yet: `partnerbot invite create --class CLASS` invites a class's families.")
        return
    now = utcnow()
    table = Table("id", "person", "state", "expires (UTC)", "joined", title="Invites", box=box.SIMPLE_HEAD)
    for row in rows:
        expired = row.expires_at is not None and row.expires_at.replace(tzinfo=now.tzinfo) <= now
        state = "used" if row.used_at else ("ended" if expired else "open")
        ends = f"{row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else ""
        table.add_row(str(row.id), row.person_name, state, ends, "yes" if row.joined else "not yet")
    Console().print(table)
    joined = {r.person_name for r in rows if r.joined}
    waiting = {r.person_name for r in rows} - joined
    typer.echo(f"{len(joined)} joined, {len(waiting)} not yet.")


@invite_cli.command("revoke")
def invite_revoke(
    invite: Annotated[int | None, typer.Argument(help="The invite's id (`partnerbot invite list`).")] = None,
    person: Annotated[str | None, typer.Option(help="Every open invite of this person.")] = None,
) -> None:
    """End an invite now: its code no longer works (whoever has it is told to ask for a new one)."""
    from bot.errors import NotFound
    from bot.roster.invites import invite_targets
    from storage.db import session_scope
    from storage.ids import id_of
    from storage.invites import revoke_invites
    from storage.models import utcnow

    if (invite is None) == (person is None):
        raise typer.BadParameter("give an invite id or --person, not both")
    with current_database() as db, session_scope(db) as session:
        person_id = None
        if person is not None:
            person_id = id_of(invite_targets(session=session, person=person, family=None, klass=None)[0])
        ended = revoke_invites(session=session, now=utcnow(), invite_id=invite, person_id=person_id)
    if not ended:
        raise NotFound("No open invite to revoke there: `partnerbot invite list` shows each one's state.")
    typer.echo(f"Revoked {ended} open invite(s): those codes no longer work.")


async def _join_links(channels: dict[str, Channel], codes: list[str]) -> dict[str, dict[str, str]]:
    """Each code's link per channel that makes join links, by channel name; every channel is stopped."""
    from bot.channels.base import MakesJoinLinks

    links: dict[str, dict[str, str]] = {}
    try:
        for name, channel in channels.items():
            if isinstance(channel, MakesJoinLinks):
                links[name] = {code: await channel.join_link(code) for code in codes}
    finally:
        for channel in channels.values():
            await channel.stop()
    return links
