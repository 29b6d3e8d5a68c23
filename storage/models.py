"""All tables. Timestamps are timezone-aware UTC; enums are stored as their string values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, TypeDecorator, UniqueConstraint, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# Named constraints, so later migrations can alter them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always reads back an aware datetime (SQLite would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = True, now: bool = False) -> Any:
    """A UTC timestamp column; `now` fills it with the insert time."""
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable)
    if now:
        return Field(default_factory=utcnow, sa_column=column)
    return Field(default=None, sa_column=column)


def _enum(default: StrEnum) -> Any:
    """A portable enum column: stores the value as VARCHAR, no native PostgreSQL type to migrate."""
    sa_type = SAEnum(
        type(default),
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )
    return Field(default=default, sa_column=Column(sa_type, nullable=False))


class Role(StrEnum):
    PARENT = "parent"
    STUDENT = "student"
    TEACHER = "teacher"
    SUPPORT_STAFF = "support_staff"
    LEADER = "leader"
    EXTERNAL = "external"

    @property
    def is_staff(self) -> bool:
        return self in {Role.TEACHER, Role.SUPPORT_STAFF, Role.LEADER}


class Involvement(StrEnum):
    ADVISER = "adviser"
    SUPPORT = "support"
    INFORMED = "informed"


class Frequency(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


class MessageKind(StrEnum):
    REPLY = "reply"
    HIGHLIGHT = "highlight"
    POSTCARD_TO_HOME = "postcard_to_home"
    POSTCARD_FROM_HOME = "postcard_from_home"
    UPDATE = "update"
    MEETING_NOTES = "meeting_notes"


class DeliveryStatus(StrEnum):
    HELD = "held"  # waiting for the person's next digest
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHED = "unreached"


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    timezone: str = "UTC"
    default_language: str = "en"


class ClassGroup(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str
    external_id: str | None = Field(default=None, index=True)


class Student(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    class_id: int | None = Field(default=None, foreign_key="classgroup.id", index=True)
    name: str
    external_id: str | None = Field(default=None, index=True)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str
    role: Role = _enum(Role.PARENT)
    language: str = "en"
    timezone: str = "UTC"
    quiet_start: time | None = None
    quiet_end: time | None = None
    frequency: Frequency = _enum(Frequency.IMMEDIATE)
    digest_weekday: int | None = None  # 0 = Monday, for weekly and fortnightly digests
    digest_time: time | None = None
    email: str | None = Field(default=None, index=True)
    phone: str | None = None
    telegram_username: str | None = None
    external_id: str | None = Field(default=None, index=True)
    # A designated child-protection (safeguarding) lead: the only staff who may add an outside
    # partner without the family's consent.
    safeguarding_lead: bool = False
    onboarded_at: datetime | None = _ts()
    created_at: datetime | None = _ts(now=True)


class ChannelAccount(SQLModel, table=True):
    """A chat account on one channel; `person_id` is None until an invite links it."""

    __table_args__ = (
        UniqueConstraint("channel", "address"),
        # a person's account to reach them on, read from the index alone (the Reach page, per family)
        Index("ix_channelaccount_reach", "person_id", "active", "preferred", "id", "channel"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    address: str
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    display_name: str | None = None
    preferred: bool = False
    active: bool = True
    linked_at: datetime | None = _ts()
    created_at: datetime | None = _ts(now=True)


class ClassChat(SQLModel, table=True):
    """A group chat (a class's Telegram group) that receives the class's highlights."""

    __table_args__ = (UniqueConstraint("class_id", "account_id"),)
    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="classgroup.id", index=True)
    account_id: int = Field(foreign_key="channelaccount.id", index=True)
    linked_by: int | None = Field(default=None, foreign_key="person.id")
    linked_at: datetime | None = _ts(now=True)


class Partnership(SQLModel, table=True):
    """The team around one student, with its communication plan (seed 000, step 5)."""

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", unique=True)
    purpose: str | None = Field(default=None, max_length=32)  # a key of bot.partnerships.PURPOSES
    goals: str = ""
    goals_language: str | None = None  # the language the coordinator wrote the goals in
    coordinator_id: int | None = Field(default=None, foreign_key="person.id")
    review_date: date | None = None
    # The communication plan goes out when every member has answered, or at `plan_due_at`; it goes
    # again whenever what it says changes (`plan_hash` is of what was last sent).
    plan_due_at: datetime | None = _ts()
    plan_hash: str | None = Field(default=None, max_length=64)
    plan_sent_at: datetime | None = _ts()


class PartnershipMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    involvement: Involvement = _enum(Involvement.INFORMED)
    relationship: str | None = None  # "mother", "speech therapist", …
    key_contact: bool = False
    invited_at: datetime | None = _ts()  # asked how they want to be involved
    answered_at: datetime | None = _ts()  # answered it
    constraints: str | None = None  # their own words: when they can be reached, what they cannot do


class Invite(SQLModel, table=True):
    """A one-time code; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: str = Field(unique=True)
    created_at: datetime | None = _ts(now=True)
    expires_at: datetime | None = _ts(nullable=False)
    used_at: datetime | None = _ts()
    used_by_account_id: int | None = Field(default=None, foreign_key="channelaccount.id")


class InviteFailure(SQLModel, table=True):
    """A wrong code sent by an account, for the per-hour limit."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channelaccount.id", index=True)
    at: datetime | None = _ts(nullable=False)


class ConversationState(SQLModel, table=True):
    """Where an account is in a flow, so a restart mid-conversation loses nothing."""

    account_id: int = Field(foreign_key="channelaccount.id", primary_key=True)
    flow: str
    state: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime | None = _ts(now=True)


class DeadLetter(SQLModel, table=True):
    """An event the database refused to record for a reason that will not pass (not a lock or a lost
    connection): set aside with the reason, so the platform stops resending it and the events behind
    it go on. Ids and the error's type only: what the event said is not kept."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    platform_event_id: str
    address: str
    error: str
    received_at: datetime | None = _ts(now=True)


class InboundEvent(SQLModel, table=True):
    """Every inbound event, recorded before it is acted on; (channel, platform id) is handled once.

    `claimed_until`: the lease of the process handling it; an unhandled event whose lease has
    expired belongs to a process that died, and a living one replays it."""

    __table_args__ = (
        UniqueConstraint("channel", "platform_event_id"),
        Index(
            "ix_inboundevent_unhandled",
            "id",
            "claimed_until",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    platform_event_id: str
    address: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime | None = _ts(now=True)
    handled_at: datetime | None = _ts()
    error: str | None = None
    claimed_until: datetime | None = _ts()


class Message(SQLModel, table=True):
    """What someone said, in its author's language; the original is never changed."""

    id: int | None = Field(default=None, primary_key=True)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    kind: MessageKind = _enum(MessageKind.REPLY)
    author_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    class_id: int | None = Field(default=None, foreign_key="classgroup.id", index=True)
    student_id: int | None = Field(default=None, foreign_key="student.id", index=True)
    answers_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    text: str
    language: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    urgent: bool = False
    created_at: datetime | None = _ts(now=True)


class MessageTranslation(SQLModel, table=True):
    """A message's text in one more language, and the backend that made it."""

    __table_args__ = (UniqueConstraint("message_id", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    language: str
    text: str
    backend: str


class MessagePhoto(SQLModel, table=True):
    """A photo sent with a postcard, kept in the database so a backup holds everything."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    filename: str
    content_type: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class GlossaryTerm(SQLModel, table=True):
    """A school's own words: kept as they are (language "*"), or translated a fixed way."""

    __table_args__ = (UniqueConstraint("term", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    term: str
    language: str = "*"
    translation: str


class Delivery(SQLModel, table=True):
    """One message to one person on one channel in one language: the outbox row."""

    __table_args__ = (
        Index("ix_delivery_due", "status", "channel", "not_before"),
        Index("ix_delivery_queue", "status", "priority", "id"),
        # "was this person ever reached" without reading the rows (the Reach page, per family)
        Index("ix_delivery_person_status", "person_id", "status", "message_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    # Claimed in this order, then by id: 0 a reply in a conversation (an answer to someone's own
    # message or button, a message in a thread), 1 urgent, 2 the rest — so a reply does not wait
    # behind a broadcast to the whole school.
    priority: int = 2
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="channelaccount.id")  # None: no account to reach
    channel: str = ""
    address: str = ""
    language: str
    # What the message is (bot.events.Content as JSON), rendered by its channel at send time.
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    buttons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rtl: bool = False
    urgent: bool = False
    with_photo: bool = False
    status: DeliveryStatus = _enum(DeliveryStatus.PENDING)
    attempts: int = 0
    # Sent without certainty (chat platforms have no idempotency key): taken again after a
    # dispatcher stopped mid-send, so it may have arrived twice; or timed out after the request
    # left, so it may not have arrived (not repeated).
    ambiguous: bool = False
    provider_id: str | None = None
    last_error: str | None = None
    created_at: datetime | None = _ts(now=True)
    not_before: datetime | None = _ts()
    claimed_until: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    acknowledged_at: datetime | None = _ts()
    acknowledged_channel: str | None = None


class Digest(SQLModel, table=True):
    """One digest per person per digest time: the key that makes it go out exactly once."""

    __table_args__ = (UniqueConstraint("person_id", "slot_at"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    slot_at: datetime | None = _ts(nullable=False)
    message_id: int | None = Field(default=None, foreign_key="message.id")


class Once(SQLModel, table=True):
    """A scheduled thing done once, by key ("reminder:1:42"): two processes, or a job run twice,
    cannot both claim it."""

    key: str = Field(primary_key=True, max_length=200)
    at: datetime | None = _ts(now=True)


class Translation(SQLModel, table=True):
    """Translation cache: each text is translated once per (source, target, backend)."""

    __table_args__ = (UniqueConstraint("text_hash", "source_language", "target_language", "backend"),)
    id: int | None = Field(default=None, primary_key=True)
    text_hash: str
    source_language: str
    target_language: str
    backend: str
    text: str
    created_at: datetime | None = _ts(now=True)


class TermReview(SQLModel, table=True):
    """One member asked "Is the way we keep in touch working for you?" in one term, and their latest
    answer (None until they answer), so the coordinator can be given the term's summary."""

    __table_args__ = (UniqueConstraint("person_id", "term"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    term: int
    asked_at: datetime = _ts(nullable=False)
    answer: str | None = Field(default=None, max_length=16)  # a key of bot.jobs.reviews.ANSWERS
    text: str | None = None  # their own words, for "Something else"
    language: str | None = None  # the language they wrote them in
    answered_at: datetime | None = _ts()


class DashboardSession(SQLModel, table=True):
    """A staff member signed in to the web dashboard. Only the SHA-256 of the cookie's token is kept;
    signing out sets `ended_at`, which no cookie can undo."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime | None = _ts(now=True)
    expires_at: datetime | None = _ts(nullable=False)
    ended_at: datetime | None = _ts()


class ConsentStatus(StrEnum):
    ASKED = "asked"
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    OVERRIDE = "override"  # child protection: added without consent by a safeguarding lead


class Consent(SQLModel, table=True):
    """A family's agreement (seed 001, 6.3) for one outside partner to join one student's
    partnership: who the partner or agency is, what is shared, and who decided, when and how. The
    partner is a member only while it is given (or overridden); a row is never deleted."""

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    partner_id: int = Field(foreign_key="person.id", index=True)
    agency: str
    shared: str = Field(max_length=32)  # a key of bot.partnerships.SHARED
    status: ConsentStatus = _enum(ConsentStatus.ASKED)
    requested_by: int = Field(foreign_key="person.id")
    requested_at: datetime | None = _ts(now=True)
    decided_by: int | None = Field(default=None, foreign_key="person.id")  # the parent, or the staff member
    decided_at: datetime | None = _ts()
    how: str | None = Field(default=None, max_length=32)  # "bot", "phone", "paper", "in person", "override"
    # The staff member who recorded it, when it was not given through the bot.
    recorded_by: int | None = Field(default=None, foreign_key="person.id")
    reason: str | None = None  # the override's reason, in the lead's words
    withdrawn_by: int | None = Field(default=None, foreign_key="person.id")
    withdrawn_at: datetime | None = _ts()


class Meeting(SQLModel, table=True):
    """A partnership meeting the coordinator recorded; its notes go to the members who were not there."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    held_on: date
    recorded_by: int = Field(foreign_key="person.id")
    present: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_id: int | None = Field(default=None, foreign_key="message.id")  # the notes, as sent
    created_at: datetime | None = _ts(now=True)


class AuditEntry(SQLModel, table=True):
    """Who did what to whose data, when: append-only (storage/audit.py offers insert and read only, and
    a trigger refuses UPDATE and DELETE). Ids and short codes only, never a message body or a name."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts(nullable=False)
    actor_id: int | None = None  # the person who acted; None for the command line or the system
    action: str = Field(max_length=32, index=True)  # a value of storage.audit.Action
    subject_id: int | None = Field(default=None, index=True)  # the person whose data it was about
    target: str | None = Field(default=None, max_length=64)  # e.g. "partnership:3"
    via: str = Field(default="cli", max_length=16)  # cli, dashboard, chat
