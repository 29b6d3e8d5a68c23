"""Each person's data rights: one declaration per table of how it relates to a person.

`RULES` says, for every table, which rows are a person's (what an export holds) and how erasure treats
them: deleted, anonymised, kept under a legal hold, or "holds no personal data" with the reason. A table
added without a rule fails tests/storage/test_rights.py, so nobody's data can be left out of an export or
an erasure. Rules are in erasure order: rows that refer to others come before the rows they refer to.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, update
from sqlmodel import Session, SQLModel, col

from storage.models import (
    AuditEntry,
    ChannelAccount,
    ClassChat,
    ClassGroup,
    Consent,
    ConversationState,
    DashboardSession,
    DeadLetter,
    Delivery,
    DeliveryStatus,
    Digest,
    GlossaryTerm,
    InboundEvent,
    Invite,
    InviteFailure,
    Meeting,
    Message,
    MessagePhoto,
    MessageTranslation,
    Once,
    Partnership,
    PartnershipMember,
    Person,
    School,
    Student,
    TermReview,
    Translation,
)
from storage.translations import text_hash

#: Legal-hold categories an installation may configure (PARTNERBOT_LEGAL_HOLD).
HOLDS = {
    "messages": "what they wrote, its translations and photos, kept for a record the school must keep",
    "safeguarding": "safeguarding records: consents and child-protection overrides",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """One person and everything that points at them, gathered once."""

    person_id: int
    account_ids: frozenset[int]
    addresses: frozenset[tuple[str, str]]
    written: frozenset[int]  # messages they wrote
    received: frozenset[int]  # messages delivered to them
    private: frozenset[int]  # messages only they received and nobody wrote (the bot's words to them)
    delivery_ids: frozenset[int]
    text_hashes: frozenset[str]  # of what they wrote, as the translation cache keys it

    def on_their_addresses(self, channel: Any, address: Any) -> ColumnElement[bool]:
        pairs = [and_(channel == c, address == a) for c, a in sorted(self.addresses)]
        return or_(*pairs) if pairs else false()


Where = Callable[[Subject], ColumnElement[bool]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One erasure statement: delete the rows `where` matches, or set `values` on them (anonymise).
    A step with a `hold` is skipped, and its rows reported as kept, when that hold is configured."""

    where: Where
    values: Mapping[str, Any] | None = None
    hold: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    table: type[SQLModel]
    export: Where | None  # None: the table holds no personal data (`why` says so)
    erase: tuple[Step, ...] = ()
    why: str = ""  # for no personal data, or rows always kept


@dataclass(slots=True)
class Erasure:
    """What an erasure did: rows removed or anonymised per table, and what it kept and why."""

    changed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, tuple[int, str]] = field(default_factory=dict)


def _delete(where: Where, *, hold: str | None = None) -> Step:
    return Step(where=where, hold=hold)


def _unname(column: Any, key: str) -> Step:
    """A consent kept, without naming the person in `key` any more."""
    return Step(where=lambda s: col(column) == s.person_id, values={key: None}, hold="safeguarding")


_UNSENT = (DeliveryStatus.HELD, DeliveryStatus.PENDING, DeliveryStatus.SENDING)

RULES: tuple[Rule, ...] = (
    Rule(
        table=AuditEntry,
        export=lambda s: or_(
            col(AuditEntry.subject_id) == s.person_id, col(AuditEntry.actor_id) == s.person_id
        ),
        why="the audit log is append-only; it holds ids and actions, never names, addresses or texts",
    ),
    Rule(
        table=Consent,
        export=lambda s: _in_consent(s.person_id),
        # A consent is a safeguarding record: about the partner or asked for by them, it goes; the
        # others who decided, recorded or withdrew it are no longer named.
        erase=(
            _delete(
                lambda s: or_(
                    col(Consent.partner_id) == s.person_id, col(Consent.requested_by) == s.person_id
                ),
                hold="safeguarding",
            ),
            _unname(Consent.decided_by, "decided_by"),
            _unname(Consent.recorded_by, "recorded_by"),
            _unname(Consent.withdrawn_by, "withdrawn_by"),
        ),
    ),
    Rule(
        table=Meeting,
        export=lambda s: col(Meeting.recorded_by) == s.person_id,
        erase=(_delete(lambda s: col(Meeting.recorded_by) == s.person_id, hold="messages"),),
        why="the notes themselves are a message (kept without its author); who was present is a list of ids",
    ),
    Rule(
        table=DashboardSession,
        export=lambda s: col(DashboardSession.person_id) == s.person_id,
        erase=(_delete(lambda s: col(DashboardSession.person_id) == s.person_id),),
    ),
    Rule(
        table=TermReview,
        export=lambda s: col(TermReview.person_id) == s.person_id,
        erase=(_delete(lambda s: col(TermReview.person_id) == s.person_id),),
    ),
    Rule(
        table=Digest,
        export=lambda s: col(Digest.person_id) == s.person_id,
        erase=(_delete(lambda s: col(Digest.person_id) == s.person_id),),
    ),
    Rule(
        table=Once,
        export=lambda s: _their_once_keys(s),
        erase=(_delete(lambda s: _their_once_keys(s)),),
    ),
    Rule(
        table=InviteFailure,
        export=lambda s: col(InviteFailure.account_id).in_(s.account_ids),
        erase=(_delete(lambda s: col(InviteFailure.account_id).in_(s.account_ids)),),
    ),
    Rule(
        table=ConversationState,
        export=lambda s: col(ConversationState.account_id).in_(s.account_ids),
        erase=(_delete(lambda s: col(ConversationState.account_id).in_(s.account_ids)),),
    ),
    Rule(
        table=Invite,
        export=lambda s: _their_invites(s),
        erase=(_delete(lambda s: _their_invites(s)),),
    ),
    Rule(
        table=ClassChat,
        export=lambda s: col(ClassChat.linked_by) == s.person_id,
        erase=(Step(where=lambda s: col(ClassChat.linked_by) == s.person_id, values={"linked_by": None}),),
    ),
    Rule(
        table=MessagePhoto,
        export=lambda s: col(MessagePhoto.message_id).in_(s.written | s.received),
        erase=(
            _delete(lambda s: col(MessagePhoto.message_id).in_(s.private)),
            _delete(lambda s: col(MessagePhoto.message_id).in_(s.written), hold="messages"),
        ),
    ),
    Rule(
        table=MessageTranslation,
        export=lambda s: col(MessageTranslation.message_id).in_(s.written | s.received),
        erase=(
            _delete(lambda s: col(MessageTranslation.message_id).in_(s.private)),
            _delete(lambda s: col(MessageTranslation.message_id).in_(s.written), hold="messages"),
        ),
    ),
    Rule(
        table=Translation,
        export=lambda s: col(Translation.text_hash).in_(s.text_hashes),
        erase=(_delete(lambda s: col(Translation.text_hash).in_(s.text_hashes), hold="messages"),),
    ),
    Rule(
        table=Delivery,
        export=lambda s: col(Delivery.person_id) == s.person_id,
        erase=(
            _delete(
                lambda s: or_(
                    col(Delivery.person_id) == s.person_id,
                    col(Delivery.account_id).in_(s.account_ids),
                    col(Delivery.message_id).in_(s.private),
                )
            ),
            # What they wrote, on its way to others: not sent any more; what was sent loses its words.
            _delete(
                lambda s: and_(col(Delivery.message_id).in_(s.written), col(Delivery.status).in_(_UNSENT)),
                hold="messages",
            ),
            Step(
                where=lambda s: col(Delivery.message_id).in_(s.written),
                values={"content": {}, "buttons": []},
                hold="messages",
            ),
        ),
    ),
    Rule(
        table=DeadLetter,
        export=lambda s: s.on_their_addresses(col(DeadLetter.channel), col(DeadLetter.address)),
        erase=(_delete(lambda s: s.on_their_addresses(col(DeadLetter.channel), col(DeadLetter.address))),),
    ),
    Rule(
        table=InboundEvent,
        export=lambda s: s.on_their_addresses(col(InboundEvent.channel), col(InboundEvent.address)),
        erase=(
            _delete(lambda s: s.on_their_addresses(col(InboundEvent.channel), col(InboundEvent.address))),
        ),
    ),
    Rule(
        table=Message,
        export=lambda s: col(Message.id).in_(s.written | s.received),
        erase=(
            Step(where=lambda s: col(Message.answers_id).in_(s.private), values={"answers_id": None}),
            _delete(lambda s: col(Message.id).in_(s.private)),
            # Kept for the others who received it and acknowledged it, without its words or its author.
            Step(
                where=lambda s: col(Message.author_id) == s.person_id,
                values={"text": "", "details": {}, "author_id": None},
                hold="messages",
            ),
        ),
    ),
    Rule(
        table=PartnershipMember,
        export=lambda s: col(PartnershipMember.person_id) == s.person_id,
        erase=(_delete(lambda s: col(PartnershipMember.person_id) == s.person_id),),
    ),
    Rule(
        table=Partnership,
        export=lambda s: col(Partnership.coordinator_id) == s.person_id,
        erase=(
            Step(
                where=lambda s: col(Partnership.coordinator_id) == s.person_id,
                values={"coordinator_id": None},
            ),
        ),
    ),
    Rule(
        table=ChannelAccount,
        export=lambda s: col(ChannelAccount.person_id) == s.person_id,
        erase=(_delete(lambda s: col(ChannelAccount.person_id) == s.person_id),),
    ),
    Rule(
        table=Person,
        export=lambda s: col(Person.id) == s.person_id,
        # Deleted; or anonymised when a hold keeps rows that point at it.
        erase=(_delete(lambda s: col(Person.id) == s.person_id),),
    ),
    Rule(table=School, export=None, why="the school's name and settings"),
    Rule(table=ClassGroup, export=None, why="class names"),
    Rule(
        table=Student,
        export=None,
        why="a student's record belongs to the school's roster, not to a parent or member of staff",
    ),
    Rule(table=GlossaryTerm, export=None, why="the school's own words"),
)


def _in_consent(person_id: int) -> ColumnElement[bool]:
    """A consent that names the person in any role: the partner, or who asked, decided, recorded or
    withdrew it."""
    columns = (Consent.partner_id, Consent.requested_by, Consent.decided_by, Consent.recorded_by)
    return or_(*(col(c) == person_id for c in (*columns, Consent.withdrawn_by)))


#: Where the person row is kept, when a hold keeps rows that refer to it.
_PERSON_ANONYMISED = {
    "name": "(erased)",
    "email": None,
    "phone": None,
    "telegram_username": None,
    "external_id": None,
    "quiet_start": None,
    "quiet_end": None,
    "digest_time": None,
    "digest_weekday": None,
}


def _their_once_keys(s: Subject) -> ColumnElement[bool]:
    """Keys of the scheduled jobs about them: their reminders, prompts and review summaries."""
    reminders = [f"reminder:{step}:{d}" for d in sorted(s.delivery_ids) for step in (1, 2)]
    return or_(
        col(Once.key).in_(reminders),
        col(Once.key).startswith(f"highlights-prompt:{s.person_id}:"),
        col(Once.key).startswith(f"review-summary:{s.person_id}:"),
    )


def _their_invites(s: Subject) -> ColumnElement[bool]:
    return or_(col(Invite.person_id) == s.person_id, col(Invite.used_by_account_id).in_(s.account_ids))


def subject(*, session: Session, person_id: int) -> Subject:
    """Gather the ids that point at a person (their accounts, messages, deliveries)."""
    accounts = session.execute(
        select(col(ChannelAccount.id), col(ChannelAccount.channel), col(ChannelAccount.address)).where(
            col(ChannelAccount.person_id) == person_id
        )
    ).all()
    written = session.execute(
        select(col(Message.id), col(Message.text)).where(col(Message.author_id) == person_id)
    ).all()
    deliveries = session.execute(
        select(col(Delivery.id), col(Delivery.message_id)).where(col(Delivery.person_id) == person_id)
    ).all()
    received: set[int] = {int(message_id) for _, message_id in deliveries}
    shared = set(
        session.scalars(
            select(col(Delivery.message_id))
            .where(col(Delivery.message_id).in_(received))
            .where(or_(col(Delivery.person_id).is_(None), col(Delivery.person_id) != person_id))
        ).all()
    )
    authorless = set(
        session.scalars(
            select(col(Message.id)).where(
                col(Message.id).in_(received - shared), col(Message.author_id).is_(None)
            )
        ).all()
    )
    return Subject(
        person_id=person_id,
        account_ids=frozenset(a.id for a in accounts),
        addresses=frozenset((a.channel, a.address) for a in accounts),
        written=frozenset(m.id for m in written),
        received=frozenset(received),
        private=frozenset(m for m in authorless if m is not None),
        delivery_ids=frozenset(d.id for d in deliveries),
        text_hashes=frozenset(text_hash(m.text) for m in written if m.text),
    )


def collect(*, session: Session, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row held about a person, per table (columns as stored: the caller serialises)."""
    s = subject(session=session, person_id=person_id)
    found: dict[str, list[dict[str, Any]]] = {}
    for rule in RULES:
        if rule.export is None:
            continue
        table = SQLModel.metadata.tables[str(rule.table.__tablename__)]
        rows = session.execute(select(table).where(rule.export(s)).order_by(*table.primary_key.columns)).all()
        found[table.name] = [dict(row._mapping) for row in rows]
    return found


def erase(*, session: Session, person_id: int, holds: Collection[str]) -> Erasure:
    """Remove or anonymise everything about a person, except what the configured `holds` keep.
    Running it again changes nothing more; no row is left pointing at a deleted one."""
    done = Erasure()
    if session.get(Person, person_id) is None:
        return done
    s = subject(session=session, person_id=person_id)
    held = False  # a hold kept rows that point at the person: their row stays, anonymised
    for rule in RULES:
        name = str(rule.table.__tablename__)
        if rule.export is not None and not rule.erase:
            kept = _count(session, rule.table, rule.export(s))
            if kept:
                done.kept[name] = (kept, rule.why)
        for step in rule.erase:
            if rule.table is Person and held:
                step = Step(where=step.where, values=_PERSON_ANONYMISED)
            if step.hold is not None and step.hold in holds:
                kept = _count(session, rule.table, step.where(s))
                if kept:
                    held = True
                    done.kept[name] = (kept, f"legal hold {step.hold!r}: {HOLDS[step.hold]}")
                continue
            changed = _apply(session, rule.table, step, s)
            if changed:
                done.changed[name] = done.changed.get(name, 0) + changed
    return done


def _count(session: Session, table: type[SQLModel], where: ColumnElement[bool]) -> int:
    return int(session.execute(select(func.count()).select_from(table).where(where)).scalar_one())


def _apply(session: Session, table: type[SQLModel], step: Step, s: Subject) -> int:
    statement = (
        delete(table).where(step.where(s))
        if step.values is None
        else update(table).where(step.where(s)).values(**step.values)
    )
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
