"""Slack in HTTP mode: the web app's /slack/events verified by bolt on the raw body (SignatureVerifier)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.channels.slack.adapter import EVENTS_PATH, SlackChannel
from bot.web.app import make_web_app
from tests.channels.slack.test_slack import SECRET, Recorder
from tests.fakes.slack import FakeSlack

EVENT = {
    "type": "event_callback",
    "team_id": "T0FAKE",
    "api_app_id": "A0FAKE",
    "event_id": "EvHTTP1",
    "event": {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": "hello",
        "ts": "9.1",
    },
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack.running() as fake:
        fake.add_user("U1", name="Emma Clarke", email="emma@school.example")
        yield fake


@pytest.fixture
async def web(slack: FakeSlack) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder]]:
    channel = SlackChannel(
        bot_token=slack.bot_token, signing_secret=SECRET, mode="http", base_url=slack.base_url
    )
    sink = Recorder()
    serving = asyncio.create_task(channel.start(sink))
    app = make_web_app(channel.web_routes())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://partnerbot"
    ) as client:
        yield client, sink
    await channel.stop()
    await asyncio.wait_for(serving, 5)


def signed(body: str, *, secret: str = SECRET, age_s: int = 0, retry: int | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()) - age_s)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers | {"Content-Type": "application/json"}


async def test_signed_event_is_recorded_and_acked(web):
    client, sink = web
    body = json.dumps(EVENT)
    response = await client.post(EVENTS_PATH, content=body, headers=signed(body))
    assert response.status_code == 200
    retried = await client.post(EVENTS_PATH, content=body, headers=signed(body, retry=1))
    assert retried.status_code == 200
    assert [(e.address, e.text, e.event_id) for e in sink.events] == [("U1", "hello", "EvHTTP1")] * 2


async def test_slash_command_over_http(web):
    client, sink = web
    form = urlencode({"command": "/partnerbot", "text": "acks", "user_id": "U1", "trigger_id": "t9"})
    headers = signed(form) | {"Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post(EVENTS_PATH, content=form, headers=headers)
    assert response.status_code == 200
    assert [(e.command, e.event_id) for e in sink.events] == [("acks", "cmd:t9")]


async def test_url_verification_challenge(web):
    client, _sink = web
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
    response = await client.post(EVENTS_PATH, content=body, headers=signed(body))
    assert (response.status_code, response.json()) == (200, {"challenge": "abc123"})


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: {"Content-Type": "application/json"}, id="missing"),
        pytest.param(lambda body: signed(body, secret="f" * 32), id="wrong secret"),
        pytest.param(lambda body: signed(body, age_s=6 * 60), id="stale"),
        pytest.param(lambda body: signed(body + " "), id="other body"),
        pytest.param(lambda body: signed(body) | {"X-Slack-Signature": "v0=zz"}, id="malformed"),
    ],
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(web, headers):
    client, sink = web
    body = json.dumps(EVENT)
    response = await client.post(EVENTS_PATH, content=body, headers=headers(body))
    assert response.status_code == 401
    assert sink.events == []


async def test_before_start_slack_is_asked_to_retry(slack):
    channel = SlackChannel(
        bot_token=slack.bot_token, signing_secret=SECRET, mode="http", base_url=slack.base_url
    )
    app = make_web_app(channel.web_routes())
    body = json.dumps(EVENT)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://partnerbot"
    ) as client:
        response = await client.post(EVENTS_PATH, content=body, headers=signed(body))
    assert response.status_code >= 500  # not acked: Slack delivers it again


def test_socket_mode_serves_no_route(slack):
    channel = SlackChannel(bot_token=slack.bot_token, app_token=slack.app_token, base_url=slack.base_url)
    assert channel.web_routes() == ()
