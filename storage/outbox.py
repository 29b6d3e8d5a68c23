"""The outbox: messages and their deliveries, claimed before sending and confirmed after."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import CursorResult, Select, Table, bindparam, case, insert, or_, select, update
from sqlmodel import Session, col

from storage.models import ChannelAccount, Delivery, DeliveryStatus, Message, MessageKind, utcnow

_DELIVERY: Table = Delivery.__table__  # type: ignore[attr-defined]
_MESSAGE: Table = Message.__table__  # type: ignore[attr-defined]
_INSERT_MESSAGE = insert(_MESSAGE).returning(_MESSAGE.c.id)
_INSERT_DELIVERY = insert(_DELIVERY)

#: The error of a delivery to an account on a channel this installation does not run.
NOT_CONFIGURED = "channel not configured"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryDraft:
    """What to say to one person, in their language (`content`: a bot.events.Content as JSON); no
    account, or an account on a channel this installation does not run (`unreached` says so),
    means unreached."""

    person_id: int | None
    account_id: int | None
    channel: str
    address: str
    language: str
    content: dict[str, Any]
    buttons: tuple[tuple[str, str], ...] = ()
    rtl: bool = False
    not_before: datetime | None = None  # e.g. the end of the person's quiet hours
    held: bool = False  # kept for the person's next digest
    unreached: str | None = None  # why it cannot go though it has an account, e.g. NOT_CONFIGURED

    @property
    def why_unreached(self) -> str | None:
        """The error an unreached delivery is recorded with; None when it can go."""
        return "no linked account" if not self.account_id else self.unreached


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDraft:
    """A message to store: `Message`'s columns as plain values (the entity took longer to build
    than to insert, and every event stores one or two)."""

    text: str
    language: str
    kind: MessageKind = MessageKind.REPLY
    school_id: int | None = None
    author_id: int | None = None
    class_id: int | None = None
    student_id: int | None = None
    answers_id: int | None = None
    urgent: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)


def add_message(*, session: Session, message: MessageDraft) -> int:
    """Store a message and give its id (deliveries and buttons refer to it). A plain insert: no
    entity joins the session, so nothing else pending is flushed with it."""
    row = {
        "kind": message.kind,
        "text": message.text,
        "language": message.language,
        "school_id": message.school_id,
        "author_id": message.author_id,
        "class_id": message.class_id,
        "student_id": message.student_id,
        "answers_id": message.answers_id,
        "urgent": message.urgent,
        "details": message.details,
        "created_at": message.created_at,
    }
    message_id: int = session.execute(_INSERT_MESSAGE, row).scalar_one()
    return message_id


def add_deliveries(
    *,
    session: Session,
    message_id: int,
    drafts: Sequence[DeliveryDraft],
    now: datetime,
    urgent: bool = False,
    reply: bool = False,
    with_photo: bool = False,
) -> None:
    """One pending delivery per draft of an urgent or ordinary message, bulk-inserted (fan-out to a
    whole school is one statement); a draft that cannot go (no account, or its channel is not
    configured) is recorded as unreached at once, with why: never pending where nothing sends.

    A reply in a conversation is claimed first, then urgent messages, then the rest."""
    priority = 0 if reply else 1 if urgent else 2
    rows = [
        {
            "message_id": message_id,
            "person_id": draft.person_id,
            "account_id": draft.account_id,
            "channel": draft.channel,
            "address": draft.address,
            "language": draft.language,
            "content": draft.content,
            "buttons": [{"label": label, "payload": payload} for label, payload in draft.buttons],
            "rtl": draft.rtl,
            "urgent": urgent,
            "priority": priority,
            "with_photo": with_photo,
            "status": (
                DeliveryStatus.UNREACHED
                if draft.why_unreached
                else DeliveryStatus.HELD
                if draft.held
                else DeliveryStatus.PENDING
            ),
            "last_error": draft.why_unreached,
            "attempts": 0,
            "created_at": now,
            "not_before": draft.not_before or now,
        }
        for draft in drafts
    ]
    if rows:
        session.execute(_INSERT_DELIVERY, rows)


def queue_message(
    *, session: Session, message: MessageDraft, drafts: Sequence[DeliveryDraft], now: datetime
) -> int:
    """A message and its deliveries, for replies whose buttons do not refer to the message itself;
    its id. Both are plain inserts (a reply to every event: no unit of work to flush)."""
    message_id = add_message(session=session, message=message)
    add_deliveries(
        session=session,
        message_id=message_id,
        drafts=drafts,
        now=now,
        urgent=message.urgent,
        reply=message.kind == MessageKind.REPLY,
    )
    return message_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Claimed:
    """A claimed delivery: what sending it takes, read as columns (no `Delivery` entities to build
    and flush back for every row of a batch)."""

    id: int
    message_id: int
    channel: str
    address: str
    language: str
    content: dict[str, Any]
    buttons: tuple[tuple[str, str], ...]
    rtl: bool
    urgent: bool
    with_photo: bool
    attempts: int  # this claim included
    priority: int  # see Delivery.priority
    created_at: datetime | None  # when it was queued: a passing failure is retried for a while from then


class Sent(NamedTuple):
    """A send the channel accepted, to be confirmed."""

    delivery_id: int
    provider_id: str
    at: datetime


_CONFIRM = (
    update(_DELIVERY)
    .where(_DELIVERY.c.id == bindparam("delivery_id"))
    .values(
        status=DeliveryStatus.SENT,
        provider_id=bindparam("sent_provider_id"),
        sent_at=bindparam("sent_at_time"),
        claimed_until=None,
        last_error=None,
    )
)


def _due() -> Select[Any]:
    c = _DELIVERY.c
    return (
        select(
            c.id,
            c.message_id,
            c.channel,
            c.address,
            c.language,
            c.content,
            c.buttons,
            c.rtl,
            c.urgent,
            c.with_photo,
            c.attempts,
            c.priority,
            c.created_at,
        )
        .where(
            c.channel.in_(bindparam("channels", expanding=True)),
            # A channel served here for some addresses only (a console terminal): only those.
            or_(c.channel != bindparam("narrow_channel"), c.address.in_(bindparam("own", expanding=True))),
            or_(
                (c.status == DeliveryStatus.PENDING)
                & or_(c.not_before.is_(None), c.not_before <= bindparam("now")),
                (c.status == DeliveryStatus.SENDING) & (c.claimed_until < bindparam("now")),
            ),
        )
        .order_by(c.priority, c.id)
        .limit(bindparam("limit"))
    )


# Built once, like _CONFIRM: every interactive reply is claimed, and building took longer than running.
_DUE, _DUE_LOCKED = _due(), _due().with_for_update(skip_locked=True)
_CLAIM = (
    update(_DELIVERY)
    .where(
        _DELIVERY.c.id.in_(bindparam("ids", expanding=True)),
        # Still due: SQLite has no SKIP LOCKED, and another process may have claimed a row
        # between our SELECT and this UPDATE; RETURNING says which rows are ours.
        or_(
            _DELIVERY.c.status == DeliveryStatus.PENDING,
            (_DELIVERY.c.status == DeliveryStatus.SENDING) & (_DELIVERY.c.claimed_until < bindparam("now")),
        ),
    )
    .values(
        # SET sees the row as it was: a row still `sending` is a claim taken again.
        ambiguous=case((_DELIVERY.c.status == DeliveryStatus.SENDING, True), else_=_DELIVERY.c.ambiguous),
        status=DeliveryStatus.SENDING,
        claimed_until=bindparam("lease_until"),
        attempts=_DELIVERY.c.attempts + 1,
    )
    .returning(_DELIVERY.c.id)
)


def claim_due(
    *,
    session: Session,
    channels: Sequence[str],
    now: datetime,
    lease: timedelta,
    limit: int,
    narrow: tuple[str, Collection[str]] | None = None,
) -> list[Claimed]:
    """Claim due deliveries (pending, or sending with an expired lease) and commit the claim;
    `narrow` (channel, addresses): of that channel, only deliveries to those addresses.

    A claim that expired belongs to a dispatcher that stopped mid-send (killed, or cut off from
    the database): the message may already have gone, so taking it again marks it ambiguous."""
    due = _DUE_LOCKED if session.get_bind().dialect.name == "postgresql" else _DUE
    narrow_channel, own = narrow or ("", ())
    bound = {"channels": list(channels), "now": now, "limit": limit, "narrow_channel": narrow_channel}
    rows = session.execute(due, {**bound, "own": list(own) or [""]}).all()
    if rows:
        claim = {"ids": [row.id for row in rows], "now": now, "lease_until": now + lease}
        ours = set(session.execute(_CLAIM, claim).scalars())
        rows = [row for row in rows if row.id in ours]
    session.commit()
    return [
        Claimed(
            id=row.id,
            message_id=row.message_id,
            channel=row.channel,
            address=row.address,
            language=row.language,
            content=row.content,
            buttons=tuple((button["label"], button["payload"]) for button in row.buttons),
            rtl=row.rtl,
            urgent=row.urgent,
            with_photo=row.with_photo,
            attempts=row.attempts + 1,
            priority=row.priority,
            created_at=row.created_at,
        )
        for row in rows
    ]


def confirm_sent(
    *, session: Session, delivery_id: int, provider_id: str, at: datetime, ambiguous: str | None = None
) -> None:
    """Sent; `ambiguous` says why it may not have arrived (it is not sent again)."""
    values: dict[str, object] = {
        "status": DeliveryStatus.SENT,
        "provider_id": provider_id,
        "sent_at": at,
        "claimed_until": None,
        "last_error": ambiguous and f"ambiguous: {ambiguous}",
    }
    if ambiguous:
        values["ambiguous"] = True
    session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))


def confirm_all_sent(*, session: Session, sent: Sequence[Sent]) -> None:
    """Confirm many sends with one statement run for each (executemany), so a dispatcher round
    commits its sends once instead of once per row."""
    if sent:
        session.execute(
            _CONFIRM,
            [
                {"delivery_id": s.delivery_id, "sent_provider_id": s.provider_id, "sent_at_time": s.at}
                for s in sent
            ],
        )


def retry_later(*, session: Session, delivery_id: int, not_before: datetime, error: str) -> None:
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(status=DeliveryStatus.PENDING, not_before=not_before, claimed_until=None, last_error=error)
    )


def give_up(*, session: Session, delivery_id: int, status: DeliveryStatus, error: str) -> None:
    """Stop trying a delivery; an UNREACHED one also marks its chat account inactive."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return
    delivery.status, delivery.last_error, delivery.claimed_until = status, error, None
    session.add(delivery)
    if status == DeliveryStatus.UNREACHED:
        account = session.get(ChannelAccount, delivery.account_id)
        if account is not None:
            account.active = False
            session.add(account)


def bounced(*, session: Session, channel: str, address: str, provider_id: str, error: str) -> bool:
    """A mail sent to `address` as `provider_id` came back undeliverable: that delivery is unreached
    and the account inactive. False, and nothing changed, if no such delivery was sent: a bounce
    that names none of our mails to that address (forged, or for another) proves nothing."""
    delivery_id: int | None = session.execute(
        select(col(Delivery.id)).where(
            col(Delivery.channel) == channel,
            col(Delivery.address) == address,
            col(Delivery.provider_id) == provider_id,
        )
    ).scalar()
    if delivery_id is None or not provider_id:
        return False
    give_up(session=session, delivery_id=delivery_id, status=DeliveryStatus.UNREACHED, error=error)
    return True


def readdress(*, session: Session, delivery_id: int, new_address: str, at: datetime) -> None:
    """The chat moved: its account and every unsent delivery to it follow, and this one goes again."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return
    old_address = delivery.address
    account = session.get(ChannelAccount, delivery.account_id) if delivery.account_id else None
    if account is not None:
        account.address = new_address
        session.add(account)
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.channel) == delivery.channel,
            col(Delivery.address) == old_address,
            col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        )
        .values(address=new_address, status=DeliveryStatus.PENDING, not_before=at, claimed_until=None)
    )


def release_claim(
    *, session: Session, delivery_id: int, not_before: datetime, error: str | None = None
) -> None:
    """Put a claimed delivery back unsent until `not_before`: a rate limit, not a failure, held it
    back, so its claim does not count as an attempt. `error`: what the platform said, if it did."""
    values: dict[str, object] = {
        "status": DeliveryStatus.PENDING,
        "not_before": not_before,
        "claimed_until": None,
        "attempts": col(Delivery.attempts) - 1,
    }
    if error is not None:
        values["last_error"] = error
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.SENDING)
        .values(**values)
    )


def requeue_failed(
    *, session: Session, now: datetime, since: datetime | None = None, message_id: int | None = None
) -> int:
    """Queue failed deliveries again, as if new (their day of retries starts over); returns how many.
    `since`: only those first queued then or later; `message_id`: only one message's."""
    query = update(Delivery).where(col(Delivery.status) == DeliveryStatus.FAILED)
    if since is not None:
        query = query.where(col(Delivery.created_at) >= since)
    if message_id is not None:
        query = query.where(col(Delivery.message_id) == message_id)
    done = session.execute(
        query.values(status=DeliveryStatus.PENDING, not_before=None, attempts=0, created_at=now)
    )
    return done.rowcount if isinstance(done, CursorResult) else 0


def release_claims(*, session: Session, delivery_ids: Sequence[int], at: datetime) -> None:
    """Put claimed deliveries back unsent and due at `at`, their claims not counted as attempts (a
    dispatcher stopping hands back what it held)."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids), col(Delivery.status) == DeliveryStatus.SENDING)
        .values(
            status=DeliveryStatus.PENDING,
            not_before=at,
            claimed_until=None,
            attempts=col(Delivery.attempts) - 1,
        )
    )
