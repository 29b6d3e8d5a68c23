"""`partnerbot import`: partnerbot CSV and OneRoster 1.1, checked whole before anything is written."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from bot.errors import RosterError
from bot.roster.importer import ImportSummary, import_roster
from bot.settings import Settings
from storage.accounts import accounts_of
from storage.db import make_engine, session_scope
from storage.invites import open_invite_count, redeem_invite
from storage.models import ChannelAccount, PartnershipMember, Person, Role
from storage.people import (
    family_of,
    find_class,
    find_people,
    find_students,
    memberships_of,
    students_in_class,
)
from storage.school import first_school
from tests.harness import FakeClock

EXAMPLES = Path(__file__).parents[2] / "examples"
HEADER = "student,class,family_member,relationship,language,email,phone,telegram,student_id\n"


def _import(db: Engine, settings: Settings, clock: FakeClock, path: Path) -> ImportSummary:
    with session_scope(db) as session:
        return import_roster(
            session=session, path=path, settings=settings, school_name="Riverside", now=clock()
        )


def _rows(db: Engine) -> dict[str, int]:
    """Rows in every table: the measure of "changed nothing"."""
    with db.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def _counts(summary: ImportSummary) -> tuple[int, ...]:
    return (
        summary.classes,
        summary.students,
        summary.family,
        summary.staff,
        summary.memberships,
        len(summary.invites),
    )


def _csv(tmp_path: Path, *rows: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def _person(session, name: str):
    (person,) = find_people(session=session, name=name)
    return person


def _member(session, person_name: str, student_name: str) -> PartnershipMember:
    person = _person(session, person_name)
    (membership,) = [
        m for m in memberships_of(session=session, person_id=person.id) if m.student_name == student_name
    ]
    return session.get(PartnershipMember, membership.member_id)


def test_the_example_roster_creates_classes_partnerships_and_invites(db, settings, clock, session):
    summary = _import(db, settings, clock, EXAMPLES / "roster.csv")

    assert summary.school == "Riverside"
    assert _counts(summary) == (2, 7, 8, 0, 9, 8)
    class_4a = find_class(session=session, name="Class 4A")
    assert [s.name for s in students_in_class(session=session, class_id=class_4a.id)] == [
        "Mateo García",
        "Mai Nguyen",
        "Wei Chen",
    ]
    (oliver,) = find_students(session=session, name="Oliver Bennett")
    assert oliver.external_id == "S1001"
    assert [p.name for p in family_of(session=session, student_id=oliver.id)] == [
        "Sarah Bennett",
        "James Bennett",
    ]
    sarah, james = (
        _member(session, "Sarah Bennett", "Oliver Bennett"),
        _member(session, "James Bennett", "Oliver Bennett"),
    )
    assert (sarah.relationship, sarah.involvement, sarah.key_contact) == ("mother", "informed", True)
    assert (james.relationship, james.key_contact) == ("father", False)

    carlos = _person(session, "Carlos García")  # one person for two siblings, found by e-mail
    assert [m.student_name for m in memberships_of(session=session, person_id=carlos.id)] == [
        "Mateo García",
        "Sofía García",
    ]
    assert (carlos.role, carlos.language, carlos.timezone) == (Role.PARENT, "es", "Europe/London")
    assert (carlos.phone, carlos.telegram_username) == ("+44 7700 900102", "carlos_garcia")
    assert [(a.channel, a.address) for a in accounts_of(session=session, person_id=carlos.id)] == [
        ("email", "carlos.garcia@example.org")
    ]
    assert _person(session, "James Bennett").language == "en"  # none given: the school's default
    assert _person(session, "Li Chen").language == "zh-Hans"  # zh-CN
    assert _person(session, "Claire Martin").language == "fr"  # "Français"
    hoa = _person(session, "Hoa Tran")
    assert (hoa.language, hoa.email, accounts_of(session=session, person_id=hoa.id)) == ("vi", None, [])

    assert {i.person.name for i in summary.invites} == {
        *("Sarah Bennett", "James Bennett", "Carlos García", "Amina Haddad"),
        *("Thu Nguyen", "Hoa Tran", "Li Chen", "Claire Martin"),
    }
    invite = next(i for i in summary.invites if i.person.name == "Amina Haddad")
    assert invite.expires_at == clock() + settings.invite_ttl
    account = ChannelAccount(channel="test", address="amina-phone")
    session.add(account)
    session.flush()
    assert redeem_invite(session=session, code=invite.code, account=account, now=clock()).person.name == (
        "Amina Haddad"
    )


def test_reimporting_the_same_roster_changes_nothing(db, settings, clock):
    _import(db, settings, clock, EXAMPLES / "roster.csv")
    before = _rows(db)

    again = _import(db, settings, clock, EXAMPLES / "roster.csv")

    assert _counts(again) == (0, 0, 0, 0, 0, 0)
    assert _rows(db) == before


def test_only_new_family_members_get_invites(db, settings, clock, session, tmp_path):
    first = _csv(tmp_path, "Oliver Bennett,Class 3B,Sarah Bennett,mother,en,sarah.bennett@example.org,,,")
    _import(db, settings, clock, first)
    grown = _csv(
        tmp_path,
        "Oliver Bennett,Class 3B,Sarah Bennett,mother,en,sarah.bennett@example.org,,,",
        "Oliver Bennett,Class 3B,James Bennett,father,en,,,,",
        "Ruby Bennett,Class 1A,Sarah Bennett,mother,en,SARAH.BENNETT@example.org,,,",
        "Noah Smith,Class 1A,,,,,,,",
        name="grown.csv",
    )

    summary = _import(db, settings, clock, grown)

    assert _counts(summary) == (1, 2, 1, 0, 2, 1)
    assert str(summary) == (
        "Riverside: created 1 class, 2 students, 1 family member, 0 staff members, "
        "2 partnership memberships and 1 invite."
    )
    assert [i.person.name for i in summary.invites] == ["James Bennett"]
    sarah = _person(session, "Sarah Bennett")
    assert open_invite_count(session=session, person_id=sarah.id, now=clock()) == 1
    assert _member(session, "Sarah Bennett", "Ruby Bennett").key_contact
    assert not _member(session, "James Bennett", "Oliver Bennett").key_contact  # Sarah already is
    (noah,) = find_students(session=session, name="Noah Smith")
    assert family_of(session=session, student_id=noah.id) == []


def test_namesakes_in_one_class_are_told_apart_by_student_id(db, settings, clock, session, tmp_path):
    path = _csv(
        tmp_path,
        "Mohammed Ali,Class 5C,Fatima Ali,mother,ar,fatima.ali@example.org,,,S2001",
        "Mohammed Ali,Class 5C,Layla Ali,mother,ar,layla.ali@example.org,,,S2002",
        "Mohammed Ali,Class 5C,Omar Ali,father,ar,,,,S2002",
    )

    assert _counts(_import(db, settings, clock, path)) == (1, 2, 3, 0, 3, 3)
    first, second = find_students(session=session, name="Mohammed Ali")
    assert [p.name for p in family_of(session=session, student_id=first.id)] == ["Fatima Ali"]
    assert [p.name for p in family_of(session=session, student_id=second.id)] == ["Layla Ali", "Omar Ali"]


def test_a_bom_and_header_case_are_accepted_and_optional_columns_may_be_left_out(
    db, settings, clock, session, tmp_path
):
    path = tmp_path / "excel.csv"
    path.write_text(
        "Student,Class,Family_Member,Language\nYusuf Haddad,3B,Amina Haddad,AR\n", encoding="utf-8-sig"
    )

    assert _counts(_import(db, settings, clock, path)) == (1, 1, 1, 0, 1, 1)
    assert _person(session, "Amina Haddad").language == "ar"


def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(db, settings, clock, tmp_path):
    path = _csv(
        tmp_path,
        "Oliver Bennett,Class 3B,Sarah Bennett,mother,en,sarah.bennett@example.org,,,",
        ",Class 3B,Ana López,mother,es,,,,",
        "Sofía García,Class 3B,Carlos García,father,klingon,carlos@example,,,",
        "Yusuf Haddad,,Amina Haddad,mother,ar,,12,@ab,",
        "Mai Nguyen,Class 4A,,,vi,,,,",
        "Oliver Bennett,Class 3B,Sarah Bennett,mother,en,sarah.bennett@example.org,,,",
        "Wei Chen,Class 4A,Li Chen,father,zh,sarah.bennett@example.org,,,",
    )

    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, path)

    assert raised.value.problems == [
        "roster.csv line 3: missing student name",
        "roster.csv line 4: unknown language 'klingon' (use one of en, es, ar, zh-Hans, vi, fr)",
        "roster.csv line 4: malformed e-mail address 'carlos@example'",
        "roster.csv line 5: missing class",
        "roster.csv line 5: malformed phone number '12'",
        "roster.csv line 5: malformed Telegram username '@ab' (5–32 letters, digits or _)",
        "roster.csv line 6: family_member is empty but the row gives their details",
        "roster.csv line 7: Sarah Bennett is listed twice for Oliver Bennett",
        "roster.csv line 8: e-mail sarah.bennett@example.org is already Sarah Bennett's (line 2)",
    ]
    assert set(_rows(db).values()) == {0}  # not even the school


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "roster.csv: is empty; its first row must name the columns"),
        (
            "student,class,family_member,e-mail\n",
            "roster.csv: unknown column e-mail; the columns are "
            "student, class, family_member, relationship, language, email, phone, telegram, student_id, role",
        ),
        (
            "student,family_member\n",
            "roster.csv: has no column class (its columns are: student, family_member)",
        ),
        (
            HEADER + "Ana,3B,Eva,mother,es,,,,S1\nAna,4A,Luis,father,es,,,,S1\n",
            "roster.csv line 3: student_id S1 is Ana in 3B on line 2",
        ),
        (
            HEADER + "Ana,3B,Eva,mother,es,,,,S1\nAna,3B,Luis,father,es,,,,\n",
            "roster.csv line 3: Ana in 3B has a student_id on one row and not on another (line 2); "
            "give it on every row, or on none",
        ),
        (
            HEADER + "Ana,3B,Eva,mother,es,eva@example.org,,,\nLuis,3B,Eva,mother,fr,eva@example.org,,,\n",
            "roster.csv line 3: Eva's language differs from line 2",
        ),
        (
            HEADER + "Ana,3B,Eva,mother,es,,,,,extra\n",
            "roster.csv line 2: has 10 values but the header names 9 columns",
        ),
    ],
)
def test_file_level_and_cross_row_problems(db, settings, clock, tmp_path, content, problem):
    path = tmp_path / "roster.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, path)

    assert raised.value.problems == [problem]


def test_a_file_that_is_not_utf8_is_refused(db, settings, clock, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes((HEADER + "Sofía García,3B,Carlos García,father,es,,,,\n").encode("latin-1"))

    with pytest.raises(RosterError, match="is not UTF-8 text"):
        _import(db, settings, clock, path)


@pytest.mark.parametrize(
    ("given", "tag"),
    [
        ("ES", "es"),
        ("es-MX", "es"),
        ("zh_hans", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("Arabic", "ar"),
        ("español", "es"),
        ("中文", "zh-Hans"),
        ("Tiếng Việt", "vi"),
        ("", "en"),
    ],
)
def test_languages_are_accepted_by_tag_alias_or_name(db, settings, clock, session, tmp_path, given, tag):
    _import(db, settings, clock, _csv(tmp_path, f"Ana,3B,Eva Ruiz,mother,{given},,,,"))

    assert _person(session, "Eva Ruiz").language == tag


@pytest.mark.parametrize("given", ["klingon", "xx", "de", "zhuang", "Spanglish"])
def test_unknown_languages_are_refused(db, settings, clock, tmp_path, given):
    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, _csv(tmp_path, f"Ana,3B,Eva Ruiz,mother,{given},,,,"))

    assert raised.value.problems == [
        f"roster.csv line 2: unknown language {given!r} (use one of en, es, ar, zh-Hans, vi, fr)"
    ]


def test_a_path_that_is_no_roster_is_refused(db, settings, clock, tmp_path):
    (tmp_path / "roster.xlsx").write_bytes(b"PK")

    with pytest.raises(RosterError, match=r"expected a \.csv file, or a OneRoster folder or \.zip"):
        _import(db, settings, clock, tmp_path / "roster.xlsx")
    with pytest.raises(RosterError, match="no such file or folder"):
        _import(db, settings, clock, tmp_path / "missing.csv")


def _zip(folder: Path, target: Path) -> Path:
    """A OneRoster .zip as some systems export it: the files inside a folder of their own."""
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"export/{file.name}")
    return target


@pytest.mark.parametrize("packed", ["folder", "zip"])
def test_a_oneroster_export_links_parents_and_class_staff(db, settings, clock, session, tmp_path, packed):
    path = EXAMPLES / "oneroster" if packed == "folder" else _zip(EXAMPLES / "oneroster", tmp_path / "or.zip")

    summary = _import(db, settings, clock, path)

    assert _counts(summary) == (2, 4, 5, 3, 14, 5)
    assert {i.person.name for i in summary.invites} == {
        "Sarah Bennett",
        "James Bennett",
        "Carlos García",
        "Amina Haddad",
        "Thu Nguyen",
    }
    family = {
        name: [
            p.name
            for p in family_of(session=session, student_id=find_students(session=session, name=name)[0].id)
        ]
        for name in ("Oliver Bennett", "Sofía García", "Yusuf Haddad", "Mai Nguyen")
    }
    assert family == {
        "Oliver Bennett": ["Sarah Bennett", "James Bennett"],  # named on both sides, linked once
        "Sofía García": ["Carlos García"],  # named on the student's row only
        "Yusuf Haddad": ["Amina Haddad"],  # named on the parent's row only
        "Mai Nguyen": ["Thu Nguyen"],
    }
    assert _member(session, "Carlos García", "Sofía García").relationship == "guardian"
    class_3b = find_class(session=session, name="Class 3B")
    assert class_3b.external_id == "cls-3b"
    everyone = ["Mai Nguyen", "Oliver Bennett", "Sofía García", "Yusuf Haddad"]
    for name, role, external_id in (
        ("Emma Clarke", Role.TEACHER, "tch-3001"),
        ("Daniel Lee", Role.SUPPORT_STAFF, "aid-3003"),
    ):
        person = _person(session, name)
        assert (person.role, person.external_id) == (role, external_id)
        assert [m.student_name for m in memberships_of(session=session, person_id=person.id)] == everyone
    okafor = _person(session, "Ruth Okafor")  # Music teacher: Yusuf only, Oliver's enrolment is tobedeleted
    assert [m.student_name for m in memberships_of(session=session, person_id=okafor.id)] == ["Yusuf Haddad"]
    (yusuf,) = find_students(session=session, name="Yusuf Haddad")
    assert yusuf.class_id == class_3b.id  # the homeroom, not Music
    emma = _member(session, "Emma Clarke", "Yusuf Haddad")
    assert (emma.relationship, emma.involvement, emma.key_contact) == ("teacher", "adviser", False)
    assert _person(session, "Sarah Bennett").external_id == "par-2001"
    assert _person(session, "Amina Haddad").language == "ar"  # metadata.language
    assert _person(session, "James Bennett").language == "en"  # the school's default
    for skipped in (
        "Leo Walker",
        "Pat Walker",
        "Helen Wright",
    ):  # tobedeleted, only his parent, administrator
        assert find_people(session=session, name=skipped) == []
        assert find_students(session=session, name=skipped) == []

    before = _rows(db)
    assert _counts(_import(db, settings, clock, path)) == (0, 0, 0, 0, 0, 0)
    assert _rows(db) == before


def _oneroster(tmp_path: Path) -> Path:
    folder = tmp_path / "oneroster"
    shutil.copytree(EXAMPLES / "oneroster", folder)
    return folder


def _edit(path: Path, old: str = "", new: str = "", *, append: str = "") -> None:
    text = path.read_text(encoding="utf-8")
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text + (f"{append}\n" if append else ""), encoding="utf-8")


def test_oneroster_problems_are_all_reported_and_nothing_is_imported(db, settings, clock, tmp_path):
    folder = _oneroster(tmp_path)
    users, classes, enrollments = folder / "users.csv", folder / "classes.csv", folder / "enrollments.csv"
    _edit(classes, append="cls-art,active,,,03,,ART,scheduled,,,,,,")
    _edit(enrollments, append="enr-11,active,,cls-pe,org-riverside,stu-1001,student,false,,")
    _edit(enrollments, append="enr-12,active,,cls-3b,org-riverside,stu-9999,student,false,,")
    _edit(users, ",Mai,Nguyen,,1004,,,,par-2005,", ",,,,1004,,,,par-2099,")
    _edit(users, ",guardian,", ",uncle,")
    _edit(users, "thu.nguyen@example.org,,,,,,vi", "thu.nguyen,,,,,,Klingon")
    _edit(users, append="tch-3001,active,,true,org-riverside,teacher,,,Emma,Clarke,,,,,,,,,")

    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, folder)

    assert raised.value.problems == [
        "classes.csv line 4: missing title",
        "enrollments.csv line 12: unknown class 'cls-pe' (not in classes.csv)",
        "enrollments.csv line 13: unknown user 'stu-9999' (not in users.csv)",
        "users.csv line 5: missing givenName and familyName",
        "users.csv line 5: agentSourcedIds names unknown user 'par-2099'",
        "users.csv line 9: unknown role 'uncle'",
        "users.csv line 11: malformed e-mail address 'thu.nguyen'",
        "users.csv line 11: unknown language 'Klingon' (use one of en, es, ar, zh-Hans, vi, fr)",
        "users.csv line 17: duplicate sourcedId tch-3001 (line 13)",
    ]
    assert set(_rows(db).values()) == {0}


def test_oneroster_agents_must_name_the_other_side(db, settings, clock, tmp_path):
    folder = _oneroster(tmp_path)
    _edit(folder / "users.csv", '"par-2001,par-2002"', '"par-2001,tch-3001"')

    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, folder)

    assert raised.value.problems == [
        "users.csv line 2: agentSourcedIds names tch-3001, a teacher, not a parent, guardian or relative"
    ]


def test_a_oneroster_export_must_have_its_three_files(db, settings, clock, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(EXAMPLES / "oneroster" / "users.csv", folder)

    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, folder)

    needs = "(a OneRoster 1.1 export needs users.csv, classes.csv, enrollments.csv)"
    assert raised.value.problems == [
        f"export: has no classes.csv {needs}",
        f"export: has no enrollments.csv {needs}",
    ]


def _cli(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARTNERBOT_DATABASE_URL": database_url, "PARTNERBOT_LOG_LEVEL": "WARNING"}
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_the_command_imports_and_writes_invites_to_a_csv(db, database_url, session, tmp_path):
    invites = tmp_path / "invites.csv"

    done = _cli(
        tmp_path, database_url, "import", str(EXAMPLES / "roster.csv"), "--school", "Riverside Primary"
    )
    again = _cli(
        tmp_path, database_url, "import", str(EXAMPLES / "roster.csv"), "--invites-csv", str(invites)
    )

    assert done.returncode == 0, done.stderr
    assert "Riverside Primary: created 2 classes, 7 students, 8 family members, 0 staff members" in " ".join(
        done.stdout.split()
    )
    assert "Amina Haddad" in done.stdout
    assert again.returncode == 0, again.stderr
    assert "0 staff members, 0 partnership memberships and 0 invites." in " ".join(again.stdout.split())
    with invites.open(encoding="utf-8") as file:
        assert list(csv.reader(file)) == [["person", "code", "expires"]]
    assert first_school(session=session).name == "Riverside Primary"


def test_the_command_writes_new_codes_to_an_owner_only_csv(db, database_url, tmp_path):
    invites = tmp_path / "invites.csv"

    done = _cli(tmp_path, database_url, "import", str(EXAMPLES / "oneroster"), "--invites-csv", str(invites))

    assert done.returncode == 0, done.stderr
    with invites.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [row["person"] for row in rows] == [
        "Sarah Bennett",
        "James Bennett",
        "Carlos García",
        "Amina Haddad",
        "Thu Nguyen",
    ]
    assert all(len(row["code"]) == 32 and row["expires"].endswith("+00:00") for row in rows)
    assert rows[0]["code"] not in done.stdout
    assert invites.stat().st_mode & 0o077 == 0


def test_the_command_reports_bad_rows_and_exits_2(db, database_url, tmp_path):
    path = _csv(tmp_path, "Ana,3B,Eva,mother,klingon,,,,")

    done = _cli(tmp_path, database_url, "import", str(path))

    assert done.returncode == 2
    assert "Nothing was imported" in done.stderr
    assert "roster.csv line 2: unknown language 'klingon'" in " ".join(done.stderr.split())


def test_the_command_refuses_a_database_that_is_not_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"

    done = _cli(tmp_path, url, "import", str(EXAMPLES / "roster.csv"))

    assert done.returncode == 2
    assert "partnerbot db upgrade" in " ".join(done.stderr.split())
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one() == 0
    engine.dispose()


def test_names_lose_the_invisible_characters_that_would_disguise_them(db, settings, clock, session, tmp_path):
    """U+202E would show "Amina\u202eahdaH" reversed; a zero-width space would make a second "Amina"
    look like the first. Both go at import; a ZWNJ, which Persian names spell with, stays."""
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,class,family_member,relationship\n"
        "Yusuf Haddad,Class 3B,Ami\u200bna \u202eHaddad\u202c,mother\n"
        "Dariush Karimi,Class 3B,Mehr\u200cnaz Karimi,mother\n",
        encoding="utf-8",
    )
    _import(db, settings, clock, roster)
    names = set(session.execute(select(Person.name)).scalars())
    assert {"Amina Haddad", "Mehr\u200cnaz Karimi"} <= names


def test_a_semicolon_csv_from_a_spanish_or_french_excel_is_read(db, settings, clock, session, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        "student;class;family_member;relationship;language;email\n"
        "Sofía García;Class 3B;Carlos García;padre;es;carlos@example.org\n",
        encoding="utf-8",
    )
    assert _counts(_import(db, settings, clock, path))[:3] == (1, 1, 1)
    assert _member(session, "Carlos García", "Sofía García").relationship == "padre"


@pytest.mark.parametrize("given", ["zh-TW", "zh_Hant", "zh-HK", "繁體中文"])
def test_traditional_chinese_is_reported_not_mapped_to_simplified(db, settings, clock, tmp_path, given):
    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, _csv(tmp_path, f"Wei Chen,4A,Li Chen,father,{given},,,,"))

    assert raised.value.problems == [
        f"roster.csv line 2: language {given!r} (Traditional Chinese) is not supported yet; use one of "
        "en, es, ar, zh-Hans, vi, fr, or leave it empty for the school's default"
    ]


def test_the_csv_imports_staff_for_a_student_or_a_whole_class(db, settings, clock, session, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        "student,class,family_member,relationship,email,role\n"
        "Oliver Bennett,Class 3B,Sarah Bennett,mother,sarah@example.org,\n"
        "Yusuf Haddad,Class 3B,Amina Haddad,mother,amina@example.org,\n"
        ",Class 3B,Emma Clarke,class teacher,emma@school.example,teacher\n"
        "Yusuf Haddad,Class 3B,Priya Patel,speech therapist,,external\n"
        "Yusuf Haddad,Class 3B,Bob Stone,,,janitor\n",
        encoding="utf-8",
    )
    with pytest.raises(RosterError) as raised:
        _import(db, settings, clock, path)
    assert raised.value.problems == [
        "roster.csv line 6: unknown role 'janitor' (leave it empty for family, or use teacher, "
        "support, leader or external)"
    ]
    path.write_text(
        path.read_text(encoding="utf-8").rsplit("Yusuf Haddad,Class 3B,Bob", 1)[0], encoding="utf-8"
    )

    summary = _import(db, settings, clock, path)

    assert (summary.family, summary.staff) == (2, 2)
    assert "2 staff members" in str(summary)
    assert {i.person.name for i in summary.invites} == {"Sarah Bennett", "Amina Haddad"}
    emma = _person(session, "Emma Clarke")
    assert emma.role is Role.TEACHER
    assert sorted(m.student_name for m in memberships_of(session=session, person_id=emma.id)) == [
        "Oliver Bennett",
        "Yusuf Haddad",
    ]
    priya = _member(session, "Priya Patel", "Yusuf Haddad")
    assert (priya.relationship, priya.involvement) == ("speech therapist", "adviser")
    assert _person(session, "Priya Patel").role is Role.EXTERNAL


def test_the_csv_then_the_oneroster_export_of_one_school_makes_no_duplicate_students(
    db, settings, clock, session, tmp_path
):
    _import(db, settings, clock, EXAMPLES / "roster.csv")

    summary = _import(db, settings, clock, EXAMPLES / "oneroster")

    assert summary.matched == ("Oliver Bennett", "Sofía García", "Yusuf Haddad")
    assert "Matched 3 students already there by name and class (their ids differ)" in str(summary)
    for name in summary.matched:
        assert len(find_students(session=session, name=name)) == 1
    assert summary.family == 0  # the parents were matched too, by e-mail
    (yusuf,) = find_students(session=session, name="Yusuf Haddad")
    school_side = {p.name for p in _school_side(session, yusuf.id)}
    assert "Emma Clarke" in school_side


def _school_side(session, student_id):
    from storage.people import school_side_of

    return school_side_of(session=session, student_id=student_id)
