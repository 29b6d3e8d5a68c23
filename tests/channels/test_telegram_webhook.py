"""Telegram by webhook: the ASGI app's secret check and status codes, the channel behind it, the settings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.base import WebRoute
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.webhook import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from bot.channels.telegram.webhook import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from bot.channels.telegram.webhook import webhook_endpoint
from bot.errors import ConfigurationError
from bot.events import Inbound
from bot.settings import load_settings
from bot.web.app import make_web_app, make_web_server
from tests.fakes.telegram import TOKEN, FakeTelegram

SECRET = "s3cret-token-for-the-webhook_42"
WEBHOOK_URL = "https://partnerbot.example.org/telegram/webhook"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as fake:
        yield fake


class Sink:
    """Records what the channel hands over; fails `fail_next` times first."""

    def __init__(self) -> None:
        self.received: list[Inbound] = []
        self.fail_next = 0

    async def __call__(self, inbound: Inbound) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database is locked")
        self.received.append(inbound)


def make_channel(api: FakeTelegram) -> TelegramChannel:
    return TelegramChannel(
        token=api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        webhook_url=WEBHOOK_URL,
        secret_token=SECRET,
        request_timeout_s=3.0,
    )


# -- receiving by webhook ------------------------------------------------------------------------------


@pytest.fixture
async def hooked(api: FakeTelegram) -> AsyncIterator[tuple[TelegramChannel, Sink, httpx.AsyncClient]]:
    channel = make_channel(api)
    sink = Sink()
    task = asyncio.create_task(channel.start(sink))
    await api.wait_for(lambda: api.webhook is not None)
    app = make_web_app(channel.web_routes())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://partnerbot"
    ) as client:
        yield channel, sink, client
    await channel.stop()
    await asyncio.wait_for(task, 5)


async def test_webhook_mode_sets_the_webhook_with_its_secret(api, hooked):
    assert api.webhook["url"] == WEBHOOK_URL
    assert api.webhook["secret_token"] == SECRET
    assert api.webhook["allowed_updates"] == ["message", "callback_query"]
    assert api.webhook["max_connections"] == "1"  # one at a time, in order
    assert not api.calls_to("getUpdates")


async def test_webhook_with_the_right_secret_reaches_the_sink_before_the_answer(api, hooked):
    _, sink, client = hooked
    update = api.push_command(42, "start", "Q7-XK2")
    response = await client.post(TELEGRAM_WEBHOOK_PATH, json=update, headers={TELEGRAM_SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert [(i.command, i.args, i.event_id) for i in sink.received] == [
        ("start", ("Q7-XK2",), str(update["update_id"]))
    ]


@pytest.mark.parametrize(
    "headers", [{}, {TELEGRAM_SECRET_HEADER: "wrong"}, {TELEGRAM_SECRET_HEADER: SECRET[:-1]}]
)
async def test_webhook_without_the_right_secret_is_forbidden_and_ignored(api, hooked, headers):
    _, sink, client = hooked
    response = await client.post(TELEGRAM_WEBHOOK_PATH, json=api.push_text(42, "hi"), headers=headers)
    assert response.status_code == 403
    assert sink.received == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"update"', b"[" * 200_000])
async def test_webhook_body_that_is_not_an_update_object_is_a_bad_request(hooked, body):
    _, sink, client = hooked
    headers = {TELEGRAM_SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    response = await client.post(TELEGRAM_WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 400
    assert sink.received == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_webhook_body_that_is_not_json_by_its_type_is_refused(api, hooked, content_type):
    _, sink, client = hooked
    headers = {TELEGRAM_SECRET_HEADER: SECRET} | ({"Content-Type": content_type} if content_type else {})
    body = json.dumps(api.push_text(42, "hi")).encode()
    response = await client.post(TELEGRAM_WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 415
    assert sink.received == []


async def test_webhook_update_not_recorded_is_a_server_error_so_telegram_resends_it(api, hooked):
    _, sink, client = hooked
    sink.fail_next = 1
    update = api.push_text(42, "hi")
    headers = {TELEGRAM_SECRET_HEADER: SECRET}
    assert (await client.post(TELEGRAM_WEBHOOK_PATH, json=update, headers=headers)).status_code == 500
    assert (await client.post(TELEGRAM_WEBHOOK_PATH, json=update, headers=headers)).status_code == 200
    assert len(sink.received) == 1


async def test_webhook_json_that_is_not_an_update_is_acknowledged_and_dropped(hooked):
    _, sink, client = hooked
    response = await client.post(
        TELEGRAM_WEBHOOK_PATH, json={"hello": "world"}, headers={TELEGRAM_SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200
    assert sink.received == []


async def test_webhook_while_the_channel_is_not_receiving_is_a_server_error(api):
    channel = make_channel(api)
    app = make_web_app(channel.web_routes())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pb") as client:
            headers = {TELEGRAM_SECRET_HEADER: SECRET}
            response = await client.post(TELEGRAM_WEBHOOK_PATH, json=api.push_text(42, "hi"), headers=headers)
    finally:
        await channel.stop()
    assert response.status_code == 500  # Telegram keeps it and tries again


async def test_web_app_health_and_no_webhook_route_while_polling(api):
    polling = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
    assert polling.web_routes() == ()
    app = make_web_app(polling.web_routes())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://partnerbot"
    ) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.post(TELEGRAM_WEBHOOK_PATH, json={})).status_code == 404


def test_a_webhook_without_a_secret_is_refused():
    async def handler(update: dict[str, object]) -> None: ...

    with pytest.raises(ValueError, match="secret"):
        webhook_endpoint(handler, "")


async def test_the_web_server_serves_webhooks_over_real_http():
    received: list[dict[str, object]] = []

    async def handler(update: dict[str, object]) -> None:
        received.append(update)

    server = make_web_server(
        make_web_app([WebRoute(path=TELEGRAM_WEBHOOK_PATH, endpoint=webhook_endpoint(handler, SECRET))]),
        host="127.0.0.1",
        port=0,
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(5):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await client.post(
                TELEGRAM_WEBHOOK_PATH, json={"update_id": 1}, headers={TELEGRAM_SECRET_HEADER: SECRET}
            )
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 5)
    assert (response.status_code, received) == (200, [{"update_id": 1}])


# -- settings ----------------------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ["TOKEN", "BASE_URL", "BASE_FILE_URL", "WEBHOOK_URL", "SECRET_TOKEN"]:
        monkeypatch.delenv(f"PARTNERBOT_TELEGRAM_{name}", raising=False)
    for name in ["WEB_HOST", "WEB_PORT"]:
        monkeypatch.delenv(f"PARTNERBOT_{name}", raising=False)
    return monkeypatch


def test_telegram_settings_default_to_polling_the_public_api(environment):
    settings = load_settings()
    assert settings.telegram.token is None
    assert (settings.telegram.base_url, settings.telegram.base_file_url) == (
        "https://api.telegram.org/bot",
        "https://api.telegram.org/file/bot",
    )
    assert (settings.telegram.webhook_url, settings.web_host, settings.web_port) == (None, "127.0.0.1", 8080)


def test_telegram_settings_from_the_environment_keep_secrets_out_of_repr(environment):
    environment.setenv("PARTNERBOT_TELEGRAM_TOKEN", TOKEN)
    environment.setenv("PARTNERBOT_TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    environment.setenv("PARTNERBOT_TELEGRAM_SECRET_TOKEN", SECRET)
    environment.setenv("PARTNERBOT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings()
    assert settings.telegram.token.get_secret_value() == TOKEN
    assert settings.telegram.secret_token.get_secret_value() == SECRET
    assert settings.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert TOKEN not in repr(settings)
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"TELEGRAM_TOKEN": "changeme"}, "PARTNERBOT_TELEGRAM_TOKEN"),
        ({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL}, "PARTNERBOT_TELEGRAM_SECRET_TOKEN"),
        (
            {"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_SECRET_TOKEN": "short"},
            "PARTNERBOT_TELEGRAM_SECRET_TOKEN",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "http://bot.example.org/hook", "TELEGRAM_SECRET_TOKEN": SECRET},
            "WEBHOOK_URL",
        ),
        ({"TELEGRAM_BASE_URL": "api.telegram.org/bot"}, "PARTNERBOT_TELEGRAM_BASE_URL"),
        ({"WEB_PORT": "0"}, "PARTNERBOT_WEB_PORT"),
    ],
)
def test_bad_telegram_settings_fail_naming_the_setting(environment, values, named):
    for name, value in values.items():
        environment.setenv(f"PARTNERBOT_{name}", value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings()


def test_a_blank_token_in_a_dotenv_means_telegram_is_off(environment, tmp_path):
    (tmp_path / ".env").write_text("PARTNERBOT_TELEGRAM_TOKEN=\nPARTNERBOT_TELEGRAM_SECRET_TOKEN=\n")
    assert load_settings().telegram.token is None


def test_two_routes_for_one_path_are_refused():
    async def endpoint(request: object) -> object: ...

    route = WebRoute(path=TELEGRAM_WEBHOOK_PATH, endpoint=endpoint)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two routes"):
        make_web_app([route, route])
