"""A user's mistake on the command line is one line naming the problem and the fix, exit code 2,
never a traceback; a platform out of reach at start is waited for, not a reason to stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

COMMANDS = [
    [],
    ["run"],
    ["chat"],
    ["demo"],
    ["import"],
    ["invite", "create"],
    ["invite", "list"],
    ["invite", "revoke"],
    ["person", "add"],
    ["person", "edit"],
    ["send", "highlights"],
    ["report", "acks"],
    ["glossary", "add"],
    ["glossary", "list"],
    ["glossary", "remove"],
    ["db", "upgrade"],
    ["deliveries", "retry"],
]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PARTNERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PARTNERBOT_LOG_LEVEL": "WARNING",
        **extra,
    }


def _cli(tmp_path: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def _one_line_refusal(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr.strip()


def _free_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return int(free.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "PARTNERBOT_DATABASE_URL is not a database URL: use sqlite:///partnerbot.db or"),
        ("sqlite:///{tmp}/missing/folder/x.db", "create its folder, or give another path"),
        ("postgresql+pg8000://u:pw@127.0.0.1/db", "pip install 'partnerbot[postgres]'"),
        ("postgresql+psycopg://u:pw@127.0.0.1:{port}/db", "is it running? Check PARTNERBOT_DATABASE_URL."),
    ],
)
def test_a_database_url_that_cannot_work(tmp_path, url, says):
    url = url.format(tmp=tmp_path, port=_free_port())
    line = _one_line_refusal(_cli(tmp_path, "demo", PARTNERBOT_DATABASE_URL=url))
    assert says in line
    assert "pw" not in line  # the URL's password is never echoed


def test_a_bad_setting_names_it_without_pydantic_words(tmp_path):
    line = _one_line_refusal(_cli(tmp_path, "demo", PARTNERBOT_TIMEZONE="Nowhere/Land"))
    assert line.startswith("Invalid configuration: PARTNERBOT_TIMEZONE is not an IANA time zone")
    assert "Value error" not in line


def test_highlights_from_a_file_that_is_not_utf8_or_too_long(tmp_path):
    assert _cli(tmp_path, "demo").returncode == 0
    (tmp_path / "latin1.txt").write_bytes("Nous avons appris à compter, olé".encode("latin-1"))
    (tmp_path / "long.txt").write_text("a" * 3001, encoding="utf-8")
    send = ["send", "highlights", "--class", "Class 3B", "--author", "Emma Clarke", "--file"]
    assert "latin1.txt is not UTF-8 text (byte 18): save it as UTF-8" in _one_line_refusal(
        _cli(tmp_path, *send, "latin1.txt")
    )
    assert _one_line_refusal(_cli(tmp_path, *send, "long.txt")) == (
        "long.txt: That is long for a phone screen: please keep it under 3000 characters. (it has 3001)"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_no_type_noise(tmp_path, command):
    done = _cli(tmp_path, *command, "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: partnerbot" in done.stdout
    assert "<bool>" not in done.stdout
    assert "<str>" not in done.stdout.split("Options:")[1]


def test_run_with_a_token_and_no_network_waits_for_telegram(tmp_path):
    """Telegram out of reach at start: one warning line, retries with back-off, and a clean stop."""
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    env = _env(
        tmp_path,
        PARTNERBOT_LOG_LEVEL="INFO",
        PARTNERBOT_WEB_PORT=str(_free_port()),
        PARTNERBOT_TELEGRAM_TOKEN="123456:ABCdefGHIjklMNOpqrSTUvwxYZ",
        PARTNERBOT_TELEGRAM_BASE_URL=f"http://127.0.0.1:{_free_port()}/bot",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        while sum("Telegram call for commands failed" in line for line in seen) < 3:
            line = proc.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait() == 0, rest
    finally:
        watchdog.cancel()
    log = "".join(seen) + rest
    assert "Traceback" not in log
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, warnings
    assert "Telegram not reachable yet" in warnings[0]
    assert "trying again with back-off" in warnings[0]
