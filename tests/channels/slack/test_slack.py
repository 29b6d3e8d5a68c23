"""The Slack channel against the loopback Slack: real bolt and slack_sdk, Socket Mode and the Web API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.channels.base import AddressKind, PermanentFailure, Quota, Rejected, RetryLater, Scope
from bot.channels.registry import configured_channels
from bot.channels.slack.adapter import SlackChannel
from bot.channels.slack.limits import slack_limits
from bot.channels.slack.render import SHORTCUTS, SLASH_COMMAND
from bot.channels.slack.settings import SlackSettings
from bot.events import Attachment, Button, Content, Inbound, Outbound
from bot.settings import Settings
from tests.fakes.slack import FakeSlack

SECRET = "0123456789abcdef0123456789abcdef"


class Recorder:
    """A sink that records each event, optionally failing or holding the next one."""

    def __init__(self) -> None:
        self.events: list[Inbound] = []
        self.fail_next = False
        self.gate: asyncio.Event | None = None

    async def __call__(self, inbound: Inbound) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database is down")
        self.events.append(inbound)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack.running() as fake:
        fake.add_user("U1", name="Emma Clarke", email="Emma@School.example", locale="es-ES")
        fake.add_user("U2", name="Daniel Okoro")
        yield fake


def channel_for(slack: FakeSlack, **kwargs: object) -> SlackChannel:
    return SlackChannel(
        bot_token=slack.bot_token,
        app_token=slack.app_token,
        base_url=slack.base_url,
        ping_interval_s=1,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
async def served(slack: FakeSlack) -> AsyncIterator[tuple[SlackChannel, Recorder]]:
    channel, sink = channel_for(slack), Recorder()
    task = asyncio.create_task(channel.start(sink))
    await slack.connected()
    yield channel, sink
    await channel.stop()
    await asyncio.wait_for(task, 5)


async def test_slash_command_is_the_chat_command(served, slack):
    _channel, sink = served
    envelope = await slack.push_command("U1", "acks 3")
    await slack.acked(envelope)
    [event] = sink.events
    assert (event.channel, event.address, event.command, event.args, event.text) == (
        "slack",
        "U1",
        "acks",
        ("3",),
        "/acks 3",
    )
    assert (event.display_name, event.language_hint, event.verified_email) == (
        "Emma Clarke",
        "es",
        "emma@school.example",
    )
    assert event.event_id.startswith("cmd:")


async def test_bare_command_is_help_and_dm_is_text(served, slack):
    _channel, sink = served
    await slack.acked(await slack.push_command("U2", ""))
    await slack.acked(await slack.push_dm("U2", "How is Lina doing?"))
    assert [(e.command, e.text) for e in sink.events] == [("help", "/help"), (None, "How is Lina doing?")]
    assert sink.events[1].verified_email is None  # Daniel's profile shows no e-mail


async def test_recorded_before_the_ack(served, slack):
    """The ack waits for the sink: what Slack was told arrived is already recorded."""
    _channel, sink = served
    sink.gate = asyncio.Event()
    envelope = await slack.push_dm("U1", "hello")
    await slack.wait_for(lambda: slack.calls_to("users.info"))
    assert envelope not in slack.acks
    sink.gate.set()
    await slack.acked(envelope)
    assert [e.text for e in sink.events] == ["hello"]


async def test_a_failed_record_is_not_acked_and_the_retry_is_the_same_event(served, slack):
    _channel, sink = served
    sink.fail_next = True
    first = await slack.push_dm("U1", "hello", event_id="Ev1")
    retry = await slack.push_dm("U1", "hello", event_id="Ev1", retry_attempt=1)
    await slack.acked(retry)
    assert first not in slack.acks
    assert [e.event_id for e in sink.events] == ["Ev1"]  # the engine deduplicates on this id


async def test_button_press_carries_the_value_and_the_presser(served, slack):
    channel, sink = served
    await channel.send(
        "U1", Outbound(content=Content.plain("Saw it?"), buttons=(Button(label="Got it", payload="ack:7"),))
    )
    assert slack.buttons("U1") == {"Got it": "ack:7"}
    await slack.acked(await slack.push_action("U1", value="ack:7"))
    [event] = sink.events
    assert (event.address, event.payload, event.text) == ("U1", "ack:7", "Got it")


async def test_ignores_bots_and_edits(served, slack):
    _channel, sink = served
    own = {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "bot_id": "B0BOT",
        "text": "x",
        "ts": "1.1",
    }
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel_type": "im",
        "channel": "D1",
        "ts": "1.2",
    }
    for event in (own, edit):
        await slack.acked(await slack.push_event(event))  # acked all the same: Slack must not retry
    assert sink.events == []


async def test_reconnects_when_slack_asks(served, slack):
    _channel, sink = served
    await slack.disconnect()
    await slack.connected(count=2)
    await slack.acked(await slack.push_dm("U1", "still here"))
    assert [e.text for e in sink.events] == ["still here"]


async def test_send_renders_block_kit_and_returns_the_ts(slack):
    channel = channel_for(slack)
    sent = await channel.send("U1", Outbound(content=Content(heading="Kids & <things>", note="n")))
    [message] = slack.posted_to("U1")
    assert sent.provider_id == message["ts"]
    assert message["blocks"][0]["text"]["text"] == "*Kids &amp; &lt;things&gt;*"
    assert message["text"] == "Kids &amp; &lt;things&gt;"


@pytest.mark.parametrize(
    ("script", "failure", "scope"),
    [
        (lambda s: s.rate_limit("chat.postMessage", retry_after=7), RetryLater, Scope.METHOD),
        (lambda s: s.fail("channel_not_found"), PermanentFailure, None),
        (lambda s: s.fail("not_in_channel"), PermanentFailure, None),
        (lambda s: s.fail("account_inactive"), PermanentFailure, None),
        (lambda s: s.fail("user_disabled"), PermanentFailure, None),
        (lambda s: s.fail("invalid_blocks"), Rejected, None),
        (lambda s: s.fail("token_revoked"), RetryLater, Scope.CHANNEL),
        (lambda s: s.fail("invalid_auth"), RetryLater, Scope.CHANNEL),
        (lambda s: s.fail("internal_error"), RetryLater, Scope.ADDRESS),
    ],
)
async def test_send_failures_are_typed(slack, script, failure, scope):
    script(slack)
    with pytest.raises(failure) as raised:
        await channel_for(slack).send("U1", Outbound(content=Content.plain("hi")))
    if scope is not None:
        assert raised.value.scope is scope
    if scope is Scope.METHOD:
        assert (raised.value.method, raised.value.after_s) == ("chat.postMessage", 7.0)


async def test_revoked_token_logs_a_clear_line_without_secrets(slack, caplog):
    slack.revoke()
    with caplog.at_level(logging.DEBUG), pytest.raises(RetryLater):
        await channel_for(slack).send("U1", Outbound(content=Content.plain("private words")))
    assert "Slack refused the bot token (token_revoked)" in caplog.text
    assert slack.bot_token not in caplog.text and "private words" not in caplog.text


async def test_an_unreachable_slack_holds_back_the_whole_channel(slack):
    """Nothing listens where the Web API should be: no DM is to blame, so the channel waits."""
    channel = SlackChannel(
        bot_token=slack.bot_token, app_token=slack.app_token, base_url="http://127.0.0.1:9/api/"
    )
    with pytest.raises(RetryLater) as refused:
        await channel.send("U1", Outbound(content=Content.plain("hi")))
    assert (refused.value.scope, refused.value.after_s) == (Scope.CHANNEL, None)


def test_settings_validate_tokens_and_mode():
    settings = SlackSettings(bot_token="xoxb-1-2-abcdefghij", app_token="xapp-1-A1-abcdefghij")
    assert settings.enabled and "xoxb" not in repr(settings)
    assert not SlackSettings().enabled
    with pytest.raises(ValidationError, match="app_token"):
        SlackSettings(bot_token="xoxb-1-2-abcdefghij")
    with pytest.raises(ValidationError, match="signing_secret"):
        SlackSettings(bot_token="xoxb-1-2-abcdefghij", mode="http")
    with pytest.raises(ValidationError, match="bot_token"):
        SlackSettings(bot_token="xoxp-user-token-abcdef", app_token="xapp-1-A1-abcdefghij")
    assert SlackSettings(bot_token="xoxb-1-2-abcdefghij", mode="http", signing_secret=SECRET).enabled


def test_registry_builds_slack_from_the_environment(monkeypatch):
    monkeypatch.setenv("PARTNERBOT_SLACK_BOT_TOKEN", "xoxb-1-2-abcdefghij")
    monkeypatch.setenv("PARTNERBOT_SLACK_APP_TOKEN", "xapp-1-A1-abcdefghij")
    channels = configured_channels(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(channels["slack"], SlackChannel)
    assert repr(channels["slack"]) == "SlackChannel(mode=socket)"


def test_limits_one_a_second_per_dm_with_short_bursts_and_a_workspace_budget():
    limits = slack_limits()
    assert limits.per_address[AddressKind.PRIVATE] == (Quota(4, 4.0),)
    assert limits.overall == (Quota(300, 60.0),)
    assert limits.kind_of("U123") is AddressKind.PRIVATE and limits.kind_of("C123") is AddressKind.CHANNEL
    assert limits.methods_of(Outbound(content=Content.plain("x"))) == {"chat.postMessage"}
    assert slack_limits(per_channel_per_s=0, overall_per_min=0).overall == ()


def _listed(manifest: str, key: str) -> list[str]:
    """The "- item" lines under `key:` in the manifest (comments skipped), without a YAML parser."""
    lines = manifest.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{key}:")
    indent = len(lines[start]) - len(lines[start].lstrip())
    items = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if len(line) - len(line.lstrip()) <= indent or not stripped.startswith("- "):
            break
        items.append(stripped[2:])
    return items


def test_the_manifest_asks_for_exactly_what_the_channel_uses():
    manifest = (Path(__file__).parents[3] / "slack" / "manifest.yml").read_text()
    assert _listed(manifest, "bot") == [
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
    ]
    assert _listed(manifest, "bot_events") == ["app_home_opened", "message.im"]  # the events listened to
    assert f"- command: {SLASH_COMMAND}" in manifest
    assert "socket_mode_enabled: true" in manifest
    for callback_id in SHORTCUTS:  # the message shortcuts listened to
        assert f"callback_id: {callback_id}" in manifest


async def test_a_refused_token_at_start_is_named_and_retried_until_it_works(slack, caplog):
    slack.fail("invalid_auth", method="auth.test", times=2)
    channel = channel_for(slack, retry_delay_s=0.01)
    task = asyncio.create_task(channel.start(Recorder()))
    await slack.connected()
    await channel.stop()
    await asyncio.wait_for(task, 5)
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        refused
        == ["Slack refused the bot token (PARTNERBOT_SLACK_BOT_TOKEN): invalid_auth; trying again"] * 2
    )
    assert "Traceback" not in caplog.text


async def test_a_wrong_app_token_never_connects_and_stop_still_ends_it(slack, caplog):
    channel = SlackChannel(
        bot_token=slack.bot_token,
        app_token="xapp-1-A1-wrongtoken",
        base_url=slack.base_url,
        retry_delay_s=0.01,
    )
    task = asyncio.create_task(channel.start(Recorder()))
    await slack.wait_for(lambda: len(slack.calls_to("apps.connections.open")) >= 2)
    await channel.stop()
    await asyncio.wait_for(task, 5)
    assert slack.connections == 0
    assert "Slack refused the app-level token (PARTNERBOT_SLACK_APP_TOKEN): invalid_auth" in caplog.text
    assert "wrongtoken" not in caplog.text


async def test_a_photo_is_shared_in_the_dm_before_the_message(slack):
    channel = channel_for(slack)
    photo = Attachment(filename="stairs.jpg", content_type="image/jpeg", data=b"\xff\xd8" + b"x" * 5000)
    out = Outbound(content=Content.plain("We tried it"), attachment=photo)
    assert channel.limits.methods_of(out) == {"chat.postMessage", "files.completeUploadExternal"}
    sent = await channel.send("U1", out)
    shared, message = slack.posted_to("U1")
    assert shared["files"][0]["title"] == "stairs.jpg" and slack.files[shared["files"][0]["id"]] == photo.data
    assert sent.provider_id == message["ts"]
    await channel.send("U1", out)
    assert len(slack.calls_to("conversations.open")) == 1  # the DM's id is kept


async def test_a_shared_photo_arrives_by_reference_and_is_fetched_with_the_token(served, slack):
    channel, sink = served
    photo = b"\xff\xd8" + b"p" * 300
    await slack.acked(await slack.push_dm("U1", "our stairs", photo=photo))
    [event] = sink.events
    assert event.attachment is not None and event.attachment.data is None
    assert (event.attachment.content_type, event.text) == ("image/jpeg", "our stairs")
    assert await channel.fetch_file(event.attachment.platform_ref) == photo
    with pytest.raises(ValueError, match="not a Slack file URL"):
        await channel.fetch_file("https://attacker.example/steal")  # a forged URL gets no token
