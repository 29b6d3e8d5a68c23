"""Alembic environment: uses the engine handed over by `storage.db.alembic_config`, or the
`sqlalchemy.url` of the Alembic config (the usual option, for running `alembic` by hand). It
imports nothing from the bot: the caller that knows the settings chooses the database."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata
from storage.errors import ConfigurationError

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from storage.db import make_engine

        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise ConfigurationError(
                "No database to migrate: set sqlalchemy.url, or run `partnerbot db upgrade`"
            )
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
