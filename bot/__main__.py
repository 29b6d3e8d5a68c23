"""The `partnerbot` command line: try the demo, run the bot, chat in the console, manage the school."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import segno
import typer
from rich.console import Console
from rich.table import Table

from bot.app import App, build_app, command_menus, configured_channels
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.cli.glossary import glossary_cli
from bot.cli.report import report_cli
from bot.cli.send import send_cli
from bot.errors import PartnerbotError, RosterError
from bot.roster import importer as roster
from bot.roster.demo import FAMILIES, create_demo_school
from bot.roster.invites import invite_targets, issue_invites
from bot.settings import Settings, load_settings
from bot.web.app import make_web_app, make_web_server
from storage.accounts import get_or_create_account, link_account
from storage.db import ensure_current, make_engine, session_scope, upgrade
from storage.models import utcnow
from storage.people import find_people

cli = typer.Typer(help=__doc__, no_args_is_help=False, add_completion=False)
db_cli = typer.Typer(help="Database schema.")
invite_cli = typer.Typer(help="One-time invite codes.")
cli.add_typer(db_cli, name="db")
cli.add_typer(invite_cli, name="invite")
cli.add_typer(send_cli, name="send")
cli.add_typer(report_cli, name="report")
cli.add_typer(glossary_cli, name="glossary")
err = Console(stderr=True)


def _settings(*, quiet: bool = False) -> Settings:
    """Load settings and set up logging; `quiet` keeps INFO lines out of a console chat."""
    settings = load_settings()
    level = logging.getLevelName(settings.log_level)
    logging.basicConfig(
        level=max(level, logging.WARNING) if quiet else level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return settings


def _console(address: str, name: str | None) -> ConsoleChannel:
    return ConsoleChannel(
        address=address, display_name=name, stdin=sys.stdin, stdout=sys.stdout, interactive=sys.stdin.isatty()
    )


@cli.callback(invoke_without_command=True)
def try_it(ctx: typer.Context) -> None:
    """With no command: set up the demo school and chat in the console, joining with an invite."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(quiet=True)
    db = make_engine(settings.database_url)
    upgrade(db)
    with session_scope(db) as session:
        create_demo_school(session=session, settings=settings)
        account = get_or_create_account(session=session, channel="console", address="console")
        if account.person_id is None:
            amina = find_people(session=session, name=FAMILIES[2].parent)[0]
            invite = issue_invites(session=session, people=[amina], now=utcnow(), ttl=settings.invite_ttl)[0]
            err.print(
                f"[bold]partnerbot demo[/] — {amina.name} (Yusuf's mother) has been invited.\n"
                f"Join as her by typing:  [bold green]/start {invite.code}[/]\n"
                "Buttons appear as numbered choices: type the number. Ctrl-D quits.\n"
            )
    console = _console("console", None)
    asyncio.run(build_app(settings, {"console": console}, db=db).serve(console))


@cli.command()
def run() -> None:
    """Run the bot with every configured channel (Telegram when a token is set); else the console."""
    settings = _settings()
    channels = configured_channels(settings)
    if not channels:
        console = _console("console", None)
        asyncio.run(build_app(settings, {"console": console}).serve(console))
        return
    app = build_app(settings, channels)
    asyncio.run(_serve(settings, app))


async def _serve(settings: Settings, app: App) -> None:
    web = None
    telegram = app.channels.get("telegram")
    if isinstance(telegram, TelegramChannel):
        await telegram.register_commands(command_menus())
        if telegram.uses_webhook and settings.telegram_secret_token is not None:
            web = make_web_server(
                make_web_app(
                    telegram_webhook=telegram.handle_webhook,
                    telegram_secret=settings.telegram_secret_token.get_secret_value(),
                ),
                host=settings.web_host,
                port=settings.web_port,
            )
    await app.serve_forever(web=web)


@cli.command()
def chat(as_: Annotated[str | None, typer.Option("--as", help="Act as this person (name).")] = None) -> None:
    """Chat in the terminal, as a new unlinked account or as a person of the school."""
    settings = _settings(quiet=True)
    db = make_engine(settings.database_url)
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
    console = _console(address, as_)
    asyncio.run(build_app(settings, {"console": console}, db=db).serve(console))


@cli.command()
def demo() -> None:
    """Create the demo school (idempotent)."""
    settings = _settings()
    db = make_engine(settings.database_url)
    with session_scope(db) as session:
        created = create_demo_school(session=session, settings=settings)
    err.print("Demo school created." if created else "The demo school is already there.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    upgrade(make_engine(_settings().database_url))
    err.print("Database is up to date.")


@invite_cli.command("create")
def invite_create(
    person: Annotated[str | None, typer.Option(help="A person's name.")] = None,
    family: Annotated[str | None, typer.Option(help="A student's name: invites their family.")] = None,
    klass: Annotated[str | None, typer.Option("--class", help="A class name: invites every family.")] = None,
    qr: Annotated[
        Path | None, typer.Option(help="Also write a QR code (PNG) per invite into this folder.")
    ] = None,
) -> None:
    """Print one-time invite codes (shown once; only a hash is stored), with Telegram links when set up."""
    settings = _settings()
    with session_scope(make_engine(settings.database_url)) as session:
        people = invite_targets(session=session, person=person, family=family, klass=klass)
        invites = issue_invites(session=session, people=people, now=utcnow(), ttl=settings.invite_ttl)
    telegram = configured_channels(settings).get("telegram")
    links = asyncio.run(_deep_links(telegram, [i.code for i in invites])) if telegram else {}
    table = Table("person", "code", "expires (UTC)", *(["Telegram link"] if links else []))
    for invite in invites:
        link = links.get(invite.code)
        table.add_row(
            invite.person.name, invite.code, f"{invite.expires_at:%Y-%m-%d %H:%M}", *([link] if link else [])
        )
        if qr is not None:
            qr.mkdir(parents=True, exist_ok=True)
            target = qr / f"invite-{invite.person.id}.png"
            segno.make(link or invite.code, error="m").save(str(target), scale=8)
    Console().print(table)


async def _deep_links(telegram: object, codes: list[str]) -> dict[str, str]:
    if not isinstance(telegram, TelegramChannel):
        return {}
    try:
        return {code: await telegram.deep_link(code) for code in codes}
    finally:
        await telegram.stop()


@cli.command("import")
def import_roster(
    path: Annotated[Path, typer.Argument(help="A partnerbot .csv, or a OneRoster 1.1 folder or .zip.")],
    school: Annotated[str, typer.Option(help="School name, if there is no school yet.")] = "My School",
    invites_csv: Annotated[
        Path | None, typer.Option("--invites-csv", help="Write new invite codes to this CSV, not the screen.")
    ] = None,
) -> None:
    """Import classes, students, families and staff; new family members get invites (docs/roster.md)."""
    settings = _settings()
    db = make_engine(settings.database_url)
    ensure_current(db)
    try:
        with session_scope(db) as session:
            summary = roster.import_roster(
                session=session, path=path, settings=settings, school_name=school, now=utcnow()
            )
    except RosterError:
        err.print("[bold]Nothing was imported.[/] Fix these rows and run the import again:")
        raise
    out = Console()
    out.print(str(summary), markup=False)
    if invites_csv is not None:
        roster.write_invites_csv(invites_csv, summary.invites)
        out.print(f"Invite codes written to {invites_csv}.", markup=False)
    elif summary.invites:
        table = Table("person", "code", "expires (UTC)")
        for invite in summary.invites:
            table.add_row(invite.person.name, invite.code, f"{invite.expires_at:%Y-%m-%d %H:%M}")
        out.print(table)


def main() -> None:
    try:
        cli()
    except PartnerbotError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
