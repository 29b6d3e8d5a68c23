"""Machine translations cached per (text, source, target, backend), and the school's glossary."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import GlossaryTerm, Translation


def text_hash(text: str) -> str:
    """The cache key of a text: its SHA-256, so the key column stays short whatever the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_translations(
    *, session: Session, source: str, backend: str, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The cached texts among `keys` of (text hash, target language), in one query."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = session.exec(
        select(Translation).where(
            Translation.source_language == source,
            Translation.backend == backend,
            col(Translation.text_hash).in_({h for h, _ in wanted}),
            col(Translation.target_language).in_({t for _, t in wanted}),
        )
    ).all()
    found = {(row.text_hash, row.target_language): row.text for row in rows}
    return {key: text for key, text in found.items() if key in wanted}


def cache_translations(
    *, session: Session, source: str, backend: str, texts: Mapping[tuple[str, str], str]
) -> None:
    """Store `(text hash, target) → text`. Another process may have stored the same row a moment
    ago (both missed the cache): its row is kept and ours dropped, without an error."""
    if not texts:
        return
    rows = [
        {
            "text_hash": digest,
            "source_language": source,
            "target_language": target,
            "backend": backend,
            "text": text,
        }
        for (digest, target), text in texts.items()
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Translation).values(rows).on_conflict_do_nothing())


def add_glossary_term(
    *, session: Session, term: str, language: str = "*", translation: str | None = None
) -> GlossaryTerm:
    """Keep `term` as it is (no translation) or translate it a fixed way, in `language` or in
    every language ("*"). Adding a term again, in any case, replaces its rule for that language."""
    term = " ".join(term.split())
    existing = session.exec(
        select(GlossaryTerm).where(
            func.lower(GlossaryTerm.term) == term.lower(), GlossaryTerm.language == language
        )
    ).first()
    entry = existing or GlossaryTerm(term=term, language=language, translation=term)
    entry.term, entry.translation = term, translation or term
    session.add(entry)
    session.flush()
    return entry


def glossary(*, session: Session) -> list[GlossaryTerm]:
    """Every term, in alphabetical order; a term whose translation is itself is kept unchanged."""
    return list(
        session.exec(
            select(GlossaryTerm).order_by(func.lower(GlossaryTerm.term), col(GlossaryTerm.language))
        ).all()
    )
