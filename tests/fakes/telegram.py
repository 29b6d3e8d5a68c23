"""A loopback fake of the Telegram Bot API: real HTTP on 127.0.0.1, scriptable failures, every call recorded.

    async with FakeTelegram.running() as api:
        channel = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        api.push_command(42, "start", "CODE")   # a family taps the deep link
        api.rate_limit(42, retry_after=3)       # the next call for chat 42 answers 429
        ...
        api.sent_to(42)                         # what the bot sent there

It speaks the Bot API as python-telegram-bot calls it (form, multipart or JSON bodies at
/bot<token>/<method>, files at /file/bot<token>/<path>) and checks what Telegram checks on
the way: HTML that would not parse, texts and captions too long, callback data over 64 bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.telegram_updates import UpdateFactory

TOKEN = "123456:TEST-fake-token-abcdefghijkl"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Partnerbot", "username": "partnerbot_test_bot"}
#: Parameters PTB sends JSON-encoded inside a form field.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options"}
_TAG = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|code|pre|blockquote)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_LONG_POLL_CAP_S = 1.0


@dataclass(frozen=True)
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    #: When it arrived (time.monotonic), so pacing can be measured where Telegram would see it.
    at: float = field(default_factory=time.monotonic, compare=False)

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)


@dataclass
class _Scripted:
    """An answer the fake gives instead of the normal one: an error, or a delay beforehand."""

    method: str | None
    chat_id: str | None
    times: int | None
    status: int = 200
    description: str = ""
    parameters: dict[str, Any] | None = None
    delay_s: float = 0.0

    def matches(self, call: Call) -> bool:
        return (self.method in (None, call.method)) and (self.chat_id in (None, call.chat_id))


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


class FakeTelegram(UpdateFactory):
    """The Bot API as one bot sees it: chats, queued updates, files, webhook and command menus."""

    def __init__(self, *, token: str = TOKEN) -> None:
        super().__init__(bot_user=BOT_USER)
        self.token = token
        self.base_url = self.base_file_url = ""
        self.calls: list[Call] = []
        self.offsets: list[int | None] = []
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str | None, list[dict[str, str]]] = {}
        self._scripts: list[_Scripted] = []
        self._arrived = asyncio.Event()
        self._closing = asyncio.Event()
        self._allowed: list[str] | None = None
        self._polling = 0
        #: getUpdates refused because another was under way (two bot instances polling at once).
        self.conflicts = 0

    # -- scripting ------------------------------------------------------------------------------

    def fail(
        self,
        *,
        status: int,
        description: str,
        method: str | None = None,
        chat_id: int | str | None = None,
        parameters: dict[str, Any] | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer matching calls with this error, `times` times (None: until the test ends)."""
        chat = None if chat_id is None else str(chat_id)
        self._scripts.append(_Scripted(method, chat, times, status, description, parameters))

    def rate_limit(self, chat_id: int | str, *, retry_after: int = 3, times: int = 1) -> None:
        self.fail(
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            chat_id=chat_id,
            parameters={"retry_after": retry_after},
            times=times,
        )

    def block(self, chat_id: int | str) -> None:
        self.fail(
            status=403, description="Forbidden: bot was blocked by the user", chat_id=chat_id, times=None
        )

    def chat_not_found(self, chat_id: int | str) -> None:
        self.fail(status=400, description="Bad Request: chat not found", chat_id=chat_id, times=None)

    def migrate(self, chat_id: int | str, *, to_chat_id: int) -> None:
        self.fail(
            status=400,
            description="Bad Request: group chat was upgraded to a supergroup chat",
            chat_id=chat_id,
            parameters={"migrate_to_chat_id": to_chat_id},
            times=None,
        )

    def server_error(self, *, method: str | None = None, times: int = 1) -> None:
        self.fail(status=500, description="Internal Server Error", method=method, times=times)

    def recover(self) -> None:
        """Forget every scripted failure and delay: the Bot API answers normally again."""
        self._scripts.clear()

    def stall(self, *, method: str, seconds: float, times: int | None = 1) -> None:
        """Answer `method` normally, but only after `seconds` (past a client's timeout, say;
        or, with `times=None`, as a server that far away would)."""
        self._scripts.append(_Scripted(method, None, times, delay_s=seconds))

    # -- updates ------------------------------------------------------------------------------

    def _queue(self, update: dict[str, Any]) -> None:
        super()._queue(update)
        self._arrived.set()

    # -- reading what the bot did ---------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """sendMessage and sendPhoto calls for a chat, answered or not."""
        return [
            call
            for call in self.calls
            if call.method in {"sendMessage", "sendPhoto"} and call.chat_id == str(chat_id)
        ]

    async def wait_for(self, condition: Callable[[], object], *, timeout_s: float = 5.0) -> None:
        """Until `condition()` is true; fails the test after `timeout_s`."""
        async with asyncio.timeout(timeout_s):
            while not condition():  # noqa: ASYNC110 - the state changes in other tasks, in many places
                await asyncio.sleep(0.01)

    # -- the server ------------------------------------------------------------------------------

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **kwargs: Any) -> AsyncIterator[FakeTelegram]:
        """Serve on 127.0.0.1 on a free port for the duration of the block."""
        fake = cls(**kwargs)
        # IPPROTO_TCP explicitly: only then does asyncio set TCP_NODELAY on accepted connections;
        # without it each answer waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        fake.base_url = f"http://127.0.0.1:{port}/bot"
        fake.base_file_url = f"http://127.0.0.1:{port}/file/bot"
        # Connections kept alive 75 s, as nginx does: uvicorn's 5 s equals httpx's keep-alive expiry,
        # so a connection idle just that long (a process waiting on SQLite's writer lock) could be
        # closed under the next request: "Server disconnected without sending a response", which
        # the adapter rightly records as ambiguous (sent, perhaps) and a count at the fake misses.
        config = uvicorn.Config(
            fake._app(),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=75,
        )
        server = _Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            await fake.wait_for(lambda: server.started or serving.done())
            yield fake
        finally:
            fake._closing.set()
            fake._arrived.set()  # wakes a long poll still waiting
            server.should_exit = True
            async with asyncio.timeout(5):
                await serving
            sock.close()

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        params, files = await _read_params(request)
        call = Call(method=request.path_params["method"], params=params, files=files)
        self.calls.append(call)
        script = next((s for s in self._scripts if s.matches(call)), None)
        if script is not None:
            if script.times is not None:
                script.times -= 1
                if script.times == 0:
                    self._scripts.remove(script)
            if script.delay_s:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), script.delay_s)
            if script.status != 200:
                return _error(script.status, script.description, script.parameters)
        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            return _error(404, "Not Found")
        try:
            result = await handler(call)
        except ApiError as exc:
            return _error(exc.status, exc.description, exc.parameters)
        return _Json({"ok": True, "result": result})

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        found = next((f for f in self.files.values() if f["file_path"] == request.path_params["path"]), None)
        if found is None:
            return _error(404, "Not Found")
        return Response(found["data"], media_type="application/octet-stream")

    # -- methods -------------------------------------------------------------------------------

    async def _api_getMe(self, call: Call) -> Any:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False}

    async def _api_getUpdates(self, call: Call) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        if self._polling:
            self.conflicts += 1
            raise ApiError(409, "Conflict: terminated by other getUpdates request")
        self._polling += 1
        try:
            return await self._poll(call)
        finally:
            self._polling -= 1

    async def _poll(self, call: Call) -> Any:
        offset = int(call.params.get("offset") or 0)
        self.offsets.append(offset or None)
        if "allowed_updates" in call.params:
            self._allowed = call.params["allowed_updates"] or None
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(call.params.get("timeout") or 0), _LONG_POLL_CAP_S)
        while not (pending := self._pending()) and time.monotonic() < deadline and not self._closing.is_set():
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), max(0.0, deadline - time.monotonic()))
        return pending[: int(call.params.get("limit") or 100)]

    def _pending(self) -> list[dict[str, Any]]:
        """Queued updates of the allowed types (Telegram drops the others)."""
        return [u for u in self.updates if self._allowed is None or _kind(u) in self._allowed]

    async def _api_sendMessage(self, call: Call) -> Any:
        text = _plain(call.params.get("text", ""), parse_mode=call.params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._post(call, text=text)

    async def _api_sendPhoto(self, call: Call) -> Any:
        caption = _plain(call.params.get("caption", ""), parse_mode=call.params.get("parse_mode"))
        if _utf16_len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        if "photo" in call.files:
            file_id = self.add_file(call.files["photo"])
        elif call.params.get("photo") in self.files:
            file_id = call.params["photo"]
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return self._post(call, caption=caption or None, photo=self.photo_sizes(file_id))

    def _post(self, call: Call, **content: Any) -> dict[str, Any]:
        """A message the bot sent, as Telegram answers it and as the chat keeps it."""
        markup = call.params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        chat_id = call.params["chat_id"]
        message = {
            "message_id": self.next_message_id(int(chat_id)),
            "from": BOT_USER,
            "chat": self.chat(int(chat_id)),
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value is not None},
        }
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        self.chats.setdefault(str(chat_id), []).append(message)
        return message

    async def _api_getFile(self, call: Call) -> Any:
        found = self.files.get(call.params.get("file_id", ""))
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {key: found[key] for key in ("file_id", "file_unique_id", "file_size", "file_path")}

    async def _api_answerCallbackQuery(self, call: Call) -> Any:
        return True

    async def _api_editMessageReplyMarkup(self, call: Call) -> Any:
        messages = self.chats.get(str(call.params.get("chat_id")), [])
        message = next(
            (m for m in messages if str(m["message_id"]) == str(call.params.get("message_id"))), None
        )
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = call.params.get("reply_markup") or {}
        if not markup.get("inline_keyboard"):
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    async def _api_setMyCommands(self, call: Call) -> Any:
        self.commands[call.params.get("language_code") or None] = call.params["commands"]
        return True

    async def _api_setWebhook(self, call: Call) -> Any:
        if not str(call.params.get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(call.params)
        return True

    async def _api_deleteWebhook(self, call: Call) -> Any:
        self.webhook = None
        if str(call.params.get("drop_pending_updates")).lower() == "true":
            self.updates.clear()
        return True


class _Server(uvicorn.Server):
    """Leaves signal handling to pytest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Form, multipart or JSON parameters, with PTB's JSON-encoded fields decoded."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    files: dict[str, bytes] = {}
    if content_type.startswith("application/json"):
        return (json.loads(body) if body else {}), files
    if content_type.startswith("multipart/form-data"):
        params: dict[str, Any] = {}
        for name, filename, content in _multipart(body, content_type):
            if filename is None:
                params[name] = content.decode()
            else:
                files[name] = content
    else:
        params = dict(request.query_params) | dict(parse_qsl(body.decode(), keep_blank_values=True))
    for name in _JSON_FIELDS & params.keys():
        params[name] = json.loads(params[name])
    return params, files


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """(name, filename, content) of each part of a multipart/form-data body."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        return []
    parts = []
    for chunk in body.split(b"--" + boundary.group(1).encode())[1:-1]:
        head, _, content = chunk[2:].partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        parts.append((name.group(1) if name else "", filename.group(1) if filename else None, content[:-2]))
    return parts


def _plain(text: str, *, parse_mode: str | None) -> str:
    """The text a chat would show; HTML that Telegram could not parse is refused as Telegram does."""
    if parse_mode != "HTML":
        return text
    opened: list[str] = []
    for tag in _TAG.finditer(text):
        if not tag.group(0).startswith("</"):
            opened.append(tag.group(1))
        elif not opened or opened.pop() != tag.group(1):
            raise ApiError(
                400, "Bad Request: can't parse entities: can't find end tag corresponding to start tag"
            )
    if opened:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: can't find end tag corresponding to start tag {opened[-1]}",
        )
    without_tags = _TAG.sub("", text)
    if re.search(r"[<>&]", _ENTITY.sub("", without_tags)):
        raise ApiError(400, "Bad Request: can't parse entities: unsupported start tag or unescaped character")
    return html.unescape(without_tags)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


class _Json(JSONResponse):
    """JSON as Telegram writes it: ASCII, so a string with a lone surrogate (which a person's name
    may carry) goes out as its \\ud800 escape, as valid JSON, not as a server error."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)
