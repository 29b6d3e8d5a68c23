"""Replaying unhandled inbound events with several processes on one database: each event is
claimed under a lease, so it is handled once, and one a dead process left behind is picked up."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import Engine as DbEngine
from sqlmodel import select

from bot.engine import REPLAY_BATCH, Clock, Engine
from bot.events import Inbound
from bot.settings import Settings
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.db import make_engine, session_scope
from storage.models import Delivery, InboundEvent
from tests.harness import FakeClock


def _engine(db: DbEngine, settings: Settings, clock: Clock) -> Engine:
    """What one `partnerbot run` builds: its own engine on the shared database."""
    translator = TranslationService(db=db, translator=NoTranslator())
    return Engine(db=db, settings=settings, clock=clock, translator=translator, channels=frozenset({"test"}))


def _hello(address: str) -> Inbound:
    return Inbound(channel="test", address=address, event_id=f"{address}-1", text="hello")


def _answers(db: DbEngine) -> Counter[str]:
    """How many replies were queued to each address."""
    with session_scope(db) as session:
        return Counter(session.exec(select(Delivery.address)))


def _unhandled(db: DbEngine) -> int:
    with session_scope(db) as session:
        return len(session.exec(select(InboundEvent).where(InboundEvent.handled_at.is_(None))).all())


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.inbound_lease_s)


async def test_two_processes_replaying_the_same_events_handle_each_once(db, settings, clock, school):
    # Recorded by a process that died a lease ago and more: anybody's to replay, in more than one batch.
    dead = _engine(db, settings, FakeClock(clock() - _lease(settings) - timedelta(seconds=1)))
    addresses = [f"stranger-{n}" for n in range(REPLAY_BATCH + 30)]
    for address in addresses:
        assert dead.record(_hello(address)) is not None

    # Two processes: each its own database engine (connections) and its own event loop, at once.
    dbs = [make_engine(settings.database_url) for _ in range(2)]
    try:
        first, second = (_engine(each, settings, clock) for each in dbs)
        replayed = await asyncio.gather(
            asyncio.to_thread(asyncio.run, first.replay_unhandled()),
            asyncio.to_thread(asyncio.run, second.replay_unhandled()),
        )
    finally:
        for each in dbs:
            each.dispose()

    assert sum(replayed) == len(addresses)
    assert _answers(db) == Counter(dict.fromkeys(addresses, 1))
    assert _unhandled(db) == 0


async def test_an_event_a_live_process_holds_is_replayed_by_a_peer_only_once_its_lease_ends(
    db, settings, clock, school
):
    live, peer = _engine(db, settings, clock), _engine(db, settings, clock)
    event = _hello("busy")
    event_id = live.record(event)  # received, its turn still queued behind others
    assert event_id is not None

    assert await peer.replay_unhandled() == 0
    clock.advance(seconds=settings.inbound_lease_s - 1)
    assert await peer.replay_unhandled() == 0
    assert _answers(db) == {}

    clock.advance(seconds=2)  # the live process has not handled it within its lease: it died
    assert await peer.replay_unhandled() == 1
    assert _answers(db) == {"busy": 1}
    assert await peer.replay_unhandled() == 0

    # It had not died, only fallen behind: its late turn is undone, not answered twice.
    await live.process(event_id, event)
    assert _answers(db) == {"busy": 1}
    assert _unhandled(db) == 0


async def test_the_periodic_replay_answers_what_a_peer_recorded_and_left_after_start(
    app, db, settings, clock, channel, school
):
    assert await app.run_replay() == 0  # at start: nothing left behind
    peer = _engine(db, settings, clock)
    assert peer.record(_hello("left-behind")) is not None  # and then the peer died
    assert await app.run_replay() == 0  # its lease still runs

    clock.advance(seconds=settings.inbound_lease_s + 1)
    assert await app.run_replay() == 1
    await app.dispatcher.drain()
    assert channel.sent["left-behind"][0].text.startswith("Hello!")
    assert await app.run_replay() == 0
