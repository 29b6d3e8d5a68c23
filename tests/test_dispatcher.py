"""The dispatcher's answers to each kind of send failure, through a test channel that raises them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.channels.base import AddressChanged, AmbiguousSend, PermanentFailure, Rejected, RetryLater
from storage.models import ChannelAccount, Delivery, DeliveryStatus


@pytest.fixture
async def stranger(chat, school):
    """An unlinked account whose first message is answered; the answer is what fails."""
    return chat("stranger")


def _account(session) -> ChannelAccount:
    session.expire_all()
    return session.exec(select(ChannelAccount).where(ChannelAccount.channel == "test")).one()


def _delivery(session) -> Delivery:
    session.expire_all()
    return session.exec(select(Delivery)).one()


async def test_retry_later_waits_as_long_as_the_platform_asks(stranger, channel, session, clock):
    channel.failures["stranger"].append(RetryLater("429", after_s=12))
    assert await stranger.say("hello") == []
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.PENDING, 1, "429")
    assert (delivery.not_before - clock()).total_seconds() == 12
    clock.advance(seconds=12)
    await stranger.app.dispatcher.drain()
    assert _delivery(session).status == DeliveryStatus.SENT
    assert len(channel.sent["stranger"]) == 1


async def test_transient_failures_give_up_after_the_last_attempt(stranger, channel, session, clock):
    channel.failures["stranger"].extend(RuntimeError("boom") for _ in range(5))
    await stranger.say("hello")
    for _ in range(4):
        clock.advance(minutes=20)
        await stranger.app.dispatcher.drain()
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 5)


async def test_a_blocked_chat_is_unreached_and_its_account_inactive(stranger, channel, session):
    channel.failures["stranger"].append(PermanentFailure("Forbidden: bot was blocked by the user"))
    await stranger.say("hello")
    assert _delivery(session).status == DeliveryStatus.UNREACHED
    assert not _account(session).active


async def test_a_rejected_message_fails_without_retry_and_the_account_stays(stranger, channel, session):
    channel.failures["stranger"].append(Rejected("Bad Request: message is too long"))
    await stranger.say("hello")
    assert (_delivery(session).status, _delivery(session).attempts) == (DeliveryStatus.FAILED, 1)
    assert _account(session).active


async def test_a_moved_chat_is_followed(stranger, channel, session):
    channel.failures["stranger"].append(AddressChanged("migrated", new_address="stranger-2"))
    await stranger.say("hello")
    await stranger.app.dispatcher.drain()
    assert _delivery(session).status == DeliveryStatus.SENT
    assert len(channel.sent["stranger-2"]) == 1
    assert _account(session).address == "stranger-2"


async def test_an_ambiguous_send_is_recorded_not_repeated(stranger, channel, session):
    channel.failures["stranger"].append(AmbiguousSend("timed out after sending"))
    await stranger.say("hello")
    delivery = _delivery(session)
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.SENT,
        "ambiguous: timed out after sending",
    )
