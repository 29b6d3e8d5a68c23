"""An e-mail unsubscribe stops e-mail to that person, and only e-mail (through the app's engine)."""

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
