"""Dashboard pages: server time of the messages page, a message's page and a partnership page, with
10,000 families (400 classes of 25) and 1,000 messages in the database: 999 highlights and
postcards to one class each and the latest highlight to every family (a third said "Got it", a tenth
unreached). Requests go through the real web app (httpx over ASGI, a signed-in leader's cookie),
so each time is the whole request: session check, queries, template. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
from sqlalchemy import Engine, insert, text

from bench._common import CHANNEL, NOW, Figure, databases, parser, percentile, populate, print_figures
from bot.app import build_app
from bot.events import Content
from bot.settings import Settings
from bot.translation.backends import NoTranslator
from bot.web.dashboard import links
from bot.web.signing import Signer
from storage.db import make_engine
from storage.models import DashboardSession, Delivery, DeliveryStatus, Message, MessageKind, Person, Role
from tests.harness import TestChannel

KEY = "a-bench-signing-key-of-the-dashboard-benchmark"
CLASSES = 400
MESSAGES = 1_000
REQUESTS = 40


def _messages(db: Engine, parent_ids: tuple[int, ...]) -> int:
    """MESSAGES messages and their deliveries; returns the id of the latest (to every family)."""
    classes = len(parent_ids) // 25 or 1
    by_class: dict[int, list[int]] = {}
    for i, pid in enumerate(parent_ids):
        by_class.setdefault(i % classes + 1, []).append(pid)
    messages: list[dict[str, object]] = []
    deliveries: list[dict[str, object]] = []
    for mid in range(1, MESSAGES + 1):
        kind = MessageKind.POSTCARD_TO_HOME if mid % 5 == 0 else MessageKind.HIGHLIGHT
        class_id = mid % classes + 1
        recipients = parent_ids if mid == MESSAGES else by_class[class_id]
        messages.append(
            {
                "id": mid,
                "school_id": 1,
                "kind": kind.value,
                "author_id": 1,
                "class_id": class_id,
                "student_id": None,
                "text": f"Message {mid}: we planted beans. Ask your child what a seed needs.",
                "language": "en",
                "details": {},
                "urgent": False,
                "created_at": NOW + timedelta(minutes=mid),
            }
        )
        for pid in recipients:
            deliveries.append(
                {
                    "message_id": mid,
                    "person_id": pid,
                    "account_id": pid,
                    "channel": CHANNEL,
                    "address": f"parent-{pid}",
                    "language": "en",
                    "content": Content.plain("Hello").to_json(),
                    "buttons": [],
                    "rtl": False,
                    "urgent": False,
                    "with_photo": False,
                    "attempts": 0,
                    "status": (DeliveryStatus.UNREACHED if pid % 10 == 1 else DeliveryStatus.SENT).value,
                    "sent_at": NOW,
                    "acknowledged_at": NOW if pid % 3 == 0 else None,
                    "created_at": NOW,
                }
            )
    with db.begin() as connection:
        connection.execute(insert(Message.__table__), messages)  # type: ignore[attr-defined]
        for start in range(0, len(deliveries), 5_000):
            connection.execute(insert(Delivery.__table__), deliveries[start : start + 5_000])  # type: ignore[attr-defined]
        if db.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('message', 'id'), 1000000)"))
    return MESSAGES


def _home_learning(db: Engine) -> None:
    """Five postcards to student 1's family, each answered from home."""
    rows = []
    for n in range(5):
        to_home, from_home = 2_000_001 + 2 * n, 2_000_002 + 2 * n
        rows += [
            {"id": to_home, "kind": MessageKind.POSTCARD_TO_HOME.value, "author_id": 1, "answers_id": None},
            {
                "id": from_home,
                "kind": MessageKind.POSTCARD_FROM_HOME.value,
                "author_id": 2,
                "answers_id": to_home,
            },
        ]
    with db.begin() as connection:
        connection.execute(
            insert(Message.__table__),  # type: ignore[attr-defined]
            [
                {
                    **row,
                    "school_id": 1,
                    "class_id": 1,
                    "student_id": 1,
                    "text": "Count the stairs together.",
                    "language": "en",
                    "details": {"title": "Counting stairs", "outcome": "well"},
                    "urgent": False,
                    "created_at": NOW,
                }
                for row in rows
            ],
        )


def _signed_in_leader(db: Engine, signer: Signer, families: int) -> str:
    """A school leader with a live session; returns the session cookie."""
    token = links.new_session_token()
    with db.begin() as connection:
        leader_id = families + 2
        connection.execute(
            insert(Person.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": leader_id,
                    "school_id": 1,
                    "name": "Grace Hall",
                    "role": Role.LEADER.value,
                    "language": "en",
                    "timezone": "Europe/London",
                    "frequency": "immediate",
                }
            ],
        )
        connection.execute(
            insert(DashboardSession.__table__),  # type: ignore[attr-defined]
            [
                {
                    "token_hash": links.token_hash(token),
                    "person_id": leader_id,
                    "created_at": NOW,
                    "expires_at": NOW + timedelta(hours=8),
                }
            ],
        )
    return links.session_cookie(signer, token)


async def _times(client: httpx.AsyncClient, path: str, expect: str) -> list[float]:
    page = await client.get(path)  # warm: templates compiled, connections opened
    assert page.status_code == 200, (path, page.status_code)
    assert expect in page.text, path
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        page = await client.get(path)
        samples.append(time.perf_counter() - start)
        assert page.status_code == 200
    return samples


async def measure(url: str, database: str, families: int) -> list[Figure]:
    db = make_engine(url)
    try:
        roster = populate(db, families=families, classes=min(CLASSES, families // 25))
        latest = _messages(db, roster.parent_ids)
        _home_learning(db)
        with db.begin() as connection:  # the statistics autovacuum keeps: plans as on a live database
            connection.execute(text("ANALYZE"))
        settings = Settings(database_url=url, secret_key=KEY, _env_file=None)
        cookie = _signed_in_leader(db, Signer(KEY), families)
        app = build_app(
            settings, {CHANNEL: TestChannel()}, db=db, clock=lambda: NOW, translator=NoTranslator()
        )
        transport = httpx.ASGITransport(app=app.web_app())
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", cookies={links.COOKIE: cookie}
        ) as client:
            pages = {
                "messages page (latest 30)": await _times(
                    client, "/dashboard/messages", f"Message {latest}:"
                ),
                "partnership page": await _times(client, "/dashboard/students/1", "Counting stairs"),
                f"message page ({families:,} recipients)": await _times(
                    client, f"/dashboard/messages/{latest}", "Parent"
                ),
                "reach page (charts and tables)": await _times(
                    client, "/dashboard/reach", "Families never reached"
                ),
            }
        figures = []
        for name, samples in pages.items():
            aim = {"message page": "", "reach page": "< 300 ms"}.get(name.split(" (")[0], "< 100 ms")
            figures += [
                Figure("dashboard", database, f"{name} p50", percentile(samples, 0.5) * 1000, "ms"),
                Figure("dashboard", database, f"{name} p95", percentile(samples, 0.95) * 1000, "ms", aim),
            ]
        return figures
    finally:
        db.dispose()


def run(*, quick: bool = False) -> list[Figure]:
    families = 1_000 if quick else 10_000
    figures: list[Figure] = []
    for database, context in databases():
        with context as url:
            figures += asyncio.run(measure(url, database, families))
    return figures


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
