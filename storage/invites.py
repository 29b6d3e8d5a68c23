"""One-time invite codes: 128 random bits, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, select

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
