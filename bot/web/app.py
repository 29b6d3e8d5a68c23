"""The ASGI web app platforms call into, with the routes the channels serve, and its server."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import WebRoute

HEALTH_PATH = "/healthz"


def _nothing_down() -> frozenset[str]:
    return frozenset()


def make_web_app(
    routes: Sequence[WebRoute] = (),
    pages: Sequence[BaseRoute] = (),
    *,
    down: Callable[[], frozenset[str]] = _nothing_down,
) -> Starlette:
    """GET /healthz, each channel's routes, given the raw request, and `pages` (the dashboard's).
    /healthz answers 200, or 503 naming the channels whose platform cannot be reached (`down`: the
    dispatcher's view)."""
    paths = [HEALTH_PATH, *(route.path for route in routes)]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two routes for one path among {', '.join(paths)}")

    async def healthz(request: Request) -> Response:
        if unreachable := down():
            return PlainTextResponse(f"down: {', '.join(sorted(unreachable))}", status_code=503)
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            *(Route(route.path, route.endpoint, methods=list(route.methods)) for route in routes),
            *pages,
        ]
    )


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handlers: `partnerbot run` handles SIGTERM and SIGINT
    itself, stopping the channels and the dispatcher cleanly before the web app (bot/cli/run.py)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def make_web_server(app: Starlette, *, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `app`: `await server.serve()` runs it, `server.should_exit = True` ends it.

    Logging is left as the process configured it (uvicorn would install its own).
    """
    return _Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
