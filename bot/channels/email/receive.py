"""Mail coming in, by IMAP from a mailbox (aioimaplib) or by an SMTP listener (aiosmtpd) for schools
that receive their reply domain's mail themselves; both read mail the same way (ingest.read). A mail
is acknowledged (marked seen, answered 250) only once the sink has recorded it, so a crash loses
none, and the engine's event ids keep one read twice from counting twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

import aioimaplib  # type: ignore[import-untyped]
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.channels.base import InboundSink
from bot.channels.email.ingest import MAX_MAIL_BYTES, Arrived
from bot.events import Inbound

_LOGGER = logging.getLogger(__name__)
#: A FETCH answer's size of the whole mail.
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")

#: Reads one mail into its event (bot.channels.email.ingest.read, with the channel's token check).
Reader = Callable[[Arrived], Inbound | None]


class SmtpListener:
    """Accepts mail for `domain` only (never relays), at most MAX_MAIL_BYTES a mail (552 beyond)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        domain: str,
        read: Reader,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._domain = domain.lower()
        self._read = read
        self._tls_context = tls_context
        self._server: asyncio.Server | None = None
        self.port = port

    def __repr__(self) -> str:
        return f"SmtpListener({self._host!r}, {self._port!r})"

    async def start(self, sink: InboundSink) -> None:
        """Listen (port 0: any free port, then in `self.port`)."""
        handler = _Handler(self._domain, self._read, sink)
        context = self._tls_context
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(
                handler,
                data_size_limit=MAX_MAIL_BYTES,
                hostname=self._domain,
                tls_context=context,
                enable_SMTPUTF8=True,
            ),
            self._host,
            self._port,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        _LOGGER.info("receiving mail for %s on port %s", self._domain, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


class _Handler:
    def __init__(self, domain: str, read: Reader, sink: InboundSink) -> None:
        self._domain = domain
        self._read = read
        self._sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.rpartition("@")[2].lower() != self._domain:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        inbound = self._read(Arrived(data=data, recipients=tuple(envelope.rcpt_tos)))
        if inbound is None:
            return "250 2.0.0 OK"
        try:
            await self._sink(inbound)
        except Exception:
            _LOGGER.exception("mail %s not recorded; the sender will try again", inbound.event_id)
            return "451 4.3.0 Please try again later"
        return "250 2.0.0 OK"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapAccount:
    """The mailbox replies arrive in; `tls`: IMAPS (993) rather than a plain connection (143)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    tls: bool = True
    tls_context: ssl.SSLContext | None = None
    poll_s: float = 60.0


class ImapReader:
    """Replies from a mailbox by IMAP: the unseen mails are read and handed to the sink, and each is
    marked seen only once the sink returned (a crash before leaves it unseen, to be read again;
    the engine's event ids keep it from counting twice). Between rounds it waits with IDLE where
    the server supports it, else it polls every `poll_s`."""

    def __init__(
        self,
        account: ImapAccount,
        *,
        read: Reader,
        timeout_s: float = 30.0,
        retry_s: float = 5.0,
        max_retry_s: float = 300.0,
    ) -> None:
        self._account = account
        self._read = read
        self._timeout_s = timeout_s
        self._retry_s, self._max_retry_s = retry_s, max_retry_s
        #: Rounds of reading the unseen mails so far (for tests and health checks).
        self.rounds = 0

    def __repr__(self) -> str:
        return f"ImapReader({self._account.host!r}, {self._account.port!r}, {self._account.mailbox!r})"

    async def run(self, sink: InboundSink, stopping: asyncio.Event) -> None:
        """Read until `stopping` is set; a failed connection or sink is retried with back-off."""
        failures = 0
        while not stopping.is_set():
            try:
                await self._session(sink, stopping)
                failures = 0
            except Exception as exc:  # a server, a network or a sink failure: all retried
                failures += 1
                _LOGGER.warning("IMAP %s failed (%s); trying again", self._account.host, type(exc).__name__)
                delay = min(self._max_retry_s, self._retry_s * 2 ** (failures - 1))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)

    async def _session(self, sink: InboundSink, stopping: asyncio.Event) -> None:
        account = self._account
        client: aioimaplib.IMAP4 = (
            aioimaplib.IMAP4_SSL(
                account.host, account.port, timeout=self._timeout_s, ssl_context=account.tls_context
            )
            if account.tls
            else aioimaplib.IMAP4(account.host, account.port, timeout=self._timeout_s)
        )
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(account.user, account.password), "LOGIN")
            _ok(await client.select(account.mailbox), "SELECT")
            idle = client.has_capability("IDLE")
            while not stopping.is_set():
                await self._read_unseen(client, sink)
                self.rounds += 1
                await (self._idle(client, stopping) if idle else self._pause(stopping))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.logout(), self._timeout_s)

    async def _read_unseen(self, client: aioimaplib.IMAP4, sink: InboundSink) -> None:
        found = _ok(await client.uid_search("UNSEEN", charset=None), "SEARCH")
        uids = [word for line in found.lines[:1] for word in bytes(line).split() if word.isdigit()]
        for uid in (u.decode() for u in uids):
            if not await self._small_enough(client, uid):
                continue
            fetched = _ok(await client.uid("fetch", uid, "BODY.PEEK[]"), "FETCH")
            data = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), b"")
            inbound = self._read(Arrived(data=data))
            if inbound is not None:
                await sink(inbound)  # raises: not marked seen, read again in the next session
            _ok(await client.uid("store", uid, "+FLAGS", "(\\Seen)"), "STORE")

    async def _small_enough(self, client: aioimaplib.IMAP4, uid: str) -> bool:
        """Whether the mail is within MAX_MAIL_BYTES, by its RFC822.SIZE: one beyond is not
        fetched (it would not be read) but left in the mailbox seen and flagged, for the school."""
        answer = _ok(await client.uid("fetch", uid, "(RFC822.SIZE)"), "FETCH")
        sizes = [int(m.group(1)) for line in answer.lines if (m := _SIZE.search(bytes(line)))]
        if not sizes or sizes[0] <= MAX_MAIL_BYTES:
            return True
        _LOGGER.warning(
            "IMAP mail %s not fetched: %d bytes, over the %d-byte limit", uid, sizes[0], MAX_MAIL_BYTES
        )
        _ok(await client.uid("store", uid, "+FLAGS", "(\\Seen \\Flagged)"), "STORE")
        return False

    async def _idle(self, client: aioimaplib.IMAP4, stopping: asyncio.Event) -> None:
        """IDLE until the server tells of a change, `poll_s` passes, or the reader is stopped."""
        idle = await client.idle_start(timeout=self._account.poll_s)
        push = asyncio.ensure_future(client.wait_server_push())
        stop = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({push, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (push, stop):
                task.cancel()
            client.idle_done()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(idle, self._timeout_s)

    async def _pause(self, stopping: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), self._account.poll_s)


def _ok(response: aioimaplib.Response, command: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise ConnectionError(f"IMAP {command} answered {response.result}")
    return response
