"""End to end through the app, the real e-mail channel, the loopback relay and the web pages: a
highlight to a class whose families are e-mail-only, Got it by link, a reply by mail."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import aiosmtplib
import httpx
import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.channels.email.adapter import EmailChannel, mail_limits
from bot.channels.email.links import Links
from bot.channels.email.settings import Security
from bot.i18n import Speaker
from bot.web.app import make_web_app
from bot.web.signing import Signer
from storage.models import Message, MessageKind
from tests.channels.email import mails
from tests.fakes.mail import FakeRelay
from tests.harness import Chat

PUBLIC = "https://partnerbot.riverside.example"
AMINA, CARLOS = "amina.haddad@example.org", "carlos.garcia@example.org"
LINK = re.compile(re.escape(PUBLIC) + r"/e/[A-Za-z0-9_.\-]+")
HIGHLIGHTS = "We planted beans. Ask your child what a seed needs."


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    async with FakeRelay.running() as fake:
        yield fake


@pytest.fixture
async def email(relay: FakeRelay) -> EmailChannel:
    return EmailChannel(
        host=relay.host,
        port=relay.port,
        from_address="office@riverside.example",
        from_name="Riverside Primary",
        security=Security.NONE,
        local_hostname="bot.riverside.example",
        limits=mail_limits(per_min=None, per_hour=None),
        links=Links(public_url=PUBLIC, signer=Signer("s" * 40)),
        inbound_host="127.0.0.1",
        inbound_port=0,
    )


@pytest.fixture
async def running(settings, db, channel, clock, email, school) -> AsyncIterator[App]:  # type: ignore[no-untyped-def]
    app = build_app(settings, {"test": channel, "email": email}, db=db, clock=clock)
    task = asyncio.create_task(email.start(app.receive))
    assert email.listener is not None
    for _ in range(100):  # bounded: start() binds the listener first
        if email.listener.port:
            break
        await asyncio.sleep(0)
    yield app
    await email.stop()
    await task
    await app.intake.stop()


@pytest.fixture
async def web(email: EmailChannel) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_web_app(email.web_routes()))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        yield client


@pytest.fixture
async def emma(running, channel, invite) -> Chat:  # type: ignore[no-untyped-def]
    phone = Chat(running, channel, "emma")
    await phone.say(f"/start {invite('Emma Clarke')}")
    await phone.press("English")
    await phone.say("/cancel")
    return phone


async def send_highlights(emma: Chat, relay: FakeRelay) -> None:
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")
    await relay.wait_for(3)


async def test_a_highlight_by_mail_and_got_it_by_link_is_counted(running, emma, relay, web):
    await send_highlights(emma, relay)
    [to_amina] = relay.to(AMINA)
    message = to_amina.message
    subject = Speaker("ar")._("Learning highlights for {group} from {author}")
    assert message["Subject"].strip() == subject.format(group="Class 3B", author="Emma Clarke")
    assert message["Content-Language"] == "ar"
    assert message["References"].startswith("<partnerbot.message.")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page = message.get_body(preferencelist=("html",)).get_content()
    assert 'lang="ar" dir="rtl"' in page and HIGHLIGHTS in page
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = LINK.findall(text)
    assert links, text

    got_it = links[0]
    scanned = await web.get(got_it, headers={"user-agent": "Safe Links"})
    assert scanned.status_code == 200
    assert "Got it: 0" in (await emma.say("/acks"))[0].text  # the scanner's GET counted nothing
    pressed = await web.post(got_it)
    assert pressed.status_code == 200
    await running.intake.settled()
    assert "Got it: 1" in (await emma.say("/acks"))[0].text
    assert (await web.post(got_it)).status_code == 200  # again: "already done", counted once
    assert "Got it: 1" in (await emma.say("/acks"))[0].text


async def test_a_reply_from_gmail_in_vietnamese_reaches_the_teacher_without_the_quote(
    running, emma, relay, email, session
):
    await send_highlights(emma, relay)
    [to_carlos] = relay.to(CARLOS)
    ours = to_carlos.message["Message-ID"]
    reply_to = str(to_carlos.message["Reply-To"].addresses[0].addr_spec)
    assert reply_to.startswith("reply+")
    body = mails.GMAIL_VI.split(b"\r\n\r\n", 1)[1].decode().replace("\r\n", "\n")
    reply = mails.mail(body, in_reply_to=ours, to=reply_to)
    assert email.listener is not None
    await aiosmtplib.send(
        reply,
        sender=CARLOS,
        recipients=[reply_to],
        hostname="127.0.0.1",
        port=email.listener.port,
        timeout=10,
    )
    await running.intake.settled()
    await running.dispatcher.drain()
    [highlight] = session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).all()
    assert emma.inbox[-1].content.answers == highlight.id  # filed against the mail it answers
    received = emma.inbox[-1].text
    assert "Cháu rất thích đọc sách cùng bố mẹ." in received
    assert "đã viết" not in received and "Chọn một cuốn sách" not in received
