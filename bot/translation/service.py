"""TranslationService: what handlers use to translate. Cached, glossary-aware, and never failing.

A text is sent to the backend at most once per target language: a highlight to 500 families
in six languages makes five calls, and sending it again makes none. When the backend is
missing, slow or wrong, each recipient gets the original (translated=False) and a warning is
logged with lengths and languages only, never the text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.i18n import LANGUAGES
from bot.translation.base import Translator, TranslatorError, TranslatorUnavailable
from bot.translation.protect import mask, restore
from storage.db import session_scope
from storage.models import GlossaryTerm
from storage.translations import cache_translations, cached_translations, glossary, text_hash

_LOGGER = logging.getLogger(__name__)

#: The name of the backend that is no backend (`NoTranslator`, not imported here: it would pull
#: in the HTTP clients); it is also what `Translated.backend` says when a text was passed through.
_NO_BACKEND = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Translated:
    """One text in one recipient's language, or the original when it could not be translated."""

    text: str  # the text in `language`
    language: str  # the target if translated; the source when passed through
    backend: str  # the backend's name; "same": nothing to translate; "none": no backend, or it failed
    translated: bool  # False when the original was passed through


def _terms_for(target: str, rules: Sequence[GlossaryTerm], protect: Sequence[str]) -> dict[str, str | None]:
    """Term → its fixed translation in `target` (None: keep it as written). A rule for `target`
    beats one for every language ("*"); a term whose translation is itself is kept."""
    terms: dict[str, str | None] = dict.fromkeys(protect)
    for rule in sorted(rules, key=lambda r: r.language != "*"):
        if rule.language in {"*", target}:
            terms[rule.term] = None if rule.translation == rule.term else rule.translation
    return terms


class TranslationService:
    """Translates what people write into each recipient's language through one backend."""

    def __init__(self, *, db: Engine, translator: Translator) -> None:
        self._db = db
        self._translator = translator

    async def translate(
        self, text: str, *, source: str, targets: Iterable[str], protect: Sequence[str] = ()
    ) -> dict[str, Translated]:
        """`text` (written in `source`) in each of `targets`. `protect` lists strings to keep as
        they are, such as people's and students' names; URLs, e-mail addresses, numbers and the
        glossary's terms are protected anyway."""
        wanted = list(dict.fromkeys(targets))
        passed = Translated(text=text, language=source, backend="same", translated=False)
        results = {t: passed for t in wanted if t == source or not text.strip()}
        others = [t for t in wanted if t not in results]
        if not others:
            return results
        backend = self._translator.name
        if backend == _NO_BACKEND:  # it never answers, so nothing was cached for it: no lookup
            kept = Translated(text=text, language=source, backend=_NO_BACKEND, translated=False)
            return {t: results.get(t, kept) for t in wanted}
        with session_scope(self._db) as session:
            rules = glossary(session=session)
            masks = {t: mask(text, terms=_terms_for(t, rules, protect)) for t in others}
            keys = {t: (text_hash(masks[t].text), t) for t in others}
            cached = cached_translations(session=session, source=source, backend=backend, keys=keys.values())
        misses = [t for t in others if keys[t] not in cached]
        answers = await asyncio.gather(*(self._call(masks[t].text, source=source, target=t) for t in misses))
        fresh = dict(zip(misses, answers, strict=True))
        to_cache: dict[tuple[str, str], str] = {}
        for target in others:
            raw = fresh[target] if target in fresh else cached[keys[target]]
            if raw is not None and (restored := restore(raw, masks[target])) is not None:
                if target in fresh:
                    to_cache[keys[target]] = raw
                results[target] = Translated(text=restored, language=target, backend=backend, translated=True)
                continue
            if raw is not None:
                self._warn(f"{source}→{target}", TranslatorError("protected text lost"), len(text))
            results[target] = Translated(text=text, language=source, backend=_NO_BACKEND, translated=False)
        if to_cache:
            self._cache(to_cache, source=source)
        return {t: results[t] for t in wanted}

    async def detect(self, text: str, *, fallback: str) -> str:
        """The language `text` is written in, or `fallback` when the backend cannot tell."""
        if not text.strip():
            return fallback
        try:
            found = await self._translator.detect(text)
        except Exception as exc:  # detection is a nicety: a failing backend must not stop a reply
            self._warn("detection", exc, len(text))
            return fallback
        return found if found in LANGUAGES else fallback

    async def _call(self, text: str, *, source: str, target: str) -> str | None:
        """The backend's translation of one masked text; None when it has none to give."""
        route = f"{source}→{target}"
        try:
            answer = await self._translator.translate([text], source=source, target=target)
        except TranslatorUnavailable:
            return None
        except Exception as exc:  # whatever the backend does, the message goes out in the original
            self._warn(route, exc, len(text))
            return None
        if len(answer) != 1:
            self._warn(route, TranslatorError(f"{len(answer)} texts back for 1"), len(text))
            return None
        return answer[0]

    def _cache(self, texts: dict[tuple[str, str], str], *, source: str) -> None:
        """Store fresh translations. The cache is a saving, not a duty: on SQLite another transaction
        (the caller's own, if it wrote before translating) may hold the write lock past the timeout."""
        try:
            with session_scope(self._db) as session:
                cache_translations(session=session, source=source, backend=self._translator.name, texts=texts)
        except OperationalError as exc:  # its message would quote the texts: only the driver's reason
            _LOGGER.warning(
                "translation cache not written (%s); %d texts to translate again", exc.orig, len(texts)
            )

    def _warn(self, what: str, exc: Exception, length: int) -> None:
        # Our own errors say what happened without the text; others may quote it, so only their type.
        reason = str(exc) if isinstance(exc, TranslatorError) else type(exc).__name__
        _LOGGER.warning(
            "%s by %s failed (%s); %d characters passed on untranslated",
            what,
            self._translator.name,
            reason,
            length,
        )
