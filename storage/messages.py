"""Messages: originals, their translations and photos, threading, and acknowledgements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage.models import Delivery, Message, MessageKind, MessagePhoto, MessageTranslation, Person


class Ack(StrEnum):
    NOTED = "noted"
    ALREADY = "already"
    NOT_YOURS = "not_yours"


def save_translations(*, session: Session, message_id: int, texts: Mapping[str, tuple[str, str]]) -> None:
    """Store `language → (text, backend)` for a message (the original stays in Message.text)."""
    for language, (text, backend) in texts.items():
        session.add(MessageTranslation(message_id=message_id, language=language, text=text, backend=backend))


def add_photo(*, session: Session, message_id: int, filename: str, content_type: str, data: bytes) -> None:
    session.add(MessagePhoto(message_id=message_id, filename=filename, content_type=content_type, data=data))


def photo_of(*, session: Session, message_id: int) -> MessagePhoto | None:
    return session.exec(select(MessagePhoto).where(MessagePhoto.message_id == message_id)).first()


def get_message(*, session: Session, message_id: int) -> Message | None:
    return session.get(Message, message_id)


def delivery_to(*, session: Session, message_id: int, person_id: int) -> Delivery | None:
    """The person's own delivery of a message: proof that they may see and act on it."""
    return session.exec(
        select(Delivery)
        .where(Delivery.message_id == message_id, Delivery.person_id == person_id)
        .order_by(col(Delivery.id))
    ).first()


def acknowledge(*, session: Session, message_id: int, person_id: int, at: datetime, channel: str) -> Ack:
    """Record "Got it" on the person's own deliveries of the message (all channels it went to)."""
    deliveries = session.exec(
        select(Delivery).where(Delivery.message_id == message_id, Delivery.person_id == person_id)
    ).all()
    if not deliveries:
        return Ack.NOT_YOURS
    if any(d.acknowledged_at for d in deliveries):
        return Ack.ALREADY
    for delivery in deliveries:
        delivery.acknowledged_at, delivery.acknowledged_channel = at, channel
        session.add(delivery)
    return Ack.NOTED


def postcards_received(
    *, session: Session, person_id: int, student_id: int, class_id: int | None, limit: int = 5
) -> list[Message]:
    """The latest "Something to try at home" postcards this person received about this student."""
    received = select(Delivery.message_id).where(Delivery.person_id == person_id)
    return list(
        session.exec(
            select(Message)
            .where(
                col(Message.id).in_(received),
                Message.kind == MessageKind.POSTCARD_TO_HOME,
                (col(Message.student_id) == student_id)
                | (col(Message.student_id).is_(None) & (col(Message.class_id) == class_id)),
            )
            .order_by(col(Message.id).desc())
            .limit(limit)
        ).all()
    )


# Built once: every free-text answer looks for the message it answers. Found through the person's
# deliveries (ix_delivery_person_id), so it reads only what they received.
_LATEST_AUTHORED_RECEIVED = (
    select(Message, Person)
    .join(Delivery, col(Delivery.message_id) == Message.id)
    .outerjoin(Person, col(Person.id) == Message.author_id)
    .where(
        Delivery.person_id == bindparam("person_id"),
        col(Message.author_id).is_not(None),
        Message.author_id != bindparam("person_id"),
        col(Message.created_at) >= bindparam("since"),
    )
    .order_by(col(Message.id).desc())
    .limit(1)
)


def latest_authored_received(
    *, session: Session, person_id: int, since: datetime
) -> tuple[Message, Person | None] | None:
    """The newest message someone wrote to this person, for threading a free-text answer, and its
    author (None if no longer there), in one query."""
    found = session.execute(_LATEST_AUTHORED_RECEIVED, {"person_id": person_id, "since": since}).first()
    return (found[0], found[1]) if found else None


def received_as(
    *, session: Session, person_id: int, channel: str, address: str, provider_id: str
) -> tuple[Message, Person | None] | None:
    """The message this person received as `provider_id` in that chat, and its author (None if no
    longer there): what a reply naming that platform message answers. Read through the person's
    own deliveries, so an id from someone else's chat finds nothing."""
    found = session.execute(
        select(Message, Person)
        .join(Delivery, col(Delivery.message_id) == Message.id)
        .outerjoin(Person, col(Person.id) == Message.author_id)
        .where(
            Delivery.person_id == person_id,
            Delivery.channel == channel,
            Delivery.address == address,
            Delivery.provider_id == provider_id,
        )
        .order_by(col(Delivery.id).desc())
        .limit(1)
    ).first()
    return (found[0], found[1]) if found else None
