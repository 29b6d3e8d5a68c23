"""Migrations: the Alembic head matches the models, and the app refuses an out-of-date schema."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from bot.app import build_app
from bot.errors import SchemaOutOfDate
from bot.events import Content
from storage.db import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    make_engine,
    upgrade,
)
from storage.models import Delivery


def test_the_migrations_build_exactly_the_models(db):
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    assert current_revision(db) == head_revision()


def test_an_unmigrated_database_is_refused_with_a_clear_message(settings):
    empty = make_engine(settings.database_url)
    with pytest.raises(SchemaOutOfDate, match="partnerbot db upgrade"):
        build_app(settings, {}, db=empty)
    upgrade(empty)
    ensure_current(empty)
    empty.dispose()


def test_an_older_schema_is_refused(db, settings):
    command.downgrade(alembic_config(db), "base")
    with pytest.raises(SchemaOutOfDate, match="none"):
        ensure_current(db)


def test_alembic_run_by_hand_migrates_the_database_its_config_names(database_url):
    """Without an engine handed over, the environment takes `sqlalchemy.url`, as Alembic's own does."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, "head")
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_structured_deliveries_backfill_an_old_row_as_one_paragraph(db):
    """A delivery queued before 0009 held plain text: it becomes a one-paragraph document that
    renders to the same text, and going back restores the text."""
    command.downgrade(alembic_config(db), "0008")
    with db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO message (kind, text, language, urgent, details, created_at)"
                " VALUES ('update', 'Hi', 'en', false, '{}', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO delivery (message_id, priority, channel, address, language, text, buttons,"
                " rtl, urgent, with_photo, status, attempts, ambiguous)"
                " VALUES ((SELECT max(id) FROM message), 2, 'console', 'a', 'en', :text, '[]',"
                " false, false, false, 'pending', 0, false)"
            ),
            {"text": "Learning highlights\n\nWe planted beans."},
        )
    upgrade(db)
    with Session(db) as session:
        [delivery] = session.exec(select(Delivery)).all()
    content = Content.from_json(delivery.content)
    assert content == Content.plain("Learning highlights\n\nWe planted beans.")
    assert content.to_plain() == "Learning highlights\n\nWe planted beans."
    command.downgrade(alembic_config(db), "0008")
    with db.connect() as connection:
        assert connection.execute(text("SELECT text FROM delivery")).scalar_one() == content.to_plain()
    upgrade(db)
