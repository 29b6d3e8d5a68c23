"""What partnerbot writes to disk for staff is theirs alone, and its CSV runs nothing in a spreadsheet."""

from __future__ import annotations

import csv
import stat
from datetime import UTC, datetime
from pathlib import Path

from bot.roster.importer import write_invites_csv
from bot.roster.invites import IssuedInvite
from storage.db import make_engine, upgrade
from storage.models import Person
from tests.channels.test_console import _cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_names_that_are_formulas_are_written_as_text(tmp_path):
    names = ['=HYPERLINK("http://evil.example","Click")', "+1+1", "-2", "@SUM(A1)", "Amina Haddad"]
    at = datetime(2026, 12, 3, tzinfo=UTC)
    out = tmp_path / "invites.csv"
    write_invites_csv(
        out, [IssuedInvite(person=Person(name=n, school_id=1), code="c", expires_at=at) for n in names]
    )
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["person"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example","Click")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "Amina Haddad",
    ]
    assert _mode(out) == 0o600


def test_an_existing_csv_is_made_private_when_rewritten(tmp_path):
    out = tmp_path / "invites.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    write_invites_csv(out, [])
    assert _mode(out) == 0o600


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'school.db'}")
    upgrade(engine)
    engine.dispose()
    assert _mode(tmp_path / "school.db") == 0o600


def test_invite_qr_codes_are_the_owners_alone(tmp_path):
    for args in (["db", "upgrade"], ["demo"], ["invite", "create", "--class", "Class 3B", "--qr", "qr"]):
        done = _cli(tmp_path, *args)
        assert done.returncode == 0, done.stderr
    pictures = sorted((tmp_path / "qr").glob("invite-*.png"))
    assert pictures and all(_mode(p) == 0o600 for p in pictures)
    assert pictures[0].read_bytes().startswith(b"\x89PNG")
    assert _mode(tmp_path / "qr") == 0o700
    assert _mode(tmp_path / "cli.db") == 0o600
