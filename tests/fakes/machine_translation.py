"""What the LibreTranslate and DeepL fakes share: a recording loopback HTTP server, scriptable to
misbehave, and a "translation" that is deterministic and visibly different per language."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar
from urllib.parse import parse_qs

_T = TypeVar("_T")

#: A few words per language, so a test can see that translation happened around what it must not touch.
_WORDS: dict[str, dict[str, str]] = {
    "es": {"hello": "hola", "day": "día", "school": "escuela", "reading": "lectura"},
    "fr": {"hello": "bonjour", "day": "jour", "school": "école", "reading": "lecture"},
    "ar": {"hello": "مرحبا", "day": "يوم", "school": "مدرسة", "reading": "قراءة"},
    "zh": {"hello": "你好", "day": "天", "school": "学校", "reading": "阅读"},
    "vi": {"hello": "xin chào", "day": "ngày", "school": "trường", "reading": "đọc"},
    "en": {"hola": "hello", "escuela": "school", "bonjour": "hello", "gracias": "thank you"},
}
_MARKERS = {
    "es": {"hola", "gracias", "escuela", "hoy", "los", "que", "muy"},
    "fr": {"bonjour", "merci", "école", "aujourd", "les", "est", "très"},
    "de": {"und", "ist", "der", "die", "schule", "heute"},
    "en": {"hello", "the", "school", "today", "thank", "is", "and"},
}


def fake_translate(text: str, language: str, *, keep: re.Pattern[str], lose_kept: bool = False) -> str:
    """ "[<language code as sent>] " + text with a few words swapped; what `keep` matches (the
    placeholders) is left alone, as the real services do, or dropped when `lose_kept`."""
    words = _WORDS.get(language.lower().split("-")[0], {})
    alternatives = "|".join(map(re.escape, words))
    swap = re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE) if words else None
    parts = []
    for index, part in enumerate(keep.split(text)):
        if index % 2:
            parts.append("" if lose_kept else part)
        else:
            parts.append(swap.sub(lambda m: words[m.group().lower()], part) if swap else part)
    return f"[{language}] " + "".join(parts)


def guess_language(text: str) -> str | None:
    """A rough guess from the script and a few common words; None when nothing matches."""
    lowered = text.lower()
    if re.search(r"[\u0600-\u06ff]", lowered):
        return "ar"
    if re.search(r"[\u4e00-\u9fff]", lowered):
        return "zh"
    if re.search(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữự]", lowered):
        return "vi"
    words = set(re.findall(r"\w+", lowered))
    return next((language for language, markers in _MARKERS.items() if words & markers), None)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    body: Any  # the JSON or form body, parsed


@dataclass(slots=True)
class Script:
    """How the fake misbehaves; a test sets it, e.g. `fake.script.status = 500`."""

    status: int = 200  # answer every request with this status and an error body
    delay_s: float = 0.0  # wait this long before answering (cut short when the fake stops)
    extra_texts: int = 0  # answer with this many texts more (or fewer) than were sent
    lose_placeholders: bool = False  # drop the placeholders, as a careless engine might


@dataclass(eq=False)
class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1, port 0, recording every request; subclasses answer."""

    calls: list[Call] = field(default_factory=list, init=False)
    script: Script = field(default_factory=Script, init=False)

    def __post_init__(self) -> None:
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def count(self, path: str) -> int:
        """How many requests reached `path`."""
        with self._lock:
            return sum(call.path == path for call in self.calls)

    def bodies(self, path: str) -> list[Any]:
        with self._lock:
            return [call.body for call in self.calls if call.path == path]

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """(status, JSON body) for a well-behaved answer."""
        raise NotImplementedError

    def fix_count(self, items: list[_T]) -> list[_T]:
        """`items` (texts, translations), with as many more or fewer as the script says."""
        extra = self.script.extra_texts
        return items + items[:1] * extra if extra >= 0 else items[:extra]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _answer(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            self.calls.append(Call(method=method, path=path, headers=headers, body=body))
        if self.script.delay_s:
            self._released.wait(self.script.delay_s)
        if self.script.status != 200:
            return self.script.status, {"error": "scripted failure", "message": "scripted failure"}
        return self.handle(method, path, headers, body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that stopped waiting (the timeout tests) is expected: nothing to print."""


def _parse(content_type: str, raw: bytes) -> Any:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw)
    form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in form.items()}


def _handler_for(fake: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _parse(self.headers.get("Content-Type", ""), raw)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = fake._answer(self.command, self.path, headers, body)
            payload = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # the test output stays readable
            pass

    return Handler
