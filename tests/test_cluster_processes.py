"""Three `partnerbot run` on one PostgreSQL against the loopback Bot API, at Telegram's real limits:
one elected sender keeps 30 a second and 1 a second per chat measured at the fake, one elected
leader polls, a killed leader's polling is taken over within the bound, and a rolling restart
during a broadcast loses and repeats nothing."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import Engine

from storage.models import DeliveryStatus
from tests.fakes.telegram import Call, FakeTelegram
from tests.processes import Running, partnerbot_run, telegram_environment
from tests.test_dispatch_processes import _free_port, queue_broadcast, received, sends, statuses

FAMILIES = 600  # 20 s at 30 a second
FAIL_OVER_BOUND_S = 5.0


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _postgres_only(db: Engine) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("several processes on one database are for PostgreSQL (SQLite: one process)")


def _webhook_env(database_url: str, api: FakeTelegram) -> dict[str, str]:
    return telegram_environment(
        database_url,
        api,
        PARTNERBOT_TELEGRAM_WEBHOOK_URL="https://school.example/telegram/webhook",
        PARTNERBOT_TELEGRAM_SECRET_TOKEN="a-long-enough-webhook-secret",
        PARTNERBOT_WEB_PORT=str(_free_port()),
        PARTNERBOT_CLUSTER_CHECK_S="0.5",
        PARTNERBOT_LOG_LEVEL="INFO",
    )


def busiest_second(calls: list[Call]) -> int:
    """The most calls that arrived within any one second (a sliding window, as Telegram counts)."""
    times, most, first = sorted(call.at for call in calls), 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def closest_in_a_chat(calls: list[Call]) -> float:
    """The shortest time between two messages to one chat (inf: none had two)."""
    by_chat: dict[str | None, list[float]] = {}
    for call in calls:
        by_chat.setdefault(call.chat_id, []).append(call.at)
    gaps = [
        b - a for times in by_chat.values() for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    return min(gaps, default=float("inf"))


async def test_three_processes_send_a_broadcast_once_within_telegrams_limits(api, db, settings, tmp_path):
    chats = await queue_broadcast(db, settings, tmp_path, FAMILIES)
    envs = [_webhook_env(settings.database_url, api) for _ in range(3)]
    async with (
        partnerbot_run(envs[0], tmp_path),
        partnerbot_run(envs[1], tmp_path),
        partnerbot_run(envs[2], tmp_path),
    ):
        await api.wait_for(lambda: statuses(db) == {DeliveryStatus.SENT: FAMILIES}, timeout_s=60)
    assert set(received(api, chats).values()) == {1}
    messages = api.calls_to("sendMessage")
    assert len(messages) == FAMILIES
    assert busiest_second(messages) <= 30
    assert closest_in_a_chat(messages) >= 1.0


def _leads(running: Running) -> bool:
    return "roles taken: leader" in running.stderr


async def test_killing_the_leader_hands_polling_to_another_within_the_bound(api, db, settings, tmp_path):
    one_env, two_env, three_env = (
        telegram_environment(
            settings.database_url,
            api,
            PARTNERBOT_CLUSTER_CHECK_S="0.5",
            PARTNERBOT_LOG_LEVEL="INFO",
            PARTNERBOT_WEB_PORT=str(_free_port()),
        )
        for _ in range(3)
    )
    async with (
        partnerbot_run(one_env, tmp_path) as one,
        partnerbot_run(two_env, tmp_path) as two,
        partnerbot_run(three_env, tmp_path) as three,
    ):
        runs = [one, two, three]
        await api.wait_for(lambda: len(api.calls_to("getUpdates")) >= 5, timeout_s=30)
        assert api.conflicts == 0  # one poller, not three
        [leader] = [run for run in runs if _leads(run)]
        api.push_text(700_001, "hello")
        await api.wait_for(lambda: api.sent_to(700_001), timeout_s=15)

        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        killed_at = time.monotonic()
        await api.wait_for(
            lambda: any(call.at > killed_at + 0.01 for call in api.calls_to("getUpdates")), timeout_s=15
        )
        took_s = min(call.at for call in api.calls_to("getUpdates") if call.at > killed_at) - killed_at
        assert took_s < FAIL_OVER_BOUND_S
        assert [run for run in runs if run is not leader and _leads(run)]
        api.push_text(700_002, "hello again")
        await api.wait_for(lambda: api.sent_to(700_002), timeout_s=15)
        answered = len(api.sent_to(700_001)), len(api.sent_to(700_002))
    assert answered[0] == answered[1] == len(api.sent_to(700_001))  # each answered once, no repeat


async def test_a_rolling_restart_during_a_broadcast_loses_and_repeats_nothing(api, db, settings, tmp_path):
    """Stop one (SIGTERM), start a new one, stop the next…, while 600 families are being sent to."""
    chats = await queue_broadcast(db, settings, tmp_path, FAMILIES)
    started: list[tuple[AbstractAsyncContextManager[Running], Running]] = []

    async def start() -> None:
        manager = partnerbot_run(_webhook_env(settings.database_url, api), tmp_path)
        started.append((manager, await manager.__aenter__()))

    for _ in range(3):
        await start()
    for step in range(3):
        await api.wait_for(lambda n=step: sends(api) >= 100 * (n + 1), timeout_s=60)
        manager, running = started.pop(0)
        running.process.terminate()
        assert await asyncio.wait_for(running.process.wait(), timeout=15) == 0
        await manager.__aexit__(None, None, None)
        await start()
    assert sends(api) < FAMILIES, "the broadcast ended before the restart did: nothing was tested"
    await api.wait_for(lambda: statuses(db) == {DeliveryStatus.SENT: FAMILIES}, timeout_s=60)
    for manager, _running in started:
        await manager.__aexit__(None, None, None)
    assert set(received(api, chats).values()) == {1}  # 0 lost, 0 twice
    assert busiest_second(api.calls_to("sendMessage")) <= 30
