"""The outbox: messages and their deliveries, claimed before sending and confirmed after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlmodel import Session, col, select

from storage.models import ChannelAccount, Delivery, DeliveryStatus, Message


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryDraft:
    """What to say to one person, already rendered in their language; no account means unreached."""

    person_id: int | None
    account_id: int | None
    channel: str
    address: str
    language: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    rtl: bool = False
    not_before: datetime | None = None  # e.g. the end of the person's quiet hours
    held: bool = False  # kept for the person's next digest


def add_message(*, session: Session, message: Message) -> Message:
    """Store a message and give it its id (deliveries and buttons refer to it)."""
    session.add(message)
    session.flush()
    return message


def add_deliveries(
    *,
    session: Session,
    message: Message,
    drafts: Sequence[DeliveryDraft],
    now: datetime,
    with_photo: bool = False,
) -> None:
    """One pending delivery per draft, bulk-inserted (fan-out to a whole school is one statement);
    a draft without an account is recorded as unreached."""
    rows = [
        {
            "message_id": message.id,
            "person_id": draft.person_id,
            "account_id": draft.account_id,
            "channel": draft.channel,
            "address": draft.address,
            "language": draft.language,
            "text": draft.text,
            "buttons": [{"label": label, "payload": payload} for label, payload in draft.buttons],
            "rtl": draft.rtl,
            "urgent": message.urgent,
            "with_photo": with_photo,
            "status": (
                DeliveryStatus.UNREACHED
                if not draft.account_id
                else DeliveryStatus.HELD
                if draft.held
                else DeliveryStatus.PENDING
            ),
            "last_error": None if draft.account_id else "no linked account",
            "attempts": 0,
            "created_at": now,
            "not_before": draft.not_before or now,
        }
        for draft in drafts
    ]
    if rows:
        session.execute(insert(Delivery), rows)


def queue_message(
    *, session: Session, message: Message, drafts: Sequence[DeliveryDraft], now: datetime
) -> Message:
    """A message and its deliveries, for replies whose buttons do not refer to the message itself."""
    add_message(session=session, message=message)
    add_deliveries(session=session, message=message, drafts=drafts, now=now)
    return message


def claim_due(
    *, session: Session, channels: Sequence[str], now: datetime, lease: timedelta, limit: int
) -> list[Delivery]:
    """Claim due deliveries (pending, or sending with an expired lease) and commit the claim.

    A claim that expired belongs to a dispatcher that stopped mid-send (killed, or cut off from
    the database): the message may already have gone, so taking it again marks it ambiguous."""
    due = (
        select(Delivery)
        .where(
            col(Delivery.channel).in_(channels),
            or_(
                (col(Delivery.status) == DeliveryStatus.PENDING)
                & or_(col(Delivery.not_before).is_(None), col(Delivery.not_before) <= now),
                (col(Delivery.status) == DeliveryStatus.SENDING) & (col(Delivery.claimed_until) < now),
            ),
        )
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = list(session.exec(due).all())
    for delivery in claimed:
        if delivery.status == DeliveryStatus.SENDING:
            delivery.ambiguous = True
        delivery.status = DeliveryStatus.SENDING
        delivery.claimed_until = now + lease
        delivery.attempts += 1
        session.add(delivery)
    session.commit()
    return claimed


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


def release_claim(*, session: Session, delivery_id: int, not_before: datetime) -> None:
    """Put a claimed delivery back unsent until `not_before`: a rate limit, not a failure, held it
    back, so its claim does not count as an attempt."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.SENDING)
        .values(
            status=DeliveryStatus.PENDING,
            not_before=not_before,
            claimed_until=None,
            attempts=col(Delivery.attempts) - 1,
        )
    )
