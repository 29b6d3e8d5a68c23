"""The ASGI web app platforms call into, with the routes the channels serve, and its server."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import WebRoute

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: What keeps the process from serving now (the database, its schema), one reason a line.
Problems = Callable[[], Awaitable[Sequence[str]]]


def _nothing_down() -> frozenset[str]:
    return frozenset()


async def _no_problems() -> Sequence[str]:
    return ()


def make_web_app(
    routes: Sequence[WebRoute] = (),
    pages: Sequence[BaseRoute] = (),
    *,
    down: Callable[[], frozenset[str]] = _nothing_down,
    channels: Sequence[str] = (),
    problems: Problems = _no_problems,
    metrics: Callable[[], Awaitable[bytes]] | None = None,
) -> Starlette:
    """GET /healthz, GET /readyz, each channel's routes, given the raw request, and `pages` (the
    dashboard's). /healthz answers 200, or 503 naming the channels whose platform cannot be reached
    (`down`: the dispatcher's view). /readyz (for a load balancer or a rolling restart) answers 200
    only when the database is reachable, its migrations current and every channel up; each line
    says one part's state and why."""
    paths = [HEALTH_PATH, READY_PATH, *(route.path for route in routes)]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two routes for one path among {', '.join(paths)}")

    async def healthz(request: Request) -> Response:
        if unreachable := down():
            return PlainTextResponse(f"down: {', '.join(sorted(unreachable))}", status_code=503)
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        found, unreachable = list(await problems()), down()
        lines = found or ["database: ok", "migrations: current"]
        for name in sorted(channels):
            state = "down (platform unreachable)" if name in unreachable else "up"
            lines.append(f"channel {name}: {state}")
        ready = not found and not unreachable
        return PlainTextResponse("\n".join(lines) + "\n", status_code=200 if ready else 503)

    routes_of_metrics: list[BaseRoute] = []
    if metrics is not None:
        read = metrics

        async def exposition(request: Request) -> Response:
            return Response(await read(), media_type=METRICS_CONTENT_TYPE)

        routes_of_metrics.append(Route(METRICS_PATH, exposition, methods=["GET"]))

    return Starlette(
        routes=[
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            Route(READY_PATH, readyz, methods=["GET"]),
            *routes_of_metrics,
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
