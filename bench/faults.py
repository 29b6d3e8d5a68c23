"""Outages through the real path: the whole app (python-telegram-bot against the loopback fake Bot
API) sends a highlight to 100 families while Telegram misbehaves for a while — the three faults of
issue 14, one run each: 500s, 429s asking to retry after 5 s, and the Bot API out of reach
(connections refused, through a TCP gate in front of the fake). Counts, at the fake, what arrived
and what arrived twice, and in the database what was given up; and how long after the fault ended
the last family had it. SQLite, real time: each fault lasts `--seconds` (the issue measured 30 s)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from sqlmodel import select

from bench._common import Figure, parser, populate, print_figures, sqlite_database, teacher_highlight
from bot.app import build_app
from bot.channels.telegram.adapter import TelegramChannel
from bot.settings import Settings
from bot.translation.backends import NoTranslator
from storage.db import make_engine, session_scope
from storage.models import Delivery, DeliveryStatus
from tests.fakes.telegram import FakeTelegram

FAMILIES = 100
PRIVATE_CHAT = "71{pid:07d}"
HIGHLIGHT = "This fortnight we planted beans."
#: What the issue measured before the fix, for a 30 s fault on 100 families.
BEFORE = {"500s": "18 failed for ever", "429 (after 5 s)": "100 failed", "out of reach": "51 failed"}


class Gate:
    """A TCP relay in front of the fake Bot API; closed, the port refuses every connection and the
    connections open are cut, as when the network or Telegram is down."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._open:
            writer.transport.abort()
        self._open.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)
        self._open.difference_update((writer, up_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    start: Callable[[FakeTelegram, Gate], Awaitable[None]]
    end: Callable[[FakeTelegram, Gate], Awaitable[None]]


async def _errors(api: FakeTelegram, _gate: Gate) -> None:
    api.fail(status=500, description="Internal Server Error", method="sendMessage", times=None)


async def _rate_limited(api: FakeTelegram, _gate: Gate) -> None:
    api.fail(
        status=429,
        description="Too Many Requests: retry after 5",
        method="sendMessage",
        parameters={"retry_after": 5},
        times=None,
    )


async def _recover(api: FakeTelegram, _gate: Gate) -> None:
    api.recover()


async def _cut(_api: FakeTelegram, gate: Gate) -> None:
    await gate.close()


async def _reconnect(_api: FakeTelegram, gate: Gate) -> None:
    await gate.open()


FAULTS = (
    Fault("500s", _errors, _recover),
    Fault("429 (after 5 s)", _rate_limited, _recover),
    Fault("out of reach", _cut, _reconnect),
)


@contextlib.asynccontextmanager
async def _school(url: str) -> AsyncIterator[tuple[FakeTelegram, Gate, Callable[[], Awaitable[None]]]]:
    """The app serving 100 families through the gate; yields the fake, the gate and `broadcast`."""
    db = make_engine(url)
    roster = populate(db, families=FAMILIES, channel="telegram", address=PRIVATE_CHAT)
    async with FakeTelegram.running() as api:
        upstream = int(api.base_url.rsplit(":", 1)[1].split("/", 1)[0])
        gate = Gate(upstream)
        await gate.open()
        channel = TelegramChannel(
            token=api.token,
            base_url=api.base_url.replace(f":{upstream}/", f":{gate.port}/"),
            base_file_url=api.base_file_url.replace(f":{upstream}/", f":{gate.port}/"),
        )
        settings = Settings(database_url=url, _env_file=None)
        app = build_app(settings, {"telegram": channel}, db=db, translator=NoTranslator())
        serving = asyncio.create_task(app.serve_forever())

        async def broadcast() -> None:
            await teacher_highlight(app, roster.teacher_id, HIGHLIGHT)

        try:
            await api.wait_for(lambda: api.calls_to("getUpdates"), timeout_s=30)  # polling started
            yield api, gate, broadcast
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            db.dispose()


def _received(api: FakeTelegram) -> Counter[str]:
    return Counter(
        chat
        for chat, messages in api.chats.items()
        for message in messages
        if HIGHLIGHT in str(message.get("text", ""))
    )


async def measure(url: str, fault: Fault, seconds: float, patience_s: float) -> list[Figure]:
    async with _school(url) as (api, gate, broadcast):
        await fault.start(api, gate)
        await broadcast()
        await asyncio.sleep(seconds)  # the fault lasts this long, whatever the bot does meanwhile
        await fault.end(api, gate)
        ended = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await api.wait_for(lambda: len(_received(api)) >= FAMILIES, timeout_s=patience_s)
        recovered_s = time.monotonic() - ended
        received = _received(api)
        db = make_engine(url)
        with session_scope(db) as session:
            failed = len(session.exec(select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)).all())
        db.dispose()

    def figure(metric: str, value: float, unit: str, target: str = "") -> Figure:
        return Figure("faults", "sqlite", f"{fault.name}, {seconds:.0f} s: {metric}", value, unit, target)

    return [
        figure(f"arrived of {FAMILIES}", len(received), "", f"before: {BEFORE[fault.name]}"),
        figure("twice", sum(1 for n in received.values() if n > 1), "", "0"),
        figure("failed", failed, "", "0"),
        figure("last after it ended", recovered_s, "s"),
    ]


async def _all(seconds: float, patience_s: float) -> list[Figure]:
    figures: list[Figure] = []
    for fault in FAULTS:
        with sqlite_database() as url:
            figures += await measure(url, fault, seconds, patience_s)
    return figures


def main() -> None:
    options = parser(__doc__ or "")
    options.add_argument("--seconds", type=float, default=30.0, help="how long each fault lasts")
    args = options.parse_args()
    seconds = 5.0 if args.quick else args.seconds
    print_figures(asyncio.run(_all(seconds, patience_s=120.0)))


if __name__ == "__main__":
    main()
