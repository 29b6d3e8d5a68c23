"""Database engine, sessions and schema migrations (Alembic, driven from code)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlmodel import Session as Session  # re-exported: the bot types its sessions without importing SQL
from sqlmodel import create_engine

from storage.errors import ConfigurationError, SchemaOutOfDate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, busy_timeout_s: float = 30.0) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys so it behaves like a server database, and
    waits up to `busy_timeout_s` for another writer's lock before it raises "database is locked".
    A URL that cannot work is refused with what to do (the URL itself may hold a password: not shown)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            "PARTNERBOT_DATABASE_URL is not a database URL: use sqlite:///partnerbot.db "
            "or postgresql+psycopg://user:password@host/database"
        ) from None
    if url.startswith("sqlite"):
        if sqlite3.sqlite_version_info < (3, 35):  # INSERT … RETURNING records each event once
            raise ConfigurationError(
                f"partnerbot needs SQLite 3.35 or newer; this Python has {sqlite3.sqlite_version}"
            )
        _create_private(parsed.database)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        raise ConfigurationError(
            f"PARTNERBOT_DATABASE_URL needs a database driver that is not installed ({exc}): for "
            "PostgreSQL, pip install 'partnerbot[postgres]' and use postgresql+psycopg://…"
        ) from None


def _create_private(database: str | None) -> None:
    """A new SQLite file is its owner's alone (0600): it holds families' names and chats. SQLite
    gives its -wal and -shm files the database's own mode."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:  # a folder that is not there, or not ours
        raise ConfigurationError(
            f"PARTNERBOT_DATABASE_URL: cannot create the SQLite file {database} ({exc.strerror}): "
            "create its folder, or give another path"
        ) from None


def is_transient(exc: BaseException) -> bool:
    """A database error that passes by itself: SQLite busy or locked past its timeout, a connection
    dropped or refused (a server restarting). Not a schema or constraint error: trying again won't help."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.OperationalError):
        return any(word in str(exc.orig).lower() for word in ("locked", "busy"))
    return True  # psycopg raises OperationalError for connections lost or refused


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, one process at a time on PostgreSQL (several starting
    together: the first migrates, the others wait for it and then find nothing to do)."""
    from storage.locks import exclusive

    with exclusive(engine, "migrations"):
        command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_problem(engine: Engine) -> str | None:
    """Why this database cannot serve this code now (unreachable, schema not current); None: it can."""
    try:
        current = current_revision(engine)
    except (OperationalError, DBAPIError):
        return "database: unreachable"
    if current != head_revision():
        return f"migrations: at {current or 'none'}, need {head_revision()}"
    return None


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a schema older (or newer) than this code's migrations."""
    current = current_revision(engine)
    if current != head_revision():
        raise SchemaOutOfDate(
            f"The database schema is at revision {current or 'none'} but this version of "
            f"partnerbot needs {head_revision()}: run `partnerbot db upgrade`."
        )
