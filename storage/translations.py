"""Machine translations cached per (text, source, target, backend), and the school's glossary."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlalchemy import Table, bindparam, func
from sqlalchemy import select as select_columns
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import GlossaryTerm, Translation

_TRANSLATIONS: Table = Translation.__table__  # type: ignore[attr-defined]

# Built once: every text sent to someone looks up the glossary and the cache.
_CACHED = select_columns(
    _TRANSLATIONS.c.text_hash, _TRANSLATIONS.c.target_language, _TRANSLATIONS.c.text
).where(
    _TRANSLATIONS.c.source_language == bindparam("source"),
    _TRANSLATIONS.c.backend == bindparam("backend"),
    _TRANSLATIONS.c.text_hash.in_(bindparam("hashes", expanding=True)),
    _TRANSLATIONS.c.target_language.in_(bindparam("targets", expanding=True)),
)
_GLOSSARY = select(GlossaryTerm).order_by(func.lower(GlossaryTerm.term), col(GlossaryTerm.language))


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
    rows = session.execute(
        _CACHED,
        {
            "source": source,
            "backend": backend,
            "hashes": sorted({h for h, _ in wanted}),
            "targets": sorted({t for _, t in wanted}),
        },
    )
    return {(digest, target): text for digest, target, text in rows if (digest, target) in wanted}


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


def remove_glossary_term(*, session: Session, term: str, language: str | None = None) -> int:
    """Forget `term` (any case) in `language`, or in every language it has a rule for; returns
    how many rules went."""
    query = select(GlossaryTerm).where(func.lower(GlossaryTerm.term) == " ".join(term.split()).lower())
    if language is not None:
        query = query.where(GlossaryTerm.language == language)
    entries = list(session.exec(query).all())
    for entry in entries:
        session.delete(entry)
    session.flush()
    return len(entries)


def glossary(*, session: Session) -> list[GlossaryTerm]:
    """Every term, in alphabetical order; a term whose translation is itself is kept unchanged."""
    return list(session.exec(_GLOSSARY).all())
