"""Buttons as signed links: the mail carries them, a GET only shows, a POST presses, once."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.email.adapter import EmailChannel, from_settings
from bot.channels.email.links import Links, Press
from bot.channels.email.settings import EmailSettings, Security
from bot.events import Button, Content, Inbound, Outbound
from bot.settings import Settings
from bot.web.app import make_web_app
from bot.web.signing import Signer
from tests.fakes.mail import FakeRelay

KEY = "k" * 40
PUBLIC = "https://partnerbot.riverside.example"
LINK = re.compile(re.escape(PUBLIC) + r"/e/(?:u/)?[A-Za-z0-9_.\-]+")


class Sink:
    """Records presses once each, as the engine records events (False for one seen before)."""

    def __init__(self) -> None:
        self.received: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> bool:
        if any(seen.event_id == inbound.event_id for seen in self.received):
            return False
        self.received.append(inbound)
        return True


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    async with FakeRelay.running() as fake:
        yield fake


@pytest.fixture
async def mail(relay: FakeRelay) -> AsyncIterator[EmailChannel]:
    channel = EmailChannel(
        host=relay.host,
        port=relay.port,
        from_address="office@riverside.example",
        security=Security.NONE,
        local_hostname="bot.riverside.example",
        links=Links(public_url=PUBLIC, signer=Signer(KEY)),
    )
    yield channel
    await channel.stop()


@pytest.fixture
async def sink(mail: EmailChannel) -> AsyncIterator[Sink]:
    recorder = Sink()
    running = asyncio.create_task(mail.start(recorder))
    await asyncio.sleep(0)  # let start() take the sink
    yield recorder
    await mail.stop()
    await running


@pytest.fixture
async def web(mail: EmailChannel) -> AsyncIterator[httpx.AsyncClient]:
    app = make_web_app(mail.web_routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as client:
        yield client


async def links_in_mail(mail: EmailChannel, relay: FakeRelay, out: Outbound) -> list[str]:
    await mail.send("amina@example.org", out)
    body = relay.received[-1].message.get_body(preferencelist=("plain",))
    assert body is not None
    return LINK.findall(body.get_content())[: len(out.buttons)]  # the buttons' (the footer's follow)


HIGHLIGHT = Outbound(
    content=Content.plain("Lo que aprendimos esta semana"),
    buttons=(Button(label="Entendido", payload="ack:7"), Button(label="Ver el original", payload="orig:7")),
    language="es",
    message_id=7,
)


def test_a_channel_with_links_offers_buttons_and_serves_their_pages(mail):
    assert mail.capabilities.buttons
    routes = [(route.path, route.methods) for route in mail.web_routes()]
    assert routes == [("/e/{token}", ("GET", "POST")), ("/e/u/{token}", ("GET", "POST"))]


async def test_each_button_is_a_link_in_both_parts(mail, relay):
    got_it, original = await links_in_mail(mail, relay, HIGHLIGHT)
    message = relay.received[-1].message
    page = message.get_body(preferencelist=("html",)).get_content()
    assert got_it != original
    assert f'href="{got_it}"' in page and ">Entendido</a>" in page


async def test_a_scanners_get_changes_nothing_and_the_post_presses(mail, relay, sink, web, caplog):
    caplog.set_level(logging.INFO)
    [got_it, _] = await links_in_mail(mail, relay, HIGHLIGHT)
    for agent in ("Microsoft Safe Links scanner", "Mozilla/5.0 (iPhone)"):
        page = await web.get(got_it, headers={"user-agent": agent})
        assert page.status_code == 200
        assert '<html lang="es" dir="ltr">' in page.text
        assert '<form method="post">' in page.text and ">Entendido</button>" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
    assert sink.received == []

    pressed = await web.post(got_it, headers={"user-agent": "Mozilla/5.0 (iPhone)"})
    assert pressed.status_code == 200
    [press] = sink.received
    assert (press.channel, press.address, press.payload, press.text) == (
        "email", "amina@example.org", "ack:7", "Entendido",
    )  # fmt: skip
    assert "Gracias" in pressed.text
    token = got_it.rsplit("/", 1)[1]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert token not in ours and "Safe Links scanner" in ours
    assert token not in press.event_id


async def test_a_second_press_is_already_done(mail, relay, sink, web):
    [got_it, _] = await links_in_mail(mail, relay, HIGHLIGHT)
    first = await web.post(got_it)
    again = await web.post(got_it)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(sink.received) == 1
    assert first.text != again.text and "ya" in again.text.lower()


async def test_the_page_is_right_to_left_in_arabic(mail, relay, sink, web):
    out = Outbound(content=Content.plain("أبرز ما تعلمناه"), buttons=(Button(label="فهمت", payload="ack:7"),),
                   language="ar", rtl=True, message_id=7)  # fmt: skip
    [got_it] = await links_in_mail(mail, relay, out)
    page = await web.get(got_it)
    assert '<html lang="ar" dir="rtl">' in page.text


def _tampered(link: str) -> str:
    head, _, token = link.rpartition("/")
    payload, stamp, signature = token.split(".")
    return f"{head}/{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{stamp}.{signature}"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_forged_altered_and_foreign_tokens_are_refused_in_the_browsers_language(
    mail, relay, sink, web, method
):
    [got_it, _] = await links_in_mail(mail, relay, HIGHLIGHT)
    other_key = Links(public_url=PUBLIC, signer=Signer("z" * 40)).button(
        Press(address="amina@example.org", message_id=7, payload="ack:7", label="x", language="es")
    )
    for link in (_tampered(got_it), other_key, f"{PUBLIC}/e/not-a-token", f"{PUBLIC}/e/"):
        answer = await web.request(method, link, headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
        assert answer.status_code in (400, 404, 405), link
        if answer.status_code == 400:
            assert '<html lang="fr"' in answer.text
    assert sink.received == []


async def test_an_expired_link_is_refused(mail, relay, sink):
    [got_it, _] = await links_in_mail(mail, relay, HIGHLIGHT)
    later = EmailChannel(
        host=relay.host, port=relay.port, from_address="office@riverside.example",
        links=Links(public_url=PUBLIC, signer=Signer(KEY), max_age_s=-1),  # every link is too old
    )  # fmt: skip
    transport = httpx.ASGITransport(app=make_web_app(later.web_routes()))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        answer = await client.post(got_it, headers={"accept-language": "vi"})
    assert answer.status_code == 410
    assert '<html lang="vi"' in answer.text
    assert sink.received == []


async def test_a_press_while_the_channel_is_not_running_is_not_lost_silently(mail, relay, web):
    [got_it, _] = await links_in_mail(mail, relay, HIGHLIGHT)
    answer = await web.post(got_it)
    assert answer.status_code == 503


def test_buttons_are_links_only_when_the_app_has_a_public_address():
    own = EmailSettings(host="relay.example", from_address="office@riverside.example")
    app = Settings(public_url=PUBLIC, secret_key=KEY, _env_file=None)  # type: ignore[call-arg]
    assert from_settings(own, app=app).capabilities.buttons
    assert [r.path for r in from_settings(own, app=app).web_routes()] == ["/e/{token}", "/e/u/{token}"]
    assert not from_settings(own).capabilities.buttons
    assert from_settings(own).web_routes() == ()


# -- one-click unsubscribe -------------------------------------------------------------------------


async def unsubscribe_link(mail: EmailChannel, relay: FakeRelay) -> str:
    await mail.send("amina@example.org", HIGHLIGHT)
    message = relay.received[-1].message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return str(message["List-Unsubscribe"]).strip("<>")


async def test_a_mail_apps_one_click_post_unsubscribes_and_a_get_only_asks(mail, relay, sink, web):
    link = await unsubscribe_link(mail, relay)
    assert link.startswith(f"{PUBLIC}/e/u/")
    message = relay.received[-1].message
    footer = f'<a href="{link}" style="color:#555555;">Dejar de recibir correos</a>'
    assert footer in message.get_body(preferencelist=("html",)).get_content()  # also in the mail
    assert f"Dejar de recibir correos:\n{link}" in message.get_body(preferencelist=("plain",)).get_content()
    asked = await web.get(link)
    assert asked.status_code == 200 and '<form method="post">' in asked.text
    assert "¿Quiere dejar de recibir correos" in asked.text
    assert sink.received == []

    one_click = {"content-type": "application/x-www-form-urlencoded"}
    done = await web.post(link, content=b"List-Unsubscribe=One-Click", headers=one_click)
    again = await web.post(link, content=b"List-Unsubscribe=One-Click", headers=one_click)
    assert (done.status_code, again.status_code) == (200, 200)
    assert "ya no le enviará correos" in done.text and done.text == again.text
    [stop] = sink.received
    assert (stop.channel, stop.address, stop.payload) == ("email", "amina@example.org", "unsubscribe")


async def test_an_unsubscribe_link_cannot_be_made_from_a_button_link(mail, relay, sink, web):
    [got_it, _] = await links_in_mail(mail, relay, HIGHLIGHT)
    token = got_it.rsplit("/", 1)[1]
    assert (await web.post(f"{PUBLIC}/e/u/{token}")).status_code == 400
    link = await unsubscribe_link(mail, relay)
    assert (await web.post(f"{PUBLIC}/e/{link.rsplit('/', 1)[1]}")).status_code == 400
    assert sink.received == []


async def test_the_settings_link_sends_the_settings_command(mail, relay, sink, web):
    await mail.send("amina@example.org", HIGHLIGHT)
    page = relay.received[-1].message.get_body(preferencelist=("html",)).get_content()
    [settings] = re.findall(r'<a href="([^"]+)" style="color:#555555;">Ajustes</a>', page)
    assert (await web.get(settings)).status_code == 200 and sink.received == []
    assert (await web.post(settings)).status_code == 200
    [press] = sink.received
    assert (press.command, press.payload, press.address) == ("settings", None, "amina@example.org")
