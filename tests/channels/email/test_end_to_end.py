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
from storage.models import Message, MessageKind, Person
from tests.channels.email import mails
from tests.fakes.mail import FakeRelay
from tests.harness import Chat

PUBLIC = "https://partnerbot.riverside.example"
AMINA, CARLOS = "amina.haddad@example.org", "carlos.garcia@example.org"
LINK = re.compile(re.escape(PUBLIC) + r"/e/(?:u/)?[A-Za-z0-9_.\-]+")
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


AR = Speaker("ar")
FAMILY_ADDRESS = mails.FAMILY.encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def settle(app: App) -> None:
    await app.intake.settled()
    await app.dispatcher.drain()


async def press_link(app: App, web: httpx.AsyncClient, relay: FakeRelay, address: str, label: str) -> None:
    """Press the button `label` in the newest mail to `address`: its page, then its form."""
    page = relay.to(address)[-1].message.get_body(preferencelist=("html",)).get_content()
    found = re.search(r'href="([^"]+)"[^>]*>' + re.escape(label) + "</a>", page)
    assert found, f"no link {label!r} in the newest mail"
    assert (await web.get(found.group(1))).status_code == 200
    assert (await web.post(found.group(1))).status_code == 200
    await settle(app)


async def reply_by_mail(app: App, email: EmailChannel, relay: FakeRelay, address: str, body: bytes) -> None:
    """Reply to the newest mail to `address` as a mail app would: to its Reply-To, In-Reply-To it."""
    latest = relay.to(address)[-1].message
    reply_to = latest["Reply-To"].addresses[0].addr_spec
    data = body.replace(b"<<IN-REPLY-TO>>", latest["Message-ID"].strip().encode())
    assert email.listener is not None
    await aiosmtplib.send(
        data,
        sender=address,
        recipients=[reply_to],
        hostname="127.0.0.1",
        port=email.listener.port,
        timeout=10,
    )
    await settle(app)


async def test_we_tried_it_by_mail_with_a_photo_reaches_the_teacher(
    running, emma, relay, web, email, session
):
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    await emma.say("Counting stairs")
    await emma.say("Count the stairs together out loud.\nTake turns saying the next number.")
    await emma.say("Counting things he can touch makes numbers real.")
    await emma.press("Skip")
    await emma.press("Send")
    await relay.wait_for(1)
    assert "“Counting stairs”" in relay.to(AMINA)[-1].message["Subject"]

    await press_link(running, web, relay, AMINA, AR._("We tried it"))
    assert AR._("How did it go?") in relay.to(AMINA)[-1].message.get_body(("plain",)).get_content()
    await press_link(running, web, relay, AMINA, AR._("Went well"))
    what = "عددنا الدرج معًا وكان يوسف سعيدًا جدًا"
    gmail = "في الخميس، 3 ديسمبر 2026 في 9:30 ص، كتب Riverside Primary <office@riverside.example>:"
    body = f"{what}\n\n{gmail}\n\n> {AR._('How did it go?')}\n"
    answer = mails.mail(body, sender=f"Amina Haddad <{AMINA}>", in_reply_to="<<IN-REPLY-TO>>")
    await reply_by_mail(running, email, relay, AMINA, answer)
    photo = mails.with_photo(PNG).replace(FAMILY_ADDRESS, AMINA.encode()).replace(b"image/jpeg", b"image/png")
    await reply_by_mail(running, email, relay, AMINA, photo.replace(b"reply.1@", b"reply.2@"))

    [from_home] = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_FROM_HOME)).all()
    assert (from_home.language, from_home.details["outcome"]) == ("ar", "well")
    teacher = emma.inbox[-1]
    assert "Something we tried at home, from Amina Haddad (mother of Yusuf Haddad)" in teacher.text
    assert what in teacher.text and "كتب Riverside" not in teacher.text
    assert teacher.attachment is not None and teacher.attachment.data == PNG


async def test_settings_by_link_asks_each_question_by_mail_with_the_choices_as_links(
    running, emma, relay, web, session
):
    await send_highlights(emma, relay)
    await press_link(running, web, relay, CARLOS, "Ajustes")
    menu = relay.to(CARLOS)[-1].message.get_body(preferencelist=("html",)).get_content()
    language = Speaker("es")._("Language")
    assert f">{language}</a>" in menu, menu
    await press_link(running, web, relay, CARLOS, language)
    await press_link(running, web, relay, CARLOS, "Français")
    session.expire_all()
    carlos = session.exec(select(Person).where(Person.name == "Carlos García")).one()
    assert carlos.language == "fr"
