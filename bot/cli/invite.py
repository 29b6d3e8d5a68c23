"""`partnerbot invite create`: one-time invite codes, with join links from the channels that make them."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import settings

if TYPE_CHECKING:
    from bot.channels.base import Channel

invite_cli = typer.Typer(help="One-time invite codes.")


@invite_cli.command("create")
def invite_create(
    person: Annotated[str | None, typer.Option(help="A person's name.")] = None,
    family: Annotated[str | None, typer.Option(help="A student's name: invites their family.")] = None,
    klass: Annotated[str | None, typer.Option("--class", help="A class name: invites every family.")] = None,
    qr: Annotated[
        Path | None, typer.Option(help="Also write a QR code (PNG) per invite into this folder.")
    ] = None,
) -> None:
    """Print one-time invite codes (shown once; only a hash is stored), with join links when set up."""
    import segno

    from bot.channels.registry import configured_channels
    from bot.exports import private_folder, write_private
    from bot.roster.invites import invite_targets, issue_invites
    from storage.db import make_engine, session_scope
    from storage.models import utcnow

    loaded = settings()
    with session_scope(make_engine(loaded.database_url)) as session:
        people = invite_targets(session=session, person=person, family=family, klass=klass)
        invites = issue_invites(session=session, people=people, now=utcnow(), ttl=loaded.invite_ttl)
    links = asyncio.run(_join_links(configured_channels(loaded), [i.code for i in invites]))
    names = list(links)
    table = Table("person", "code", "expires (UTC)", *(f"{name.capitalize()} link" for name in names))
    for invite in invites:
        own = [links[name][invite.code] for name in names]
        table.add_row(invite.person.name, invite.code, f"{invite.expires_at:%Y-%m-%d %H:%M}", *own)
        if qr is not None:  # each QR code lets someone in: the owner's alone
            image = io.BytesIO()
            segno.make(own[0] if own else invite.code, error="m").save(image, kind="png", scale=8)
            write_private(private_folder(qr) / f"invite-{invite.person.id}.png", image.getvalue())
    Console().print(table)


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
