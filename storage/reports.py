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


@dataclass(frozen=True, slots=True)
class AckCounts:
    """How far one message got, counted by the database, with the first names (by name) of those
    still waiting and of those not reached: what /acks shows, whatever the size of the class."""

    acknowledged: int = 0
    waiting: int = 0  # reached (or about to be), not acknowledged: the people a nudge is for
    unreached: int = 0  # the address is gone, or sending kept failing
    waiting_names: tuple[str, ...] = ()
    unreached_names: tuple[str, ...] = ()


#: The status groups /acks counts, each of _STATUS's values in one.
_GROUP = {
    "acknowledged": "acknowledged",
    "delivered": "waiting",
    "pending": "waiting",
    "unreached": "unreached",
    "failed": "unreached",
}


#: The groups whose first names /acks shows, and the statuses in each.
_NAMED = {"waiting": ("delivered", "pending"), "unreached": ("unreached", "failed")}


def ack_counts(
    *, session: Session, message_ids: Sequence[int], channels: Collection[str], names: int
) -> dict[int, AckCounts]:
    """Each message's recipients counted per status group in one grouped query, and up to `names`
    names of the waiting and of the unreached, a query for each that has any (the database keeps
    just the first `names` as it sorts; numbering every waiting row with a window function took
    twice as long): a class of 100,000 sends back a few dozen rows, not 100,000 (that took 1.4 s).
    `channels`: those this installation runs (see _STATUS). A class group's copy has no one to
    count."""
    if not message_ids:
        return {}
    session.flush()
    connection = session.connection()
    params = {"channels": list(channels)}
    ours = col(Delivery.message_id).in_(message_ids) & col(Delivery.person_id).is_not(None)
    counted: dict[int, dict[str, int]] = {mid: {} for mid in message_ids}
    status = _STATUS.label("status")
    for message_id, state, count in connection.execute(
        select(Delivery.message_id, status, func.count())
        .where(ours)
        .group_by(col(Delivery.message_id), status),
        params,
    ):
        group = _GROUP[state]
        counted[message_id][group] = counted[message_id].get(group, 0) + count
    named: dict[tuple[int, str], list[str]] = defaultdict(list)
    for (message_id, group), statuses in (
        ((mid, group), statuses)
        for mid in message_ids
        for group, statuses in _NAMED.items()
        if names > 0 and counted[mid].get(group)
    ):
        named[(message_id, group)] = list(
            connection.execute(
                select(Person.name)
                .join(Delivery, col(Delivery.person_id) == Person.id)
                .where(
                    Delivery.message_id == message_id,
                    col(Delivery.acknowledged_at).is_(None),
                    _STATUS.in_(statuses),
                )
                .order_by(col(Person.name))
                .limit(names),
                params,
            ).scalars()
        )
    return {
        mid: AckCounts(
            acknowledged=counts.get("acknowledged", 0),
            waiting=counts.get("waiting", 0),
            unreached=counts.get("unreached", 0),
            waiting_names=tuple(named[(mid, "waiting")]),
            unreached_names=tuple(named[(mid, "unreached")]),
        )
        for mid, counts in counted.items()
    }


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
    query = visible_messages_query(session=session, person=person)
    if message_id is not None:
        query = query.where(Message.id == message_id)
    query = query.order_by(col(Message.id).desc())
    return list(session.exec(query.limit(limit) if limit else query).all())


def visible_messages_query(*, session: Session, person: Person) -> SelectOfScalar[Message]:
    """The query behind `visible_messages`, for pages that count in the database what it finds."""
    query = select(Message).where(
        col(Message.kind).in_(REPORTED_KINDS), Message.school_id == person.school_id
    )
    if person.role == Role.LEADER:
        return query
    class_ids = [c.id for c in classes_for_staff(session=session, person=person)]
    student_ids = [s.id for s in students_of(session=session, person_id=id_of(person))]
    return query.where(
        col(Message.class_id).in_(class_ids)
        | col(Message.student_id).in_(student_ids)
        | (Message.author_id == person.id)
    )


def ack_listing(
    *, session: Session, person: Person, limit: int | None, before: int | None = None
) -> list[Message]:
    """What /acks reports and Nudge may remind: visible messages this staff member wrote or can act
    on, never one sent *to* them (a family's postcard to a teacher is theirs to read, not to chase),
    newest first; `before` a message id pages to older ones."""
    sent_to_me = select(Delivery.message_id).where(Delivery.person_id == person.id)
    query = visible_messages_query(session=session, person=person).where(
        (col(Message.author_id) == person.id) | col(Message.id).not_in(sent_to_me)
    )
    if before is not None:
        query = query.where(col(Message.id) < before)
    query = query.order_by(col(Message.id).desc())
    return list(session.exec(query.limit(limit) if limit else query).all())


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
