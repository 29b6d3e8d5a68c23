"""The `partnerbot` command line: try the demo, run the bot, chat in the console, manage the school.

One module per command under bot/cli/; each imports the rest of partnerbot when it runs
(bot/cli/common.py says why).
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer
import typer.core
import typer.main

from bot.cli.chat import chat
from bot.cli.common import err
from bot.cli.db import db_cli
from bot.cli.deliveries import deliveries_cli
from bot.cli.demo import demo
from bot.cli.glossary import glossary_cli
from bot.cli.invite import invite_cli
from bot.cli.people import person_cli
from bot.cli.report import report_cli
from bot.cli.rights import audit
from bot.cli.roster import import_roster
from bot.cli.run import run
from bot.cli.send import send_cli
from bot.cli.try_it import try_it
from bot.errors import PartnerbotError

cli = typer.Typer(
    help=__doc__.split("\n\n")[0], no_args_is_help=False, add_completion=False, rich_markup_mode=None
)
cli.command()(run)
cli.command()(chat)
cli.command()(demo)
cli.command("import")(import_roster)
cli.add_typer(invite_cli, name="invite")
cli.add_typer(send_cli, name="send")
cli.add_typer(report_cli, name="report")
cli.add_typer(glossary_cli, name="glossary")
cli.add_typer(db_cli, name="db")
cli.add_typer(deliveries_cli, name="deliveries")
cli.add_typer(person_cli, name="person")
cli.command()(audit)


@cli.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    """With no command: set up the demo school and chat in the console, joining with an invite."""
    if ctx.invoked_subcommand is None:
        try_it()


def command() -> typer.core.TyperGroup:
    """The command line as click runs it; its help names each option's value by the option
    (`--class CLASS`) and shows flags bare, where typer would print `<str>` and `<bool>`."""
    built = typer.main.get_group(cli)
    commands: list[Any] = [built]
    while commands:
        current = commands.pop()
        commands += getattr(current, "commands", {}).values()
        for param in current.params:
            if param.param_type_name == "argument" and param.metavar is None:
                param.metavar = param.name.upper()
            elif param.param_type_name == "option" and param.metavar is None and not param.is_flag:
                param.metavar = param.opts[0].lstrip("-").upper()
    return built


def main() -> None:
    """Run the command line; a user's mistake is one line saying what to do, and exit code 2."""
    try:
        command()(prog_name="partnerbot")
    except PartnerbotError as exc:
        _refuse(str(exc))
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if not isinstance(exc, OperationalError):
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        _refuse(f"Cannot use the database ({reason}): is it running? Check PARTNERBOT_DATABASE_URL.")


def _refuse(problem: str) -> NoReturn:
    err.print(problem, style="red", markup=False, highlight=False, soft_wrap=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
