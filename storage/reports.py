"""Who has heard: acknowledgement summaries per message and per language community."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, case, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.ids import id_of
from storage.models import Delivery, DeliveryStatus, Message, MessageKind, Person, Role
from storage.people import classes_for_staff, students_of

REPORTED_KINDS = (MessageKind.HIGHLIGHT, MessageKind.POSTCARD_TO_HOME, MessageKind.POSTCARD_FROM_HOME)
_ON_THE_WAY = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class RecipientStatus(NamedTuple):
    """One recipient of a message and how far it got. A named tuple: ten thousand are made in a
    few milliseconds, where frozen dataclasses took 15."""

    person_id: int
    name: str
    language: str
    channel: str
    status: str  # "acknowledged", "delivered", "pending", "unreached" or "failed" (tried for a day)
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_channel: str | None


@dataclass(slots=True)
class AckSummary:
    recipients: list[RecipientStatus] = field(default_factory=list)

    def _names(self, *statuses: str) -> list[str]:
        return [r.name for r in self.recipients if r.status in statuses]

    @property
    def acknowledged(self) -> list[str]:
        return self._names("acknowledged")

    @property
    def waiting(self) -> list[str]:
        """Reached (or about to be) but not acknowledged: the people a nudge is for."""
        return self._names("delivered", "pending")

    @property
    def unreached(self) -> list[str]:
        """Not reached: the address is gone, or sending kept failing (`partnerbot deliveries retry`)."""
        return self._names("unreached", "failed")


#: A recipient's status, worked out by the database (no enum to convert per row). A delivery
#: still to go on a channel this installation does not run (queued before that was checked) is
#: unreached: nothing will ever send it.
_STATUS = case(
    (col(Delivery.acknowledged_at).is_not(None), "acknowledged"),
    (col(Delivery.status) == DeliveryStatus.UNREACHED, "unreached"),
    (col(Delivery.status) == DeliveryStatus.FAILED, "failed"),
    (
        col(Delivery.status).in_(_ON_THE_WAY)
        & col(Delivery.channel).not_in(bindparam("channels", expanding=True)),
        "unreached",
    ),
    (col(Delivery.status) == DeliveryStatus.SENT, "delivered"),
    else_="pending",
)


def ack_summaries(
    *, session: Session, message_ids: Sequence[int], channels: Collection[str]
) -> dict[int, AckSummary]:
    """Each message's recipients with their status (`channels`: those this installation runs),
    in one query of just the columns needed
    (whole delivery rows carry each message's text: ten times slower for a big class). Plain rows
    on the session's connection, a thousand at a time: the ORM's row handling took as long as the
    query, and holding 10,000 rows at once made the garbage collector run three times as often."""
    session.flush()
    result = session.connection().execute(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            Delivery.message_id,
            # RecipientStatus's fields, in order
            Delivery.person_id,
            Person.name,
            Person.language,
            Delivery.channel,
            _STATUS,
            Delivery.sent_at,
            Delivery.acknowledged_at,
            Delivery.acknowledged_channel,
        )
        .join(Person, col(Person.id) == Delivery.person_id)
        .where(col(Delivery.message_id).in_(message_ids))
        .order_by(col(Person.name)),
        {"channels": list(channels)},
    )
    summaries: dict[int, AckSummary] = {mid: AckSummary() for mid in message_ids}
    for rows in result.partitions(1_000):
        for row in rows:
            summaries[row[0]].recipients.append(RecipientStatus._make(row[1:]))
    return summaries


def by_language(summary: AckSummary) -> dict[str, dict[str, int]]:
    """Counts per language community, so staff see if one is being left behind."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for recipient in summary.recipients:
        counts[recipient.language][recipient.status] += 1
    return {language: dict(statuses) for language, statuses in sorted(counts.items())}


def visible_messages(
    *, session: Session, person: Person, limit: int | None, message_id: int | None = None
) -> list[Message]:
    """Reported messages a staff member may see (all, or just `message_id`): a leader's whole
    school; otherwise their classes, their students' partnerships, and what they wrote themselves."""
    query = _visible(session=session, person=person)
    if message_id is not None:
        query = query.where(Message.id == message_id)
    query = query.order_by(col(Message.id).desc())
    return list(session.exec(query.limit(limit) if limit else query).all())


def ack_listing(
    *, session: Session, person: Person, limit: int | None, before: int | None = None
) -> list[Message]:
    """What /acks reports and Nudge may remind: visible messages this staff member wrote or can act
    on, never one sent *to* them (a family's postcard to a teacher is theirs to read, not to chase),
    newest first; `before` a message id pages to older ones."""
    sent_to_me = select(Delivery.message_id).where(Delivery.person_id == person.id)
    query = _visible(session=session, person=person).where(
        (col(Message.author_id) == person.id) | col(Message.id).not_in(sent_to_me)
    )
    if before is not None:
        query = query.where(col(Message.id) < before)
    query = query.order_by(col(Message.id).desc())
    return list(session.exec(query.limit(limit) if limit else query).all())


def _visible(*, session: Session, person: Person) -> SelectOfScalar[Message]:
    """The query behind `visible_messages`, for others to narrow."""
    query = select(Message).where(
        col(Message.kind).in_(REPORTED_KINDS), Message.school_id == person.school_id
    )
    if person.role != Role.LEADER:
        class_ids = [c.id for c in classes_for_staff(session=session, person=person)]
        student_ids = [s.id for s in students_of(session=session, person_id=id_of(person))]
        query = query.where(
            col(Message.class_id).in_(class_ids)
            | col(Message.student_id).in_(student_ids)
            | (Message.author_id == person.id)
        )
    return query


def all_reported(*, session: Session, message_id: int | None = None, limit: int = 20) -> list[Message]:
    """For the command line: one message, or the latest ones of every school."""
    query = select(Message).where(col(Message.kind).in_(REPORTED_KINDS))
    if message_id is not None:
        query = query.where(Message.id == message_id)
    return list(session.exec(query.order_by(col(Message.id).desc()).limit(limit)).all())


def waiting_deliveries(*, session: Session, message_id: int) -> list[Delivery]:
    """Deliveries to a person that went out but were not acknowledged: what a nudge repeats (a
    class group's copy has no one to acknowledge it)."""
    return list(
        session.exec(
            select(Delivery).where(
                Delivery.message_id == message_id,
                col(Delivery.person_id).is_not(None),
                Delivery.status == DeliveryStatus.SENT,
                col(Delivery.acknowledged_at).is_(None),
            )
        ).all()
    )


def reminded_since(*, session: Session, message_id: int, since: datetime) -> dict[int, datetime]:
    """Who was reminded of `message_id` at or after `since` (a nudge, or the reminders job), and when
    they were last: a reminder is an update answering the message, one delivery per person."""
    rows = session.exec(
        select(Delivery.person_id, func.max(Delivery.created_at))
        .join(Message, col(Message.id) == col(Delivery.message_id))
        .where(
            Message.answers_id == message_id,
            Message.kind == MessageKind.UPDATE,
            col(Delivery.person_id).is_not(None),
            col(Delivery.created_at) >= since,
        )
        .group_by(col(Delivery.person_id))
    ).all()
    return {int(person_id): at for person_id, at in rows if person_id is not None and at is not None}
