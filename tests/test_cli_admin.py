"""Running a school from the command line: invites, the glossary, reports (through the real CLI)."""

from __future__ import annotations

import csv
import re

from tests.test_cli_errors import _cli

CODE = re.compile(r"[a-z2-7]{4}(?:-[a-z2-7]{2,4}){6}")


def test_invites_are_listed_with_who_joined_and_can_be_revoked(tmp_path):
    assert _cli(tmp_path, "demo").returncode == 0
    assert _cli(tmp_path, "chat", "--as", "amina").returncode == 0  # Amina has joined
    made = _cli(tmp_path, "invite", "create", "--class", "Class 3B", "--qr", "qr")
    assert "Skipped, already joined (--all invites them too): Amina Haddad" in made.stderr
    assert "Sarah Bennett" in made.stdout and "Amina Haddad" not in made.stdout
    assert sorted(p.name for p in (tmp_path / "qr").iterdir()) == [
        "invite-4-sarah-bennett.png",
        "invite-5-carlos-garcía.png",
    ]
    everyone = _cli(tmp_path, "invite", "create", "--class", "Class 3B", "--all")
    assert "Amina Haddad" in everyone.stdout
    carlos_code = CODE.findall(made.stdout)[1]

    listed = _cli(tmp_path, "invite", "list")
    assert re.search(r"Amina Haddad\s+open\s+\S+ \S+\s+yes", listed.stdout)
    assert re.search(r"Carlos García\s+open\s+\S+ \S+\s+not yet", listed.stdout)
    assert "1 joined, 2 not yet." in listed.stdout

    assert _cli(tmp_path, "invite", "revoke", "--person", "Carlos García").stdout == (
        "Revoked 2 open invite(s): those codes no longer work.\n"
    )
    assert re.search(r"Carlos García\s+ended", _cli(tmp_path, "invite", "list").stdout)
    refused = _cli(tmp_path, "chat", stdin=f"/start {carlos_code}\n")
    assert "Sorry, that code has expired." in refused.stdout
    again = _cli(tmp_path, "invite", "revoke", "--person", "Carlos García")
    assert (again.returncode, "No open invite to revoke there" in again.stderr) == (2, True)


def test_glossary_remove(tmp_path):
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    assert _cli(tmp_path, "glossary", "add", "INSET day", "--keep").returncode == 0
    assert (
        _cli(
            tmp_path,
            "glossary",
            "add",
            "INSET day",
            "--language",
            "fr",
            "--translation",
            "journée pédagogique",
        ).returncode
        == 0
    )
    assert _cli(tmp_path, "glossary", "remove", "inset DAY", "--language", "fr").stdout == (
        "'inset DAY' removed from the glossary (1 rule).\n"
    )
    assert "journée" not in _cli(tmp_path, "glossary", "list").stdout
    assert _cli(tmp_path, "glossary", "remove", "INSET day").returncode == 0
    assert "The glossary is empty" in _cli(tmp_path, "glossary", "list").stdout
    gone = _cli(tmp_path, "glossary", "remove", "INSET day")
    assert (gone.returncode, gone.stderr.strip()) == (
        2,
        "'INSET day' is not in the glossary: `partnerbot glossary list` shows what is.",
    )


def test_report_acks_fits_80_columns_and_names_a_missing_message(tmp_path):
    assert _cli(tmp_path, "demo").returncode == 0
    (tmp_path / "h.txt").write_text("We planted beans. Ask your child what a seed needs.", encoding="utf-8")
    sent = _cli(
        tmp_path, "send", "highlights", "--class", "Class 3B", "--author", "Emma Clarke", "--file", "h.txt"
    )
    assert sent.returncode == 0, sent.stderr
    report = _cli(tmp_path, "report", "acks", "--csv", "acks.csv", COLUMNS="80")
    assert report.returncode == 0, report.stderr
    assert max(len(line.rstrip()) for line in report.stdout.splitlines()) <= 80
    assert "3 people: 0 acknowledged, 0 delivered, 0 pending, 3 unreached, 0 failed" in report.stdout
    assert "…" not in report.stdout  # nothing cut short
    rows = list(csv.DictReader((tmp_path / "acks.csv").open(encoding="utf-8")))
    assert {r["person"] for r in rows} == {"Sarah Bennett", "Carlos García", "Amina Haddad"}
    missing = _cli(tmp_path, "report", "acks", "--message", "9999")
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "Message 9999 does not exist: `partnerbot report acks` lists every message with its id.",
    )


def test_one_person_is_added_edited_and_removed_without_a_csv(tmp_path):
    assert _cli(tmp_path, "demo").returncode == 0
    added = _cli(
        tmp_path,
        "person",
        "add",
        "Rania Haddad",
        "--role",
        "parent",
        "--student",
        "Yusuf Haddad",
        "--relationship",
        "aunt",
        "--language",
        "ar",
    )
    assert added.stdout.startswith("Added Rania Haddad (parent), linked to Yusuf Haddad.")
    staff = _cli(tmp_path, "person", "add", "Tom Hill", "--role", "external", "--class", "Class 3B")
    assert "linked to Oliver Bennett, Sofía García, Yusuf Haddad." in staff.stdout
    assert re.search(r"Rania Haddad\s+parent\s+ar\s+Yusuf Haddad", _cli(tmp_path, "person", "list").stdout)
    code = CODE.search(_cli(tmp_path, "invite", "create", "--person", "Rania Haddad").stdout).group(0)
    assert "Rania Haddad" in _cli(tmp_path, "chat", stdin=f"/start {code}\n").stdout

    edited = _cli(
        tmp_path,
        "person",
        "edit",
        "Rania Haddad",
        "--name",
        "Rania Haddad-Saleh",
        "--remove-student",
        "Yusuf Haddad",
    )
    assert edited.stdout == "Updated Rania Haddad-Saleh; unlinked from Yusuf Haddad.\n"
    assert re.search(r"Rania Haddad-Saleh\s+parent\s+ar\s+yes", _cli(tmp_path, "person", "list").stdout)

    lead = _cli(tmp_path, "person", "edit", "Emma Clarke", "--safeguarding-lead")
    assert lead.stdout == "Updated Emma Clarke; a safeguarding lead.\n"
    refused = _cli(tmp_path, "person", "edit", "Rania Haddad-Saleh", "--safeguarding-lead")
    assert refused.returncode == 2
    assert "only staff can be a safeguarding lead" in refused.stderr

    assert _cli(tmp_path, "person", "remove", "Tom Hill").stdout == (
        "Removed Tom Hill from 3 partnership(s); nothing more is sent to them.\n"
    )
    twice = _cli(tmp_path, "person", "add", "Amina Haddad", "--role", "parent")
    assert (twice.returncode, twice.stderr.strip()) == (
        2,
        "'Amina Haddad' is already there: `partnerbot person edit` changes them.",
    )
