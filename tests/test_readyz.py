"""/readyz: ready only when the database answers and its schema is current (and every channel is up)."""

from __future__ import annotations

import httpx
from alembic import command

from bot.app import App, build_app
from bot.translation.backends import NoTranslator
from storage.db import alembic_config


async def _readyz(app: App) -> httpx.Response:
    transport = httpx.ASGITransport(app=app.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/readyz")


async def test_readyz_is_ready_on_a_current_schema_and_says_why_not_on_a_stale_one(db, settings):
    app = build_app(settings, {}, db=db, translator=NoTranslator())
    ready = await _readyz(app)
    assert (ready.status_code, ready.text) == (200, "database: ok\nmigrations: current\n")

    command.downgrade(alembic_config(db), "-1")  # a new version started before its upgrade ran
    stale = await _readyz(app)
    assert stale.status_code == 503
    assert stale.text.startswith("migrations: at ")
