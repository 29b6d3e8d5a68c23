"""Mail coming in: an SMTP listener (aiosmtpd) for schools that receive their reply domain's mail
themselves. A mail is answered 250 only once the sink has recorded it, so a crash loses none (the
sending server tries again) and the engine's event ids keep a resent one from counting twice."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.channels.base import InboundSink
from bot.channels.email.ingest import MAX_MAIL_BYTES, Arrived
from bot.events import Inbound

_LOGGER = logging.getLogger(__name__)

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
