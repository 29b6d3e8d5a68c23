"""Translation backends: none, a LibreTranslate server, DeepL; chosen by settings."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast
from xml.sax.saxutils import escape

import deepl
import httpx
from pydantic import SecretStr

from bot.settings import Settings
from bot.translation.base import PLACEHOLDER_PATTERN, Translator, TranslatorError, TranslatorUnavailable

_T = TypeVar("_T")


class NoTranslator:
    """No machine translation: everyone receives the original, with a note saying so."""

    name = "none"

    async def translate(self, texts: Sequence[str], *, source: str | None, target: str) -> list[str]:
        raise TranslatorUnavailable

    async def detect(self, text: str) -> str | None:
        return None


class LibreTranslateTranslator:
    """A LibreTranslate server (self-hosted: the text stays with the school)."""

    name = "libretranslate"

    def __init__(self, *, url: str, api_key: SecretStr | None = None, timeout_s: float = 10.0) -> None:
        self._url = url.rstrip("/")
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._server_codes: frozenset[str] | None = None
        # Loading the CA bundle takes ~20 ms: once, not for every request's client.
        self._ssl = httpx.create_ssl_context()

    def __repr__(self) -> str:
        return f"LibreTranslateTranslator(url={self._url!r})"

    async def translate(self, texts: Sequence[str], *, source: str | None, target: str) -> list[str]:
        if not texts:
            return []
        reply = await self._request(
            "POST",
            "/translate",
            {
                "q": list(texts),
                "source": await self._code(source) if source else "auto",
                "target": await self._code(target),
                "format": "text",
            },
        )
        translated = reply.get("translatedText") if isinstance(reply, dict) else None
        if not isinstance(translated, list) or not all(isinstance(t, str) for t in translated):
            raise TranslatorError("LibreTranslate /translate answered without a list of texts")
        return translated

    async def detect(self, text: str) -> str | None:
        reply = await self._request("POST", "/detect", {"q": text})
        candidates = [c for c in reply if isinstance(c, dict)] if isinstance(reply, list) else []
        if not candidates:
            return None
        best = max(candidates, key=lambda c: float(c.get("confidence") or 0))
        # LibreTranslate says "en" with confidence 0 when it has no idea.
        if float(best.get("confidence") or 0) <= 0:
            return None
        code = str(best.get("language", ""))
        return "zh-Hans" if code in {"zh", "zh-Hans"} else code

    async def _code(self, tag: str) -> str:
        """LibreTranslate before 1.6 calls Simplified Chinese "zh", later ones "zh-Hans"."""
        if tag != "zh-Hans":
            return tag
        if self._server_codes is None:
            languages = await self._request("GET", "/languages", None)
            if not isinstance(languages, list):
                raise TranslatorError("LibreTranslate /languages answered without a list")
            self._server_codes = frozenset(
                str(lang.get("code")) for lang in languages if isinstance(lang, dict)
            )
        return "zh" if "zh-Hans" not in self._server_codes and "zh" in self._server_codes else tag

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        if body is not None and self._api_key is not None:
            body = {**body, "api_key": self._api_key.get_secret_value()}
        # A client per request: nothing to close at shutdown, and no tie to one event loop (the
        # CLI runs a loop per command); a message needs at most one request per language.
        try:
            async with (
                asyncio.timeout(self._timeout_s),
                httpx.AsyncClient(base_url=self._url, timeout=self._timeout_s, verify=self._ssl) as client,
            ):
                response = await client.request(method, path, json=body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise TranslatorError(f"LibreTranslate {path} took longer than {self._timeout_s} s") from exc
        except httpx.HTTPError as exc:
            raise TranslatorError(f"LibreTranslate {path} failed: {type(exc).__name__}") from exc
        if response.status_code != httpx.codes.OK:
            raise TranslatorError(f"LibreTranslate {path} answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise TranslatorError(f"LibreTranslate {path} answered something other than JSON") from exc


# DeepL wants a bare source language and a variant for some targets.
_DEEPL_SOURCE = {"en": "EN", "es": "ES", "ar": "AR", "zh-Hans": "ZH", "vi": "VI", "fr": "FR"}
_DEEPL_TARGET = {"en": "EN-GB", "es": "ES", "ar": "AR", "zh-Hans": "ZH-HANS", "vi": "VI", "fr": "FR"}
_FROM_DEEPL = {code: tag for tag, code in _DEEPL_SOURCE.items()}
_DEEPL_TAG = re.compile(r'<x\s+id="(\d+)"\s*/>|<x\s+id="(\d+)"\s*>\s*</x>')


def _to_deepl_xml(text: str) -> str:
    """DeepL keeps XML tags where they belong in the sentence: each token becomes <x id="n"/>."""
    return PLACEHOLDER_PATTERN.sub(lambda m: f'<x id="{int(m.group(1))}"/>', escape(text))


def _from_deepl_xml(text: str) -> str:
    return html.unescape(_DEEPL_TAG.sub(lambda m: f"⟦{m.group(1) or m.group(2)}⟧", text))


class DeepLTranslator:
    """The DeepL API through its official client, which is synchronous: each call runs in a thread."""

    name = "deepl"

    def __init__(
        self, *, auth_key: SecretStr, server_url: str | None = None, timeout_s: float = 10.0
    ) -> None:
        # The client's documented process-wide knobs: one quick retry (a 429 or 5xx), and each
        # request bounded by our timeout rather than its 10 s.
        deepl.http_client.max_network_retries = 1
        deepl.http_client.min_connection_timeout = timeout_s
        # Its DEBUG lines carry the request body, i.e. people's messages: never let them through.
        deepl_logger = logging.getLogger("deepl")
        deepl_logger.setLevel(max(deepl_logger.level, logging.INFO))
        self._client = deepl.Translator(
            auth_key.get_secret_value(), server_url=server_url, send_platform_info=False
        )
        self._server_url = server_url
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"DeepLTranslator(server_url={self._server_url!r})"

    async def translate(self, texts: Sequence[str], *, source: str | None, target: str) -> list[str]:
        if not texts:
            return []
        source_lang = _deepl_code(_DEEPL_SOURCE, source) if source else None
        target_lang = _deepl_code(_DEEPL_TARGET, target)
        results = await self._call(
            lambda: self._client.translate_text(
                [_to_deepl_xml(text) for text in texts],
                source_lang=source_lang,
                target_lang=target_lang,
                tag_handling="xml",
                non_splitting_tags=["x"],
            )
        )
        return [_from_deepl_xml(result.text) for result in cast(list[deepl.TextResult], results)]

    async def detect(self, text: str) -> str | None:
        """DeepL has no detection endpoint: translating into English tells the source language."""
        results = cast(
            list[deepl.TextResult],
            await self._call(lambda: self._client.translate_text([text], target_lang="EN-GB")),
        )
        return _FROM_DEEPL.get(results[0].detected_source_lang.upper()) if results else None

    async def _call(self, call: Callable[[], _T]) -> _T:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await asyncio.to_thread(call)
        except TimeoutError as exc:
            raise TranslatorError(f"DeepL took longer than {self._timeout_s} s") from exc
        except deepl.DeepLException as exc:
            status = getattr(exc, "http_status_code", None)
            raise TranslatorError(f"DeepL failed: {type(exc).__name__} (HTTP {status})") from exc


def _deepl_code(codes: dict[str, str], tag: str) -> str:
    if tag not in codes:
        raise TranslatorError(f"DeepL: no language code for {tag!r}")
    return codes[tag]


def make_translator(settings: Settings) -> Translator:
    """The backend the settings choose (settings have already checked its URL or key is there)."""
    if settings.translator == "libretranslate" and settings.libretranslate_url:
        return LibreTranslateTranslator(
            url=settings.libretranslate_url,
            api_key=settings.libretranslate_api_key,
            timeout_s=settings.translator_timeout_s,
        )
    if settings.translator == "deepl" and settings.deepl_auth_key:
        return DeepLTranslator(
            auth_key=settings.deepl_auth_key,
            server_url=settings.deepl_server_url,
            timeout_s=settings.translator_timeout_s,
        )
    return NoTranslator()
