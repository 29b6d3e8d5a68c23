"""slack_sdk errors → the typed send failures of bot.channels.base (what the dispatcher acts on)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.channels.base import AmbiguousSend, PermanentFailure, Rejected, RetryLater, Scope, SendError

_LOGGER = logging.getLogger(__name__)

#: The person cannot be reached there: they left, were deactivated, or the DM is closed to apps.
UNREACHABLE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "account_inactive",
        "user_disabled",
        "user_not_found",
        "is_archived",
        "cannot_dm_bot",
        "messages_tab_disabled",
    }
)
#: The app's token no longer works (uninstalled, rotated): every send waits until it is fixed.
AUTH = frozenset({"invalid_auth", "token_revoked", "token_expired", "not_authed", "missing_scope"})
#: This message as it is will never be accepted.
REJECTED = frozenset(
    {
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "too_many_attachments",
        "expired_trigger_id",  # a form opened too late (Slack allows 3 s): the person asks again
    }
)
#: How long sends wait after the token was refused before trying again.
AUTH_PAUSE_S = 300.0


def classify(exc: Exception, *, method: str) -> SendError | None:
    """A Web API or transport error of `method` → the send failure the dispatcher acts on.

    429: that method waits Slack's Retry-After (Slack's tiers are per method and workspace).
    An unknown `ok: false` error is retried (the dispatcher gives up a day after it was queued)."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or "")
        if status == 429:
            return RetryLater("ratelimited", after_s=retry_after(exc), scope=Scope.METHOD, method=method)
        if error in AUTH:
            _LOGGER.error(
                "Slack refused the bot token (%s): reinstall the app or set PARTNERBOT_SLACK_BOT_TOKEN; "
                "Slack deliveries wait meanwhile",
                error,
            )
            return RetryLater(error, after_s=AUTH_PAUSE_S, scope=Scope.CHANNEL)
        if error in UNREACHABLE:
            return PermanentFailure(error)
        if error in REJECTED:
            return Rejected(error)
        return RetryLater(error or f"HTTP {status}")
    if isinstance(exc, aiohttp.ClientConnectorError):  # never connected: nothing was sent, and
        return RetryLater(type(exc).__name__, scope=Scope.CHANNEL)  # Slack is out of reach, not a DM
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ClientError):
        return AmbiguousSend(type(exc).__name__)  # the request may have reached Slack
    return None


def retry_after(exc: SlackApiError) -> float | None:
    """Slack's Retry-After header in seconds, when it sent one."""
    value = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@contextlib.contextmanager
def mapped(method: str, subject: str) -> Iterator[None]:
    """Re-raise Web API errors of `method` as typed send failures (the original as their cause)."""
    try:
        yield
    except Exception as exc:
        failure = classify(exc, method=method)
        if failure is None:
            raise
        _LOGGER.info("Slack %s for %s failed: %s (%s)", method, subject, type(failure).__name__, failure)
        raise failure from exc
