"""Reminders: one gentle reminder after the configured time, then once on another channel."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from bot.events import Content
from bot.i18n import Speaker
from storage.models import ChannelAccount, Delivery, DeliveryStatus

ES = Speaker("es")
TEXT = "Trip to the farm on Friday: please send boots."


@pytest.fixture
async def sent(join, session):
    """Emma's highlights reached Carlos (on this chat; he also has e-mail) and Sarah; Amina, who has
    only e-mail, where an e-mail channel runs."""
    people = await join(("Emma", "English"), ("Carlos", "Español"), ("Sarah", "English"))
    await people["Emma"].say("/highlights")
    await people["Emma"].say(TEXT)
    await people["Emma"].press("Send")
    return people


async def test_one_reminder_after_the_set_time_to_those_who_have_not_acknowledged(sent, app, clock):
    await sent["Sarah"].press("Got it")
    carlos_seen, sarah_seen = len(sent["Carlos"].inbox), len(sent["Sarah"].inbox)
    clock.advance(hours=47)
    assert await app.run_reminders() == 0
    clock.advance(hours=2)
    assert await app.run_reminders() == 1
    await app.dispatcher.drain()
    assert sent["Carlos"].last.text.startswith(ES._("Reminder:"))
    assert TEXT in sent["Carlos"].last.text
    reminder, original = sent["Carlos"].last.content, sent["Carlos"].inbox[carlos_seen - 1].content
    assert reminder == replace(original, reminder=ES._("Reminder:"))  # the same message, marked
    assert len(sent["Carlos"].inbox) == carlos_seen + 1
    assert len(sent["Sarah"].inbox) == sarah_seen
    assert await app.run_reminders() == 0  # once


@pytest.mark.email_channel
async def test_still_nothing_so_it_goes_once_to_the_other_channel(sent, app, clock, session, mail):
    clock.advance(hours=49)
    await app.run_reminders()
    await app.dispatcher.drain()
    clock.advance(hours=49)
    assert await app.run_reminders() == 2  # Carlos and Sarah both have e-mail too
    assert await app.run_reminders() == 0
    await app.dispatcher.drain()
    to_email = [
        d
        for d in session.exec(select(Delivery).where(Delivery.channel == "email")).all()
        if Content.from_json(d.content).reminder == Speaker(d.language)._("Reminder:")
    ]
    assert sorted(d.address for d in to_email) == [
        "amina.haddad@example.org",  # her only account: where her highlights went, and the first reminder
        "carlos.garcia@example.org",
        "sarah.bennett@example.org",
    ]
    assert {d.status for d in to_email} == {DeliveryStatus.SENT}
    assert mail.sent["carlos.garcia@example.org"][-1].text.startswith(ES._("Reminder:"))


async def test_no_second_reminder_to_a_channel_that_does_not_run(sent, app, clock, session):
    """Carlos and Sarah have e-mail accounts from the roster, but no e-mail channel runs here."""
    clock.advance(hours=49)
    assert await app.run_reminders() == 2
    clock.advance(hours=49)
    assert await app.run_reminders() == 0
    to_email = session.exec(select(Delivery).where(Delivery.channel == "email")).all()
    assert [(d.address, d.status) for d in to_email] == [
        ("amina.haddad@example.org", DeliveryStatus.UNREACHED)  # her highlights
    ]


@pytest.mark.email_channel
async def test_no_second_channel_means_no_second_reminder(sent, app, clock, session):
    for account in session.exec(select(ChannelAccount).where(ChannelAccount.channel == "email")).all():
        account.active = account.address.startswith("amina")  # her only account
        session.add(account)
    session.commit()
    clock.advance(hours=49)
    assert await app.run_reminders() == 3  # Amina's on e-mail
    clock.advance(hours=49)
    assert await app.run_reminders() == 0


@pytest.mark.email_channel
async def test_the_reminders_got_it_acknowledges_the_highlight(sent, app, clock, session):
    clock.advance(hours=49)
    await app.run_reminders()
    await app.dispatcher.drain()
    await sent["Carlos"].press(ES._("Got it"))
    clock.advance(hours=49)
    assert await app.run_reminders() == 1  # only Sarah is still silent
