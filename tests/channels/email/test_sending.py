"""The e-mail channel through the real aiosmtplib, over SMTP to the loopback relay (aiosmtpd)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.channels.base import AmbiguousSend, PermanentFailure, Rejected, RetryLater, Scope
from bot.channels.email.adapter import EmailChannel, from_settings
from bot.channels.email.settings import EmailSettings, Security
from bot.events import Attachment, Content, Outbound, Section
from tests.fakes.mail import Certificate, FakeRelay, Tls

FROM = "office@riverside.example"
PASSWORD = "relay-password-not-for-logs"
PHOTO = b"\xff\xd8\xff\xe0 a photo \r\n.\r\n--boundary-looking bytes\x00\xff\xd9"


def make_channel(relay: FakeRelay, **options: object) -> EmailChannel:
    defaults: dict[str, object] = {
        "host": relay.host,
        "port": relay.port,
        "from_address": FROM,
        "from_name": "Riverside Primary",
        "security": Security.NONE,
        "local_hostname": "bot.riverside.example",
        "timeout_s": 5.0,
    }
    return EmailChannel(**(defaults | options))  # type: ignore[arg-type]


def note(text: str = "Reading together tonight") -> Outbound:
    return Outbound(
        content=Content(heading="Learning highlights for Class 3B", sections=(Section(paragraphs=(text,)),)),
        language="en",
        message_id=7,
    )


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    async with FakeRelay.running() as fake:
        yield fake


@pytest.fixture
async def mail(relay: FakeRelay) -> AsyncIterator[EmailChannel]:
    channel = make_channel(relay)
    yield channel
    await channel.stop()


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return Certificate.make(tmp_path_factory.mktemp("tls"))


# -- a mail reaches the relay ------------------------------------------------------------------------


async def test_a_mail_reaches_the_relay_with_its_message_id_as_the_provider_id(relay, mail):
    sent = await mail.send("amina@example.org", note())
    [received] = relay.received
    assert (received.mail_from, received.rcpt_tos) == (FROM, ("amina@example.org",))
    message = received.message
    assert message["Message-ID"] == sent.provider_id
    assert sent.provider_id.endswith("@riverside.example>")
    assert message["From"].addresses[0].display_name == "Riverside Primary"
    assert message["Subject"] == "Learning highlights for Class 3B"


async def test_a_burst_shares_one_connection_which_closes_when_idle_and_on_stop(relay):
    channel = make_channel(relay, idle_s=3600)
    for n in range(5):
        await channel.send(f"family{n}@example.org", note())
    assert (relay.connections, len(relay.received)) == (1, 5)
    assert relay.commands.count("EHLO") == 1
    await channel.stop()
    assert relay.commands[-1] == "QUIT"


async def test_an_idle_connection_is_closed(relay):
    channel = make_channel(relay, idle_s=0.01)
    await channel.send("amina@example.org", note())
    await relay.wait_all_closed()
    assert relay.commands[-1] == "QUIT"
    await channel.send("carlos@example.org", note())
    assert relay.connections == 2
    await channel.stop()


async def test_a_connection_the_relay_closed_is_opened_again(relay, mail):
    await mail.send("amina@example.org", note())
    relay.fail("MAIL", drop=True)  # the relay dropped the idle connection
    await mail.send("carlos@example.org", note())
    assert [m.rcpt_tos for m in relay.received] == [("amina@example.org",), ("carlos@example.org",)]
    assert relay.connections == 2


async def test_a_new_connection_cut_before_data_is_tried_again_later(relay, mail):
    relay.fail("MAIL", drop=True)
    with pytest.raises(RetryLater) as caught:
        await mail.send("amina@example.org", note())
    assert caught.value.scope is Scope.CHANNEL
    await mail.send("amina@example.org", note())
    assert len(relay.received) == 1


async def test_starttls_and_login_with_a_verified_certificate(cert):
    async with FakeRelay.running(tls=Tls.STARTTLS, cert=cert, user="bot", password=PASSWORD) as relay:
        channel = make_channel(
            relay,
            security=Security.STARTTLS,
            user="bot",
            password=PASSWORD,
            tls_context=cert.client_context(),
        )
        await channel.send("amina@example.org", note())
        await channel.stop()
    [received] = relay.received
    assert (received.tls, received.user) == (True, "bot")
    assert relay.commands[:4] == ["EHLO", "STARTTLS", "EHLO", "AUTH"]


async def test_implicit_tls(cert):
    async with FakeRelay.running(tls=Tls.IMPLICIT, cert=cert) as relay:
        channel = make_channel(relay, security=Security.TLS, tls_context=cert.client_context())
        await channel.send("amina@example.org", note())
        await channel.stop()
    assert relay.received[0].tls


async def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(cert):
    async with FakeRelay.running(tls=Tls.STARTTLS, cert=cert) as relay:
        channel = make_channel(relay, security=Security.STARTTLS)  # the system's CAs: not this one
        with pytest.raises(RetryLater) as caught:
            await channel.send("amina@example.org", note())
        await channel.stop()
    assert caught.value.scope is Scope.CHANNEL
    assert relay.received == []


async def test_a_wrong_password_holds_the_channel_back_and_is_never_logged(cert, caplog):
    caplog.set_level(logging.DEBUG)
    async with FakeRelay.running(tls=Tls.STARTTLS, cert=cert, user="bot", password=PASSWORD) as relay:
        channel = make_channel(
            relay, security=Security.STARTTLS, user="bot", password="wrong-" + PASSWORD,
            tls_context=cert.client_context(),
        )  # fmt: skip
        with pytest.raises(RetryLater) as caught:
            await channel.send("amina@example.org", note())
        await channel.stop()
    assert (caught.value.scope, caught.value.after_s) == (Scope.CHANNEL, 300.0)
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(channel)


# -- failures, typed -----------------------------------------------------------------------------


async def test_an_invalid_mailbox_is_a_permanent_failure_and_the_next_mail_goes(relay, mail):
    relay.fail("RCPT", "550 5.1.1 No such user here", address="gone@example.org")
    with pytest.raises(PermanentFailure):
        await mail.send("gone@example.org", note())
    await mail.send("amina@example.org", note())
    assert [m.rcpt_tos for m in relay.received] == [("amina@example.org",)]
    assert "RSET" in relay.commands
    assert relay.connections == 1


@pytest.mark.parametrize(
    ("step", "reply", "failure", "scope"),
    [
        ("RCPT", "450 4.2.1 Mailbox busy", RetryLater, Scope.ADDRESS),
        ("MAIL", "451 4.3.0 Local error", RetryLater, Scope.ADDRESS),
        ("DATA", "452 4.3.1 Insufficient storage", RetryLater, Scope.ADDRESS),
        ("RCPT", "421 4.7.0 Too many messages, slow down", RetryLater, Scope.CHANNEL),
        ("DATA", "421 4.7.0 Hourly quota reached", RetryLater, Scope.CHANNEL),
        ("RCPT", "554 5.7.1 Relay access denied", Rejected, None),
        ("MAIL", "552 5.3.4 Message too big", Rejected, None),
        ("DATA", "554 5.7.1 Message refused as spam", Rejected, None),
        ("DATA", "550 5.1.1 Recipient address rejected", PermanentFailure, None),
    ],
)
async def test_relay_replies_become_typed_failures(relay, mail, step, reply, failure, scope):
    relay.fail(step, reply)
    with pytest.raises(failure) as caught:
        await mail.send("amina@example.org", note())
    assert type(caught.value) is failure
    if scope is not None:
        assert caught.value.scope is scope
    await mail.send("amina@example.org", note())  # the connection (or a new one) still works
    assert len(relay.received) == 1


async def test_a_relay_that_is_down_holds_back_the_channel_and_loses_nothing(relay):
    port = relay.port
    await relay.close()
    channel = make_channel(relay, port=port)
    with pytest.raises(RetryLater) as caught:
        await channel.send("amina@example.org", note())
    assert caught.value.scope is Scope.CHANNEL
    await channel.stop()


async def test_a_connection_cut_during_data_is_ambiguous(relay, mail):
    relay.fail("DATA", drop=True)
    with pytest.raises(AmbiguousSend):
        await mail.send("amina@example.org", note())


async def test_an_address_that_is_not_one_mailbox_is_unreached_without_a_connection(relay, mail):
    for address in ("not an address", "a@b.example\r\nRCPT TO:<x@evil.example>", "<a@b.example>"):
        with pytest.raises(PermanentFailure):
            await mail.send(address, note())
    assert relay.connections == 0


# -- the mail itself -----------------------------------------------------------------------------


async def test_a_photo_goes_inline_beside_the_html(relay, mail):
    out = Outbound(
        content=Content(heading="Something to try at home", title="Reading together"),
        attachment=Attachment(filename="book.jpg", content_type="image/jpeg", data=PHOTO),
        language="en",
    )
    await mail.send("amina@example.org", out)
    message = relay.received[0].message
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert (plain.get_content_type(), related.get_content_type()) == ("text/plain", "multipart/related")
    html_part, image = related.get_payload()
    assert image.get_content() == PHOTO
    assert f'src="cid:{image["Content-ID"][1:-1]}"' in html_part.get_content()
    assert 'alt="Reading together"' in html_part.get_content()


async def test_threading_headers_join_a_reply_to_the_message_it_answers(relay, mail):
    first = await mail.send("amina@example.org", note())
    answer = Outbound(content=Content(heading="Message from Ms Lee", answers=7), message_id=9)
    await mail.send("amina@example.org", answer)
    postcard, reply = (m.message for m in relay.received)
    assert postcard["In-Reply-To"] is None
    assert postcard["References"] == "<partnerbot.message.7@riverside.example>"
    assert reply["In-Reply-To"] == "<partnerbot.message.7@riverside.example>"
    assert reply["References"].split() == [
        "<partnerbot.message.7@riverside.example>",
        "<partnerbot.message.9@riverside.example>",
    ]
    assert reply["Message-ID"] not in (first.provider_id, postcard["References"])


def test_from_settings_builds_the_channel_from_environment_style_settings():
    settings = EmailSettings(
        host="relay.example", from_address=FROM, from_name="Riverside\r\nBcc: x@evil.example",
        user="bot", password=PASSWORD, max_per_min=30, max_per_hour=0,
    )  # fmt: skip
    channel = from_settings(settings)
    assert settings.default_port == 587
    assert settings.from_name == "Riverside Bcc: x@evil.example"
    assert [(q.count, q.per_s) for q in channel.limits.overall] == [(30, 60.0)]
    assert channel.limits.kind_of("amina@example.org") == "mailbox"
    assert PASSWORD not in repr(settings)


def test_settings_refuse_a_host_without_a_sender_and_a_user_without_a_password():
    with pytest.raises(ValueError, match="FROM_ADDRESS"):
        EmailSettings(host="relay.example")
    with pytest.raises(ValueError, match="go together"):
        EmailSettings(host="relay.example", from_address=FROM, user="bot")
    with pytest.raises(ValueError, match="e-mail address"):
        EmailSettings(host="relay.example", from_address="office")
    assert not EmailSettings(host="").enabled


async def test_bounces_go_to_the_bounce_address_and_families_see_the_from_address(relay):
    channel = make_channel(relay, bounce_address="reply@riverside.example")
    await channel.send("amina@example.org", note())
    await channel.stop()
    [received] = relay.received
    assert received.mail_from == "reply@riverside.example"
    assert received.message["From"].addresses[0].addr_spec == FROM
