"""Ack counts made by the database agree with the full listing: the same counts per status group
and the first names of the waiting and the unreached, for several messages at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Message, MessageKind, Person, Role, School
from storage.reports import ack_counts, ack_summaries

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _school(db: Engine) -> list[int]:
    """Two messages: the first to 40 people in every state (one on a channel that does not run,
    one group chat), the second to 3; their ids."""
    with session_scope(db) as session:
        school = School(name="Riverside", timezone="Europe/London", default_language="en")
        session.add(school)
        session.flush()
        assert school.id is not None
        # names out of id order, so "first by name" differs from "first stored"
        people = [
            Person(
                school_id=school.id, name=f"{chr(ord('A') + (i * 7) % 26)} Parent {i:02d}", role=Role.PARENT
            )
            for i in range(40)
        ]
        messages = [
            Message(school_id=school.id, kind=MessageKind.HIGHLIGHT, text="Hello", language="en")
            for _ in range(2)
        ]
        session.add_all([*people, *messages])
        session.flush()
        states = [
            (DeliveryStatus.SENT, True, "test"),
            (DeliveryStatus.SENT, False, "test"),
            (DeliveryStatus.PENDING, False, "test"),
            (DeliveryStatus.UNREACHED, False, "test"),
            (DeliveryStatus.FAILED, False, "test"),
            (DeliveryStatus.PENDING, False, "email"),  # nothing runs e-mail: unreached
        ]
        for i, person in enumerate(people):
            status, acked, channel = states[i % len(states)]
            session.add(_delivery(messages[0].id, person.id, status, channel, acked=acked))
        session.add(_delivery(messages[0].id, None, DeliveryStatus.SENT, "test"))  # a class group's copy
        for person in people[:3]:
            session.add(
                _delivery(messages[1].id, person.id, DeliveryStatus.SENT, "test", acked=person is people[0])
            )
        return [m.id for m in messages if m.id is not None]


def _delivery(
    message_id: int | None,
    person_id: int | None,
    status: DeliveryStatus,
    channel: str,
    *,
    acked: bool = False,
) -> Delivery:
    assert message_id is not None
    return Delivery(
        message_id=message_id,
        person_id=person_id,
        channel=channel,
        address="somewhere",
        language="en",
        content={},
        status=status,
        sent_at=NOW if status == DeliveryStatus.SENT else None,
        acknowledged_at=NOW if acked else None,
        acknowledged_channel=channel if acked else None,
    )


def test_counts_and_first_names_match_the_full_listing(db: Engine) -> None:
    message_ids = _school(db)
    with Session(db) as session:
        counts = ack_counts(session=session, message_ids=message_ids, channels={"test"}, names=4)
        full = ack_summaries(session=session, message_ids=message_ids, channels={"test"})
    for mid in message_ids:
        summary = full[mid]
        assert counts[mid].acknowledged == len(summary.acknowledged)
        assert counts[mid].waiting == len(summary.waiting)
        assert counts[mid].unreached == len(summary.unreached)
        assert list(counts[mid].waiting_names) == summary.waiting[:4]
        assert list(counts[mid].unreached_names) == summary.unreached[:4]
    first = counts[message_ids[0]]
    assert (first.acknowledged, first.waiting, first.unreached) == (7, 14, 19)
    second = counts[message_ids[1]]
    assert (second.acknowledged, second.waiting, second.unreached, second.unreached_names) == (1, 2, 0, ())


def test_no_messages_no_counts(db: Engine) -> None:
    with Session(db) as session:
        assert ack_counts(session=session, message_ids=[], channels={"test"}, names=10) == {}
