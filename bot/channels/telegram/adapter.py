"""Telegram channel on python-telegram-bot's Application: long polling or a webhook, typed send failures."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import BotCommand, CallbackQuery, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ExtBot

from bot.channels.base import Capabilities, CommandMenus, InboundSink, RateLimits, Scope, Sent, WebRoute
from bot.channels.telegram.errors import after_s, classify, mapped
from bot.channels.telegram.limits import telegram_limits
from bot.channels.telegram.render import CHANNEL, RenderedPart, render, to_inbound
from bot.channels.telegram.settings import TelegramSettings
from bot.channels.telegram.webhook import WEBHOOK_PATH, webhook_endpoint
from bot.events import Outbound
from bot.logs import Redact

__all__ = ["TelegramChannel", "classify", "from_settings", "render", "to_inbound"]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Update types we read; Telegram then does not send the rest (edits, reactions, member changes).
ALLOWED_UPDATES = ("message", "callback_query")
#: Loggers that may print the token (httpx logs each URL; PTB logs its base URL at debug).
_TOKEN_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
#: Webhook calls Telegram may make at once: one, so updates arrive in order, as in polling.
_WEBHOOK_CONNECTIONS = 1
#: A later part of a split message waits this long at most for a 429 inline, rather than failing
#: a message whose first parts are already in the chat (a retry would repeat them).
_INLINE_WAIT_S = 5.0


class TelegramChannel:
    """Families on Telegram. Updates reach the sink before Telegram is told they were received.

    Polling runs its own getUpdates loop rather than PTB's Updater: the Updater queues updates
    and confirms their offset with its next request, whether or not they were handled, so an
    update could be lost in a crash. Here the offset moves past an update only after
    `await sink(inbound)` returned; if the sink raises, the same update is fetched again.
    PTB's Application still owns the Bot, its HTTP pools and its lifecycle.
    """

    name = CHANNEL
    #: Telegram's published limits (bot/channels/telegram/limits.py).
    DEFAULT_LIMITS = telegram_limits()
    capabilities = Capabilities(max_text_length=4096, buttons=True, attachments=True, threading=True)

    def __init__(
        self,
        *,
        token: str,
        base_url: str = "https://api.telegram.org/bot",
        base_file_url: str = "https://api.telegram.org/file/bot",
        webhook_url: str | None = None,
        secret_token: str | None = None,
        poll_timeout_s: int = 30,
        request_timeout_s: float = 10.0,
        retry_delay_s: float = 1.0,
        max_retry_delay_s: float = 60.0,
        limits: RateLimits = DEFAULT_LIMITS,
    ) -> None:
        self.limits = limits
        if webhook_url and not secret_token:
            raise ValueError("a Telegram webhook needs a secret token")
        self._redaction = Redact([token, *([secret_token] if secret_token else [])])
        for name in _TOKEN_LOGGERS:
            logging.getLogger(name).addFilter(self._redaction)
        self._application: Application[ExtBot[None], Any, Any, Any, Any, None] = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(base_file_url)
            .updater(None)
            .job_queue(None)
            .connect_timeout(request_timeout_s)
            .read_timeout(request_timeout_s)
            .write_timeout(request_timeout_s)
            .media_write_timeout(request_timeout_s)
            .get_updates_connect_timeout(request_timeout_s)
            .get_updates_read_timeout(request_timeout_s)
            .build()
        )
        self._webhook_url = webhook_url
        self._secret_token = secret_token
        self._poll_timeout_s = poll_timeout_s
        self._retry_delay_s = retry_delay_s
        self._max_retry_delay_s = max_retry_delay_s
        self._ready_lock = asyncio.Lock()
        self._initialized = False
        self._sink: InboundSink | None = None
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def __repr__(self) -> str:
        return f"TelegramChannel(mode={'webhook' if self._webhook_url else 'polling'})"

    async def start(self, sink: InboundSink) -> None:
        """Receive updates until `stop()`: by webhook when a URL is set, else by long polling."""
        self._stopping.clear()
        self._idle.clear()
        try:
            if not await self._retrying(self._ready):
                return
            if self._webhook_url:
                await self._serve_webhook(sink)
            else:
                await self._poll(sink)
        finally:
            self._sink = None
            self._idle.set()

    async def stop(self, *, timeout_s: float = 10.0) -> None:
        """Let the update in hand reach the sink, confirm what was handled, then close the HTTP pools."""
        self._stopping.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        if self._initialized:
            self._initialized = False
            await self._application.shutdown()
        for name in _TOKEN_LOGGERS:
            logging.getLogger(name).removeFilter(self._redaction)

    async def send(self, address: str, out: Outbound) -> Sent:
        """Send every part of `out`; the provider id is the message id of the last part."""
        parts = render(out)
        with mapped(address):  # getMe, on first use: a 429 there names no chat
            await self._ready()
        with mapped(address, flood=Scope.ADDRESS):
            message = await self._send_part(address, parts[0])
            for part in parts[1:]:
                message = await self._retrying_inline(functools.partial(self._send_part, address, part))
        return Sent(provider_id=str(message.message_id))

    def web_routes(self) -> Sequence[WebRoute]:
        """The webhook route when a webhook URL is set; none while polling."""
        if self._webhook_url is None or self._secret_token is None:
            return ()
        return (
            WebRoute(path=WEBHOOK_PATH, endpoint=webhook_endpoint(self.handle_webhook, self._secret_token)),
        )

    async def join_link(self, code: str) -> str:
        """The link that opens the bot and sends /start CODE (an invite, one tap for a family)."""
        await self._ready()
        return f"https://t.me/{self._application.bot.username}?start={code}"

    async def fetch_file(self, platform_ref: str) -> bytes:
        """The bytes of a file a person sent (a photo's file_id), via getFile and the file URL."""
        with mapped(platform_ref):
            await self._ready()
            file = await self._application.bot.get_file(platform_ref)
            return bytes(await file.download_as_bytearray())

    async def register_commands(self, commands_by_language: CommandMenus) -> None:
        """setMyCommands per language, so the menu is in each family's language ("" or None: default).

        Telegram knows two-letter codes only: "zh-Hans" is registered as "zh".
        """
        by_code: dict[str | None, list[BotCommand]] = {}
        for language, commands in commands_by_language.items():
            code = re.split(r"[-_]", language, maxsplit=1)[0].lower() if language else None
            if code in by_code:
                raise ValueError(f"two command lists for Telegram language {code!r}")
            for name, _description in commands:
                if not _COMMAND.fullmatch(name):
                    raise ValueError(f"{name!r} is not a Telegram command (a-z, 0-9, _; at most 32)")
            by_code[code] = [BotCommand(name, description) for name, description in commands]
        with mapped("commands"):
            await self._ready()
            for code, menu in by_code.items():
                await self._application.bot.set_my_commands(menu, language_code=code)
        _LOGGER.info("commands registered for %s", ", ".join(code or "default" for code in by_code))

    async def handle_webhook(self, data: dict[str, Any]) -> None:
        """One update POSTed by Telegram; returns once the sink has it (then the web app answers 200).

        Raises RuntimeError when the channel is not started, so the web app answers 5xx and
        Telegram delivers the update again later.
        """
        sink = self._sink
        if sink is None:
            raise RuntimeError("the Telegram channel is not receiving webhooks")
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception:  # untrusted JSON: PTB's parser may fail in any way
            _LOGGER.warning("webhook body is not a Telegram update; ignored")
            return
        await self._deliver(update, sink)

    async def _ready(self) -> None:
        """Initialize the Application once (getMe, HTTP pools), on first use by start or send."""
        async with self._ready_lock:
            if self._initialized:
                return
            try:
                await self._application.initialize()
            except InvalidToken:
                # PTB's message would quote the token.
                raise InvalidToken("the Telegram bot token was rejected") from None
            self._initialized = True
            _LOGGER.info("Telegram bot @%s ready", self._application.bot.username)

    async def _serve_webhook(self, sink: InboundSink) -> None:
        bot = self._application.bot
        self._sink = sink
        if not await self._retrying(
            lambda: bot.set_webhook(
                url=self._webhook_url or "",
                secret_token=self._secret_token,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=_WEBHOOK_CONNECTIONS,
            )
        ):
            return
        _LOGGER.info("Telegram webhook set; waiting for updates")
        await self._stopping.wait()

    async def _poll(self, sink: InboundSink) -> None:
        """getUpdates until stopped; an offset is confirmed only past updates the sink returned from."""
        bot = self._application.bot
        offset: int | None = None
        failures = 0
        await self._retrying(lambda: bot.delete_webhook(drop_pending_updates=False))
        while not self._stopping.is_set():
            try:
                updates = await self._unless_stopped(
                    bot.get_updates(
                        offset=offset, timeout=self._poll_timeout_s, allowed_updates=ALLOWED_UPDATES
                    )
                )
            except (NetworkError, Conflict, RetryAfter) as exc:
                failures += 1
                _LOGGER.warning("getUpdates failed (%s): %s", type(exc).__name__, exc)
                await self._pause(after_s(exc) or self._backoff_s(failures))
                continue
            if updates is None:
                break
            for update in updates:
                try:
                    await self._deliver(update, sink)
                except Exception:
                    failures += 1
                    _LOGGER.exception("update %s not recorded; it will be fetched again", update.update_id)
                    await self._pause(self._backoff_s(failures))
                    break
                offset = update.update_id + 1
            else:
                failures = 0
        if offset is not None:
            with contextlib.suppress(TelegramError):
                await bot.get_updates(offset=offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES)

    async def _deliver(self, update: Update, sink: InboundSink) -> None:
        """to_inbound, settle a pressed button, then the sink. A sink error propagates (not acknowledged)."""
        try:
            inbound = to_inbound(update, bot_username=self._application.bot.username)
        except Exception:
            # A parsing bug must not stop every later update behind this one.
            _LOGGER.exception("update %s could not be read; skipped", update.update_id)
            return
        if inbound is None:
            return
        if update.callback_query is not None:
            await self._settle(update.callback_query)
        await sink(inbound)

    async def _settle(self, query: CallbackQuery) -> None:
        """Stop the button's spinner and remove the keyboard, so a choice is not made twice by mistake.

        Failures (e.g. a query too old after a redelivery) are logged: the choice still counts.
        """
        bot = self._application.bot
        calls: list[Awaitable[object]] = [bot.answer_callback_query(query.id)]
        if isinstance(query.message, Message) and query.message.reply_markup is not None:
            calls.append(
                bot.edit_message_reply_markup(
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    reply_markup=InlineKeyboardMarkup([]),
                )
            )
        for result in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(result, TelegramError):
                _LOGGER.info("callback %s not settled: %s", query.id, result)
            elif isinstance(result, BaseException):
                raise result

    async def _send_part(self, address: str, part: RenderedPart) -> Message:
        bot = self._application.bot
        if part.photo is None:
            return await bot.send_message(
                address, part.html, parse_mode=ParseMode.HTML, reply_markup=part.reply_markup
            )
        photo = part.photo
        media: InputFile | str = (
            InputFile(photo.data, filename=photo.filename) if photo.data else photo.platform_ref or ""
        )
        return await bot.send_photo(
            address,
            media,
            caption=part.html or None,
            parse_mode=ParseMode.HTML,
            reply_markup=part.reply_markup,
        )

    async def _retrying_inline(self, call: Callable[[], Awaitable[Message]]) -> Message:
        """A later part of a message: honour a short 429 here instead of failing the whole message."""
        for _ in range(3):
            try:
                return await call()
            except RetryAfter as exc:
                wait_s = after_s(exc) or 0.0
                if wait_s > _INLINE_WAIT_S:
                    raise
                await asyncio.sleep(wait_s)
        return await call()

    async def _retrying(self, call: Callable[[], Awaitable[object]]) -> bool:
        """A start-up call retried while Telegram is unreachable; False if the channel stopped first."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await call()
                return True
            except (NetworkError, RetryAfter) as exc:
                failures += 1
                log = _LOGGER.warning if failures == 1 else _LOGGER.debug  # one line, not one a try
                log(
                    "Telegram not reachable yet (%s): %s; trying again with back-off", type(exc).__name__, exc
                )
                await self._pause(after_s(exc) or self._backoff_s(failures))
        return False

    async def _unless_stopped(self, call: Awaitable[_T]) -> _T | None:
        """Await `call`, or cancel it and return None when stop() is called meanwhile."""
        task = asyncio.ensure_future(call)
        stopped = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return None if task.cancelled() else task.result()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _backoff_s(self, failures: int) -> float:
        return float(min(self._max_retry_delay_s, self._retry_delay_s * 2 ** (failures - 1)))


def from_settings(settings: TelegramSettings) -> TelegramChannel:
    """The channel `partnerbot run` serves when PARTNERBOT_TELEGRAM_TOKEN is set (the registry's factory)."""
    if settings.token is None:
        raise ValueError("the Telegram channel needs a token")
    secret = settings.secret_token
    return TelegramChannel(
        token=settings.token.get_secret_value(),
        base_url=settings.base_url,
        base_file_url=settings.base_file_url,
        webhook_url=settings.webhook_url,
        secret_token=secret.get_secret_value() if secret else None,
        limits=settings.limits,
    )
