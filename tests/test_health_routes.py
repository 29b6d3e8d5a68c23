"""/readyz (ready only when the database answers and its schema is current) and /metrics."""

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


async def test_metrics_count_the_outbox_by_channel_and_status_with_no_personal_data(db, settings, tmp_path):
    from tests.test_dispatch_processes import FIRST_CHAT, queue_broadcast

    await queue_broadcast(db, settings, tmp_path, 3)
    app = build_app(settings, {}, db=db, translator=NoTranslator())
    transport = httpx.ASGITransport(app=app.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert 'partnerbot_deliveries{channel="telegram",status="pending"} 3.0' in scraped.text
    assert 'partnerbot_oldest_due_seconds{channel="telegram"}' in scraped.text
    assert "partnerbot_send_seconds" in scraped.text
    assert "Parent" not in scraped.text and str(FIRST_CHAT) not in scraped.text
