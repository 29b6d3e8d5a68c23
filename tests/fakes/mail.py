"""A loopback SMTP relay (aiosmtpd on 127.0.0.1, port 0): every mail captured, scriptable failures.

    async with FakeRelay.running(user="bot", password="pw", tls=Tls.STARTTLS, cert=cert) as relay:
        channel = EmailChannel(host=relay.host, port=relay.port, tls_context=cert.client_context(), ...)
        relay.fail("RCPT", "550 5.1.1 No such user", address="gone@example.org")  # the next RCPT to it
        relay.fail("DATA", drop=True)   # the connection is cut while the message is being sent
        ...
        [mail] = relay.received          # envelope, raw bytes and the parsed message

It runs on the test's own event loop and speaks real ESMTP (EHLO, STARTTLS or implicit TLS,
AUTH PLAIN/LOGIN, MAIL, RCPT, DATA), as the real client library is driven against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class Tls(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    IMPLICIT = "implicit"


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1, made with openssl for one test."""

    cert: Path
    key: Path

    @classmethod
    def make(cls, folder: Path) -> Certificate:
        cert, key = folder / "relay.pem", folder / "relay.key"
        subprocess.run(  # noqa: S603 - fixed arguments, a test's own files
            [  # noqa: S607
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return cls(cert=cert, key=key)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate only (verification stays on)."""
        return ssl.create_default_context(cafile=str(self.cert))


@dataclass(frozen=True)
class Received:
    """One mail the relay accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    user: str | None
    tls: bool

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Failure:
    step: str
    reply: str
    address: str | None
    drop: bool
    times: int


@dataclass
class FakeRelay:
    user: str | None = None
    password: str | None = None
    tls: Tls = Tls.NONE
    cert: Certificate | None = None
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    #: Connections made, and those open now.
    connections: int = 0
    open_connections: int = 0
    #: SMTP commands in the order they came, e.g. ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", …].
    commands: list[str] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None
    _transports: set[asyncio.Transport] = field(default_factory=set)
    _none_open: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **options: Any) -> AsyncIterator[FakeRelay]:
        relay = cls(**options)
        await relay.start()
        try:
            yield relay
        finally:
            await relay.close()

    async def start(self) -> None:
        if self.tls is not Tls.NONE and self.cert is None:
            raise ValueError("TLS needs a certificate")
        context = self.cert.server_context() if self.cert is not None else None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Server(self, context),
            self.host,
            0,
            ssl=context if self.tls is Tls.IMPLICIT else None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for transport in list(self._transports):
                transport.abort()
            await self._server.wait_closed()

    def fail(
        self,
        step: str,
        reply: str = "451 4.3.0 Try again later",
        *,
        address: str | None = None,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """The next `times` MAIL, RCPT or DATA (to `address`, if named) get `reply` instead of 250,
        or, with `drop`, the connection is cut without an answer."""
        self._failures.append(_Failure(step.upper(), reply, address, drop, times))

    def stop_listening(self) -> None:
        """Refuse new connections from now on (the relay is down); open ones stay."""
        if self._server is not None:
            self._server.close()

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Received]:
        """Wait until `count` mails arrived in all; returns them."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.received) >= count), timeout_s)
        return self.received

    async def wait_all_closed(self, timeout_s: float = 5.0) -> None:
        """Wait until no connection is open (the client quit, or was cut)."""
        await asyncio.wait_for(self._none_open.wait(), timeout_s)

    def to(self, address: str) -> list[Received]:
        return [mail for mail in self.received if address in mail.rcpt_tos]

    def _scripted(self, step: str, address: str | None) -> _Failure | None:
        for failure in self._failures:
            if failure.step == step and failure.address in (None, address):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    async def _record(self, mail: Received) -> None:
        async with self._arrived:
            self.received.append(mail)
            self._arrived.notify_all()


class _Handler:
    def __init__(self, relay: FakeRelay) -> None:
        self.relay = relay

    async def handle_MAIL(
        self, server: _Server, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if reply := server.scripted("MAIL", address):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: _Server, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if reply := server.scripted("RCPT", address):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: _Server, session: Session, envelope: Envelope) -> str:
        if reply := server.scripted("DATA", envelope.rcpt_tos[0] if envelope.rcpt_tos else None):
            return reply
        user = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        data = envelope.original_content or b""
        await self.relay._record(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=data,
                user=user,
                tls=session.ssl is not None or server.encrypted,
            )
        )
        return "250 2.0.0 Queued"


class _Server(SMTP):
    """aiosmtpd's SMTP server, counting connections and commands and cutting them when scripted."""

    def __init__(self, relay: FakeRelay, context: ssl.SSLContext | None) -> None:
        self.relay = relay
        super().__init__(
            _Handler(relay),
            hostname="relay.test",
            tls_context=context if relay.tls is Tls.STARTTLS else None,
            require_starttls=relay.tls is Tls.STARTTLS,
            auth_required=relay.user is not None,
            auth_require_tls=relay.tls is not Tls.NONE,
            authenticator=self._check_login,
        )

    def _check_login(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        relay = self.relay
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == relay.user
            and data.password.decode() == relay.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.relay.connections += 1
        self.relay.open_connections += 1
        assert isinstance(transport, asyncio.Transport)
        self.relay._transports.add(transport)
        self.relay._none_open.clear()
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.open_connections -= 1
        if self.transport is not None:
            self.relay._transports.discard(self.transport)
        if not self.relay.open_connections:
            self.relay._none_open.set()
        super().connection_lost(exc)

    async def smtp_EHLO(self, arg: str) -> None:
        self.relay.commands.append("EHLO")
        await super().smtp_EHLO(arg)

    async def smtp_STARTTLS(self, arg: str) -> None:
        self.relay.commands.append("STARTTLS")
        await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg: str) -> None:
        self.relay.commands.append("AUTH")
        await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg: str) -> None:
        self.relay.commands.append("MAIL")
        await super().smtp_MAIL(arg)

    async def smtp_RSET(self, arg: str) -> None:
        self.relay.commands.append("RSET")
        await super().smtp_RSET(arg)

    async def smtp_QUIT(self, arg: str) -> None:
        self.relay.commands.append("QUIT")
        await super().smtp_QUIT(arg)

    @property
    def encrypted(self) -> bool:
        """Whether this connection is TLS from its first byte (implicit TLS)."""
        return self.transport is not None and self.transport.get_extra_info("ssl_object") is not None

    def scripted(self, step: str, address: str | None) -> str | None:
        """The reply scripted for this step, if any; a scripted drop cuts the connection first."""
        failure = self.relay._scripted(step, address)
        if failure is None:
            return None
        if failure.drop:
            assert isinstance(self.transport, asyncio.Transport)
            self.transport.abort()
        return failure.reply
