"""Channel accounts: who is behind a chat address, and which of a person's accounts is preferred."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import ChannelAccount, Person


def get_or_create_account(
    *, session: Session, channel: str, address: str, display_name: str | None = None
) -> ChannelAccount:
    account = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.address == address)
    ).first()
    if account is None:
        account = ChannelAccount(channel=channel, address=address, display_name=display_name)
        session.add(account)
        session.flush()
    elif display_name and account.display_name != display_name:
        account.display_name = display_name
    return account


def find_account(*, session: Session, channel: str, address: str) -> ChannelAccount | None:
    return session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.address == address)
    ).first()


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
    return list(session.exec(query.order_by(ChannelAccount.id)).all())


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


def reachable_accounts(*, session: Session, person_ids: list[int]) -> dict[int, ChannelAccount]:
    """`reachable_account` for many people in one query (fan-out to a whole class)."""
    rows = session.exec(
        select(ChannelAccount)
        .where(col(ChannelAccount.person_id).in_(person_ids), ChannelAccount.active)
        .order_by(col(ChannelAccount.preferred).desc(), col(ChannelAccount.id))
    ).all()
    chosen: dict[int, ChannelAccount] = {}
    for account in rows:
        chosen.setdefault(account.person_id or 0, account)
    return chosen
