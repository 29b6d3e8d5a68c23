"""`partnerbot run` as a real process, for the tests that need the command line itself."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram

_RUNS = itertools.count(1)


def telegram_environment(database_url: str, api: FakeTelegram, **extra: str) -> dict[str, str]:
    """The environment of a `partnerbot run` serving the fake Bot API."""
    return {
        **os.environ,
        "PARTNERBOT_DATABASE_URL": database_url,
        "PARTNERBOT_TELEGRAM_TOKEN": api.token,
        "PARTNERBOT_TELEGRAM_BASE_URL": api.base_url,
        "PARTNERBOT_TELEGRAM_BASE_FILE_URL": api.base_file_url,
        "PARTNERBOT_LOG_LEVEL": "WARNING",
        **extra,
    }


def slack_environment(database_url: str, slack: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment of a `partnerbot run` serving the fake Slack over Socket Mode."""
    return {
        **os.environ,
        "PARTNERBOT_DATABASE_URL": database_url,
        "PARTNERBOT_SLACK_BOT_TOKEN": slack.bot_token,
        "PARTNERBOT_SLACK_APP_TOKEN": slack.app_token,
        "PARTNERBOT_SLACK_BASE_URL": slack.base_url,
        "PARTNERBOT_LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass(frozen=True, slots=True)
class Running:
    process: asyncio.subprocess.Process
    log: Path

    @property
    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def partnerbot_run(env: dict[str, str], cwd: Path) -> AsyncIterator[Running]:
    """`partnerbot run` in its own process, its stderr in a file (a pipe left unread could fill and
    stall it); stopped with SIGINT at the end unless already dead, and it must not have crashed."""
    log = cwd / f"partnerbot-run-{next(_RUNS)}.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    running = Running(process, log)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=30)
    assert "Traceback" not in running.stderr, running.stderr[-3000:]
