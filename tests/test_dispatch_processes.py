"""`partnerbot run` as real processes sending a 2,000-family broadcast through python-telegram-bot
to the loopback fake Bot API: killed with SIGKILL mid-broadcast and restarted, and two at once on
one database. Counted at the fake: nothing lost, nothing sent twice unless recorded ambiguous."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.delivery.dispatcher import CONCURRENCY, CONFIRM_EVERY
from bot.messages.fanout import send_highlights
from bot.roster.importer import import_roster
from bot.settings import Settings
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.accounts import get_or_create_account, link_account
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Person, Role, utcnow
from storage.people import find_class
from storage.school import add_person, first_school
from tests.fakes.telegram import FakeTelegram
from tests.processes import partnerbot_run, telegram_environment

FAMILIES = 2_000
FIRST_CHAT = 500_000
HIGHLIGHT = "This fortnight we measured the playground in footsteps."


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def broadcast(db: Engine, settings: Settings, tmp_path: Path) -> dict[str, int]:
    """A class of 2,000 families, each linked on Telegram, and one highlight queued to all of them.
    Returns chat id → delivery id."""
    return await queue_broadcast(db, settings, tmp_path, FAMILIES)


async def queue_broadcast(db: Engine, settings: Settings, tmp_path: Path, families: int) -> dict[str, int]:
    """A class of `families` families, each linked on Telegram, and one highlight queued to all of
    them. Returns chat id → delivery id."""
    roster = tmp_path / "roster.csv"
    rows = [f"Student {n:04d},Class 5,Parent {n:04d},mother" for n in range(families)]
    roster.write_text("student,class,family_member,relationship\n" + "\n".join(rows) + "\n")
    now = utcnow()
    with session_scope(db) as session:
        import_roster(session=session, path=roster, settings=settings, school_name="Hillside", now=now)
        school = first_school(session=session)
        assert school is not None
        teacher = add_person(
            session=session, person=Person(school_id=school.id or 0, name="Emma Clarke", role=Role.TEACHER)
        )
        for person in session.exec(select(Person).where(Person.role == Role.PARENT)):
            number = int(person.name.removeprefix("Parent "))
            account = get_or_create_account(
                session=session, channel="telegram", address=str(FIRST_CHAT + number)
            )
            link_account(session=session, account=account, person=person, at=now)
        group = find_class(session=session, name="Class 5")
        assert group is not None
        translator = TranslationService(db=db, translator=NoTranslator())
        report = await send_highlights(
            session=session,
            translator=translator,
            author=teacher,
            group=group,
            text=HIGHLIGHT,
            now=now,
            channels={"telegram"},
        )
    assert (report.recipients, report.unreached) == (families, 0)
    with session_scope(db) as session:
        return {d.address: d.id or 0 for d in session.exec(select(Delivery))}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def received(api: FakeTelegram, chats: dict[str, int]) -> Counter[str]:
    """How many times each chat was shown the highlight (what Telegram accepted and posted)."""
    return Counter(
        {chat: sum(HIGHLIGHT in m.get("text", "") for m in api.chats.get(chat, [])) for chat in chats}
    )


def sends(api: FakeTelegram) -> int:
    return len(api.calls_to("sendMessage"))


def statuses(db: Engine) -> Counter[DeliveryStatus]:
    with session_scope(db) as session:
        return Counter(session.exec(select(Delivery.status)))


async def test_a_dispatcher_killed_mid_broadcast_loses_nothing_and_repeats_only_what_it_records(
    api, db, settings, broadcast, tmp_path
):
    env = telegram_environment(
        settings.database_url,
        api,
        PARTNERBOT_TELEGRAM_MAX_PER_S="0",  # Telegram's 30/s would make this test take minutes
        PARTNERBOT_DISPATCH_LEASE_S="2",
    )
    kills = []
    for kill_after in (1, 700, 1_400):  # the first send; a third of the way; two thirds
        async with partnerbot_run(env, tmp_path) as run:
            await api.wait_for(lambda n=kill_after: sends(api) >= n, timeout_s=90)
            run.process.kill()  # SIGKILL: no clean-up, claims left behind
            await run.process.wait()
            kills.append(sends(api))
    assert kills[-1] < FAMILIES, "the broadcast finished before the last kill: nothing was tested"
    async with partnerbot_run(env, tmp_path):
        await api.wait_for(lambda: statuses(db) == {DeliveryStatus.SENT: FAMILIES}, timeout_s=120)

    counts = received(api, broadcast)
    assert [chat for chat, n in counts.items() if n == 0] == []  # 0 lost
    repeated = {chat for chat, n in counts.items() if n > 1}
    assert max(counts.values()) <= 1 + len(kills)
    with session_scope(db) as session:
        ambiguous = {d.address for d in session.exec(select(Delivery).where(Delivery.ambiguous))}
    assert repeated <= ambiguous  # 0 duplicated except those recorded as ambiguous
    assert len(ambiguous) <= 100 * len(kills)  # at most one claimed batch per kill
    # Sent but not yet confirmed when killed: a group of confirms, and those on their way.
    assert len(repeated) <= (CONFIRM_EVERY + CONCURRENCY) * len(kills)


async def test_two_processes_on_one_database_send_each_message_once(api, db, settings, broadcast, tmp_path):
    """Two `partnerbot run` behind one webhook URL (as behind a load balancer), sharing the outbox."""
    first, second = (
        telegram_environment(
            settings.database_url,
            api,
            PARTNERBOT_TELEGRAM_MAX_PER_S="0",
            PARTNERBOT_TELEGRAM_WEBHOOK_URL="https://school.example/telegram/webhook",
            PARTNERBOT_TELEGRAM_SECRET_TOKEN="a-long-enough-webhook-secret",
            PARTNERBOT_WEB_PORT=str(_free_port()),
        )
        for _ in range(2)
    )
    async with partnerbot_run(first, tmp_path), partnerbot_run(second, tmp_path):
        await api.wait_for(lambda: statuses(db) == {DeliveryStatus.SENT: FAMILIES}, timeout_s=120)
    counts = received(api, broadcast)
    assert set(counts.values()) == {1}
    assert sends(api) == FAMILIES


async def test_sigterm_mid_broadcast_stops_cleanly_and_nothing_goes_twice(
    api, db, settings, broadcast, tmp_path
):
    """`systemctl restart`: SIGTERM finishes the sends on their way, confirms them and hands back the
    rest at once; the process exits 0 within seconds. Restarted, it sends the rest: none twice."""
    env = telegram_environment(
        settings.database_url, api, PARTNERBOT_TELEGRAM_MAX_PER_S="0", PARTNERBOT_LOG_LEVEL="INFO"
    )
    stops = []
    for stop_after in (300, 1_200):
        async with partnerbot_run(env, tmp_path) as run:
            await api.wait_for(lambda n=stop_after: sends(api) >= n, timeout_s=90)
            run.process.terminate()
            assert await asyncio.wait_for(run.process.wait(), timeout=15) == 0
            stops.append(sends(api))
            assert "stopped cleanly" in run.stderr
        left = statuses(db)
        assert DeliveryStatus.SENDING not in left  # every claim confirmed or handed back
        assert left[DeliveryStatus.SENT] == len([n for n in received(api, broadcast).values() if n])
    assert stops[-1] < FAMILIES, "the broadcast finished before the last stop: nothing was tested"
    async with partnerbot_run(env, tmp_path):
        await api.wait_for(lambda: statuses(db) == {DeliveryStatus.SENT: FAMILIES}, timeout_s=120)

    assert set(received(api, broadcast).values()) == {1}  # each family exactly once
    with session_scope(db) as session:
        assert session.exec(select(Delivery).where(Delivery.ambiguous)).first() is None
