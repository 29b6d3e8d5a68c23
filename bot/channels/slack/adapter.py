"""Slack channel on slack-bolt's AsyncApp: Socket Mode by default, HTTP mode through the web app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from bot.channels.base import Capabilities, InboundSink, RateLimits, Sent, WebRoute
from bot.channels.slack.errors import AUTH, mapped
from bot.channels.slack.forms import FORM_CALLBACK, blank_fields, from_submission, render_form
from bot.channels.slack.limits import OPEN_FORM, POST_MESSAGE, PUBLISH_HOME, UPLOAD_FILE, slack_limits
from bot.channels.slack.render import (
    ACTION_PREFIX,
    CHANNEL,
    SHORTCUTS,
    SLASH_COMMAND,
    Person,
    from_action,
    from_command,
    from_home_opened,
    from_message,
    from_shortcut,
    person_of,
    render,
    render_home,
)
from bot.channels.slack.settings import SlackSettings
from bot.events import Attachment, Inbound, Outbound

__all__ = ["EVENTS_PATH", "SlackChannel", "from_settings"]

_LOGGER = logging.getLogger(__name__)
#: The path Slack calls in HTTP mode (the manifest's request URLs).
EVENTS_PATH = "/slack/events"
#: What a listener turns a Bolt body into.
_Parse = Callable[[Mapping[str, Any], Person | None], Inbound | None]
#: How long a person's name, language and e-mail from users.info are reused.
_PROFILE_TTL_S = 3600.0


class SlackChannel:
    """Staff on Slack. Each listener records the event (the sink) and only then acks it, so an
    event is never lost after Slack was told it arrived; its turn runs later, off the ack's path.
    A slash command, a DM or a button press becomes an Inbound from the Slack user: their user
    id is the address (chat.postMessage to a user id lands in the app's DM with them)."""

    name = CHANNEL
    capabilities = Capabilities(
        max_text_length=40_000, buttons=True, attachments=True, threading=True, home_page=True
    )

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str | None = None,
        signing_secret: str | None = None,
        mode: Literal["socket", "http"] = "socket",
        base_url: str = "https://slack.com/api/",
        limits: RateLimits | None = None,
        request_timeout_s: int = 10,
        profile_timeout_s: float = 1.0,
        ping_interval_s: float = 10.0,
        retry_delay_s: float = 1.0,
        max_retry_delay_s: float = 60.0,
    ) -> None:
        if mode == "socket" and not app_token:
            raise ValueError("Slack Socket Mode needs an app-level token (xapp-…)")
        if mode == "http" and not signing_secret:
            raise ValueError("Slack HTTP mode needs the signing secret")
        self.limits = limits or slack_limits()
        self._mode = mode
        self._app_token = app_token
        self._signing_secret = signing_secret or ""
        # The SDK's own log lines go through one logger of ours: at DEBUG they quote message bodies.
        self._sdk_logger = logging.getLogger(f"{__name__}.sdk")
        self._sdk_logger.setLevel(max(logging.INFO, self._sdk_logger.getEffectiveLevel()))
        self._client = AsyncWebClient(
            token=bot_token, base_url=base_url, timeout=request_timeout_s, logger=self._sdk_logger
        )
        self._profile_timeout_s = profile_timeout_s
        self._ping_interval_s = ping_interval_s
        self._retry_delay_s = retry_delay_s
        self._max_retry_delay_s = max_retry_delay_s
        self._profiles: dict[str, tuple[float, Person]] = {}
        self._dms: dict[str, str] = {}  # user id → the id of the app's DM with them
        self._file_hosts = frozenset({"files.slack.com", urlsplit(base_url).netloc})
        self._bolt_app: AsyncApp | None = None
        self._sink: InboundSink | None = None
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def __repr__(self) -> str:
        return f"SlackChannel(mode={self._mode})"

    async def start(self, sink: InboundSink) -> None:
        """Receive until `stop()`: over a Socket Mode WebSocket, or from the web app in HTTP mode."""
        self._sink = sink
        self._stopping.clear()
        self._idle.clear()
        try:
            if self._mode == "http":
                await self._stopping.wait()
                return
            if not await self._authorized():
                return
            handler = AsyncSocketModeHandler(
                self._bolt(), self._app_token, logger=self._sdk_logger, ping_interval=self._ping_interval_s
            )
            # connect() retries by itself while Slack cannot be reached; stop() ends that too.
            connect = handler.connect_async()  # type: ignore[no-untyped-call]
            connecting = asyncio.create_task(connect, name="slack-connect")
            try:
                await self._stopping.wait()
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
        finally:
            self._sink = None
            self._idle.set()

    async def stop(self, *, timeout_s: float = 10.0) -> None:
        """Close the WebSocket and its HTTP session before returning (a cancelled close leaks them)."""
        self._stopping.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_s)

    async def send(self, address: str, out: Outbound) -> Sent:
        """Post each rendered message (usually one); the provider id is the ts of the last. A home
        page is published as the person's App Home view instead (its id is the provider id)."""
        if out.content.home:
            with mapped(PUBLISH_HOME, address):
                published = await self._client.views_publish(user_id=address, view=render_home(out))
            return Sent(provider_id=str((published.get("view") or {}).get("id", "")))
        if out.content.form is not None:
            with mapped(OPEN_FORM, address):
                opened = await self._client.views_open(
                    trigger_id=out.content.form.trigger, view=render_form(out.content.form)
                )
            return Sent(provider_id=str((opened.get("view") or {}).get("id", "")))
        if out.attachment is not None and out.attachment.data is not None:
            await self._upload(address, out.attachment)  # first, as on Telegram: the text then follows it
        ts = ""
        for message in render(out):
            with mapped(POST_MESSAGE, address):
                response = await self._client.chat_postMessage(
                    channel=address,
                    text=message.text,
                    blocks=list(message.blocks),
                    unfurl_links=False,
                    unfurl_media=False,
                )
            ts = str(response["ts"])
        return Sent(provider_id=ts)

    async def _upload(self, address: str, photo: Attachment) -> None:
        """A photo into the person's DM with the app (files.getUploadURLExternal, the upload, then
        files.completeUploadExternal, which needs the DM's id: conversations.open gives it)."""
        with mapped(UPLOAD_FILE, address):
            dm = self._dms.get(address)
            if dm is None:
                opened = await self._client.conversations_open(users=address)
                dm = self._dms[address] = str((opened.get("channel") or {}).get("id", ""))
            await self._client.files_upload_v2(
                channel=dm, file=photo.data, filename=photo.filename, title=photo.filename
            )

    async def fetch_file(self, platform_ref: str) -> bytes:
        """A file a person shared (its url_private), with the bot token; only from Slack's file host
        (or the configured API host, in tests): the token must not go anywhere a payload names."""
        if urlsplit(platform_ref).netloc not in self._file_hosts:
            raise ValueError("not a Slack file URL")
        headers = {"Authorization": f"Bearer {self._client.token}"}
        timeout = aiohttp.ClientTimeout(total=self._client.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(platform_ref, headers=headers, allow_redirects=False) as response,
        ):
            response.raise_for_status()
            return await response.read()

    def web_routes(self) -> Sequence[WebRoute]:
        """The Events/Interactivity/Commands URL in HTTP mode; none in Socket Mode."""
        if self._mode != "http":
            return ()
        return (WebRoute(path=EVENTS_PATH, endpoint=self.handle_request),)

    async def handle_request(self, request: Request) -> Response:
        """One request from Slack, verified by Bolt (signature over the raw body, 5-minute window:
        401 otherwise) before any listener sees it."""
        return await AsyncSlackRequestHandler(self._bolt()).handle(request)

    def _bolt(self) -> AsyncApp:
        """The Bolt app with our listeners, built on first use (inside the event loop)."""
        if self._bolt_app is not None:
            return self._bolt_app
        app = AsyncApp(
            client=self._client,
            signing_secret=self._signing_secret,
            process_before_response=True,  # the ack goes out when the listener returns: after the sink
            logger=self._sdk_logger,
        )

        async def on_message(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._receive(ack, body, from_message)

        async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._receive(ack, body, from_command)

        async def on_home_opened(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._receive(ack, body, from_home_opened)

        async def on_submission(ack: AsyncAck, body: dict[str, Any]) -> None:
            errors = blank_fields(body.get("view") or {})
            if errors:  # shown in the modal, which stays open; nothing is recorded
                await ack(response_action="errors", errors=errors)
                return
            await self._receive(ack, body, from_submission)

        async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._receive(ack, body, from_action)

        async def on_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._receive(ack, body, from_shortcut)

        app.event("message")(on_message)
        app.event("app_home_opened")(on_home_opened)
        app.view(FORM_CALLBACK)(on_submission)
        app.command(SLASH_COMMAND)(on_command)
        app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(on_action)
        for callback_id in SHORTCUTS:
            app.shortcut(callback_id)(on_shortcut)
        self._bolt_app = app
        return app

    async def _authorized(self) -> bool:
        """auth.test and apps.connections.open until both tokens work, saying plainly which one
        Slack refuses meanwhile (rather than the SDK's traceback every few seconds); False if
        stopped first."""
        failures = 0
        while not self._stopping.is_set():
            which = "bot token (PARTNERBOT_SLACK_BOT_TOKEN)"
            try:
                me = await self._client.auth_test()
                which = "app-level token (PARTNERBOT_SLACK_APP_TOKEN)"
                await self._client.apps_connections_open(app_token=self._app_token or "")
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error in AUTH:
                    _LOGGER.error("Slack refused the %s: %s; trying again", which, error)
                else:
                    _LOGGER.warning("Slack could not check the %s: %s", which, error)
            except (aiohttp.ClientError, TimeoutError) as exc:
                _LOGGER.warning("Slack not reachable yet (%s)", type(exc).__name__)
            else:
                _LOGGER.info("Slack app ready as %s in workspace %s", me.get("user_id"), me.get("team_id"))
                return True
            failures += 1
            with contextlib.suppress(TimeoutError):
                delay_s = min(self._max_retry_delay_s, self._retry_delay_s * 2 ** (failures - 1))
                await asyncio.wait_for(self._stopping.wait(), delay_s)
        return False

    async def _receive(self, ack: AsyncAck, body: Mapping[str, Any], parse: _Parse) -> None:
        """Parse, add who the person is, record (the sink), then ack. A sink that fails means no
        ack: Slack delivers the event again."""
        inbound = parse(body, None)
        if inbound is not None:
            sink = self._sink
            if sink is None:
                raise RuntimeError("the Slack channel is not receiving")
            person = await self._person(inbound.address)
            inbound = replace(
                inbound,
                display_name=person.display_name,
                language_hint=person.language_hint,
                verified_email=person.verified_email,
            )
            await sink(inbound)
        await ack()

    async def _person(self, user_id: str) -> Person:
        """users.info for the user, cached; within `profile_timeout_s`, or nothing known (the ack
        must not wait long)."""
        now = time.monotonic()
        cached = self._profiles.get(user_id)
        if cached is not None and now - cached[0] < _PROFILE_TTL_S:
            return cached[1]
        try:
            async with asyncio.timeout(self._profile_timeout_s):
                response = await self._client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, TimeoutError, OSError) as exc:
            _LOGGER.info("users.info for %s failed: %s", user_id, type(exc).__name__)
            return Person()
        person = person_of(response.get("user") or {})
        self._profiles[user_id] = (now, person)
        return person


def from_settings(settings: SlackSettings) -> SlackChannel:
    """The channel `partnerbot run` serves when PARTNERBOT_SLACK_BOT_TOKEN is set (the registry's factory)."""
    if settings.bot_token is None:
        raise ValueError("the Slack channel needs a bot token")
    return SlackChannel(
        bot_token=settings.bot_token.get_secret_value(),
        app_token=settings.app_token.get_secret_value() if settings.app_token else None,
        signing_secret=settings.signing_secret.get_secret_value() if settings.signing_secret else None,
        mode=settings.mode,
        base_url=settings.base_url,
        limits=settings.limits,
    )
