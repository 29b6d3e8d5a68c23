"""The ASGI web app platforms call into, with the routes the channels serve, and its server."""

from __future__ import annotations

from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import WebRoute

HEALTH_PATH = "/healthz"


def make_web_app(routes: Sequence[WebRoute] = (), pages: Sequence[BaseRoute] = ()) -> Starlette:
    """GET /healthz, which always answers 200, each channel's routes, given the raw request, and
    `pages` (the dashboard's)."""
    paths = [HEALTH_PATH, *(route.path for route in routes)]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two routes for one path among {', '.join(paths)}")
    return Starlette(
        routes=[
            Route(HEALTH_PATH, _healthz, methods=["GET"]),
            *(Route(route.path, route.endpoint, methods=list(route.methods)) for route in routes),
            *pages,
        ]
    )


def make_web_server(app: Starlette, *, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `app`: `await server.serve()` runs it, `server.should_exit = True` ends it.

    Logging is left as the process configured it (uvicorn would install its own).
    """
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")
