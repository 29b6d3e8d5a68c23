"""A loopback DeepL API: POST /v2/translate (JSON, as the official client sends, or form), with
the "DeepL-Auth-Key" authorization and the language codes DeepL accepts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.machine_translation import LoopbackServer, fake_translate, guess_language

_SOURCES = {"EN", "ES", "AR", "ZH", "VI", "FR", "DE"}
_TARGETS = {"EN-GB", "EN-US", "ES", "AR", "ZH", "ZH-HANS", "VI", "FR", "DE"}
_TAG = re.compile(r"(<[^>]*>)")
_NOTHING = re.compile(r"(?!)")


@dataclass(eq=False)
class FakeDeepL(LoopbackServer):
    auth_key: str = "fake-key:fx"

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        if headers.get("authorization") != f"DeepL-Auth-Key {self.auth_key}":
            return 403, {"message": "Authorization failure, check auth_key"}
        if (method, path) != ("POST", "/v2/translate"):
            return 404, {"message": "Not found"}
        texts = body.get("text") or []
        texts = [texts] if isinstance(texts, str) else texts
        source, target = body.get("source_lang"), str(body.get("target_lang", "")).upper()
        if target not in _TARGETS:
            return 400, {"message": "Value for 'target_lang' not supported."}
        if source is not None and source.upper() not in _SOURCES:
            return 400, {"message": "Value for 'source_lang' not supported."}
        if not texts:
            return 400, {"message": "Parameter 'text' not specified."}
        keep = _TAG if body.get("tag_handling") == "xml" else _NOTHING
        translations = [
            {
                "detected_source_language": (source or guess_language(text) or "en").upper(),
                "text": fake_translate(text, target, keep=keep, lose_kept=self.script.lose_placeholders),
                "billed_characters": len(text),
            }
            for text in texts
        ]
        return 200, {"translations": self.fix_count(translations)}
