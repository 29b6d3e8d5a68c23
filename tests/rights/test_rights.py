"""Export and erasure of one person, checked against every table and column the schema has."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, ForeignKey, String, Text, select
from sqlalchemy.types import JSON
from sqlmodel import SQLModel, col
from typer.testing import CliRunner

from bot.__main__ import cli
from bot.events import Attachment
from bot.i18n import Speaker
from storage.db import session_scope
from storage.models import AuditEntry
from storage.people import find_people
from storage.rights import RULES, collect, erase

AR = Speaker("ar")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
AMINA_WROTE = "عددنا الدرج معًا وكان يوسف سعيدًا جدًا"
#: Tables an erasure keeps by declaration, whatever the legal holds say.
ALWAYS_KEPT = {"auditentry"}


def test_every_table_declares_how_it_relates_to_a_person():
    """A new table without a rule fails here: say in storage/rights.py what is whose, and how to erase it."""
    declared = [str(rule.table.__tablename__) for rule in RULES]
    assert len(declared) == len(set(declared))
    assert set(declared) == set(SQLModel.metadata.tables)
    for rule in RULES:
        assert rule.export is not None or rule.why, (
            f"{rule.table.__tablename__}: say why it holds no one's data"
        )
        assert rule.erase or rule.why, f"{rule.table.__tablename__}: say how it is erased, or why it is kept"


@pytest.fixture
async def exchanged(join):
    """Emma sends the Haddads a postcard with a photo; Amina answers it in Arabic, with a photo."""
    people = await join(
        ("Emma", "English"), ("Amina", "العربية"), ("Carlos", "Español"), address="{name}-phone-77"
    )
    emma, amina = people["Emma"], people["Amina"]
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    await emma.say("Counting stairs")
    await emma.say("Count the stairs together out loud.")
    await emma.say("Counting things he can touch makes numbers real.")
    await emma.press("Skip")
    await emma.press("Send")
    await amina.press(AR._("Got it"))
    await amina.press(AR._("We tried it"))
    await amina.press(AR._("Went well"))
    await amina.say(AMINA_WROTE)
    await amina.send(
        amina.inbound("", attachment=Attachment(filename="us.png", content_type="image/png", data=PNG))
    )
    await amina.say("/settings")  # leaves a conversation state behind
    return people


def _person_id(db: Engine, name: str) -> int:
    with session_scope(db) as session:
        person_id = find_people(session=session, name=name)[0].id
    assert person_id is not None
    return person_id


def _their_ids(db: Engine, person_id: int) -> tuple[set[int], set[str]]:
    with session_scope(db) as session:
        rows = session.execute(
            select(SQLModel.metadata.tables["channelaccount"]).where(
                SQLModel.metadata.tables["channelaccount"].c.person_id == person_id
            )
        ).all()
    return {r.id for r in rows}, {r.address for r in rows}


def _refers(column: object, target: str) -> bool:
    return any(isinstance(fk, ForeignKey) and fk.column.table.name == target for fk in column.foreign_keys)  # type: ignore[attr-defined]


def _traces(db: Engine, *, person_id: int, account_ids: set[int], words: set[str]) -> list[str]:
    """Every cell in every table that still names the person, their accounts, addresses or words."""
    found = []
    with db.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    if _refers(column, "person") and value == person_id:
                        found.append(f"{table.name}.{column.name} = person {person_id}")
                    if _refers(column, "channelaccount") and value in account_ids:
                        found.append(f"{table.name}.{column.name} = account {value}")
                    if isinstance(column.type, String | Text | JSON) or isinstance(value, dict | list):
                        text = (
                            json.dumps(value, ensure_ascii=False)
                            if isinstance(value, dict | list)
                            else str(value)
                        )
                        found += [
                            f"{table.name}.{column.name} holds {w!r}"
                            for w in words
                            if w.casefold() in text.casefold()
                        ]
                    if isinstance(value, bytes) and PNG in value:
                        found.append(f"{table.name}.{column.name} holds their photo")
    return found


async def test_export_holds_every_row_that_points_at_the_person(exchanged, db):
    amina = _person_id(db, "Amina")
    accounts, _ = _their_ids(db, amina)
    with session_scope(db) as session:
        exported = collect(session=session, person_id=amina)
    assert any(m["text"] == AMINA_WROTE for m in exported["message"])
    assert any("Count the stairs together out loud." in m["text"] for m in exported["message"])
    assert any(p["data"] == PNG for p in exported["messagephoto"])
    assert any(d["acknowledged_at"] for d in exported["delivery"])
    assert exported["person"][0]["name"] == "Amina Haddad"
    with db.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                theirs = (
                    {amina}
                    if _refers(column, "person")
                    else accounts
                    if _refers(column, "channelaccount")
                    else None
                )
                if theirs is None:
                    continue
                ids = {
                    r[0]
                    for r in connection.execute(
                        select(table.primary_key.columns[0]).where(column.in_(theirs))
                    )
                }
                in_export = {r[table.primary_key.columns[0].name] for r in exported.get(table.name, [])}
                assert ids <= in_export, f"{table.name}.{column.name}: rows {ids - in_export} not exported"


async def test_erase_leaves_nothing_that_names_the_person_and_is_idempotent(exchanged, db):
    amina = _person_id(db, "Amina")
    accounts, addresses = _their_ids(db, amina)
    words = {"Amina Haddad", "amina.haddad@example.org", AMINA_WROTE, *addresses}
    assert _traces(db, person_id=amina, account_ids=accounts, words=words)  # the check finds her before

    with session_scope(db) as session:
        done = erase(session=session, person_id=amina, holds=())
    assert done.changed["person"] == 1 and done.changed["channelaccount"] == len(accounts)
    assert _traces(db, person_id=amina, account_ids=accounts, words=words) == []

    with session_scope(db) as session:
        again = erase(session=session, person_id=amina, holds=())
    assert (again.changed, again.kept) == ({}, {})
    with session_scope(db) as session:  # others are untouched: Carlos can still be exported whole
        assert collect(session=session, person_id=_person_id(db, "Carlos"))["channelaccount"]


async def test_a_legal_hold_keeps_what_she_wrote_and_says_so(exchanged, db):
    amina = _person_id(db, "Amina")
    with session_scope(db) as session:
        done = erase(session=session, person_id=amina, holds={"messages"})
    assert "legal hold 'messages'" in done.kept["message"][1]
    with session_scope(db) as session:
        kept = collect(session=session, person_id=amina)
    assert [m["text"] for m in kept["message"] if m["author_id"] == amina] == [AMINA_WROTE]
    assert kept["person"][0]["name"] == "(erased)" and kept["person"][0]["email"] is None
    assert kept["channelaccount"] == []


async def test_the_cli_exports_and_erases_by_name_and_records_both(
    exchanged, db, settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    out = tmp_path / "amina"
    result = runner.invoke(cli, ["person", "export", "Amina", "--out", str(out), "--language", "ar"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert document["tables"]["person"][0]["name"] == "Amina Haddad"
    html = (out / "export.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and AMINA_WROTE in html and AR._("Messages they wrote") in html
    assert list((out / "photos").iterdir()) and (out / "export.json").stat().st_mode & 0o077 == 0

    refused = runner.invoke(cli, ["person", "erase", "Amina"], input="n\n")
    assert refused.exit_code == 1 and _person_id(db, "Amina")
    erased = runner.invoke(cli, ["person", "erase", "Amina", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "kept auditentry" in erased.output or "Erased Amina Haddad" in erased.output
    assert runner.invoke(cli, ["person", "erase", "Amina", "--yes"]).exit_code == 1  # no one by that name now

    with session_scope(db) as session:
        rights = select(AuditEntry.action).where(col(AuditEntry.action).in_(["exported", "erased"]))
        actions = list(session.scalars(rights.order_by(col(AuditEntry.id))))
    assert actions == ["exported", "erased"]
    log = runner.invoke(cli, ["audit"], terminal_width=200)
    assert "exported" in log.output and "erased" in log.output and "Amina" not in log.output


async def test_an_ambiguous_name_lists_the_matches_and_asks_for_an_id(db, settings, school, monkeypatch):
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    from storage.models import Person

    with session_scope(db) as session:
        first = find_people(session=session, name="Amina")[0]
        session.add(Person(school_id=first.school_id, name="Amina Rahman"))
    result = CliRunner().invoke(cli, ["person", "export", "Amina"])
    assert result.exit_code == 2 and "--id" in result.output and "Amina Rahman" in result.output


def test_the_audit_log_cannot_be_changed(db):
    from datetime import UTC, datetime

    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    from storage.audit import Action, entries, record

    with session_scope(db) as session:
        record(
            session=session,
            action=Action.SIGNED_IN,
            at=datetime(2026, 1, 1, tzinfo=UTC),
            actor_id=1,
            via="dashboard",
        )
    for statement in (update(AuditEntry).values(actor_id=2), delete(AuditEntry)):
        with pytest.raises(DatabaseError), session_scope(db) as session:
            session.execute(statement)
    with session_scope(db) as session:
        assert [(e.action, e.actor_id) for e in entries(session=session)] == [("signed_in", 1)]


def test_a_dashboard_sign_in_is_audited(db, school):
    from datetime import UTC, datetime, timedelta

    from storage.audit import entries
    from storage.dashboard import start_session

    at = datetime(2026, 11, 25, 9, tzinfo=UTC)
    person = _person_id(db, "Emma")
    with session_scope(db) as session:
        start_session(
            session=session, person_id=person, token_hash="h", now=at, until=at + timedelta(hours=8)
        )
    with session_scope(db) as session:
        signed_in = [e for e in entries(session=session) if e.action == "signed_in"]
        assert [(e.actor_id, e.via) for e in signed_in] == [(person, "dashboard")]
