"""Slack under load: the whole app (Socket Mode through slack-bolt to the loopback fake Slack, and
Telegram polling to the fake Bot API, in one process) while a teacher's highlight goes to 10,000
families on Telegram at its limits. A teacher in Slack sends `/partnerbot help` and presses a
button, one a second (Slack's pace for one DM), then ten at once: how long each envelope waits
for its ack (Slack wants one within 3 s) and for the answer. Then App Home: a teacher with 30
students and 200 messages opens the Home tab; the time until views.publish reaches the fake.
SQLite, real time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench._common import (
    Figure,
    median,
    parser,
    percentile,
    populate,
    print_figures,
    sqlite_database,
    teacher_highlight,
)
from bot.app import App, build_app
from bot.channels.base import Channel
from bot.channels.slack.adapter import SlackChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.settings import Settings
from bot.translation.backends import NoTranslator
from storage.accounts import get_or_create_account, link_account
from storage.db import make_engine, session_scope
from storage.models import Person, utcnow
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram

PRIVATE_CHAT = "70{pid:07d}"
TEACHER = "U0TEACHER"
HIGHLIGHT = "This fortnight we learned about fractions."


@dataclass(frozen=True, slots=True)
class Plan:
    families: int
    singles: int  # envelopes one after another during the paced sending
    spacing_s: float
    together: int  # envelopes at the same moment afterwards
    home_messages: int
    home_students: int


FULL = Plan(families=10_000, singles=40, spacing_s=1.0, together=10, home_messages=200, home_students=30)
QUICK = Plan(families=1_000, singles=10, spacing_s=1.0, together=10, home_messages=20, home_students=30)


def _link_teacher(db_url: str, teacher_id: int) -> None:
    db = make_engine(db_url)
    with session_scope(db) as session:
        person = session.get(Person, teacher_id)
        assert person is not None
        account = get_or_create_account(session=session, channel="slack", address=TEACHER)
        link_account(session=session, account=account, person=person, at=utcnow())
    db.dispose()


async def _envelope(slack: FakeSlack, n: int) -> tuple[str, float, float]:
    """A slash command (even n) or a button press (odd n) from the teacher: (kind, ack s, answer s)."""
    before = len(slack.posted_to(TEACHER))
    if n % 2 == 0:
        kind, envelope = "command", await slack.push_command(TEACHER, "help")
    else:
        kind, envelope = "press", await slack.push_action(TEACHER, value="ack:1")
    await slack.acked(envelope, timeout_s=30)
    await slack.wait_for(lambda: len(slack.posted_to(TEACHER)) > before, timeout_s=60)
    answered = next(
        c.at for c in reversed(slack.calls_to("chat.postMessage")) if c.params.get("channel") == TEACHER
    )
    pushed = slack.pushed_at[envelope]
    return kind, slack.acked_at[envelope] - pushed, answered - pushed


async def _home_opened(slack: FakeSlack) -> float:
    """The teacher opens the Home tab: seconds until the view was published at the fake."""
    before = len(slack.calls_to("views.publish"))
    envelope = await slack.push_home_opened(TEACHER)
    await slack.wait_for(lambda: len(slack.calls_to("views.publish")) > before, timeout_s=30)
    return slack.calls_to("views.publish")[-1].at - slack.pushed_at[envelope]


async def _serving(
    settings: Settings, channels: dict[str, Channel], db_url: str
) -> tuple[App, asyncio.Task[None]]:
    app = build_app(settings, channels, db=make_engine(db_url), translator=NoTranslator())
    return app, asyncio.create_task(app.serve_forever())


async def measure_acks(url: str, plan: Plan) -> list[Figure]:
    roster = populate(make_engine(url), families=plan.families, channel="telegram", address=PRIVATE_CHAT)
    _link_teacher(url, roster.teacher_id)
    settings = Settings(database_url=url, _env_file=None)
    async with FakeTelegram.running() as api, FakeSlack.running() as slack:
        slack.add_user(TEACHER, name="Emma Clarke")
        telegram = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        channel = SlackChannel(bot_token=slack.bot_token, app_token=slack.app_token, base_url=slack.base_url)
        app, serving = await _serving(settings, {"telegram": telegram, "slack": channel}, url)
        try:
            await slack.connected(timeout_s=30)
            await _envelope(slack, 0)  # connected, users.info cached, as after the first minute
            await teacher_highlight(app, roster.teacher_id, HIGHLIGHT)
            sent_before = len(api.calls_to("sendMessage"))
            start = time.monotonic()
            results = []
            for n in range(plan.singles):
                pressing = asyncio.create_task(_envelope(slack, n))
                await asyncio.sleep(plan.spacing_s)
                results.append(await pressing)
            together = await asyncio.gather(*(_envelope(slack, n) for n in range(plan.together)))
            sending_s = time.monotonic() - start
            sent = len(api.calls_to("sendMessage")) - sent_before
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            app.db.dispose()

    def figure(metric: str, value: float, unit: str = "ms", target: str = "") -> Figure:
        return Figure("slack", "sqlite", metric, value, unit, target)

    ms = 1000
    figures = [
        figure(f"Telegram sends/s meanwhile ({plan.families:,} families)", sent / sending_s, "/s", "≈ 30/s")
    ]
    for kind in ("command", "press"):
        acks = [ack for k, ack, _ in results if k == kind]
        answers = [answer for k, _, answer in results if k == kind]
        figures += [
            figure(f"{kind}: ack p50 ({len(acks)})", ms * percentile(acks, 0.5)),
            figure(f"{kind}: ack p99", ms * percentile(acks, 0.99), target="< 300 ms"),
            figure(f"{kind}: answer p50", ms * percentile(answers, 0.5)),
            figure(f"{kind}: answer p99", ms * percentile(answers, 0.99), target="< 1,000 ms"),
        ]
    figures.append(
        figure(
            f"{plan.together} at once: slowest ack",
            ms * max(ack for _, ack, _ in together),
            target="< 300 ms",
        )
    )
    return figures


async def measure_home(url: str, plan: Plan) -> list[Figure]:
    roster = populate(make_engine(url), families=plan.home_students, channel="telegram", address=PRIVATE_CHAT)
    _link_teacher(url, roster.teacher_id)
    settings = Settings(database_url=url, _env_file=None)
    async with FakeSlack.running() as slack:
        slack.add_user(TEACHER, name="Emma Clarke")
        channel = SlackChannel(bot_token=slack.bot_token, app_token=slack.app_token, base_url=slack.base_url)
        app, serving = await _serving(settings, {"slack": channel}, url)  # families unreachable: no Telegram
        try:
            for n in range(plan.home_messages):
                await teacher_highlight(app, roster.teacher_id, f"{HIGHLIGHT} ({n})")
            await slack.connected(timeout_s=30)
            timings = []
            for _ in range(5):
                timings.append(await _home_opened(slack))
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            app.db.dispose()
    label = f"App Home, {plan.home_students} students, {plan.home_messages} messages: opened → published"
    return [
        Figure("slack", "sqlite", f"{label}, first", 1000 * timings[0], "ms"),
        Figure("slack", "sqlite", "  median of the next 4", 1000 * median(timings[1:]), "ms", "< 200 ms"),
    ]


def run(*, quick: bool = False) -> list[Figure]:
    plan = QUICK if quick else FULL
    with sqlite_database() as url:
        figures = asyncio.run(measure_acks(url, plan))
    with sqlite_database() as url:
        figures += asyncio.run(measure_home(url, plan))
    return figures


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
