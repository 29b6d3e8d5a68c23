"""One-time invite codes: 128 random bits, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from storage.accounts import link_account
from storage.models import ChannelAccount, Invite, InviteFailure, Person

_CODE_BYTES = 16  # 128 bits


class Redeemed(StrEnum):
    LINKED = "linked"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Redeemed
    person: Person | None = None


def normalise_code(text: str) -> str:
    """Codes are case-insensitive and may be typed with spaces or dashes."""
    return "".join(ch for ch in text.lower() if ch.isalnum() and ch.isascii())


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def looks_like_code(text: str) -> bool:
    return len(normalise_code(text)) == 26 and len(text.strip()) <= 40


def create_invite(*, session: Session, person_id: int, now: datetime, ttl: timedelta) -> str:
    """Create an invite and return its code (base32, grouped for reading aloud); only the hash is kept."""
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode().rstrip("=").lower()
    session.add(Invite(person_id=person_id, code_hash=_hash(raw), created_at=now, expires_at=now + ttl))
    session.flush()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def redeem_invite(*, session: Session, code: str, account: ChannelAccount, now: datetime) -> Redemption:
    """Link `account` to the invite's person if the code is valid, unused and unexpired."""
    invite = session.exec(select(Invite).where(Invite.code_hash == _hash(code))).first()
    if invite is None:
        return Redemption(Redeemed.UNKNOWN)
    if invite.used_at is not None:
        return Redemption(Redeemed.USED)
    if invite.expires_at is not None and invite.expires_at <= now:
        return Redemption(Redeemed.EXPIRED)
    person = session.get(Person, invite.person_id)
    if person is None:
        return Redemption(Redeemed.UNKNOWN)
    # Conditional, so two turns that both read the invite unused cannot both take it: the row lock
    # makes the later one see the earlier's use (PostgreSQL re-checks the row; SQLite serialises).
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(used_at=now, used_by_account_id=account.id)
        .execution_options(synchronize_session=False)
    )
    if not (isinstance(claimed, CursorResult) and claimed.rowcount == 1):
        return Redemption(Redeemed.USED)
    session.refresh(invite)
    link_account(session=session, account=account, person=person, at=now)
    return Redemption(Redeemed.LINKED, person)


def record_failure(*, session: Session, account_id: int, now: datetime) -> None:
    session.add(InviteFailure(account_id=account_id, at=now))


def recent_failures(*, session: Session, account_id: int | None, now: datetime, window: timedelta) -> int:
    """Wrong codes sent in `window` by one account, or by every account together (None)."""
    query = select(func.count()).where(InviteFailure.at > now - window)  # type: ignore[operator]
    if account_id is not None:
        query = query.where(InviteFailure.account_id == account_id)
    return int(session.exec(query).one())


def open_invite_count(*, session: Session, person_id: int, now: datetime) -> int:
    query = select(func.count()).where(
        Invite.person_id == person_id,
        Invite.used_at.is_(None),  # type: ignore[union-attr]
        Invite.expires_at > now,  # type: ignore[operator]
    )
    return int(session.exec(query).one())


@dataclass(frozen=True, slots=True)
class InviteRow:
    """One invite as an admin lists it: whose, and whether its person has joined (by any code)."""

    id: int
    person_name: str
    created_at: datetime | None
    expires_at: datetime | None
    used_at: datetime | None
    joined: bool


def list_invites(*, session: Session) -> list[InviteRow]:
    """Every invite, newest first, with whether its person has joined: linked a chat account (an
    e-mail address from the roster is theirs, but not a sign they joined)."""
    joined = set(
        session.exec(select(ChannelAccount.person_id).where(col(ChannelAccount.linked_at).is_not(None)))
    )
    rows = session.exec(
        select(Invite, Person.name)
        .join(Person, col(Person.id) == col(Invite.person_id))
        .order_by(col(Invite.id).desc())
    ).all()
    return [
        InviteRow(
            id=invite.id or 0,
            person_name=name,
            created_at=invite.created_at,
            expires_at=invite.expires_at,
            used_at=invite.used_at,
            joined=invite.person_id in joined,
        )
        for invite, name in rows
    ]


def revoke_invites(
    *, session: Session, now: datetime, invite_id: int | None = None, person_id: int | None = None
) -> int:
    """End an invite (by id) or every open invite of a person now: its code no longer works (it
    reads as expired). Returns how many were ended."""
    query = update(Invite).where(col(Invite.used_at).is_(None), col(Invite.expires_at) > now)
    if invite_id is not None:
        query = query.where(col(Invite.id) == invite_id)
    if person_id is not None:
        query = query.where(col(Invite.person_id) == person_id)
    ended = session.execute(query.values(expires_at=now).execution_options(synchronize_session=False))
    return ended.rowcount if isinstance(ended, CursorResult) else 0


def joined_people(*, session: Session, person_ids: list[int]) -> set[int]:
    """Those of `person_ids` who have joined (linked a chat account)."""
    query = select(ChannelAccount.person_id).where(
        col(ChannelAccount.person_id).in_(person_ids), col(ChannelAccount.linked_at).is_not(None)
    )
    return {person_id for person_id in session.exec(query) if person_id is not None}
