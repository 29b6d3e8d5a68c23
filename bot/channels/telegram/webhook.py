"""Telegram's webhook endpoint: the secret header checked before anything is read, then one update."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.base import WebEndpoint

_LOGGER = logging.getLogger(__name__)

#: Receives one parsed update and returns once it is recorded; raising makes Telegram resend it.
UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: Telegram updates are a few kilobytes; anything much larger is not one.
MAX_BODY_BYTES = 1 << 20


def webhook_endpoint(handler: UpdateHandler, secret: str) -> WebEndpoint:
    """The POST endpoint for Telegram's updates.

    It answers only after `handler` returned, so an update that was not recorded is sent again by
    Telegram rather than lost.
    """
    if not secret:
        raise ValueError("the Telegram webhook needs a secret token")
    expected = secret.encode()

    async def endpoint(request: Request) -> Response:
        # Verify before reading or parsing anything; compare in constant time.
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            _LOGGER.warning("Telegram webhook call without the right secret from %s", _client(request))
            return Response(status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return Response(status_code=415)
        body = await _read_body(request)
        if body is None:
            return Response(status_code=413)
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to be an update
            _LOGGER.warning("Telegram webhook call with a body that is not an update")
            return Response(status_code=400)
        if not isinstance(update, dict):
            return Response(status_code=400)
        try:
            await handler(update)
        except Exception:
            _LOGGER.exception(
                "Telegram update %s not recorded; Telegram will resend it", update.get("update_id")
            )
            return Response(status_code=500)
        return Response(status_code=200)

    return endpoint


async def _read_body(request: Request) -> bytes | None:
    """The request body, or None past MAX_BODY_BYTES (read no further than that)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
