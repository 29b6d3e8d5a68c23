"""What the e-mail channel hands the engine besides words: an unsubscribe stops e-mail to that person,
and only e-mail; a hard bounce naming one of our mails marks it unreached (through the app)."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.events import Inbound
from storage.models import ChannelAccount, Delivery, DeliveryStatus

pytestmark = pytest.mark.email_channel

CARLOS = "carlos.garcia@example.org"


async def unsubscribe(app, address: str) -> None:  # type: ignore[no-untyped-def]
    stop = Inbound(channel="email", address=address, event_id=f"u:{address}", payload="unsubscribe")
    assert await app.receive(stop)
    await app.intake.settled()
    await app.dispatcher.drain()


async def test_unsubscribing_stops_e_mail_and_keeps_the_other_channel(app, join, mail, session):
    carlos = (await join(("Carlos", "Español")))["Carlos"]
    for account in session.exec(select(ChannelAccount).where(col(ChannelAccount.address).like("carlos%"))):
        account.preferred = account.channel == "email"  # he chose e-mail
        session.add(account)
    session.commit()
    await unsubscribe(app, CARLOS)
    session.expire_all()
    accounts = session.exec(select(ChannelAccount).where(col(ChannelAccount.address).like("carlos%"))).all()
    assert {(a.channel, a.active) for a in accounts} == {("test", True), ("email", False)}
    assert mail.sent == {}  # the page confirmed it; no mail is sent to say so
    replies = await carlos.say("/settings")
    assert replies  # still reachable on his chat


async def test_someone_with_only_e_mail_is_then_unreached_for_staff_to_see(app, join, mail, session):
    emma = (await join(("Emma", "English")))["Emma"]
    await unsubscribe(app, "amina.haddad@example.org")
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    session.expire_all()
    unreached = session.exec(select(Delivery).where(Delivery.status == DeliveryStatus.UNREACHED)).all()
    assert "amina.haddad@example.org" not in mail.sent
    assert len(unreached) == 1


async def send_highlight(join):  # type: ignore[no-untyped-def]
    emma = (await join(("Emma", "English")))["Emma"]
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")


async def bounce(app, address: str, provider_id: str) -> None:  # type: ignore[no-untyped-def]
    event = Inbound(
        channel="email",
        address=address,
        event_id=f"m:<{provider_id}>",
        payload="bounced",
        reply_to=provider_id,
    )
    assert await app.receive(event)
    await app.intake.settled()
    await app.dispatcher.drain()


async def test_a_hard_bounce_marks_the_mail_unreached(app, join, mail, session):
    await send_highlight(join)
    [provider_id] = mail.provider_ids[CARLOS]
    await bounce(app, CARLOS, provider_id)
    session.expire_all()
    delivery = session.exec(select(Delivery).where(Delivery.address == CARLOS)).one()
    account = session.exec(select(ChannelAccount).where(ChannelAccount.address == CARLOS)).one()
    assert (delivery.status, delivery.last_error, account.active) == (
        DeliveryStatus.UNREACHED,
        "bounced",
        False,
    )
    assert mail.sent[CARLOS][1:] == []  # nothing is mailed about it


async def test_a_bounce_naming_no_mail_of_ours_changes_nothing(app, join, mail, session):
    await send_highlight(join)
    await bounce(app, CARLOS, "<forged@elsewhere.example>")
    session.expire_all()
    delivery = session.exec(select(Delivery).where(Delivery.address == CARLOS)).one()
    account = session.exec(select(ChannelAccount).where(ChannelAccount.address == CARLOS)).one()
    assert (delivery.status, account.active) == (DeliveryStatus.SENT, True)
