"""An invite links one account, even when two turns read it at the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.invites import Redeemed, create_invite, redeem_invite
from storage.models import ChannelAccount, Invite, Person, School

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _account(session: Session, address: str) -> ChannelAccount:
    account = ChannelAccount(channel="test", address=address)
    session.add(account)
    session.flush()
    return account


def test_two_turns_that_read_one_invite_at_once_link_only_the_first(db: Engine):
    with Session(db) as setup:
        setup.add(School(id=1, name="School"))
        setup.flush()
        person = Person(school_id=1, name="Amina")
        setup.add(person)
        setup.flush()
        code = create_invite(session=setup, person_id=person.id or 0, now=NOW, ttl=timedelta(days=1))
        setup.commit()

    with Session(db) as first, Session(db) as second:
        seen = second.exec(select(Invite)).all()  # the second turn has read the invite, unused as it was
        assert redeem_invite(session=first, code=code, account=_account(first, "a"), now=NOW).outcome is (
            Redeemed.LINKED
        )
        first.commit()
        assert seen[0].used_at is None
        late = redeem_invite(session=second, code=code, account=_account(second, "b"), now=NOW)
        assert late.outcome is Redeemed.USED
        second.commit()

    with Session(db) as check:
        linked = check.exec(select(ChannelAccount).where(ChannelAccount.person_id.is_not(None))).all()  # type: ignore[union-attr]
        assert [a.address for a in linked] == ["a"]
