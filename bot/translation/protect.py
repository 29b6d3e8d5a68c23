"""What machine translation must not touch: URLs, e-mail addresses, numbers, names, glossary terms.

Each is swapped for a token before the backend sees the text and swapped back afterwards, so
"Meet at 18:30, ask for Amina" keeps its time and name in every language. Names and addresses
then never reach the backend at all, and texts that differ only in them share a cache entry.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.translation.base import PLACEHOLDER, PLACEHOLDER_PATTERN

# Scripts written without spaces between words: a term may sit right next to these letters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
#: A letter or digit that continues a word ("class" inside "classes"), so not a match boundary.
_WORD = rf"[^\W{_CJK}]"
_LETTER = rf"[^\W\d_{_CJK}]"
_WORD_CHAR = re.compile(_WORD)

_ADDRESSES = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]}]"  # a URL, without the sentence's full stop
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an e-mail address
)
# 18:30, 3/12, 2024-09-01, 3.5, 1,000, and what is glued to them: 3B, 8am, 1st.
_NUMBERS = re.compile(rf"(?<!{_WORD})\d(?:[\d:./,\-]*\d)?{_LETTER}*")


@dataclass(frozen=True, slots=True)
class Masked:
    """A text with its protected spans replaced by tokens, and what each token becomes again."""

    text: str
    restored: tuple[str, ...]


def _key(term: str) -> str:
    return " ".join(term.split()).lower()


@dataclass(frozen=True, slots=True)
class _Terms:
    """Terms as patterns without their word boundaries: a pattern holding the boundary classes
    took ~10 ms to compile (the CJK ranges), once per new set of terms, i.e. per sender's name.
    `_WORD_CHAR`, compiled once, checks the boundaries instead."""

    anywhere: re.Pattern[str]  # where some term starts
    each: tuple[re.Pattern[str], ...]  # longest first


def _terms(terms: Iterable[str]) -> _Terms | None:
    """All terms, longest first so "INSET day" wins over "INSET"; case-insensitive, any run of
    spaces matching a space."""
    words = tuple(sorted({_key(t) for t in terms if t.strip()}, key=lambda w: (-len(w), w)))
    return _compiled(words) if words else None


@lru_cache(maxsize=512)
def _compiled(words: tuple[str, ...]) -> _Terms:
    """The same glossary and names recur message after message, so each set is compiled once."""
    each = tuple(re.compile(r"\s+".join(re.escape(w) for w in word.split()), re.IGNORECASE) for word in words)
    return _Terms(anywhere=re.compile("|".join(p.pattern for p in each), re.IGNORECASE), each=each)


def _term_spans(terms: _Terms, text: str) -> Iterator[tuple[int, int]]:
    """What `finditer` of `(?<!_WORD)(?:term|…)(?!_WORD)` would find: the leftmost start not inside
    a word, then the first (longest) term there that does not end inside a word."""
    position = 0
    while (found := terms.anywhere.search(text, position)) is not None:
        start = found.start()
        position = start + 1
        if start and _WORD_CHAR.match(text, start - 1):
            continue
        for pattern in terms.each:
            match = pattern.match(text, start)
            if match is not None and not _WORD_CHAR.match(text, match.end()):
                yield start, match.end()
                position = match.end()
                break


def mask(text: str, *, terms: Mapping[str, str | None]) -> Masked:
    """Tokens for addresses, then `terms` (term → its fixed translation, or None to keep it as
    written), then numbers; a span already taken by an earlier kind is not taken again."""
    fixed = {_key(term): translation for term, translation in terms.items()}
    compiled = _terms(terms)
    found = (
        (match.span() for match in _ADDRESSES.finditer(text)),
        _term_spans(compiled, text) if compiled else (),
        (match.span() for match in _NUMBERS.finditer(text)),
    )
    spans: list[tuple[int, int, str]] = []
    for start, end in itertools.chain.from_iterable(found):
        if any(start < taken_end and taken_start < end for taken_start, taken_end, _ in spans):
            continue
        spans.append((start, end, fixed.get(_key(text[start:end])) or text[start:end]))
    spans.sort()
    parts, position = [], 0
    for index, (start, end, _) in enumerate(spans):
        parts += [text[position:start], PLACEHOLDER.format(index)]
        position = end
    parts.append(text[position:])
    return Masked(text="".join(parts), restored=tuple(replacement for _, _, replacement in spans))


def restore(translated: str, masked: Masked) -> str | None:
    """`translated` with its tokens swapped back; None when the backend lost, repeated or invented
    a token, because a postcard without its time or link is worse than one left untranslated."""
    found = [int(match.group(1)) for match in PLACEHOLDER_PATTERN.finditer(translated)]
    if sorted(found) != list(range(len(masked.restored))):
        return None
    return PLACEHOLDER_PATTERN.sub(lambda match: masked.restored[int(match.group(1))], translated)
