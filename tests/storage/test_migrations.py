"""Migrations: the Alembic head matches the models, and the app refuses an out-of-date schema."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from bot.app import build_app
from bot.errors import SchemaOutOfDate
from storage.db import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    make_engine,
    upgrade,
)


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
