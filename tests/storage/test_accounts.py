"""Which of a person's accounts a message goes to, read for many people at once."""

from __future__ import annotations

from sqlmodel import Session

from storage.accounts import Destination, active_accounts, reachable_accounts
from storage.models import ChannelAccount, Person, School


def _school(session: Session) -> None:
    session.add(School(id=1, name="School"))
    session.flush()


def _person(session: Session, name: str, *accounts: tuple[str, bool, bool]) -> int:
    """A person with accounts of (address, preferred, active), created in that order."""
    person = Person(school_id=1, name=name)
    session.add(person)
    session.flush()
    for address, preferred, active in accounts:
        session.add(
            ChannelAccount(
                channel="test", address=address, person_id=person.id, preferred=preferred, active=active
            )
        )
        session.flush()
    return person.id or 0


def test_the_preferred_active_account_else_the_oldest_active_one(session: Session):
    _school(session)
    amina = _person(session, "Amina", ("amina-old", False, True), ("amina-new", True, True))
    carlos = _person(
        session, "Carlos", ("carlos-gone", True, False), ("carlos-1", False, True), ("carlos-2", False, True)
    )
    nobody = _person(session, "Nobody", ("nobody-gone", False, False))

    reachable = reachable_accounts(session=session, person_ids=[amina, carlos, nobody], channels={"test"})
    assert {pid: a.address for pid, a in reachable.items()} == {amina: "amina-new", carlos: "carlos-1"}

    active = active_accounts(session=session, person_ids=[amina, carlos, nobody], channels={"test"})
    assert {pid: [a.address for a in accounts] for pid, accounts in active.items()} == {
        amina: ["amina-new", "amina-old"],
        carlos: ["carlos-1", "carlos-2"],
    }
    assert all(isinstance(a, Destination) and a.channel == "test" for a in reachable.values())


def test_pending_changes_are_seen(session: Session):
    """Both read on the session's connection, after flushing what the session holds."""
    _school(session)
    amina = _person(session, "Amina", ("amina-phone", True, True))
    reachable = reachable_accounts(session=session, person_ids=[amina], channels={"test"})
    account = session.get(ChannelAccount, reachable[amina].id)
    assert account is not None
    account.active = False
    assert reachable_accounts(session=session, person_ids=[amina], channels={"test"}) == {}


def test_an_account_on_a_channel_that_does_not_run_is_chosen_only_when_it_is_all_there_is(session: Session):
    _school(session)
    amina = _person(session, "Amina", ("amina-chat", False, True))
    nobody = _person(session, "Nobody")
    mail = [
        ChannelAccount(channel="email", address=f"{name}@example.org", person_id=pid, preferred=True)
        for name, pid in (("amina", amina), ("nobody", nobody))
    ]
    session.add_all(mail)

    reachable = reachable_accounts(session=session, person_ids=[amina, nobody], channels={"test"})
    assert reachable[amina] == Destination(reachable[amina].id, "test", "amina-chat")
    assert reachable[nobody] == Destination(mail[1].id or 0, "email", "nobody@example.org", configured=False)
    active = active_accounts(session=session, person_ids=[amina, nobody], channels={"test"})
    assert {pid: [a.address for a in accounts] for pid, accounts in active.items()} == {amina: ["amina-chat"]}
