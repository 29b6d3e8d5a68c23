"""`partnerbot glossary`: the school's own words, kept as they are or translated a fixed way."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import current_database
from bot.i18n import LANGUAGES

glossary_cli = typer.Typer(help="Words machine translation must keep, or translate a fixed way.")


@glossary_cli.command("add")
def add(
    term: Annotated[str, typer.Argument(help='The word or phrase, e.g. "INSET day" (any case matches).')],
    keep: Annotated[bool, typer.Option("--keep", help="Never translate it.")] = False,
    language: Annotated[
        str, typer.Option(help=f"Only in this language ({', '.join(LANGUAGES)}); * for all.")
    ] = "*",
    translation: Annotated[
        str | None, typer.Option(help="Always translate it this way (needs --language).")
    ] = None,
) -> None:
    """Keep TERM unchanged (--keep), or give its fixed translation in one language."""
    if keep == (translation is not None):
        raise typer.BadParameter("give either --keep or --translation")
    if language != "*" and language not in LANGUAGES:
        raise typer.BadParameter(f"must be one of {', '.join(LANGUAGES)} or *", param_hint="--language")
    if translation is not None and language == "*":
        raise typer.BadParameter("a fixed translation is for one language", param_hint="--language")
    if not term.strip() or (translation is not None and not translation.strip()):
        raise typer.BadParameter("must not be empty", param_hint="TERM / --translation")
    from storage.db import session_scope
    from storage.translations import add_glossary_term

    with current_database() as db, session_scope(db) as session:
        entry = add_glossary_term(session=session, term=term, language=language, translation=translation)
    where = "every language" if language == "*" else language
    rule = "kept as it is" if translation is None else f"translated as {entry.translation!r}"
    typer.echo(f"{entry.term!r}: {rule} in {where}.")


@glossary_cli.command("remove")
def remove(
    term: Annotated[str, typer.Argument(help="The word or phrase (any case matches).")],
    language: Annotated[
        str | None, typer.Option(help="Only its rule in this language; by default every rule for it.")
    ] = None,
) -> None:
    """Forget TERM: machine translation treats it as any other word again."""
    from bot.errors import NotFound
    from storage.db import session_scope
    from storage.translations import remove_glossary_term

    with current_database() as db, session_scope(db) as session:
        removed = remove_glossary_term(session=session, term=term, language=language)
    if not removed:
        where = f" in {language}" if language else ""
        raise NotFound(f"{term!r} is not in the glossary{where}: `partnerbot glossary list` shows what is.")
    typer.echo(f"{term!r} removed from the glossary ({removed} rule{'s' if removed > 1 else ''}).")


@glossary_cli.command("list")
def list_terms() -> None:
    """Every term and what becomes of it in each language."""
    from storage.db import session_scope
    from storage.translations import glossary

    with current_database() as db, session_scope(db) as session:
        terms = glossary(session=session)
    if not terms:
        typer.echo('The glossary is empty: add terms with `partnerbot glossary add "INSET day" --keep`.')
        return
    table = Table("term", "language", "becomes", title="Glossary")
    for entry in terms:
        kept = entry.translation == entry.term
        table.add_row(entry.term, entry.language, "(kept as it is)" if kept else entry.translation)
    Console().print(table)
