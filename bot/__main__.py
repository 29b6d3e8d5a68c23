"""The `partnerbot` command line: try the demo, run the bot, chat in the console, manage the school.

One module per command under bot/cli/; each imports the rest of partnerbot when it runs
(bot/cli/common.py says why).
"""

from __future__ import annotations

import sys

import typer

from bot.cli.chat import chat
from bot.cli.common import err
from bot.cli.db import db_cli
from bot.cli.deliveries import deliveries_cli
from bot.cli.demo import demo
from bot.cli.glossary import glossary_cli
from bot.cli.invite import invite_cli
from bot.cli.report import report_cli
from bot.cli.rights import audit, person_cli
from bot.cli.roster import import_roster
from bot.cli.run import run
from bot.cli.send import send_cli
from bot.cli.try_it import try_it
from bot.errors import PartnerbotError

cli = typer.Typer(help=__doc__.split("\n\n")[0], no_args_is_help=False, add_completion=False)
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


def main() -> None:
    try:
        cli()
    except PartnerbotError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
