"""A loopback LibreTranslate server: POST /translate and /detect, GET /languages, as its API does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.machine_translation import LoopbackServer, fake_translate, guess_language

_PLACEHOLDER = re.compile(r"(⟦\d+⟧)")


@dataclass(eq=False)
class FakeLibreTranslate(LoopbackServer):
    """`api_key`: the key it requires, if any. `legacy_chinese`: call Simplified Chinese "zh",
    as LibreTranslate did before 1.6, instead of "zh-Hans"."""

    api_key: str | None = None
    legacy_chinese: bool = False

    @property
    def codes(self) -> list[str]:
        return ["en", "es", "ar", "zh" if self.legacy_chinese else "zh-Hans", "vi", "fr", "de"]

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        if (method, path) == ("GET", "/languages"):
            return 200, [{"code": code, "name": code, "targets": self.codes} for code in self.codes]
        if method != "POST" or path not in {"/translate", "/detect"}:
            return 404, {"error": "Not Found"}
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return 403, {"error": "Invalid API key"}
        if not body.get("q"):
            return 400, {"error": "Invalid request: missing q parameter"}
        return self._detect(body["q"]) if path == "/detect" else self._translate(body)

    def _translate(self, body: dict[str, Any]) -> tuple[int, Any]:
        for name in ("source", "target"):
            if body.get(name) not in [*self.codes, *(["auto"] if name == "source" else [])]:
                return 400, {"error": f"{body.get(name)} is not supported"}
        batch = isinstance(body["q"], list)
        texts = body["q"] if batch else [body["q"]]
        lose = self.script.lose_placeholders
        translated = self.fix_count(
            [fake_translate(text, body["target"], keep=_PLACEHOLDER, lose_kept=lose) for text in texts]
        )
        return 200, {"translatedText": translated if batch else translated[0]}

    def _detect(self, text: str) -> tuple[int, Any]:
        language = guess_language(text)
        if language is None:  # what LibreTranslate answers when it cannot tell
            return 200, [{"confidence": 0.0, "language": "en"}]
        if language == "zh":
            language = self.codes[3]
        return 200, [{"confidence": 90.0, "language": language}, {"confidence": 10.0, "language": "en"}]
