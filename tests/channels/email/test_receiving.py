"""Replies by SMTP: the channel's listener (aiosmtpd), fed by the real aiosmtplib client as a
family's mail server would; a mail is accepted only once the sink has it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiosmtplib
import pytest

from bot.channels.email.adapter import EmailChannel
from bot.channels.email.settings import Security
from bot.events import Inbound
from tests.channels.email import mails
from tests.channels.email.mails import FAMILY, OURS


class Sink:
    def __init__(self) -> None:
        self.received: list[Inbound] = []
        self.fail_next = 0
        self.arrived = asyncio.Event()

    async def __call__(self, inbound: Inbound) -> bool:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database is locked")
        self.received.append(inbound)
        self.arrived.set()
        return True


@pytest.fixture
async def listening() -> AsyncIterator[tuple[EmailChannel, Sink]]:
    channel = EmailChannel(
        host="127.0.0.1",
        port=9,  # never used: nothing is sent here
        from_address="office@riverside.example",
        security=Security.NONE,
        inbound_host="127.0.0.1",
        inbound_port=0,
    )
    sink = Sink()
    running = asyncio.create_task(channel.start(sink))
    assert channel.listener is not None
    for _ in range(100):  # bounded: start() binds the port on its first steps
        if channel.listener.port:
            break
        await asyncio.sleep(0)
    yield channel, sink
    await channel.stop()
    await running


async def deliver(channel: EmailChannel, data: bytes, to: str = "office@riverside.example") -> None:
    assert channel.listener is not None
    await aiosmtplib.send(
        data, sender=FAMILY, recipients=[to], hostname="127.0.0.1", port=channel.listener.port,
        local_hostname="mx.example.org", timeout=10,
    )  # fmt: skip


async def test_a_reply_by_smtp_reaches_the_sink_before_it_is_accepted(listening):
    channel, sink = listening
    await deliver(channel, mails.GMAIL_VI)
    [reply] = sink.received
    assert (reply.address, reply.text, reply.reply_to) == (
        FAMILY,
        "Cháu rất thích đọc sách cùng bố mẹ.",
        OURS,
    )


async def test_a_mail_not_recorded_is_refused_for_now_and_taken_when_sent_again(listening):
    channel, sink = listening
    sink.fail_next = 1
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await deliver(channel, mails.OUTLOOK_EN)
    assert refused.value.code == 451
    await deliver(channel, mails.OUTLOOK_EN)
    assert [r.text for r in sink.received] == ["Thanks, we will try it on Saturday."]


async def test_mail_for_another_domain_is_refused_never_relayed(listening):
    channel, sink = listening
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await deliver(channel, mails.GMAIL_EN, to="someone@elsewhere.example")
    assert sink.received == []


async def test_a_25_mb_attachment_is_refused(listening):
    channel, sink = listening
    huge = mails.with_photo(b"\xff\xd8" + b"\x00" * (25 * 1024 * 1024))
    with pytest.raises((aiosmtplib.SMTPResponseException, aiosmtplib.SMTPServerDisconnected)) as refused:
        await deliver(channel, huge)
    if isinstance(refused.value, aiosmtplib.SMTPResponseException):
        assert refused.value.code == 552
    assert sink.received == []


async def test_bounces_and_auto_replies_are_accepted_and_only_hard_bounces_reported(listening):
    channel, sink = listening
    await deliver(channel, mails.AUTO_REPLY)
    await deliver(channel, mails.bounce(action="delayed", status="4.4.1"))
    await deliver(channel, mails.bounce())
    [bounce] = sink.received
    assert (bounce.payload, bounce.address, bounce.reply_to) == ("bounced", FAMILY, OURS)
