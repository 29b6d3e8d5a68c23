"""What the staff dashboard reads and records: sign-in links used, sessions, and its pages' queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from storage.audit import Action, record
from storage.ids import id_of
from storage.models import (
    ChannelAccount,
    ClassGroup,
    DashboardSession,
    Delivery,
    Frequency,
    Involvement,
    Message,
    MessageKind,
    MessagePhoto,
    MessageTranslation,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    Student,
)
from storage.people import classes_for_staff, students_of
from storage.reminders import claim_once
from storage.reports import _STATUS, visible_messages

STATUSES = ("acknowledged", "delivered", "pending", "unreached")


def use_sign_in_link(*, session: Session, nonce: str, at: datetime) -> bool:
    """True the first time a sign-in link is used (in any process); False ever after."""
    return claim_once(session=session, key=f"dashboard-link:{nonce}", at=at)


def start_session(
    *, session: Session, person_id: int, token_hash: str, now: datetime, until: datetime
) -> None:
    session.add(
        DashboardSession(token_hash=token_hash, person_id=person_id, created_at=now, expires_at=until)
    )
    record(session=session, action=Action.SIGNED_IN, at=now, actor_id=person_id, via="dashboard")


def signed_in_person(*, session: Session, token_hash: str, now: datetime) -> Person | None:
    """The person of a session that has neither expired nor been ended."""
    return session.exec(
        select(Person)
        .join(DashboardSession, col(DashboardSession.person_id) == Person.id)
        .where(
            DashboardSession.token_hash == token_hash,
            col(DashboardSession.ended_at).is_(None),
            col(DashboardSession.expires_at) > now,
        )
    ).first()


def end_session(*, session: Session, token_hash: str, at: datetime) -> None:
    found = session.exec(select(DashboardSession).where(DashboardSession.token_hash == token_hash)).first()
    if found is not None and found.ended_at is None:
        found.ended_at = at
        session.add(found)


@dataclass(slots=True, kw_only=True)
class MessageOverview:
    """One highlight or postcard and how far it got: counts by status, overall and per language."""

    message: Message
    author: str
    about: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    by_language: dict[str, dict[str, int]] = field(default_factory=dict)
    reminders: list[tuple[datetime, int]] = field(default_factory=list)  # when, to how many

    @property
    def waiting(self) -> int:
        """Reached (or about to be) but no Got it yet: those a nudge is for."""
        return self.counts["delivered"] + self.counts["pending"]


def message_overviews(
    *,
    session: Session,
    person: Person,
    channels: list[str],
    limit: int | None = 30,
    message_id: int | None = None,
) -> list[MessageOverview]:
    """The latest messages `person` may see (or just `message_id`), counted in the database: a
    highlight to 10,000 families is one grouped row per language and status, not 10,000 rows."""
    messages = visible_messages(session=session, person=person, limit=limit, message_id=message_id)
    if not messages:
        return []
    ids = [id_of(m) for m in messages]
    names = _names(session, messages)
    overviews = {
        id_of(m): MessageOverview(
            message=m, author=names[0].get(m.author_id or 0, ""), about=_about(m, names)
        )
        for m in messages
    }
    statuses = (
        select(
            col(Delivery.message_id).label("message_id"),
            col(Delivery.language).label("language"),
            _STATUS.label("status"),
        )
        .where(col(Delivery.message_id).in_(ids), col(Delivery.person_id).is_not(None))
        .subquery()
    )
    rows = session.connection().execute(
        select(statuses.c.message_id, statuses.c.language, statuses.c.status, func.count()).group_by(
            statuses.c.message_id, statuses.c.language, statuses.c.status
        ),
        {"channels": channels},
    )
    for message_id_, language, status, count in rows:
        overview = overviews[message_id_]
        overview.counts[status] += count
        overview.by_language.setdefault(language, dict.fromkeys(STATUSES, 0))[status] += count
    reminders = (
        session.connection()
        .execute(
            select(col(Message.id), col(Message.answers_id), col(Message.created_at), col(Message.details))
            .where(Message.kind == MessageKind.UPDATE, col(Message.answers_id).in_(ids))
            .order_by(col(Message.id))
        )
        .all()
    )
    reminded = [row for row in reminders if row[3].get("reminder")]
    sizes = dict(
        session.connection()
        .execute(
            select(col(Delivery.message_id), func.count())
            .where(col(Delivery.message_id).in_([row[0] for row in reminded]))
            .group_by(col(Delivery.message_id))
        )
        .all()
    )
    for reminder_id, answers_id, at, _ in reminded:
        overviews[answers_id].reminders.append((at, sizes.get(reminder_id, 0)))
    return [overviews[i] for i in ids]


def _names(
    session: Session, messages: list[Message]
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Authors', classes' and students' names for `messages`, in three small queries."""
    people = {m.author_id for m in messages if m.author_id}
    classes = {m.class_id for m in messages if m.class_id}
    students = {m.student_id for m in messages if m.student_id}
    return (
        names_by_id(session, col(Person.id), col(Person.name), people),
        names_by_id(session, col(ClassGroup.id), col(ClassGroup.name), classes),
        names_by_id(session, col(Student.id), col(Student.name), students),
    )


def names_by_id(session: Session, ids: Any, names: Any, wanted: set[int]) -> dict[int, str]:
    """Id → name of the rows with `wanted` ids."""
    return {
        int(i): str(n) for i, n in session.connection().execute(select(ids, names).where(ids.in_(wanted)))
    }


def _about(message: Message, names: tuple[dict[int, str], dict[int, str], dict[int, str]]) -> str:
    if message.student_id:
        return names[2].get(message.student_id, "")
    return names[1].get(message.class_id or 0, "")


def visible_students(*, session: Session, person: Person) -> list[tuple[Student, str]]:
    """The students whose partnership `person` may open, with their class's name: a leader's whole
    school; a teacher's classes; the partnerships they belong to or coordinate."""
    query = visible_students_query(session, person).order_by(col(Student.name))
    return [(s, name or "") for s, name in session.exec(query).all()]


def visible_student(*, session: Session, person: Person, student_id: int) -> Student | None:
    """The student, if `person` may open their partnership (else None, whether or not it exists)."""
    found = session.exec(visible_students_query(session, person).where(Student.id == student_id)).first()
    return found[0] if found else None


def visible_students_query(session: Session, person: Person) -> Select[Student, str]:
    """Students `person` may see, with their class's name (see `visible_students`)."""
    query = (
        select(Student, ClassGroup.name)
        .outerjoin(ClassGroup, col(ClassGroup.id) == Student.class_id)
        .where(Student.school_id == person.school_id)
    )
    if person.role == Role.LEADER:
        return query
    class_ids = [id_of(c) for c in classes_for_staff(session=session, person=person)]
    student_ids = [id_of(s) for s in students_of(session=session, person_id=id_of(person))]
    coordinated = select(Partnership.student_id).where(Partnership.coordinator_id == person.id)
    return query.where(
        col(Student.class_id).in_(class_ids)
        | col(Student.id).in_(student_ids)
        | col(Student.id).in_(coordinated)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanMember:
    """One member of a partnership and how they are reached."""

    name: str
    role: Role
    involvement: Involvement
    relationship: str | None
    key_contact: bool
    coordinator: bool
    channel: str | None
    language: str
    frequency: Frequency
    quiet_start: time | None
    quiet_end: time | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """A postcard as a reader sees it: the original, and its translation into their language."""

    message: Message
    author: str
    translation: str | None
    has_photo: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A student's communication plan (seed 000, step 5) and the home-learning loop."""

    student: Student
    class_name: str
    goals: str
    review_date: date | None
    members: list[PlanMember]
    to_home: list[tuple[Card, list[Card]]]  # each "Something to try at home", and the answers to it
    other_answers: list[Card]  # "Something we tried at home" not answering a postcard


def partnership_plan(*, session: Session, student: Student, language: str) -> Plan:
    """Everything the partnership page shows, with texts translated into `language` where stored."""
    partnership = session.exec(select(Partnership).where(Partnership.student_id == student.id)).first()
    group = session.get(ClassGroup, student.class_id) if student.class_id else None
    members = _members(session, partnership) if partnership else []
    cards = session.exec(
        select(Message)
        .where(
            (
                (col(Message.kind) == MessageKind.POSTCARD_TO_HOME)
                & (
                    (col(Message.student_id) == student.id)
                    | (col(Message.student_id).is_(None) & (col(Message.class_id) == student.class_id))
                )
            )
            | (
                (col(Message.kind) == MessageKind.POSTCARD_FROM_HOME)
                & (col(Message.student_id) == student.id)
            )
        )
        .order_by(col(Message.id).desc())
        .limit(200)
    ).all()
    made = _cards(session, list(cards), language)
    answers: dict[int | None, list[Card]] = defaultdict(list)
    for card in made:
        if card.message.kind == MessageKind.POSTCARD_FROM_HOME:
            answers[card.message.answers_id].append(card)
    to_home = [
        (c, answers.pop(c.message.id, [])) for c in made if c.message.kind == MessageKind.POSTCARD_TO_HOME
    ]
    return Plan(
        student=student,
        class_name=group.name if group else "",
        goals=partnership.goals if partnership else "",
        review_date=partnership.review_date if partnership else None,
        members=members,
        to_home=to_home,
        other_answers=[card for cards_ in answers.values() for card in cards_],
    )


def _members(session: Session, partnership: Partnership) -> list[PlanMember]:
    rows = session.exec(
        select(PartnershipMember, Person)
        .join(Person, col(Person.id) == PartnershipMember.person_id)
        .where(PartnershipMember.partnership_id == partnership.id)
        .order_by(col(PartnershipMember.id))
    ).all()
    accounts: dict[int, list[ChannelAccount]] = defaultdict(list)
    for account in session.exec(
        select(ChannelAccount)
        .where(col(ChannelAccount.person_id).in_([p.id for _, p in rows]), col(ChannelAccount.active))
        .order_by(col(ChannelAccount.preferred).desc(), col(ChannelAccount.id))
    ).all():
        accounts[id_of(account, "person_id")].append(account)
    return [
        PlanMember(
            name=person.name,
            role=person.role,
            involvement=member.involvement,
            relationship=member.relationship,
            key_contact=member.key_contact,
            coordinator=person.id == partnership.coordinator_id,
            channel=accounts[id_of(person)][0].channel if accounts[id_of(person)] else None,
            language=person.language,
            frequency=person.frequency,
            quiet_start=person.quiet_start,
            quiet_end=person.quiet_end,
        )
        for member, person in rows
    ]


def _cards(session: Session, messages: list[Message], language: str) -> list[Card]:
    ids = [id_of(m) for m in messages]
    translated = {
        int(i): str(text)
        for i, text in session.connection().execute(
            select(col(MessageTranslation.message_id), col(MessageTranslation.text)).where(
                col(MessageTranslation.message_id).in_(ids), MessageTranslation.language == language
            )
        )
    }
    photos = set(
        session.exec(select(MessagePhoto.message_id).where(col(MessagePhoto.message_id).in_(ids))).all()
    )
    authors = {m.author_id for m in messages if m.author_id}
    names = names_by_id(session, col(Person.id), col(Person.name), authors)
    return [
        Card(
            message=m,
            author=names.get(m.author_id or 0, ""),
            translation=translated.get(id_of(m)) if m.language != language else None,
            has_photo=id_of(m) in photos and m.student_id is not None,  # its URL names the student
        )
        for m in messages
    ]


def photo_for(*, session: Session, message_id: int, student_id: int) -> MessagePhoto | None:
    """The photo of a postcard about `student_id` (the caller has checked the student is visible)."""
    return session.exec(
        select(MessagePhoto)
        .join(Message, col(Message.id) == MessagePhoto.message_id)
        .where(MessagePhoto.message_id == message_id, Message.student_id == student_id)
    ).first()


_FROM_FAMILIES = (MessageKind.POSTCARD_FROM_HOME, MessageKind.REPLY)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxItem:
    card: Card
    author_id: int
    student: str


def inbox(*, session: Session, person: Person, language: str, limit: int = 50) -> list[InboxItem]:
    """What families sent this person that they have not marked read (said Got it to) yet, newest
    first: "Something we tried at home" and their questions and replies."""
    mine = select(Delivery.message_id).where(Delivery.person_id == person.id)
    read = mine.where(col(Delivery.acknowledged_at).is_not(None))
    rows = session.exec(
        select(Message)
        .join(Person, col(Person.id) == Message.author_id)
        .where(
            col(Message.id).in_(mine),
            col(Message.id).not_in(read),
            col(Message.kind).in_(_FROM_FAMILIES),
            col(Person.role).in_((Role.PARENT, Role.STUDENT)),
        )
        .order_by(col(Message.id).desc())
        .limit(limit)
    ).all()
    cards = _cards(session, list(rows), language)
    students = names_by_id(
        session, col(Student.id), col(Student.name), {m.student_id for m in rows if m.student_id}
    )
    return [
        InboxItem(
            card=c,
            author_id=id_of(c.message, "author_id"),
            student=students.get(c.message.student_id or 0, ""),
        )
        for c in cards
    ]


def inbox_message(*, session: Session, person: Person, message_id: int) -> Message | None:
    """A message from a family to this person (one they may mark read or answer), else None."""
    return session.exec(
        select(Message)
        .join(Delivery, col(Delivery.message_id) == Message.id)
        .join(Person, col(Person.id) == Message.author_id)
        .where(
            Message.id == message_id,
            Delivery.person_id == person.id,
            col(Message.kind).in_(_FROM_FAMILIES),
            col(Person.role).in_((Role.PARENT, Role.STUDENT)),
        )
    ).first()


def families_to_invite(*, session: Session, class_id: int) -> list[tuple[Person, str]]:
    """The parents and carers of a class's students with no active account yet (who still need an
    invite), each with their child's name, by child then name; a parent of two is on each card."""
    joined = select(col(ChannelAccount.person_id)).where(
        col(ChannelAccount.active), col(ChannelAccount.person_id).is_not(None)
    )
    rows = session.exec(
        select(Person, Student.name)
        .join(PartnershipMember, col(PartnershipMember.person_id) == Person.id)
        .join(Partnership, col(Partnership.id) == PartnershipMember.partnership_id)
        .join(Student, col(Student.id) == Partnership.student_id)
        .where(
            Student.class_id == class_id,
            Person.role == Role.PARENT,
            col(Person.id).not_in(joined),
        )
        .order_by(col(Student.name), col(Person.name))
    ).all()
    return [(person, name) for person, name in rows]
