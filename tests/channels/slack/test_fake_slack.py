"""The Slack fake speaks Slack as slack_sdk and bolt expect it: the real clients drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack.running() as fake:
        fake.add_user("U1", name="Emma Clarke", email="emma@school.example")
        yield fake


@pytest.fixture
async def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)


async def test_web_api_answers_and_records(slack, client):
    assert (await client.auth_test())["user_id"] == "U0BOT"
    posted = await client.chat_postMessage(
        channel="U1", text="hi", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    )
    assert posted["channel"] == "D1"
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited", blocks=[])
    assert slack.posted_to("U1")[0]["text"] == "edited"
    assert (await client.users_info(user="U1", include_locale=True))["user"]["profile"][
        "email"
    ] == "emma@school.example"
    assert (await client.users_lookupByEmail(email="EMMA@school.example"))["user"]["id"] == "U1"
    assert (await client.conversations_open(users="U1"))["channel"]["id"] == "D1"
    await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert slack.views["U1"] == {"type": "home", "blocks": []}
    assert [c.method for c in slack.calls][:2] == ["auth.test", "chat.postMessage"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.chat_postMessage(channel="U404", text="hi"), "channel_not_found"),
        (lambda c: c.chat_postMessage(channel="U1"), "no_text"),
        (
            lambda c: c.chat_postMessage(
                channel="U1",
                text="x",
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
            ),
            "invalid_blocks",
        ),
        (
            lambda c: c.chat_postMessage(channel="U1", text="x", blocks=[{"type": "divider"}] * 51),
            "invalid_blocks",
        ),
        (
            lambda c: c.views_open(trigger_id="made-up", view={"type": "modal", "blocks": []}),
            "expired_trigger_id",
        ),
        (lambda c: c.users_lookupByEmail(email="nobody@school.example"), "users_not_found"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_web_api_refuses_like_slack(slack, client, call, error):
    with pytest.raises(SlackApiError) as raised:
        await call(client)
    assert raised.value.response["error"] == error


async def test_scripted_failures_and_rate_limits(slack, client):
    slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="U1", text="hi")
    assert (raised.value.response.status_code, raised.value.response.headers["Retry-After"]) == (429, "7")
    await client.chat_postMessage(channel="U1", text="hi")  # once only
    slack.fail("account_inactive", channel="U1", times=None)
    with pytest.raises(SlackApiError, match="account_inactive"):
        await client.chat_postMessage(channel="U1", text="hi")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()


async def test_socket_mode_with_bolt(slack, client):
    """Bolt's AsyncApp and AsyncSocketModeHandler connect, get envelopes, ack them, reconnect."""
    app = AsyncApp(client=client, signing_secret="")
    seen: list[tuple[str, Any]] = []

    @app.command("/partnerbot")
    async def command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        seen.append(("command", command["text"]))

    @app.event("message")
    async def message(ack: AsyncAck, event: dict[str, Any]) -> None:
        await ack()
        seen.append(("dm", event["text"]))

    @app.action("go")
    async def action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen.append(("action", body["actions"][0]["value"]))

    handler = AsyncSocketModeHandler(app, slack.app_token, ping_interval=1)
    await handler.connect_async()
    try:
        await slack.connected()
        assert slack.calls_to("apps.connections.open")[0].token == slack.app_token
        envelope = await slack.push_command("U1", "acks")
        assert (await slack.acked(envelope))["envelope_id"] == envelope
        await slack.acked(await slack.push_dm("U1", "hello"))
        await client.chat_postMessage(
            channel="U1",
            text="pick",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "go",
                            "text": {"type": "plain_text", "text": "Go"},
                            "value": "v:1",
                        }
                    ],
                }
            ],
        )
        assert slack.buttons("U1") == {"Go": "v:1"}
        await slack.acked(await slack.push_action("U1", value="v:1"))
        await slack.disconnect()
        await slack.connected(count=2)
        await slack.acked(await slack.push_dm("U1", "again"))
        await slack.wait_for(lambda: len(seen) == 4)
        assert seen == [("command", "acks"), ("dm", "hello"), ("action", "v:1"), ("dm", "again")]
    finally:
        await handler.close_async()
