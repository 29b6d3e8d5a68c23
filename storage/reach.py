"""The dashboard's Reach page: Got it rates over time and by class, language and channel, the
families never reached, and which channel families are on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.dashboard import names_by_id, visible_students_query
from storage.ids import id_of
from storage.models import (
    ChannelAccount,
    ClassGroup,
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    Partnership,
    PartnershipMember,
    Person,
    Role,
)
from storage.reports import REPORTED_KINDS, visible_messages


@dataclass(frozen=True, slots=True)
class Rate:
    """Of `total` people a message went to, how many said Got it."""

    label: str
    total: int
    acknowledged: int

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.total) if self.total else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Reach:
    by_week: list[tuple[date, Rate]]
    by_class: list[Rate]
    by_language: list[Rate]
    by_channel: list[Rate]
    never_reached: list[tuple[str, str]]  # a parent's name, their child's
    on_channel: list[tuple[str, int]]  # channel ("" for none), how many families


#: What families are sent (what comes from home goes to staff, whose Got it is not the point here).
_TO_FAMILIES = (MessageKind.HIGHLIGHT, MessageKind.POSTCARD_TO_HOME)


def reach(*, session: Session, person: Person, since: datetime) -> Reach:
    """Got it rates of what `person` may see since `since`, by week, class, language and channel;
    the families of their students never reached; and which channel families are on. Counted by
    the database per message, language, channel and answer, then summed here."""
    messages = {id_of(m): m for m in visible_messages(session=session, person=person, limit=None)}
    recent = [
        i for i, m in messages.items() if m.created_at and m.created_at >= since and m.kind in _TO_FAMILIES
    ]
    acked = col(Delivery.acknowledged_at).is_not(None)
    rows = (
        session.connection()
        .execute(
            select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
                col(Delivery.message_id), col(Delivery.language), col(Delivery.channel), acked, func.count()
            )
            .where(col(Delivery.message_id).in_(recent), col(Delivery.person_id).is_not(None))
            .group_by(col(Delivery.message_id), col(Delivery.language), col(Delivery.channel), acked)
        )
        .all()
    )
    classes = names_by_id(
        session,
        col(ClassGroup.id),
        col(ClassGroup.name),
        {m.class_id for m in messages.values() if m.class_id},
    )
    totals: dict[str, dict[str, list[int]]] = {
        k: defaultdict(lambda: [0, 0]) for k in ("week", "class", "language", "channel")
    }
    weeks: dict[str, date] = {}
    for message_id, language, channel, was_acked, count in rows:
        message = messages[message_id]
        day = (message.created_at or since).date()
        week = day - timedelta(days=day.weekday())
        weeks[week.isoformat()] = week
        keys = {
            "week": week.isoformat(),
            "class": classes.get(message.class_id or 0, ""),
            "language": language,
            "channel": channel,
        }
        for kind, key in keys.items():
            totals[kind][key][0] += count
            totals[kind][key][1] += count if was_acked else 0

    def rates(kind: str) -> list[Rate]:
        return [Rate(key, *counts) for key, counts in sorted(totals[kind].items())]

    return Reach(
        by_week=[(weeks[r.label], r) for r in rates("week")],
        by_class=[r for r in rates("class") if r.label],
        by_language=rates("language"),
        by_channel=rates("channel"),
        **_families(session, person),
    )


def _families(session: Session, person: Person) -> dict[str, Any]:
    """The families of the students `person` may see: those no highlight or postcard ever reached
    (the bot's own answers while joining do not count), and their channels. Plain rows on the
    session's connection: ORM objects for a school's 10,000 families took a second."""
    students = visible_students_query(session, person).subquery()
    family = (
        select(col(Person.id).label("id"), col(Person.name).label("name"), students.c.name.label("student"))
        .join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .join(students, students.c.id == Partnership.student_id)
        .where(col(Person.role).in_((Role.PARENT, Role.STUDENT)))
        .subquery()
    )
    reached = (
        select(col(Delivery.id))
        .join(Message, col(Message.id) == Delivery.message_id)
        .where(
            col(Delivery.person_id) == family.c.id,
            Delivery.status == DeliveryStatus.SENT,
            col(Message.kind).in_(REPORTED_KINDS),
        )
        .exists()
    )
    connection = session.connection()
    never = connection.execute(
        select(family.c.name, family.c.student).where(~reached).order_by(family.c.name, family.c.student)
    ).all()
    ids = set(connection.execute(select(family.c.id)).scalars())
    channels: dict[int, str] = {}
    for person_id, channel in connection.execute(
        select(col(ChannelAccount.person_id), col(ChannelAccount.channel))
        .where(col(ChannelAccount.person_id).in_(select(family.c.id)), col(ChannelAccount.active))
        .order_by(col(ChannelAccount.preferred), col(ChannelAccount.id).desc())
    ):
        channels[int(person_id or 0)] = channel  # the preferred one comes last, and stays
    on: dict[str, int] = defaultdict(int)
    for person_id in ids:
        on[channels.get(person_id, "")] += 1
    return {
        "never_reached": [(str(name), str(student)) for name, student in never],
        "on_channel": sorted(on.items(), key=lambda item: (-item[1], item[0])),
    }
