"""Channel accounts: who is behind a chat address, and which of a person's accounts is preferred."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, CursorResult, Integer, Select, any_, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from storage.models import ChannelAccount, Person, Role

# Built once: every inbound event looks up its account.
_ACCOUNT_AND_PERSON = (
    select(ChannelAccount, Person)
    .outerjoin(Person, col(Person.id) == col(ChannelAccount.person_id))
    .where(ChannelAccount.channel == bindparam("channel"), ChannelAccount.address == bindparam("address"))
)


def get_or_create_account(
    *, session: Session, channel: str, address: str, display_name: str | None = None
) -> ChannelAccount:
    account, _person = account_and_person(
        session=session, channel=channel, address=address, display_name=display_name
    )
    return account


def account_and_person(
    *, session: Session, channel: str, address: str, display_name: str | None = None
) -> tuple[ChannelAccount, Person | None]:
    """`get_or_create_account` and the person it is linked to, in one query (an inbound event
    needs both)."""
    found = session.execute(_ACCOUNT_AND_PERSON, {"channel": channel, "address": address}).first()
    if found is None:
        account = ChannelAccount(channel=channel, address=address, display_name=display_name)
        session.add(account)
        session.flush()
        return account, None
    account, person = found
    if display_name and account.display_name != display_name:
        account.display_name = display_name
    return account, person


def find_account(*, session: Session, channel: str, address: str) -> ChannelAccount | None:
    found = session.execute(_ACCOUNT_AND_PERSON, {"channel": channel, "address": address}).first()
    return found[0] if found else None


def staff_email_account(*, session: Session, address: str) -> tuple[ChannelAccount, Person] | None:
    """The active e-mail account at `address` (case-insensitive) and the staff member it is linked
    to; None for a family's, an outside partner's, an unlinked or a stopped one (the dashboard's
    "E-mail me a sign-in link" sends only to staff)."""
    wanted = address.strip().lower()
    found = session.exec(
        select(ChannelAccount, Person)
        .join(Person, col(Person.id) == col(ChannelAccount.person_id))
        .where(
            ChannelAccount.channel == "email",
            func.lower(col(ChannelAccount.address)) == wanted,
            ChannelAccount.active,
            col(Person.role).in_([role for role in Role if role.is_staff]),
        )
        .order_by(col(ChannelAccount.id))
    ).first()
    return (found[0], found[1]) if found else None


def link_account(*, session: Session, account: ChannelAccount, person: Person, at: datetime) -> None:
    """Link a chat account to a person; it becomes preferred if the person has no preferred account."""
    account.person_id = person.id
    account.linked_at = at
    account.active = True
    if not any(other.preferred for other in accounts_of(session=session, person_id=person.id)):
        account.preferred = True
    session.add(account)
    session.flush()


def accounts_of(
    *, session: Session, person_id: int | None, active_only: bool = False
) -> list[ChannelAccount]:
    query = select(ChannelAccount).where(ChannelAccount.person_id == person_id)
    if active_only:
        query = query.where(ChannelAccount.active)
    return list(session.exec(query.order_by(col(ChannelAccount.id))).all())


def set_preferred(*, session: Session, person_id: int, account_id: int) -> ChannelAccount | None:
    """Make one of a person's own active accounts the preferred one; None if it is not theirs."""
    accounts = accounts_of(session=session, person_id=person_id, active_only=True)
    chosen = next((a for a in accounts if a.id == account_id), None)
    if chosen is None:
        return None
    for account in accounts:
        account.preferred = account.id == account_id
        session.add(account)
    return chosen


def stop_account(*, session: Session, account: ChannelAccount) -> None:
    """Send nothing more to this account (an e-mail unsubscribe): it is no longer active or preferred;
    the person's other accounts still reach them."""
    account.active = False
    account.preferred = False
    session.add(account)
    session.flush()


class Destination(NamedTuple):
    """Where a person's deliveries go: one of their accounts, by id, channel and address.
    `configured` is False for an account on a channel this installation does not run: nothing can
    go there, so a delivery to it is recorded as unreached (see `reachable_accounts`)."""

    id: int
    channel: str
    address: str
    configured: bool = True


def reachable_accounts(
    *, session: Session, person_ids: list[int], channels: Collection[str]
) -> dict[int, Destination]:
    """Each person's preferred active account, else their oldest active one, among those on
    `channels` (the channels this installation runs), in one query (fan-out to a whole class).

    An account on any other channel (e-mail from the roster, with no e-mail channel set up) is
    never chosen while one on `channels` works; a person who has only such accounts gets the
    first of them with `configured=False`, so their delivery says why they are unreached."""
    chosen: dict[int, Destination] = {}
    fallback: dict[int, Destination] = {}
    for person_id, account_id, channel, address in _active(session, person_ids):
        if person_id in chosen:
            continue
        if channel in channels:
            chosen[person_id] = Destination(account_id, channel, address)
        elif person_id not in fallback:
            fallback[person_id] = Destination(account_id, channel, address, configured=False)
    return fallback | chosen


def active_accounts(
    *, session: Session, person_ids: list[int], channels: Collection[str]
) -> dict[int, list[Destination]]:
    """Each person's active accounts on `channels` (those this installation runs), the preferred
    first, then the oldest, in one query (a reminder to a class picks, per delivery, one other
    than the account it went to; an account nothing can send to is no reminder's destination)."""
    found: dict[int, list[Destination]] = {}
    for person_id, account_id, channel, address in _active(session, person_ids):
        if channel in channels:
            found.setdefault(person_id, []).append(Destination(account_id, channel, address))
    return found


def _active_query(person_is_one_of: ColumnElement[bool]) -> Select[int, int, str, str]:
    # the model's ids are Optional only until a row is inserted; these rows are stored ones
    return (
        select(ChannelAccount.person_id, ChannelAccount.id, ChannelAccount.channel, ChannelAccount.address)  # type: ignore[return-value]
        .where(person_is_one_of, ChannelAccount.active)
        .order_by(col(ChannelAccount.preferred).desc(), col(ChannelAccount.id))
    )


# Built once (every free-text answer and every fan-out looks accounts up). On PostgreSQL the ids
# go as one array (`= ANY`): planning an IN list of 10,000 took 100 ms.
_ACTIVE = _active_query(col(ChannelAccount.person_id).in_(bindparam("ids", expanding=True)))
_ACTIVE_PG = _active_query(col(ChannelAccount.person_id) == any_(bindparam("ids", type_=ARRAY(Integer))))


def _active(session: Session, person_ids: list[int]) -> CursorResult[int, int, str, str]:
    """The people's active accounts, preferred first, then by age: plain rows of four columns,
    not whole accounts (for a class of 10,000 the ORM objects took most of the time)."""
    session.flush()
    connection = session.connection()
    query = _ACTIVE_PG if connection.dialect.name == "postgresql" else _ACTIVE
    return connection.execute(query, {"ids": person_ids})
