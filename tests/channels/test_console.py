"""The console channel: numbered buttons, piped conversations, and the command line around it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.console.adapter import render, to_inbound
from bot.events import Button, Content, Outbound, Section
from bot.i18n import Speaker

BUTTONS = (Button(label="English", payload="lang:en"), Button(label="العربية", payload="lang:ar"))


@pytest.mark.parametrize(
    ("line", "payload", "command", "text"),
    [
        ("2\n", "lang:ar", None, "العربية"),
        ("1", "lang:en", None, "English"),
        ("3", None, None, "3"),  # out of range: stays text, the flow asks again
        ("٢", None, None, "٢"),  # only ASCII digits pick a choice
        ("/start abc-def", None, "start", "/start abc-def"),
        ("hello /help", None, None, "hello /help"),
    ],
)
def test_to_inbound(line, payload, command, text):
    inbound = to_inbound(line, address="console", display_name=None, buttons=BUTTONS)
    assert (inbound.payload, inbound.command, inbound.text) == (payload, command, text)


def test_render_numbers_the_buttons():
    assert (
        render(Outbound(content=Content.plain("Which?"), buttons=BUTTONS))
        == "Which?\n  1) English\n  2) العربية"
    )


def test_a_structured_message_reads_as_plain_text_with_numbered_choices():
    content = Content(
        heading="Something to try at home, for Yusuf Haddad, from Emma Clarke",
        title="Counting stairs",
        sections=(Section(label="What to try:", steps=("Count the stairs.", "Say each number.")),),
        note="Translated automatically from English.",
    )
    assert render(Outbound(content=content, buttons=BUTTONS[:1])) == (
        "Something to try at home, for Yusuf Haddad, from Emma Clarke\n\n“Counting stairs”\n\n"
        "What to try:\nCount the stairs.\nSay each number.\n\n(Translated automatically from English.)\n"
        "  1) English"
    )


def _cli(tmp_path: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PARTNERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PARTNERBOT_LOG_LEVEL": "WARNING",
        **extra,
    }
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_a_scripted_console_conversation_in_arabic(tmp_path):
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    assert _cli(tmp_path, "demo").returncode == 0
    table = _cli(tmp_path, "invite", "create", "--person", "Amina Haddad").stdout
    code = re.search(r"[a-z2-7]{4}(?:-[a-z2-7]{2,4}){6}", table).group(0)
    chat = _cli(tmp_path, "chat", stdin=f"/start {code}\n3\n2\n3\n1\n4\n2\n3\n/settings\n6\n")
    assert chat.returncode == 0, chat.stderr
    # Amina is Yusuf's mother on the roster: Arabic speaks to her as a woman.
    welcome = Speaker("ar").pgettext("female", "Welcome, {name}! You are now connected with the school.")
    assert welcome.format(name="Amina Haddad") in chat.stdout
    assert "  3) العربية" in chat.stdout
    lines = chat.stdout.splitlines()
    assert sum(1 for line in lines if re.search("[\u0600-\u06ff]{3}", line)) > 20
    # The terminal stands in for her phone's chat: no "Console" (وحدة التحكم) as a channel name.
    assert Speaker("ar")._("Where to reach you: {channel}").format(channel="هذه المحادثة") in chat.stdout
    assert "وحدة التحكم" not in chat.stdout


def test_bare_partnerbot_sets_up_the_demo_and_prints_an_invite(tmp_path):
    result = _cli(tmp_path, stdin="hello\n")
    assert result.returncode == 0, result.stderr
    code = re.search(r"/start ([a-z2-7-]{32})", result.stderr).group(1)
    assert "To join, send the invite code" in result.stdout
    joined = _cli(tmp_path, stdin=f"/start {code}\n")
    assert "Amina Haddad" in joined.stdout


def test_chat_as_a_person_of_the_school(tmp_path):
    _cli(tmp_path, "db", "upgrade")
    _cli(tmp_path, "demo")
    result = _cli(tmp_path, "chat", "--as", "emma", stdin="/help\n")
    assert "/settings" in result.stdout
    assert "You are Emma Clarke (teacher; " in result.stderr
    assert "Ctrl-D" in result.stderr
    nobody = _cli(tmp_path, "chat", "--as", "nobody", stdin="")
    assert (nobody.returncode, nobody.stderr.strip()) == (
        2,
        "0 people match 'nobody': give the full name (`partnerbot person list`).",
    )


POSTCARD_TO_YUSUF = (
    "/postcard\n4\nCounting stairs\nCount the stairs together out loud.\nIt makes numbers real.\n1\n1\n"
)
WE_TRIED_IT = "2\n1\nعددنا الدرج معًا\n1\n"


def test_two_terminals_show_both_sides_of_a_postcard(tmp_path):
    """Each console person has their own address: Emma's terminal never prints Amina's postcard,
    and Amina's shows it when she comes back, with her buttons working."""
    assert _cli(tmp_path, "demo").returncode == 0
    assert _cli(tmp_path, "chat", "--as", "amina").returncode == 0  # she has opened her chat once
    emma = _cli(tmp_path, "chat", "--as", "emma", stdin=POSTCARD_TO_YUSUF)
    assert "Sent to 1 person." in emma.stdout
    assert "Count the stairs together out loud.\n\n" not in emma.stdout.split("Sent to 1 person.")[1]
    amina = _cli(tmp_path, "chat", "--as", "amina", stdin=WE_TRIED_IT)
    ar = Speaker("ar")
    assert amina.stdout.startswith(
        ar._("Something to try at home, for {student}, from {author}").format(
            student="Yusuf Haddad", author="Emma Clarke"
        )
    )
    assert f"  1) {ar._('Got it')}" in amina.stdout
    assert "Sent to 1 person." not in amina.stdout
    back = _cli(tmp_path, "chat", "--as", "emma")
    assert back.stdout.startswith("Something we tried at home, from Amina Haddad")
    assert "عددنا الدرج معًا" in back.stdout


def test_as_switches_person_in_one_terminal_unless_turned_off(tmp_path):
    assert _cli(tmp_path, "demo").returncode == 0
    assert _cli(tmp_path, "chat", "--as", "amina").returncode == 0
    one = _cli(tmp_path, "chat", "--as", "emma", stdin=POSTCARD_TO_YUSUF + "/as Amina Haddad\n1\n")
    assert "You are Amina Haddad (parent; Yusuf Haddad)" in one.stderr
    _, after = one.stdout.split("Sent to 1 person.")
    assert "“Counting stairs”" in after
    assert Speaker("ar")._("Got it") in after
    off = _cli(tmp_path, "chat", "--as", "emma", stdin="/as amina\n", PARTNERBOT_CONSOLE_SWITCH="0")
    assert "/as switches person only while trying partnerbot out; it is off here." in off.stdout
    assert "You are Amina" not in off.stderr


def test_chat_without_as_is_a_new_unlinked_account_each_time(tmp_path):
    code = re.search(r"/start ([a-z2-7-]{32})", _cli(tmp_path).stderr).group(1)
    joined = _cli(tmp_path, "chat", stdin=f"/start {code}\n")
    assert "Amina Haddad" in joined.stdout
    second = _cli(tmp_path, "chat", stdin="hello\n")
    assert "To join, send the invite code" in second.stdout
    assert "Amina" not in second.stdout


def test_the_demo_never_traps_a_newcomer(tmp_path):
    """Wrong codes lock out that run's account only; the next run's code works, and once Amina
    has joined, running the demo again is Amina again, with no new code."""
    first = _cli(tmp_path, stdin="".join(f"/start {'a' * 4}-{'b' * 27}\n" for _ in range(6)))
    assert "Too many wrong codes." in first.stdout
    assert "run `partnerbot` again" in first.stderr
    code = re.search(r"/start ([a-z2-7-]{32})", (second := _cli(tmp_path, stdin="")).stderr).group(1)
    assert second.returncode == 0
    assert "Amina Haddad" in _cli(tmp_path, stdin=f"/start {code}\n").stdout
    again = _cli(tmp_path, stdin="/help\n")
    assert "/start " not in again.stderr
    assert "Amina Haddad has joined already." in again.stderr
    assert "/settings" in again.stdout


def test_demo_and_chat_bring_the_embedded_sqlite_up_to_date(tmp_path):
    assert _cli(tmp_path, "chat", "--as", "emma").returncode == 2  # migrated, but no demo school yet
    assert _cli(tmp_path, "demo").returncode == 0
    assert _cli(tmp_path, "chat", "--as", "emma").returncode == 0


def test_run_refuses_an_out_of_date_schema(tmp_path):
    result = _cli(tmp_path, "run", stdin="")
    assert result.returncode == 2
    assert "partnerbot db upgrade" in result.stderr


def test_invites_for_a_family_and_a_class(tmp_path):
    _cli(tmp_path, "db", "upgrade")
    _cli(tmp_path, "demo")
    assert "Carlos García" in _cli(tmp_path, "invite", "create", "--family", "Sofía García").stdout
    whole_class = _cli(tmp_path, "invite", "create", "--class", "class 3b").stdout
    assert all(name in whole_class for name in ["Sarah Bennett", "Carlos García", "Amina Haddad"])
    assert "Emma Clarke" not in whole_class
    missing = _cli(tmp_path, "invite", "create", "--class", "Class 9Z")
    assert missing.returncode == 2
    assert "no class called" in missing.stderr


def test_a_bad_setting_stops_the_cli_naming_it(tmp_path):
    env = {**os.environ, "PARTNERBOT_TIMEZONE": "Nowhere/Land"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PARTNERBOT_TIMEZONE" in result.stderr


def test_run_without_tokens_is_the_console_with_the_dashboard_and_ends_cleanly(tmp_path):
    """No platform set up: `partnerbot run` chats in the terminal and serves the web app beside it;
    when the input ends, everything stops without a traceback (uvicorn is given time to finish)."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = str(free.getsockname()[1])
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    done = _cli(tmp_path, "run", stdin="hello\n", PARTNERBOT_WEB_PORT=port, PARTNERBOT_LOG_LEVEL="INFO")
    assert done.returncode == 0, done.stderr
    assert "To join, send the invite code" in done.stdout
    assert f"Uvicorn running on http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
