"""E-mail channel: SMTP through the school's relay (aiosmtplib), one connection reused across a burst."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiosmtplib import SMTP, SMTPException, SMTPResponseException, SMTPServerDisconnected

from bot.channels.base import (
    AddressKind,
    Capabilities,
    InboundSink,
    PermanentFailure,
    Quota,
    RateLimits,
    Sent,
    WebRoute,
)
from bot.channels.email.errors import Step, classify
from bot.channels.email.ingest import Arrived, read
from bot.channels.email.links import PREFIX, SETTINGS, Links, Press
from bot.channels.email.receive import ImapAccount, ImapReader, SmtpListener
from bot.channels.email.render import CHANNEL, Envelope, Link, is_address, new_message_id, render
from bot.channels.email.settings import EmailSettings, Security
from bot.channels.email.web import button_endpoint, unsubscribe_endpoint
from bot.events import Inbound, Outbound
from bot.i18n import Speaker, normalise_language

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["EmailChannel", "from_settings", "mail_limits", "render"]

_LOGGER = logging.getLogger(__name__)
#: A connection unused this long is closed (relays drop idle ones after a few minutes anyway).
IDLE_S = 30.0


def _mailbox(_address: str) -> AddressKind:
    return AddressKind.MAILBOX


def mail_limits(*, per_min: float | None = 100, per_hour: float | None = 1000) -> RateLimits:
    """The relay's quotas on every mail together (relays cap both a minute's and an hour's);
    None or 0 leaves one out."""
    quotas = (Quota.rate(per_min, 60.0), Quota.rate(per_hour, 3600.0))
    return RateLimits(overall=tuple(q for q in quotas if q), kind_of=_mailbox)


class EmailChannel:
    """Families by e-mail. A burst of sends shares one SMTP connection (one transaction at a time);
    it is opened on the first send and closed after IDLE_S without one, or on `stop()`.

    With `links` (the web app's public address and the signer), buttons are signed links to pages
    this channel serves; without, the dispatcher writes the choices out, to be answered by reply.
    """

    name = CHANNEL
    DEFAULT_LIMITS = mail_limits()

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_address: str,
        from_name: str = "",
        bounce_address: str | None = None,
        domain: str | None = None,
        security: Security = Security.STARTTLS,
        user: str | None = None,
        password: str | None = None,
        timeout_s: float = 30.0,
        idle_s: float = IDLE_S,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        limits: RateLimits = DEFAULT_LIMITS,
        links: Links | None = None,
        inbound_host: str | None = None,
        inbound_port: int = 2525,
        imap: ImapAccount | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.limits = limits
        self.capabilities = Capabilities(
            max_text_length=100_000, buttons=links is not None, attachments=True, threading=True
        )
        self._links = links
        self._sink: InboundSink | None = None
        self._from_address = from_address
        self._bounce_address = bounce_address or from_address
        self._from_name = from_name
        self._domain = domain or from_address.rpartition("@")[2]
        self.listener = (
            SmtpListener(host=inbound_host, port=inbound_port, domain=self._domain, read=self.read)
            if inbound_host
            else None
        )
        self.imap = ImapReader(imap, read=self.read, timeout_s=timeout_s) if imap is not None else None
        self._idle_s = idle_s
        self._clock = clock
        self._connect_options: dict[str, object] = {
            "hostname": host,
            "port": port,
            "username": user,
            "password": password,
            "timeout": timeout_s,
            "use_tls": security is Security.TLS,
            # True, not None: a relay that does not offer STARTTLS is refused, never used in clear.
            "start_tls": security is Security.STARTTLS,
            "tls_context": tls_context,
            "local_hostname": local_hostname,
        }
        self._smtp: SMTP | None = None
        self._lock = asyncio.Lock()
        self._idle: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def __repr__(self) -> str:
        options = self._connect_options
        return f"EmailChannel(host={options['hostname']!r}, port={options['port']!r})"

    async def start(self, sink: InboundSink) -> None:
        """Hand the presses of links and the mails that come in to `sink` until `stop()`."""
        self._stopping.clear()
        self._sink = sink
        try:
            if self.listener is not None:
                await self.listener.start(sink)
            if self.imap is not None:
                await self.imap.run(sink, self._stopping)
            await self._stopping.wait()
        finally:
            self._sink = None
            if self.listener is not None:
                await self.listener.stop()

    def read(self, mail: Arrived) -> Inbound | None:
        """A mail that came in, as its event (a reply to a thread's address checked against its sender)."""
        return read(mail, reply_sender=self._links.reply_sender if self._links else None)

    def web_routes(self) -> Sequence[WebRoute]:
        """The pages behind the links, when mails carry links."""
        if self._links is None:
            return ()
        links, sink = self._links, lambda: self._sink
        return (
            WebRoute(
                path=PREFIX + "/{token}", endpoint=button_endpoint(links, sink), methods=("GET", "POST")
            ),
            WebRoute(
                path=PREFIX + "/u/{token}",
                endpoint=unsubscribe_endpoint(links, sink),
                methods=("GET", "POST"),
            ),
        )

    async def stop(self) -> None:
        """Stop receiving (listener, IMAP) and close the relay connection (QUIT), if one is open."""
        self._stopping.set()
        if self._idle is not None:
            self._idle.cancel()
        await self._close()

    async def send(self, address: str, out: Outbound) -> Sent:
        """One mail to `address`; the provider id is its Message-ID (what a reply's In-Reply-To names)."""
        if not is_address(address):
            raise PermanentFailure("not an e-mail address")
        message_id = new_message_id(self._domain)
        envelope = Envelope(
            sender_name=self._from_name,
            sender_address=self._from_address,
            to=address,
            domain=self._domain,
            message_id=message_id,
            date=self._clock(),
            links=self._buttons(address, out),
            unsubscribe_url=self._links.unsubscribe(address, out.language) if self._links else None,
            reply_to=self._links.reply_address(address, self._domain) if self._links else None,
        )
        data = render(out, envelope)
        async with self._lock:
            await self._transact(address, data)
        self._close_when_idle()
        return Sent(provider_id=message_id)

    def _buttons(self, address: str, out: Outbound) -> tuple[Link, ...]:
        """Each button as a signed link for this recipient and message, then "Settings" and "Stop
        e-mails" in the footer (none without links)."""
        if self._links is None:
            return ()
        _ = Speaker(normalise_language(out.language))._
        settings = Press(
            address=address, message_id=None, payload=SETTINGS, label=_("Settings"), language=out.language
        )
        footer = (
            Link(label=settings.label, url=self._links.button(settings), quiet=True),
            Link(label=_("Stop e-mails"), url=self._links.unsubscribe(address, out.language), quiet=True),
        )
        return *tuple(
            Link(
                label=button.label,
                url=self._links.button(
                    Press(
                        address=address,
                        message_id=out.message_id,
                        payload=button.payload,
                        label=button.label,
                        language=out.language,
                    )
                ),
            )
            for button in out.buttons
        ), *footer

    async def _transact(self, address: str, data: bytes) -> None:
        """MAIL, RCPT, DATA on the open connection; a connection the relay closed meanwhile is opened
        again once. A failure is raised typed, by the step it came at."""
        step = Step.CONNECT
        try:
            smtp, reused = await self._connection()
            step = Step.MAIL
            try:
                await smtp.mail(self._bounce_address)
            except SMTPServerDisconnected:
                if not reused:
                    raise
                step = Step.CONNECT
                smtp, _ = await self._connection()
                step = Step.MAIL
                await smtp.mail(self._bounce_address)
            step = Step.RCPT
            await smtp.rcpt(address)
            step = Step.DATA
            await smtp.data(data)
        except (SMTPException, OSError) as exc:
            failure = classify(exc, step)
            await self._after_failure(exc, step)
            _LOGGER.info("mail %s failed: %s", step, type(failure).__name__)
            raise failure from exc

    async def _connection(self) -> tuple[SMTP, bool]:
        """The open connection and True, or a new one (connected, TLS, logged in) and False."""
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp, True
        self._smtp = None
        smtp = SMTP(**self._connect_options)  # type: ignore[arg-type]
        await smtp.connect()
        self._smtp = smtp
        return smtp, False

    async def _after_failure(self, exc: BaseException, step: Step) -> None:
        """Leave the connection ready for the next mail: RSET after a refused MAIL or RCPT, closed
        after anything else that is not the relay's answer to the message."""
        smtp = self._smtp
        if smtp is None or not smtp.is_connected:
            self._smtp = None
            return
        if isinstance(exc, SMTPResponseException) and step in (Step.MAIL, Step.RCPT):
            try:
                await smtp.rset()
                return
            except (SMTPException, OSError):
                pass
        elif isinstance(exc, SMTPResponseException) and step is Step.DATA:
            return
        self._smtp = None
        smtp.close()

    def _close_when_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(self._idle_s, self._close_soon)

    def _close_soon(self) -> None:
        self._closing = asyncio.create_task(self._close())

    async def _close(self) -> None:
        async with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is None or not smtp.is_connected:
                return
            try:
                await smtp.quit()
            except (SMTPException, OSError):
                smtp.close()
        _LOGGER.debug("relay connection closed")


def from_settings(settings: EmailSettings, *, app: Settings | None = None) -> EmailChannel:
    """The channel `partnerbot run` serves when PARTNERBOT_EMAIL_HOST is set (the registry's factory);
    its buttons are links when the app has a public address (PARTNERBOT_PUBLIC_URL)."""
    if settings.host is None or settings.from_address is None:
        raise ValueError("the e-mail channel needs a relay host and a From address")
    links = None
    if app is not None and app.public_url:
        from bot.web.signing import signer_for

        links = Links(public_url=app.public_url, signer=signer_for(app))
    password = settings.password
    return EmailChannel(
        host=settings.host,
        port=settings.default_port,
        security=settings.security,
        user=settings.user,
        password=password.get_secret_value() if password is not None else None,
        from_address=settings.from_address,
        from_name=settings.from_name,
        bounce_address=settings.bounce_address,
        domain=settings.domain,
        timeout_s=settings.timeout_s,
        limits=settings.limits,
        links=links,
        inbound_host=settings.inbound_host,
        inbound_port=settings.inbound_port,
        imap=settings.imap_account,
    )
