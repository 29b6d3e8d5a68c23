"""Python-telegram-bot errors → the typed send failures of bot.channels.base (what the dispatcher acts on)."""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import (
    AddressChanged,
    AmbiguousSend,
    PermanentFailure,
    Rejected,
    RetryLater,
    Scope,
    SendError,
)

_LOGGER = logging.getLogger(__name__)

#: Phrases of Bot API errors that mean the chat cannot be reached at all.
_UNREACHABLE = re.compile(
    r"chat not found|user not found|peer_id_invalid|chat_id_invalid|bot was blocked|user is deactivated"
    r"|bot was kicked|not enough rights to send|have no rights to send|chat_write_forbidden",
    re.IGNORECASE,
)
#: Transport errors raised once the whole request had left us: Telegram may have acted on it.
_AFTER_SENDING = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)
#: Transport errors that mean the Bot API could not be reached at all: no chat is to blame.
_UNREACHABLE_API = (httpx.ConnectError, httpx.ConnectTimeout)


def classify(exc: TelegramError, *, flood: Scope = Scope.CHANNEL) -> SendError | None:
    """A PTB error → the typed send failure the dispatcher acts on; None when it is none of them.

    A 429 (flood control) holds back `flood`: the chat, for a call that names one (the limiter
    keeps the bot under 30 a second, so a 429 there is that chat's flood control); the whole
    bot for any other call. Telegram publishes no limits per method."""
    if isinstance(exc, RetryAfter):
        return RetryLater(str(exc), after_s=after_s(exc), scope=flood)
    if isinstance(exc, ChatMigrated):
        return AddressChanged(str(exc), new_address=str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return PermanentFailure(str(exc))
    if isinstance(exc, BadRequest):
        return PermanentFailure(str(exc)) if _UNREACHABLE.search(str(exc)) else Rejected(str(exc))
    if isinstance(exc, NetworkError):
        # Timed out or dropped after the request left: Telegram may have the message already.
        # A 5xx answer or a failure to connect: nothing was done, try again.
        # Unable to connect: the whole Bot API is out of reach, so the channel waits, not one chat.
        cause = exc.__cause__
        after_sending = isinstance(cause, _AFTER_SENDING) or (isinstance(exc, TimedOut) and cause is None)
        if after_sending:
            return AmbiguousSend(str(exc))
        return RetryLater(
            str(exc), scope=Scope.CHANNEL if isinstance(cause, _UNREACHABLE_API) else Scope.ADDRESS
        )
    return None


@contextlib.contextmanager
def mapped(subject: str, *, flood: Scope = Scope.CHANNEL) -> Iterator[None]:
    """Re-raise PTB errors as typed send failures (the original as their cause); a 429 holds
    back `flood` (Scope.ADDRESS for the calls to one chat)."""
    try:
        yield
    except TelegramError as exc:
        failure = classify(exc, flood=flood)
        if failure is None:
            raise
        _LOGGER.info("Telegram call for %s failed: %s", subject, type(failure).__name__)
        raise failure from exc


def after_s(exc: Exception) -> float | None:
    """RetryAfter's wait in seconds (read without PTB's int-or-timedelta deprecation warning)."""
    if not isinstance(exc, RetryAfter):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
