"""Retention: exactly what is due goes, with what hangs on it; a second run deletes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.app import build_app
from bot.jobs.retention import Keep, Retention, apply_retention
from storage.db import session_scope
from storage.models import (
    DeadLetter,
    Delivery,
    DeliveryStatus,
    InboundEvent,
    Message,
    MessagePhoto,
    MessageTranslation,
    Once,
    Person,
)


def _message(
    session: Session, at: datetime, *, answers: int | None = None, status=DeliveryStatus.SENT
) -> int:
    person = session.exec(select(Person)).first()
    assert person is not None
    message = Message(
        school_id=person.school_id,
        author_id=person.id,
        text=f"at {at}",
        language="en",
        created_at=at,
        answers_id=answers,
    )
    session.add(message)
    session.flush()
    assert message.id is not None
    session.add(MessageTranslation(message_id=message.id, language="es", text="…", backend="test"))
    session.add(MessagePhoto(message_id=message.id, filename="p.png", content_type="image/png", data=b"x"))
    delivery = Delivery(
        message_id=message.id, person_id=person.id, language="en", status=status, created_at=at
    )
    session.add(delivery)
    session.flush()
    session.add(Once(key=f"reminder:1:{delivery.id}", at=at))
    return message.id


def _ids(session: Session, model) -> set[int]:  # type: ignore[no-untyped-def]
    return set(session.exec(select(model.id)).all())


@pytest.mark.usefixtures("school")
def test_messages_older_than_the_days_kept_go_with_their_translations_photos_and_deliveries(db, clock):
    with session_scope(db) as session:
        old = _message(session, clock() - timedelta(days=400))
        answer = _message(session, clock() - timedelta(days=10), answers=old)
    retention = Retention(messages=Keep(days=365))
    with session_scope(db) as session:
        assert apply_retention(session=session, now=clock(), retention=retention) == 1
    with session_scope(db) as session:
        assert _ids(session, Message) == {answer}
        assert session.get(Message, answer).answers_id is None
        assert {t.message_id for t in session.exec(select(MessageTranslation))} == {answer}
        assert {p.message_id for p in session.exec(select(MessagePhoto))} == {answer}
        assert {d.message_id for d in session.exec(select(Delivery))} == {answer}
        assert len(session.exec(select(Once)).all()) == 1
        assert apply_retention(session=session, now=clock(), retention=retention) == 0


@pytest.mark.usefixtures("school")
def test_end_of_school_year_plus_months(db, clock):
    clock.now = datetime(2027, 2, 28, 12, tzinfo=UTC)
    with session_scope(db) as session:
        last_year = _message(session, datetime(2025, 8, 31, 20, tzinfo=UTC))
        this_year = _message(session, datetime(2025, 9, 1, 8, tzinfo=UTC))
    retention = Retention(messages=Keep.parse("year+6m"), year_end=(8, 31))
    with session_scope(db) as session:  # 2024/25 ended 31 August 2025: six months on has passed
        assert apply_retention(session=session, now=clock(), retention=retention) == 1
        assert _ids(session, Message) == {this_year} and last_year not in _ids(session, Message)
    clock.now = datetime(2027, 3, 1, 0, 1, tzinfo=UTC)  # 2025/26 ended 31 August 2026, six months ago
    with session_scope(db) as session:
        assert apply_retention(session=session, now=clock(), retention=retention) == 1
        assert _ids(session, Message) == set()


@pytest.mark.usefixtures("school")
def test_photos_inbound_events_and_finished_deliveries_each_on_their_own_retention(db, clock):
    old = clock() - timedelta(days=40)
    with session_scope(db) as session:
        sent = _message(session, old)
        queued = _message(session, old, status=DeliveryStatus.PENDING)
        session.add(
            InboundEvent(
                channel="test",
                platform_event_id="1",
                address="a",
                payload={"text": "hi"},
                received_at=old,
                handled_at=old,
            )
        )
        session.add(InboundEvent(channel="test", platform_event_id="2", address="a", received_at=old))
        session.add(
            InboundEvent(
                channel="test", platform_event_id="3", address="a", received_at=clock(), handled_at=clock()
            )
        )
        session.add(
            DeadLetter(channel="test", platform_event_id="4", address="a", error="X", received_at=old)
        )
    retention = Retention(photos=Keep(days=30), inbound=Keep(days=30), deliveries=Keep(days=30))
    with session_scope(db) as session:
        assert apply_retention(session=session, now=clock(), retention=retention) == 2 + 2 + 1
    with session_scope(db) as session:
        assert _ids(session, Message) == {sent, queued} and _ids(session, MessagePhoto) == set()
        assert {e.platform_event_id for e in session.exec(select(InboundEvent))} == {"2", "3"}
        assert _ids(session, DeadLetter) == set()
        assert [d.message_id for d in session.exec(select(Delivery))] == [queued]
        assert apply_retention(session=session, now=clock(), retention=retention) == 0


@pytest.mark.usefixtures("school")
async def test_the_scheduled_job_reads_the_settings_and_keeps_everything_by_default(
    settings, db, clock, channel
):
    with session_scope(db) as session:
        _message(session, clock() - timedelta(days=4000))
    assert await build_app(settings, {"test": channel}, db=db, clock=clock).run_retention() == 0
    configured = settings.model_copy(update={"retention_messages": "365d"})
    assert await build_app(configured, {"test": channel}, db=db, clock=clock).run_retention() == 1
