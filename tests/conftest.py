"""Fixtures: each test gets a migrated database (SQLite, and PostgreSQL when a URL is given)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from sqlalchemy import Engine, create_engine, make_url, text
from sqlmodel import Session

from bot.app import App, build_app
from bot.roster.demo import create_demo_school
from bot.roster.invites import issue_invites
from bot.settings import Settings
from storage.db import make_engine, session_scope, upgrade
from storage.people import find_people
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.harness import Chat, FakeClock, TestChannel

POSTGRES_URL = os.environ.get("PARTNERBOT_TEST_POSTGRES_URL")
LOCALE_DIR = Path(__file__).parent.parent / "bot" / "locale"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the catalogs, so tests see the .po files as they are now."""
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(LOCALE_DIR), "-D", "messages"])


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not str(host).startswith(("127.", "::1", "localhost")):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _backends() -> list[object]:
    postgres = pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL and not os.environ.get("CI"),
            reason="set PARTNERBOT_TEST_POSTGRES_URL (see .ci/postgres.sh) to run on PostgreSQL",
        ),
    )
    return ["sqlite", postgres]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test session's own on the server, so parallel runs do not collide."""
    if not POSTGRES_URL:
        pytest.fail("CI must provide PARTNERBOT_TEST_POSTGRES_URL")
    server = make_url(POSTGRES_URL)
    name = f"partnerbot_test_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'partnerbot.db'}"
    url: str = request.getfixturevalue("postgres_database")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, timezone="Europe/London", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def db(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def school(db: Engine, settings: Settings) -> None:
    with session_scope(db) as session:
        create_demo_school(session=session, settings=settings)


@pytest.fixture
def channel() -> TestChannel:
    return TestChannel()


@pytest.fixture
def mail() -> TestChannel:
    """What the e-mail channel sends, in tests marked `email_channel`."""
    mail = TestChannel()
    mail.name = "email"
    return mail


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    settings: Settings,
    db: Engine,
    channel: TestChannel,
    mail: TestChannel,
    clock: FakeClock,
) -> App:
    """The app on the test channel; with `mail` as its e-mail channel in tests marked
    `email_channel` (else the roster's e-mail accounts are on a channel that does not run)."""
    channels = {"test": channel}
    if request.node.get_closest_marker("email_channel"):
        channels["email"] = mail
    return build_app(settings, channels, db=db, clock=clock)


@pytest.fixture
def libretranslate() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as fake:
        yield fake


@pytest.fixture
def translating_app(
    settings: Settings, db: Engine, channel: TestChannel, clock: FakeClock, libretranslate: FakeLibreTranslate
) -> App:
    """The app translating through LibreTranslate (the loopback fake)."""
    translated = settings.model_copy(
        update={"translator": "libretranslate", "libretranslate_url": libretranslate.url}
    )
    return build_app(translated, {"test": channel}, db=db, clock=clock)


@pytest.fixture
def invite(db: Engine, settings: Settings, clock: FakeClock, school: None):
    """invite("Amina") → a fresh code for that person."""

    def make(name: str) -> str:
        with session_scope(db) as session:
            person = find_people(session=session, name=name)[0]
            return issue_invites(session=session, people=[person], now=clock(), ttl=settings.invite_ttl)[
                0
            ].code

    return make


@pytest.fixture
def chat(app: App, channel: TestChannel):
    """chat("amina-phone") → a Chat for that address."""
    return lambda address, **kw: Chat(app, channel, address, **kw)


@pytest.fixture
def join(chat, invite):  # type: ignore[no-untyped-def]
    """await join(("Emma", "English"), …) → {"Emma": her Chat, …}: each joined with an invite,
    chose their language and closed the settings; `address` names each chat."""

    async def joined(*people: tuple[str, str], address: str = "{name}") -> dict[str, Chat]:
        phones = {}
        for name, language in people:
            phone = chat(address.format(name=name.lower()))
            await phone.say(f"/start {invite(name)}")
            await phone.press(language)
            await phone.say("/cancel")
            phones[name] = phone
        return phones

    return joined


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db) as s:
        yield s
