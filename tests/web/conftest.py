"""Dashboard fixtures: the app's web app over ASGI (httpx), and signing in as someone through the link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import App
from bot.settings import Settings
from storage.db import session_scope
from storage.ids import id_of
from storage.models import Involvement, Person, Role
from storage.people import find_students
from storage.school import (
    add_member,
    add_person,
    first_school,
    get_or_create_class,
    get_or_create_student,
    partnership_for,
)
from tests.harness import Chat

LINK = re.compile(r"(https?://\S+/dashboard/sign-in/\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        timezone="Europe/London",
        secret_key="a-test-signing-key-of-the-dashboard-tests",
        secret_key_file=str(tmp_path / "unused.key"),
        _env_file=None,
    )


@pytest.fixture
async def web(app: App) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the web app `partnerbot run` serves (cookies kept)."""
    transport = httpx.ASGITransport(app=app.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        yield client


async def link_for(person: Chat) -> str:
    """Ask the bot for a sign-in link, as that person, and return its path."""
    replies = await person.say("/dashboard")
    found = LINK.search(replies[0].text)
    assert found, replies[0].text
    return httpx.URL(found.group(1)).path


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


async def sign_in(web: httpx.AsyncClient, person: Chat) -> httpx.Response:
    """Through the link: GET shows the button, POST (with its CSRF token) signs in; returns the POST."""
    path = await link_for(person)
    shown = await web.get(path)
    assert shown.status_code == 200, shown.text
    return await web.post(path, data={"csrf": csrf_of(shown.text)})


@pytest.fixture
async def people(join) -> dict[str, Chat]:  # type: ignore[no-untyped-def]
    """Emma (teacher), Daniel (support staff), Priya (outside partner) and three families joined."""
    joined: dict[str, Chat] = await join(
        ("Emma", "English"),
        ("Daniel", "العربية"),
        ("Priya", "English"),
        ("Sarah", "English"),
        ("Carlos", "Español"),
        ("Amina", "العربية"),
    )
    return joined


@pytest.fixture
async def others(db, join, school) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Another class (4A: Mia Novak, her teacher Tom Reed) and a school leader, Grace Hall, joined."""
    with session_scope(db) as session:
        school_id = id_of(first_school(session=session))
        group = get_or_create_class(session=session, school_id=school_id, name="Class 4A")
        mia, _ = get_or_create_student(
            session=session, school_id=school_id, class_id=group.id, name="Mia Novak"
        )
        tom = add_person(
            session=session, person=Person(school_id=school_id, name="Tom Reed", role=Role.TEACHER)
        )
        add_person(session=session, person=Person(school_id=school_id, name="Grace Hall", role=Role.LEADER))
        add_member(
            session=session,
            partnership=partnership_for(session=session, student_id=id_of(mia)),
            person=tom,
            involvement=Involvement.ADVISER,
            relationship="class teacher",
        )
        mia_id = id_of(mia)
    joined = await join(("Tom", "English"), ("Grace", "English"))
    return {"Tom": joined["Tom"], "Grace": joined["Grace"], "mia_id": mia_id}


def student_id(db, name: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(db) as session:
        return id_of(find_students(session=session, name=name)[0])


def a_grandmother_not_joined(db) -> None:  # type: ignore[no-untyped-def]
    """Hoda Haddad, Yusuf's grandmother (Class 3B), reads Arabic and has no account yet."""
    with session_scope(db) as session:
        yusuf = find_students(session=session, name="Yusuf Haddad")[0]
        hoda = add_person(
            session=session,
            person=Person(school_id=yusuf.school_id, name="Hoda Haddad", role=Role.PARENT, language="ar"),
        )
        add_member(
            session=session,
            partnership=partnership_for(session=session, student_id=id_of(yusuf)),
            person=hoda,
            involvement=Involvement.INFORMED,
            relationship="grandmother",
        )
