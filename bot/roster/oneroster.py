"""OneRoster 1.1 CSV — a folder or .zip of users.csv, classes.csv, enrollments.csv — read into a Roster.

Students are users with role student. Parents, guardians and relatives join a student's
partnership when either side names the other in agentSourcedIds; teachers and aides join
the partnerships of the students in their classes. Rows whose status is tobedeleted are
skipped, and so is anything that refers only to them. sourcedId becomes the external id.
"""

from __future__ import annotations

import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.roster.rows import (
    ClassRow,
    MemberRow,
    PersonRow,
    Problems,
    Record,
    Roster,
    StudentRow,
    clean_name,
    decode,
    parse_email,
    parse_language,
    parse_phone,
    read_csv,
)
from storage.models import Involvement, Role

USERS, CLASSES, ENROLLMENTS = "users.csv", "classes.csv", "enrollments.csv"
_COLUMNS = {
    USERS: [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "metadata.language",
    ],
    CLASSES: [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    ENROLLMENTS: [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
}
_REQUIRED = {
    USERS: ("sourcedId", "role", "givenName", "familyName"),
    CLASSES: ("sourcedId", "title"),
    ENROLLMENTS: ("sourcedId", "classSourcedId", "userSourcedId"),
}
_FAMILY_ROLES = frozenset({"parent", "guardian", "relative"})
_STAFF_ROLES = {"teacher": Role.TEACHER, "aide": Role.SUPPORT_STAFF}
_INVOLVEMENT = {"teacher": Involvement.ADVISER, "aide": Involvement.SUPPORT}  # family: the default, informed
_OTHER_ROLES = frozenset({"administrator", "proctor"})  # valid OneRoster roles with no place in a partnership


@dataclass(frozen=True, slots=True, kw_only=True)
class _User:
    record: Record
    role: str  # the OneRoster role, lower case
    name: str
    agents: tuple[str, ...]
    person: PersonRow | None  # None for students, who are not people who get messages


def read_oneroster(path: Path) -> Roster:
    """Read and check a OneRoster folder or .zip; RosterError lists every problem found."""
    problems = Problems()
    texts = _texts(path, problems)
    problems.check()
    roster = parse_oneroster(texts, problems)
    problems.check()
    return roster


def _texts(path: Path, problems: Problems) -> dict[str, str]:
    """The three files' text; a .zip may keep them in a folder of its own."""
    if path.is_dir():
        raw = {name: (path / name).read_bytes() for name in _COLUMNS if (path / name).is_file()}
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                members = {PurePosixPath(info.filename).name: info for info in archive.infolist()}
                raw = {name: archive.read(members[name]) for name in _COLUMNS if name in members}
        except zipfile.BadZipFile:
            problems.add(path.name, "is not a readable .zip file")
            return {}
    for name in _COLUMNS:
        if name not in raw:
            problems.add(path.name, f"has no {name} (a OneRoster 1.1 export needs {', '.join(_COLUMNS)})")
    return {name: decode(data, name) for name, data in raw.items()}


def _active(text: str, source: str, problems: Problems) -> tuple[dict[str, Record], set[str]]:
    """Rows by sourcedId, and the ids marked tobedeleted; a missing or repeated sourcedId is a problem."""
    rows: dict[str, Record] = {}
    deleted: set[str] = set()
    for record in read_csv(
        text,
        source=source,
        columns=_COLUMNS[source],
        required=_REQUIRED[source],
        problems=problems,
        strict=False,
    ):
        sourced_id = record["sourcedId"]
        if not sourced_id:
            problems.add(record, "missing sourcedId")
        elif sourced_id in rows or sourced_id in deleted:
            first = rows.get(sourced_id)
            problems.add(
                record, f"duplicate sourcedId {sourced_id}" + (f" (line {first.line})" if first else "")
            )
        elif record["status"].casefold() == "tobedeleted":
            deleted.add(sourced_id)
        else:
            rows[sourced_id] = record
    return rows, deleted


def parse_oneroster(texts: dict[str, str], problems: Problems) -> Roster:
    """Build the roster from the three files' text, noting every problem in `problems`."""
    user_rows, skipped = _active(texts[USERS], USERS, problems)
    users = _users(user_rows, skipped, problems)
    class_rows, skipped_classes = _active(texts[CLASSES], CLASSES, problems)
    classes = _classes(class_rows, problems)
    enrollment_rows, _ = _active(texts[ENROLLMENTS], ENROLLMENTS, problems)
    student_classes: dict[str, list[str]] = defaultdict(list)
    class_staff: dict[str, list[str]] = defaultdict(list)
    for record in enrollment_rows.values():
        class_id, user_id = record["classSourcedId"], record["userSourcedId"]
        if class_id in skipped_classes or user_id in skipped:
            continue
        if class_id not in classes:
            problems.add(record, f"unknown class {class_id!r} (not in {CLASSES})")
        if user_id not in users:
            problems.add(record, f"unknown user {user_id!r} (not in {USERS})")
        if class_id not in classes or user_id not in users:
            continue
        role = users[user_id].role
        if role == "student":
            student_classes[user_id].append(class_id)
        elif role in _STAFF_ROLES:
            class_staff[class_id].append(user_id)
    families = _families(users, skipped, problems)
    students = []
    for user_id, user in users.items():
        if user.role != "student":
            continue
        enrolled = student_classes[user_id]
        homerooms = [c for c in enrolled if class_rows[c]["classType"].casefold() == "homeroom"]
        staff = dict.fromkeys(staff_id for c in enrolled for staff_id in class_staff[c])
        students.append(
            StudentRow(
                name=user.name,
                class_key=next(iter(homerooms or enrolled), None),
                external_id=user_id,
                members=_members(users, [*families[user_id], *staff]),
            )
        )
    return Roster(classes=tuple(classes.values()), students=tuple(students))


def _users(rows: dict[str, Record], skipped: set[str], problems: Problems) -> dict[str, _User]:
    """Students, family and staff by sourcedId; other roles' ids join `skipped`: referring to them is fine."""
    users: dict[str, _User] = {}
    emails: dict[str, Record] = {}
    for sourced_id, record in rows.items():
        role = record["role"].casefold()
        if role in _OTHER_ROLES or role not in {"student", *_FAMILY_ROLES, *_STAFF_ROLES}:
            if role not in _OTHER_ROLES:
                problems.add(record, f"unknown role {record['role']!r}")
            skipped.add(sourced_id)
            continue
        name = clean_name(f"{record['givenName']} {record['familyName']}")
        if not name:
            problems.add(record, "missing givenName and familyName")
        person = None
        if role != "student":
            email = problems.parse(record, parse_email, "email")
            if email and email in emails:
                first = emails[email]
                problems.add(
                    record, f"e-mail {email} is already user {first['sourcedId']}'s (line {first.line})"
                )
            elif email:
                emails[email] = record
            person = PersonRow(
                name=name,
                role=_STAFF_ROLES.get(role, Role.PARENT),
                language=problems.parse(record, parse_language, "metadata.language"),
                email=email,
                phone=problems.parse(record, parse_phone, "phone")
                or problems.parse(record, parse_phone, "sms"),
                external_id=sourced_id,
            )
        agents = tuple(agent.strip() for agent in record["agentSourcedIds"].split(",") if agent.strip())
        users[sourced_id] = _User(record=record, role=role, name=name, agents=agents, person=person)
    return users


def _classes(rows: dict[str, Record], problems: Problems) -> dict[str, ClassRow]:
    """Classes by sourcedId; titles shared by several classes get their classCode so names stay unique."""
    titles = Counter(clean_name(record["title"]) for record in rows.values())
    classes = {}
    for sourced_id, record in rows.items():
        title = clean_name(record["title"])
        if not title:
            problems.add(record, "missing title")
        name = title if titles[title] == 1 else f"{title} ({record['classCode'] or sourced_id})"
        classes[sourced_id] = ClassRow(key=sourced_id, name=name, external_id=sourced_id)
    return classes


def _families(users: dict[str, _User], skipped: set[str], problems: Problems) -> dict[str, list[str]]:
    """Each student's family ids: those the student's row names first, then parent rows naming the student."""
    families: dict[str, list[str]] = defaultdict(list)
    ordered = sorted(users.items(), key=lambda item: item[1].role != "student")
    for user_id, user in ordered:
        if user.role != "student" and user.role not in _FAMILY_ROLES:
            continue
        wanted = "a parent, guardian or relative" if user.role == "student" else "a student"
        for agent in user.agents:
            other = users.get(agent)
            if agent in skipped:
                continue
            if other is None:
                problems.add(user.record, f"agentSourcedIds names unknown user {agent!r}")
            elif not (other.role in _FAMILY_ROLES if user.role == "student" else other.role == "student"):
                problems.add(user.record, f"agentSourcedIds names {agent}, a {other.role}, not {wanted}")
            else:
                student, parent = (user_id, agent) if user.role == "student" else (agent, user_id)
                if parent not in families[student]:
                    families[student].append(parent)
    return families


def _members(users: dict[str, _User], ids: list[str]) -> tuple[MemberRow, ...]:
    """Partnership seats for these users, their OneRoster role standing as the relationship."""
    return tuple(
        MemberRow(
            person=user.person,
            relationship=user.role,
            involvement=_INVOLVEMENT.get(user.role, Involvement.INFORMED),
        )
        for user in (users[user_id] for user_id in ids)
        if user.person is not None
    )
