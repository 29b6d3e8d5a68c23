"""PostgreSQL dropping every connection (a restart, a fail-over, an idle timeout) between two
events: the next event is recorded, handled and answered on fresh connections."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _backends


def cut_every_connection(url: str) -> int:
    """Terminate every other session on the test database, as a server restart does."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.parametrize("database_url", [_backends()[1]], indirect=True)
async def test_a_family_is_answered_after_postgresql_dropped_every_connection(join, database_url, app):
    amina = (await join(("Amina", "English")))["Amina"]
    assert cut_every_connection(database_url) >= 1

    answer = await amina.say("/help")

    assert answer  # recorded, handled and answered: no error, no apology
    assert "sorry" not in answer[-1].text.lower()
    with app.db.connect() as connection:  # and the pool is healthy again
        assert connection.execute(text("SELECT 1")).scalar() == 1
