"""A loopback fake of Slack: the Web API over HTTP and a Socket Mode WebSocket, on 127.0.0.1.

    async with FakeSlack.running() as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        slack.add_user("U1", name="Emma Clarke", email="emma@school.example")
        await slack.connected()                        # a Socket Mode client said hello
        envelope = await slack.push_command("U1", "acks")
        await slack.acked(envelope)                    # the app answered the envelope
        slack.rate_limit("chat.postMessage", retry_after=3)
        slack.posted_to("U1")                          # what the bot posted in U1's DM

It answers as Slack does, learnt from bolt-python's tests/mock_web_api_server and
tests/adapter_tests/socket_mode/mock_socket_mode_server.py and Slack's API reference:
`{"ok": true, ...}` or HTTP 200 with `{"ok": false, "error": "..."}`, HTTP 429 with
`Retry-After`; tokens checked (`invalid_auth`), Block Kit checked by slack_sdk's own models
(`invalid_blocks`), a trigger_id usable once, within 3 s, and only if the fake issued it. Socket Mode:
apps.connections.open (with the xapp- token) hands out a ws:// URL; the socket says hello,
then carries envelopes (`events_api`, `slash_commands`, `interactive`) and the app's acks
(`{"envelope_id": ...}`); `disconnect()` asks the client to reconnect, as Slack does hourly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
APP_TOKEN = "xapp-1-A111-2222-fakeapptoken"
TEAM_ID, APP_ID, BOT_USER_ID, BOT_ID = "T0FAKE", "A0FAKE", "U0BOT", "B0BOT"
#: Slack's limits on what a message may carry (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS, MAX_TEXT = 50, 40_000


@dataclass(frozen=True)
class Call:
    """One Web API request as the fake received it (answered or not)."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic, compare=False)


@dataclass
class _Scripted:
    method: str | None
    channel: str | None
    times: int | None
    error: str = ""
    status: int = 200
    retry_after: int | None = None

    def matches(self, call: Call) -> bool:
        target = call.params.get("channel") or call.params.get("user") or call.params.get("user_id")
        return self.method in (None, call.method) and self.channel in (None, target)


class FakeSlack:
    """One workspace with our app installed: its users, their DMs, and a Socket Mode endpoint."""

    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self.base_url = ""
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}  # DM channel id → messages
        self.views: dict[str, dict[str, Any]] = {}  # user id → published home view
        self.opened: dict[str, list[dict[str, Any]]] = {}  # user id → the modals views.open showed them
        self.acks: dict[str, dict[str, Any]] = {}  # envelope id → the app's ack
        self.files: dict[str, bytes] = {}  # file id → the bytes uploaded to its upload URL
        self.shared: dict[str, bytes] = {}  # file id → a file people shared, served at its url_private
        self.pushed_at: dict[str, float] = {}  # envelope id → when it was sent (time.monotonic)
        self.acked_at: dict[str, float] = {}  # envelope id → when its ack arrived
        self.connections = 0  # WebSockets opened so far
        self._scripts: list[_Scripted] = []
        self._sockets: list[web.WebSocketResponse] = []
        self.trigger_lifetime_s = 3.0  # Slack's: views.open after that answers expired_trigger_id
        self._triggers: dict[str, tuple[str, float]] = {}  # trigger id → its user, when issued
        self._pending_files: dict[str, int] = {}  # file id → the length announced for it
        self._ts = itertools.count(1)
        self._changed = asyncio.Event()
        self._port = 0

    # -- the workspace ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None = None,
        locale: str = "en-US",
        deleted: bool = False,
    ) -> dict[str, Any]:
        """A member of the workspace; `email` is the verified address users:read.email shows."""
        profile = {"real_name": name, "display_name": name.split()[0]} | ({"email": email} if email else {})
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "deleted": deleted,
            "is_bot": False,
            "locale": locale,
            "tz": "Europe/London",
            "profile": profile,
        }
        self.users[user_id] = user
        return user

    @staticmethod
    def dm_of(user_id: str) -> str:
        """The id of the app's DM with a user (Slack answers a post to a user id with its DM's id)."""
        return "D" + user_id.removeprefix("U")

    # -- scripting --------------------------------------------------------------------------------

    def fail(
        self, error: str, *, method: str | None = None, channel: str | None = None, times: int | None = 1
    ) -> None:
        """Answer matching calls `{"ok": false, "error": error}`, `times` times (None: always).
        `channel` matches a call's channel or user parameter."""
        self._scripts.append(_Scripted(method, channel, times, error))

    def rate_limit(self, method: str | None = None, *, retry_after: int = 3, times: int = 1) -> None:
        """Answer HTTP 429 with Retry-After, as Slack does past a method's tier."""
        self._scripts.append(_Scripted(method, None, times, "ratelimited", 429, retry_after))

    def revoke(self) -> None:
        """The app was uninstalled: every call with the bot token answers token_revoked."""
        self.fail("token_revoked", times=None)

    # -- reading what the app did -----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def posted_to(self, user_id: str) -> list[dict[str, Any]]:
        """The messages in the app's DM with the user (as they stand, after chat.update)."""
        return self.messages.get(self.dm_of(user_id), [])

    async def wait_for(self, condition: Callable[[], object], *, timeout_s: float = 5.0) -> None:
        """Until `condition()` holds; fails the test after `timeout_s`. Woken by every call and ack."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)

    # -- Socket Mode ------------------------------------------------------------------------------

    async def connected(self, *, count: int = 1, timeout_s: float = 5.0) -> None:
        """Until `count` sockets have been opened in all and one is open now."""
        await self.wait_for(lambda: self.connections >= count and self._open(), timeout_s=timeout_s)

    async def push(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, envelope_id: str | None = None
    ) -> str:
        """Send an envelope down the open socket; returns its envelope id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        await self.connected()
        self.pushed_at[envelope_id] = time.monotonic()
        await self._open()[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def push_event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_attempt: int = 0
    ) -> str:
        """An Events API callback (`event_id` the same on Slack's retries of it)."""
        payload = {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return await self.push("events_api", payload, retry_attempt=retry_attempt)

    async def push_dm(self, user_id: str, text: str, *, photo: bytes | None = None, **push: Any) -> str:
        """A person writes in the app's Messages tab (message.im), sharing a photo if given (a
        file_share message; the file is fetched from its url_private with the bot token)."""
        event: dict[str, Any] = {
            "type": "message",
            "channel_type": "im",
            "channel": self.dm_of(user_id),
            "user": user_id,
            "text": text,
            "ts": self._next_ts(),
            "event_ts": self._next_ts(),
        }
        if photo is not None:
            event |= {"subtype": "file_share", "files": [self._share(photo, "photo.jpg")]}
        return await self.push_event(event, **push)

    def _share(self, data: bytes, name: str) -> dict[str, str]:
        """A file a user shared: served at its url_private (with the bot token only)."""
        file_id = f"F{next(self._ts)}"
        self.shared[file_id] = data
        url = f"http://127.0.0.1:{self._port}/files-pri/{TEAM_ID}-{file_id}/{name}"
        return {"id": file_id, "name": name, "mimetype": "image/jpeg", "url_private": url}

    async def push_home_opened(self, user_id: str) -> str:
        return await self.push_event(
            {"type": "app_home_opened", "user": user_id, "channel": self.dm_of(user_id), "tab": "home"}
        )

    async def push_command(self, user_id: str, text: str, *, command: str = "/partnerbot") -> str:
        """A slash command typed anywhere; the payload carries a fresh trigger_id."""
        payload = {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "team_domain": "school",
            "channel_id": self.dm_of(user_id),
            "channel_name": "directmessage",
            "user_id": user_id,
            "user_name": self.users.get(user_id, {}).get("name", user_id),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "response_url": f"http://127.0.0.1:{self._port}/commands/response",
            "trigger_id": self._trigger(user_id),
        }
        return await self.push("slash_commands", payload)

    async def push_action(
        self, user_id: str, *, value: str, message_ts: str | None = None, action_id: str = "pb:0"
    ) -> str:
        """A press of the button carrying `value`: on the message `message_ts` in the user's DM
        (by default the latest one with that button), with the button as Slack echoes it. A value
        on no message of theirs is a forged press, sent with `action_id`."""
        message = self._message_with(user_id, value, message_ts)
        button = next(
            (e for b in message.get("blocks", []) for e in b.get("elements", []) if e.get("value") == value),
            {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": "?"},
                "value": value,
            },
        )
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": self.users.get(user_id, {}).get("name", user_id),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "verification-token",
            "container": {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": self.dm_of(user_id),
            },
            "trigger_id": self._trigger(user_id),
            "team": {"id": TEAM_ID, "domain": "school"},
            "channel": {"id": self.dm_of(user_id), "name": "directmessage"},
            "message": message,
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "text": button["text"],
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return await self.push("interactive", payload)

    async def push_shortcut(self, user_id: str, callback_id: str, text: str) -> str:
        """A message shortcut used on a message in a channel, the text as Slack escapes it."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": self._trigger(user_id),
            "action_ts": f"{time.time():.6f}",
            "team": {"id": TEAM_ID, "domain": "school"},
            "user": {"id": user_id, "team_id": TEAM_ID, "name": self.users.get(user_id, {}).get("name", "")},
            "channel": {"id": "C0STAFF", "name": "staffroom"},
            "message": {"type": "message", "user": user_id, "ts": self._next_ts(), "text": escaped},
            "response_url": f"http://127.0.0.1:{self._port}/response",
            "token": "verification-token",
        }
        return await self.push("interactive", payload)

    async def push_submission(self, user_id: str, answers: dict[str, str | bool | bytes]) -> str:
        """The user submits the latest modal opened for them: for each input block (by block_id),
        a text, an option's value, True to tick a checkbox, or a file's bytes; what is not in
        `answers` is empty."""
        view = self.opened[user_id][-1]
        values: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element, answer = block["element"], answers.get(block["block_id"])
            state: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "plain_text_input":  # left as it was: its initial text, if any
                state["value"] = answer if isinstance(answer, str) else element.get("initial_value")
            elif element["type"] == "static_select":
                chosen = [o for o in element["options"] if o["value"] == answer]
                if not chosen and element.get("initial_option"):
                    chosen = [element["initial_option"]]
                state["selected_option"] = chosen[0] if chosen else None
            elif element["type"] == "checkboxes":
                state["selected_options"] = element["options"][:1] if answer is True else []
            elif element["type"] == "file_input":  # bytes: a photo the user added, shared as Slack does
                state["files"] = [self._share(answer, "photo.jpg")] if isinstance(answer, bytes) else []
            values[block["block_id"]] = {element["action_id"]: state}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "school"},
            "user": {"id": user_id, "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "trigger_id": self._trigger(user_id),
            "view": {**view, "state": {"values": values}, "hash": uuid.uuid4().hex[:10]},
        }
        return await self.push("interactive", payload)

    def buttons(self, user_id: str) -> dict[str, str]:
        """label → value of the buttons on the latest message with buttons in the user's DM."""
        for message in reversed(self.posted_to(user_id)):
            found = {
                e["text"]["text"]: e["value"]
                for b in message.get("blocks", [])
                if b.get("type") == "actions"
                for e in b["elements"]
            }
            if found:
                return found
        raise AssertionError(f"no message with buttons for {user_id}")

    async def acked(self, envelope_id: str, *, timeout_s: float = 5.0) -> dict[str, Any]:
        """The app's ack of an envelope, once it came."""
        await self.wait_for(lambda: envelope_id in self.acks, timeout_s=timeout_s)
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect (Slack's `disconnect` message), as Slack does now and then."""
        for socket in self._open():
            await socket.send_str(json.dumps({"type": "disconnect", "reason": reason, "debug_info": {}}))

    async def drop(self) -> None:
        """Close every socket from our side without a word, as a lost connection would."""
        for socket in self._open():
            await socket.close()

    # -- the server -------------------------------------------------------------------------------

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **kwargs: Any) -> AsyncIterator[FakeSlack]:
        """Serve on 127.0.0.1 on a free port for the duration of the block."""
        fake = cls(**kwargs)
        app = web.Application()
        app.router.add_post("/api/{method}", fake._api)
        app.router.add_get("/api/{method}", fake._api)
        app.router.add_get("/link", fake._socket)
        app.router.add_post("/upload/{file_id}", fake._upload)
        app.router.add_get("/files-pri/{team_file}/{name}", fake._download)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        fake._port = runner.addresses[0][1]
        fake.base_url = f"http://127.0.0.1:{fake._port}/api/"
        try:
            yield fake
        finally:
            for socket in list(fake._sockets):
                await socket.close()
            await runner.cleanup()

    def _open(self) -> list[web.WebSocketResponse]:
        return [socket for socket in self._sockets if not socket.closed]

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") != self.app_token:
            return web.Response(status=401)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        self.connections += 1
        await socket.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self._open()),
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self._changed.set()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    ack = json.loads(message.data)
                    if "envelope_id" in ack:
                        self.acked_at.setdefault(ack["envelope_id"], time.monotonic())
                        self.acks[ack["envelope_id"]] = ack
                        self._changed.set()
        finally:
            self._sockets.remove(socket)
            self._changed.set()
        return socket

    async def _api(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params |= await request.json()
            else:
                params |= dict(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.pop("token", None)
        call = Call(request.match_info["method"], params, token)
        self.calls.append(call)
        self._changed.set()
        for script in self._scripts:
            if script.matches(call) and script.times != 0:
                if script.times is not None:
                    script.times -= 1
                headers = {"Retry-After": str(script.retry_after)} if script.retry_after is not None else {}
                return web.json_response(
                    {"ok": False, "error": script.error}, status=script.status, headers=headers
                )
        expected = self.app_token if call.method == "apps.connections.open" else self.bot_token
        if token is None:
            return _error("not_authed")
        if token != expected:
            return _error("invalid_auth")
        handler = getattr(self, "_" + call.method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method")
        answer: dict[str, Any] = handler(params)
        return web.json_response(answer if "ok" in answer else {"ok": True, **answer})

    # -- the methods ------------------------------------------------------------------------------

    def _auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://school.slack.com/",
            "team": "School",
            "user": "partnerbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self._port}/link?ticket={self.app_token}&app_id={APP_ID}"}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        dm = self._dm(channel)
        if dm is None:
            return {"ok": False, "error": "channel_not_found"}
        problem = _message_problem(params)
        if problem:
            return {"ok": False, "error": problem}
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": self._next_ts(),
            "text": params.get("text", ""),
            "blocks": _decoded(params.get("blocks")),
        } | ({"thread_ts": params["thread_ts"]} if params.get("thread_ts") else {})
        self.messages.setdefault(dm, []).append(message)
        return {"channel": dm, "ts": message["ts"], "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        dm = self._dm(str(params.get("channel", "")))
        found = [m for m in self.messages.get(dm or "", []) if m["ts"] == params.get("ts")]
        if not found:
            return {"ok": False, "error": "message_not_found"}
        problem = _message_problem(params)
        if problem:
            return {"ok": False, "error": problem}
        found[0].update(text=params.get("text", ""), blocks=_decoded(params.get("blocks")))
        return {"channel": dm, "ts": found[0]["ts"], "text": found[0]["text"]}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        shown = dict(user)
        if str(params.get("include_locale", "")).lower() not in {"true", "1"}:
            shown.pop("locale")
        return {"user": shown}

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        for user in self.users.values():
            if user["profile"].get("email", "").lower() == email and not user["deleted"]:
                return {"user": user}
        return {"ok": False, "error": "users_not_found"}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", "")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if self.users[users[0]]["deleted"]:
            return {"ok": False, "error": "user_disabled"}
        return {"channel": {"id": self.dm_of(users[0])}}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id", ""))
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        view = _decoded(params.get("view")) or {}
        if view.get("type") != "home" or _blocks_problem(view.get("blocks", []), limit=100):
            return {"ok": False, "error": "invalid_arguments"}
        self.views[user] = view
        return {"view": {"id": f"V{next(self._ts)}", **view}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user, issued_s = self._triggers.pop(str(params.get("trigger_id", "")), (None, 0.0))
        if user is None or time.monotonic() - issued_s > self.trigger_lifetime_s:
            return {"ok": False, "error": "expired_trigger_id"}
        view = _decoded(params.get("view")) or {}
        if view.get("type") != "modal" or _blocks_problem(view.get("blocks", []), limit=100):
            return {"ok": False, "error": "invalid_arguments"}
        title = view.get("title", {}).get("text", "")
        if not title or len(title) > 24 or len(view.get("private_metadata", "")) > 3000:
            return {"ok": False, "error": "invalid_arguments"}
        view = {"id": f"V{next(self._ts)}", **view}
        self.opened.setdefault(user, []).append(view)
        return {"view": view}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdecimal():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts)}"
        self._pending_files[file_id] = int(params["length"])
        return {"upload_url": f"http://127.0.0.1:{self._port}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL (files.slack.com in Slack): the file's bytes as the body."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        if self._pending_files.get(file_id) != len(data):
            return web.Response(status=400, text="length mismatch")
        self.files[file_id] = data
        self._changed.set()
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        """A shared file's url_private: only with the bot token, as Slack serves them."""
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
        data = self.shared.get(request.match_info["team_file"].rpartition("-")[2])
        return (
            web.Response(status=404) if data is None else web.Response(body=data, content_type="image/jpeg")
        )

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _decoded(params.get("files")) or []
        if not files or any(f.get("id") not in self.files for f in files):
            return {"ok": False, "error": "file_not_found"}
        dm = self._dm(str(params.get("channel_id", "")))
        if dm is None or not str(params.get("channel_id", "")).startswith("D"):
            return {"ok": False, "error": "channel_not_found"}  # a user id is not a channel here
        shared = [
            {"id": f["id"], "title": f.get("title", ""), "size": len(self.files[f["id"]])} for f in files
        ]
        self.messages.setdefault(dm, []).append(
            {"type": "message", "user": BOT_USER_ID, "ts": self._next_ts(), "text": "", "files": shared}
        )
        return {"files": shared}

    # -- helpers ----------------------------------------------------------------------------------

    def _dm(self, channel: str) -> str | None:
        """The DM a post to `channel` (a user id or a DM id) lands in; None for no such channel."""
        user = channel if channel.startswith("U") else "U" + channel.removeprefix("D")
        if not channel.startswith(("U", "D")) or user not in self.users:
            return None
        return self.dm_of(user)

    def _message_with(self, user_id: str, value: str, ts: str | None) -> dict[str, Any]:
        home = self.views.get(user_id, {})
        if ts is None and any(
            e.get("value") == value for b in home.get("blocks", []) for e in b.get("elements", [])
        ):
            return {"type": "home", "ts": None, "blocks": home["blocks"]}  # a button of the App Home
        for message in reversed(self.posted_to(user_id)):
            values = {e.get("value") for b in message.get("blocks", []) for e in b.get("elements", [])}
            if (ts is None and value in values) or message["ts"] == ts:
                return cast("dict[str, Any]", message)
        return {"type": "message", "ts": ts or self._next_ts(), "blocks": []}

    def _trigger(self, user_id: str) -> str:
        trigger = f"{next(self._ts)}.{uuid.uuid4().hex[:12]}"
        self._triggers[trigger] = (user_id, time.monotonic())
        return trigger

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"


def _error(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


def _decoded(value: Any) -> Any:
    """A JSON field as slack_sdk sends it: already parsed in a JSON body, a string in a form."""
    return json.loads(value) if isinstance(value, str) and value else value


def _message_problem(params: dict[str, Any]) -> str | None:
    """What Slack would refuse in a message: no content, text too long, blocks out of bounds."""
    blocks = _decoded(params.get("blocks")) or []
    text = str(params.get("text") or "")
    if not text and not blocks:
        return "no_text"
    if len(text) > MAX_TEXT:
        return "msg_too_long"
    return "invalid_blocks" if _blocks_problem(blocks, limit=MAX_BLOCKS) else None


def _blocks_problem(blocks: list[dict[str, Any]], *, limit: int) -> bool:
    """True when slack_sdk's Block Kit models reject the blocks (lengths, counts), or there are too many."""
    if len(blocks) > limit:
        return True
    try:
        for block in Block.parse_all(blocks):
            if block is None:  # a type Block Kit does not know
                return True
            block.to_dict()  # runs the models' validators: section text ≤ 3000, button value ≤ 2000…
    except (SlackObjectFormationError, KeyError, TypeError):
        return True
    return False
