"""The engine: events recorded before acting, handled once, failures contained, nothing lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.engine import Engine, clean_text
from bot.events import Inbound
from bot.handlers.flow import Command
from bot.handlers.registry import COMMANDS
from bot.i18n import Speaker
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.db import session_scope
from storage.inbound import record_inbound
from storage.models import Delivery, DeliveryStatus, InboundEvent, Message, MessageKind
from tests.harness import Chat


async def test_an_event_seen_twice_is_handled_once(chat, school, session):
    stranger = chat("stranger")
    event = stranger.inbound("hello")
    assert len(await stranger.send(event)) == 1
    assert await stranger.send(event) == []
    assert len(session.exec(select(InboundEvent)).all()) == 1


async def test_the_sink_tells_a_channel_when_an_event_came_before(app, school):
    """A link pressed twice in a mail: the page says "already done" the second time."""
    press = Inbound(channel="test", address="amina-mail", event_id="e:1", text="Got it", payload="ack:1")
    assert await app.receive(press) is True
    assert await app.receive(press) is False
    await app.intake.settled()


async def test_every_event_is_recorded_with_what_was_sent(chat, school, session):
    await chat("stranger").say("hello there")
    event = session.exec(select(InboundEvent)).one()
    assert (event.channel, event.address, event.payload["text"]) == ("test", "stranger", "hello there")
    assert event.handled_at is not None and event.error is None


async def test_replies_are_delivery_rows_sent_through_the_channel(chat, school, session):
    await chat("stranger").say("hello")
    delivery = session.exec(select(Delivery)).one()
    message = session.get(Message, delivery.message_id)
    assert message.kind == MessageKind.REPLY
    assert (delivery.status, delivery.attempts, delivery.provider_id) == (DeliveryStatus.SENT, 1, "test-1")


def _with_command(settings, db, channel, clock, name: str, step) -> App:  # type: ignore[no-untyped-def]
    """The app with one more command, for a step that misbehaves or looks around."""
    app = build_app(settings, {"test": channel}, db=db, clock=clock)
    engine = Engine(
        db=db,
        settings=settings,
        clock=clock,
        commands={**COMMANDS, name: Command(step=step)},
        channels=frozenset({"test"}),
        translator=TranslationService(db=db, translator=NoTranslator()),
    )
    return replace(app, engine=engine)


async def test_a_failing_handler_is_contained_and_the_person_told(settings, db, channel, clock, chat, invite):
    async def boom(turn):
        raise RuntimeError("handler bug")

    amina = chat("amina")
    await amina.say(f"/start {invite('Amina')}")
    app = _with_command(settings, db, channel, clock, "boom", boom)
    broken = Chat(app, channel, "amina")
    replies = await broken.say("/boom")
    assert replies[-1].text == Speaker("ar")._(
        "Sorry, something went wrong on our side. Your message is saved; please try again in a moment."
    )
    with session_scope(db) as session:
        event = session.exec(select(InboundEvent).where(InboundEvent.error.is_not(None))).one()
        assert event.error == "RuntimeError"
        assert event.payload["text"] == "/boom"
    # the conversation state from before the failure is intact
    replies = await broken.press("English")  # the language question is still open
    assert replies[0].text == "Thank you. From now on we will write to you in English."


async def test_an_event_is_committed_before_its_handler_runs(settings, db, channel, clock, chat, invite):
    """Recorded durably first: a crash inside the handler leaves the event to replay."""
    seen: list[tuple[object, object]] = []

    async def look(turn):
        with session_scope(db) as other:  # another connection sees only what is committed
            event = other.exec(
                select(InboundEvent).where(InboundEvent.platform_event_id == turn.inbound.event_id)
            ).one()
            seen.append((event.handled_at, event.payload["text"]))
        return None

    amina = chat("amina")
    await amina.say(f"/start {invite('Amina')}")
    app = _with_command(settings, db, channel, clock, "look", look)
    await Chat(app, channel, "amina").say("/look")
    assert seen == [(None, "/look")]


async def test_events_recorded_before_a_crash_are_handled_on_start(app, db, channel, clock, school):
    lost = Inbound(channel="test", address="crashy", event_id="e-1", text="hello")
    with session_scope(db) as session:
        record_inbound(
            session=session,
            channel="test",
            platform_event_id="e-1",
            address="crashy",
            claimed_until=clock() - timedelta(seconds=1),  # by a process that died a lease ago
            payload={
                "channel": "test",
                "address": "crashy",
                "event_id": "e-1",
                "text": "hello",
                "received_at": lost.received_at.isoformat(),
            },
        )
    assert await app.engine.replay_unhandled() == 1
    await app.dispatcher.drain()
    assert channel.sent["crashy"][0].text.startswith("Hello!")
    assert await app.engine.replay_unhandled() == 0


def test_clean_text_drops_control_characters_but_keeps_words_and_direction_marks():
    assert clean_text("hi\x00\x07 there\x1b[31m\n") == "hi there[31m"
    assert clean_text("\u200fمرحبا\u200e") == "\u200fمرحبا\u200e"
    assert clean_text("line one\nline two\t!") == "line one\nline two\t!"


async def test_receive_returns_once_the_event_is_recorded(app, chat, channel, school, db):
    """An adapter's loop goes on at once: the turn and its replies come after, without it."""
    stranger = chat("stranger")
    event = stranger.inbound("/help")
    await app.receive(event)
    with session_scope(db) as session:
        recorded = session.exec(select(InboundEvent)).one()
        assert recorded.platform_event_id == event.event_id
    assert channel.sent["stranger"] == []
    await app.intake.settled()
    with session_scope(db) as session:
        assert session.exec(select(InboundEvent)).one().handled_at is not None
        assert session.exec(select(Delivery)).one().status == DeliveryStatus.PENDING
    await app.dispatcher.drain()
    assert len(channel.sent["stranger"]) == 1


def test_two_handlers_declaring_one_command_is_refused_at_import():
    from bot.handlers.registry import _merged

    command = COMMANDS["help"]
    with pytest.raises(ValueError, match="two handlers declare the command 'help'"):
        _merged([{"help": command}, {"help": command}], "command")
