"""The ASGI web app platforms call into (Telegram's webhook today, Slack's events later) and its server."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

_LOGGER = logging.getLogger(__name__)

#: Receives one parsed update and returns once it is recorded; raising makes the platform resend it.
WebhookHandler = Callable[[dict[str, Any]], Awaitable[None]]

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: Telegram updates are a few kilobytes; anything much larger is not one.
MAX_BODY_BYTES = 1 << 20


def make_web_app(
    *,
    telegram_webhook: WebhookHandler | None = None,
    telegram_secret: str | None = None,
) -> Starlette:
    """The routes for the platforms configured; GET /healthz always answers 200.

    Telegram's POST is answered only after `telegram_webhook` returned, so an update that was
    not recorded is sent again by Telegram rather than lost.
    """
    routes = [Route("/healthz", _healthz, methods=["GET"])]
    if telegram_webhook is not None:
        if not telegram_secret:
            raise ValueError("the Telegram webhook needs a secret token")
        routes.append(
            Route(
                TELEGRAM_WEBHOOK_PATH,
                _telegram_endpoint(telegram_webhook, telegram_secret.encode()),
                methods=["POST"],
            )
        )
    return Starlette(routes=routes)


def make_web_server(app: Starlette, *, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `app`: `await server.serve()` runs it, `server.should_exit = True` ends it.

    Logging is left as the process configured it (uvicorn would install its own).
    """
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def _telegram_endpoint(handler: WebhookHandler, secret: bytes) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        # Verify before reading or parsing anything; compare in constant time.
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, secret):
            _LOGGER.warning("Telegram webhook call without the right secret from %s", _client(request))
            return Response(status_code=403)
        body = await _read_body(request)
        if body is None:
            return Response(status_code=413)
        try:
            update = json.loads(body)
        except ValueError:
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
