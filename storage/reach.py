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
from storage.reports import REPORTED_KINDS, visible_messages_query


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
    never_reached: list[tuple[str, str]]  # a parent's name, their child's: the first few
    never_reached_count: int
    on_channel: list[tuple[str, int]]  # channel ("" for none), how many families


#: What families are sent (what comes from home goes to staff, whose Got it is not the point here).
_TO_FAMILIES = (MessageKind.HIGHLIGHT, MessageKind.POSTCARD_TO_HOME)


def reach(*, session: Session, person: Person, since: datetime, never_shown: int) -> Reach:
    """Got it rates of what `person` may see since `since`, by week, class, language and channel;
    the families of their students never reached (the first `never_shown` by name, all counted);
    and which channel families are on. The database counts per message, language, channel and
    answer; only those few hundred rows are summed here (no message is loaded)."""
    visible = (
        visible_messages_query(session=session, person=person)
        .where(col(Message.kind).in_(_TO_FAMILIES), col(Message.created_at) >= since)
        .subquery()
    )
    acked = col(Delivery.acknowledged_at).is_not(None)
    connection = session.connection()
    rows = connection.execute(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            visible.c.class_id,
            visible.c.created_at,
            col(Delivery.language),
            col(Delivery.channel),
            acked,
            func.count(),
        )
        .join(visible, visible.c.id == Delivery.message_id)
        .where(col(Delivery.person_id).is_not(None))
        .group_by(
            visible.c.class_id,
            visible.c.created_at,
            col(Delivery.language),
            col(Delivery.channel),
            acked,
        )
    ).all()
    classes = names_by_id(session, col(ClassGroup.id), col(ClassGroup.name), {r[0] for r in rows if r[0]})
    totals: dict[str, dict[str, list[int]]] = {
        k: defaultdict(lambda: [0, 0]) for k in ("week", "class", "language", "channel")
    }
    weeks: dict[str, date] = {}
    for class_id, created_at, language, channel, was_acked, count in rows:
        day = (created_at or since).date()
        week = day - timedelta(days=day.weekday())
        weeks[week.isoformat()] = week
        keys = {
            "week": week.isoformat(),
            "class": classes.get(class_id or 0, ""),
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
        **_families(session, person, never_shown),
    )


def _families(session: Session, person: Person, never_shown: int) -> dict[str, Any]:
    """The families of the students `person` may see: those no highlight or postcard ever reached
    (the bot's own answers while joining do not count), and their channels, all counted by the
    database: rows for a school's 10,000 families took a tenth of a second to fetch."""
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
    never = connection.execute(  # the count is over every row, before the limit
        select(family.c.name, family.c.student, func.count().over())
        .where(~reached)
        .order_by(family.c.name, family.c.student)
        .limit(never_shown)
    ).all()
    people = select(family.c.id).distinct().subquery()
    channel = (  # the account a family is reached on: their preferred one, else their first
        select(col(ChannelAccount.channel))
        .where(col(ChannelAccount.person_id) == people.c.id, col(ChannelAccount.active))
        .order_by(col(ChannelAccount.preferred).desc(), col(ChannelAccount.id))
        .limit(1)
        .scalar_subquery()
    )
    on_channel = select(channel.label("channel")).select_from(people).subquery()
    counted = connection.execute(
        select(on_channel.c.channel, func.count()).group_by(on_channel.c.channel)
    ).all()
    return {
        "never_reached": [(str(name), str(student)) for name, student, _ in never],
        "never_reached_count": int(never[0][2]) if never else 0,
        "on_channel": sorted(((c or "", int(n)) for c, n in counted), key=lambda item: (-item[1], item[0])),
    }
