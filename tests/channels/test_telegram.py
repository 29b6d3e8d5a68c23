"""The Telegram channel through the real python-telegram-bot, over HTTP to the loopback fake Bot API."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.channels.base import AddressChanged, AmbiguousSend, PermanentFailure, Rejected, RetryLater, Scope
from bot.channels.telegram.adapter import TelegramChannel, classify
from bot.events import Attachment, Button, Content, Inbound, Outbound
from tests.fakes.telegram import TOKEN, FakeTelegram

# PTB's own RetryAfter constructor reads its deprecated int attribute; the channel itself does not.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

JPEG = b"\xff\xd8\xff\xe0 a photo \r\n--with bytes that look like multipart\r\n\x00\xff\xd9"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as fake:
        yield fake


def make_channel(api: FakeTelegram, **options: object) -> TelegramChannel:
    defaults: dict[str, object] = {"poll_timeout_s": 1, "request_timeout_s": 3.0, "retry_delay_s": 0.01}
    return TelegramChannel(
        token=api.token, base_url=api.base_url, base_file_url=api.base_file_url, **(defaults | options)
    )


@pytest.fixture
async def telegram(api: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(api)
    yield channel
    await channel.stop()


class Sink:
    """Records what the channel hands over; can be told to fail or to hold on."""

    def __init__(self) -> None:
        self.received: list[Inbound] = []
        self.fail_next = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self, inbound: Inbound) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database is locked")
        self.received.append(inbound)


async def polling(channel: TelegramChannel, sink: Sink) -> asyncio.Task[None]:
    return asyncio.create_task(channel.start(sink))


# -- sending ---------------------------------------------------------------------------------------


async def test_send_text_as_escaped_html(api, telegram):
    sent = await telegram.send("42", Outbound(content=Content.plain("Maths & reading <3")))
    [call] = api.sent_to(42)
    assert (call.params["text"], call.params["parse_mode"]) == ("Maths &amp; reading &lt;3", "HTML")
    assert sent.provider_id == str(api.chats["42"][-1]["message_id"])
    assert api.chats["42"][-1]["text"] == "Maths & reading <3"


async def test_send_buttons_as_an_inline_keyboard(api, telegram):
    buttons = (Button(label="Got it", payload="ack:17"), Button(label="Later", payload="later:17"))
    await telegram.send("42", Outbound(content=Content.plain("Highlights"), buttons=buttons))
    assert api.sent_to(42)[0].params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Got it", "callback_data": "ack:17"}],
            [{"text": "Later", "callback_data": "later:17"}],
        ]
    }


async def test_send_a_photo_with_its_caption(api, telegram):
    photo = Attachment(filename="card.jpg", content_type="image/jpeg", data=JPEG)
    sent = await telegram.send("42", Outbound(content=Content.plain("Try counting stairs"), attachment=photo))
    [call] = api.sent_to(42)
    assert (call.method, call.files["photo"], call.params["caption"]) == (
        "sendPhoto",
        JPEG,
        "Try counting stairs",
    )
    assert sent.provider_id == str(api.chats["42"][-1]["message_id"])


async def test_long_text_goes_in_parts_and_the_last_part_is_the_provider_id(api, telegram):
    photo = Attachment(filename="card.jpg", content_type="image/jpeg", data=JPEG)
    text = "\n\n".join(["Paragraph " + "x" * 1500] * 4)  # two paragraphs fit in a message
    sent = await telegram.send(
        "42",
        Outbound(content=Content.plain(text), attachment=photo, buttons=(Button(label="OK", payload="ok"),)),
    )
    calls = api.sent_to(42)
    assert [c.method for c in calls] == ["sendPhoto", "sendMessage", "sendMessage"]
    assert ["reply_markup" in c.params for c in calls] == [False, False, True]
    assert sent.provider_id == str(api.chats["42"][-1]["message_id"])


@pytest.mark.parametrize(("retry_after", "raised"), [(1, None), (30, RetryLater)])
async def test_a_rate_limit_on_a_later_part_is_waited_out_when_short(api, telegram, retry_after, raised):
    """Failing the whole message would send its first part twice when the dispatcher retries."""
    photo = Attachment(filename="card.jpg", content_type="image/jpeg", data=JPEG)
    api.fail(
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        method="sendMessage",
        parameters={"retry_after": retry_after},
    )
    out = Outbound(content=Content.plain("z" * 2000), attachment=photo)
    if raised is None:
        await telegram.send("42", out)
    else:
        with pytest.raises(raised):
            await telegram.send("42", out)
    methods = [c.method for c in api.sent_to(42)]
    assert methods == ["sendPhoto", "sendMessage", "sendMessage"][: 3 if raised is None else 2]


# -- failures --------------------------------------------------------------------------------------


def _nothing_listening() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("script", "expected", "detail"),
    [
        (lambda api: api.rate_limit(42, retry_after=3), RetryLater, 3.0),
        (lambda api: api.server_error(method="sendMessage"), RetryLater, None),
        (lambda api: api.block(42), PermanentFailure, "blocked"),
        (lambda api: api.chat_not_found(42), PermanentFailure, "not found"),
        (lambda api: api.migrate(42, to_chat_id=-1001234567890), AddressChanged, "-1001234567890"),
        (
            lambda api: api.fail(status=400, description="Bad Request: message is too long", chat_id=42),
            Rejected,
            "too long",
        ),
        (lambda api: api.stall(method="sendMessage", seconds=3), AmbiguousSend, "Timed out"),
    ],
    ids=["429", "500", "blocked", "chat not found", "migrated", "bad request", "timeout"],
)
async def test_send_failures_are_typed(api, script, expected, detail):
    channel = make_channel(api, request_timeout_s=0.5)
    try:
        script(api)
        with pytest.raises(expected) as caught:
            await channel.send("42", Outbound(content=Content.plain("hello")))
    finally:
        await channel.stop()
    assert type(caught.value) is expected
    if expected is RetryLater:
        assert caught.value.after_s == detail
    elif expected is AddressChanged:
        assert caught.value.new_address == detail
    else:
        assert detail in str(caught.value)
    assert [c.method for c in api.sent_to(42)] == ["sendMessage"]  # it did reach the server


async def test_a_429_on_a_chat_holds_back_that_chat_and_one_naming_none_the_whole_bot(api):
    channel = make_channel(api)
    try:
        api.fail(
            status=429,
            description="Too Many Requests: retry after 7",
            method="getMe",
            parameters={"retry_after": 7},
        )
        with pytest.raises(RetryLater) as before_any_chat:
            await channel.send("42", Outbound(content=Content.plain("hello")))
        api.rate_limit(42, retry_after=3)
        with pytest.raises(RetryLater) as for_the_chat:
            await channel.send("42", Outbound(content=Content.plain("hello")))
    finally:
        await channel.stop()
    assert (before_any_chat.value.scope, before_any_chat.value.after_s) == (Scope.CHANNEL, 7.0)
    assert (for_the_chat.value.scope, for_the_chat.value.after_s) == (Scope.ADDRESS, 3.0)
    assert api.sent_to(42) and not api.chats.get("42")  # the second reached Telegram, was refused


async def test_a_bot_api_out_of_reach_holds_back_the_whole_channel(api):
    """Nothing listens where the Bot API should be: no chat is to blame, so the channel waits."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    channel = TelegramChannel(
        token=api.token,
        base_url=f"http://127.0.0.1:{port}/bot",
        base_file_url=f"http://127.0.0.1:{port}/file/bot",
        request_timeout_s=3.0,
    )
    try:
        with pytest.raises(RetryLater) as refused:
            await channel.send("42", Outbound(content=Content.plain("hello")))
    finally:
        await channel.stop()
    assert (refused.value.scope, refused.value.after_s) == (Scope.CHANNEL, None)


def test_a_message_names_the_bot_api_methods_it_uses():
    photo = Attachment(filename="card.jpg", content_type="image/jpeg", data=JPEG)
    methods_of = TelegramChannel.DEFAULT_LIMITS.methods_of
    assert methods_of(Outbound(content=Content.plain("hi"))) == {"sendMessage"}
    assert methods_of(Outbound(content=Content.plain("hi"), attachment=photo)) == {"sendPhoto"}
    long_caption = Outbound(content=Content.plain("x" * 2000), attachment=photo)
    assert methods_of(long_caption) == {"sendPhoto", "sendMessage"}


async def test_nothing_listening_is_retried_later():
    channel = TelegramChannel(
        token=TOKEN,
        base_url=f"http://127.0.0.1:{_nothing_listening()}/bot",
        request_timeout_s=1.0,
    )
    try:
        with pytest.raises(RetryLater) as caught:
            await channel.send("42", Outbound(content=Content.plain("hello")))
    finally:
        await channel.stop()
    assert caught.value.after_s is None


# -- receiving by long polling -----------------------------------------------------------------------


async def test_polling_hands_updates_to_the_sink_in_order(api, telegram):
    sink = Sink()
    api.webhook = {"url": "https://old.example.org/hook"}  # left from an earlier webhook set-up
    first = api.push_command(42, "start", "Q7-XK2")
    api.push_text(42, "Hola")
    task = await polling(telegram, sink)
    await api.wait_for(lambda: len(sink.received) == 2)
    assert [(i.command, i.args, i.text) for i in sink.received] == [
        ("start", ("Q7-XK2",), "/start Q7-XK2"),
        (None, (), "Hola"),
    ]
    assert sink.received[0].event_id == str(first["update_id"])
    await telegram.stop()
    await asyncio.wait_for(task, 5)
    assert api.offsets[-1] == first["update_id"] + 2  # confirmed on the way out
    assert [c.method for c in api.calls[:2]] == ["getMe", "deleteWebhook"]


async def test_an_update_the_sink_did_not_record_is_fetched_again(api, telegram):
    sink = Sink()
    api.push_text(42, "Hello")
    task = await polling(telegram, sink)
    await api.wait_for(lambda: sink.received)
    sink.fail_next = 1
    failed = api.push_text(42, "We tried it")
    after = api.push_text(42, "It went well")
    await api.wait_for(lambda: len(sink.received) == 3)
    assert [i.event_id for i in sink.received[1:]] == [str(failed["update_id"]), str(after["update_id"])]
    # Asked from the failed update again, never past it, until the sink took it.
    assert api.offsets.count(failed["update_id"]) >= 2
    assert api.offsets[api.offsets.index(failed["update_id"]) + 1] == failed["update_id"]
    await telegram.stop()
    await asyncio.wait_for(task, 5)


async def test_no_offset_is_confirmed_while_the_sink_is_busy(api, telegram):
    sink = Sink()
    sink.gate = asyncio.Event()
    update = api.push_text(42, "Got it")
    task = await polling(telegram, sink)
    await api.wait_for(lambda: api.calls_to("getUpdates"))
    await asyncio.sleep(0.3)
    assert all(offset is None or offset <= update["update_id"] for offset in api.offsets)
    sink.gate.set()
    await api.wait_for(lambda: update["update_id"] + 1 in api.offsets)
    assert len(sink.received) == 1
    await telegram.stop()
    await asyncio.wait_for(task, 5)


async def test_updates_nobody_can_read_do_not_stop_polling(api, telegram):
    sink = Sink()
    api.push_group_join(-100)
    api.push_edited(42, "typo fixed")  # not even delivered: polling asks for messages and buttons only
    api.push_sticker(-100)
    last = api.push_sticker(42)
    task = await polling(telegram, sink)
    await api.wait_for(lambda: sink.received)
    await telegram.stop()
    await asyncio.wait_for(task, 5)
    assert [(i.address, i.text) for i in sink.received] == [("42", "")]  # a sticker in a private chat
    assert api.offsets[-1] == last["update_id"] + 1
    assert api.calls_to("getUpdates")[0].params["allowed_updates"] == ["message", "callback_query"]


async def test_polling_survives_server_errors(api, telegram):
    sink = Sink()
    api.server_error(method="getUpdates", times=2)
    api.push_text(42, "still there?")
    task = await polling(telegram, sink)
    await api.wait_for(lambda: sink.received)
    await telegram.stop()
    await asyncio.wait_for(task, 5)
    assert len(api.calls_to("getUpdates")) >= 3


async def test_a_pressed_button_is_answered_and_its_keyboard_removed(api, telegram):
    settled: list[tuple[int, int]] = []

    class Watching(Sink):
        async def __call__(self, inbound: Inbound) -> None:
            settled.append(
                (len(api.calls_to("answerCallbackQuery")), len(api.calls_to("editMessageReplyMarkup")))
            )
            await super().__call__(inbound)

    sink = Watching()
    await telegram.send(
        "42",
        Outbound(content=Content.plain("Highlights"), buttons=(Button(label="Got it", payload="ack:17"),)),
    )
    press = api.push_callback(42, "ack:17")
    task = await polling(telegram, sink)
    await api.wait_for(lambda: sink.received)
    await telegram.stop()
    await asyncio.wait_for(task, 5)
    [inbound] = sink.received
    assert (inbound.payload, inbound.text, inbound.event_id) == (
        "ack:17",
        "Got it",
        f"cbq:{press['callback_query']['id']}",
    )
    assert settled == [(1, 1)]  # answered before the sink started
    assert api.calls_to("answerCallbackQuery")[0].params["callback_query_id"] == press["callback_query"]["id"]
    assert "reply_markup" not in api.chats["42"][-1]  # nothing left to press twice


async def test_a_button_press_that_cannot_be_settled_still_counts(api, telegram):
    sink = Sink()
    await telegram.send(
        "42",
        Outbound(content=Content.plain("Highlights"), buttons=(Button(label="Got it", payload="ack:17"),)),
    )
    api.fail(
        status=400,
        description="Bad Request: query is too old and response timeout expired",
        method="answerCallbackQuery",
    )
    api.push_callback(42, "ack:17")
    task = await polling(telegram, sink)
    await api.wait_for(lambda: sink.received)
    await telegram.stop()
    await asyncio.wait_for(task, 5)
    assert sink.received[0].payload == "ack:17"


# -- files and commands ------------------------------------------------------------------------------


async def test_fetch_file_returns_the_photo_a_family_sent(api, telegram):
    update = api.push_photo(42, JPEG, caption="We tried it")
    file_id = update["message"]["photo"][-1]["file_id"]
    assert await telegram.fetch_file(file_id) == JPEG
    assert api.calls_to("getFile")[0].params["file_id"] == file_id


async def test_fetch_file_of_an_unknown_file_is_rejected(api, telegram):
    with pytest.raises(Rejected):
        await telegram.fetch_file("no-such-file")


async def test_commands_are_registered_per_language(api, telegram):
    await telegram.register_commands(
        {
            "": [("start", "Join with your invite code"), ("help", "What I can do")],
            "es": [("start", "Únete con tu código"), ("help", "Lo que puedo hacer")],
            "zh-Hans": [("start", "用邀请码加入")],
        }
    )
    assert set(api.commands) == {None, "es", "zh"}
    assert api.commands["es"] == [
        {"command": "start", "description": "Únete con tu código"},
        {"command": "help", "description": "Lo que puedo hacer"},
    ]


@pytest.mark.parametrize(
    "commands",
    [{"en": [("Start", "x")]}, {"en": [("a-b", "x")]}, {"zh-Hans": [("a", "x")], "zh-Hant": [("a", "y")]}],
)
async def test_commands_telegram_would_refuse_are_refused_here(api, telegram, commands):
    with pytest.raises(ValueError, match="command"):
        await telegram.register_commands(commands)
    assert not api.calls_to("setMyCommands")


# -- secrets ---------------------------------------------------------------------------------------------


async def test_the_token_is_in_no_repr_and_no_log_line(api, caplog):
    caplog.set_level(logging.DEBUG)
    channel = make_channel(api)
    try:
        await channel.send("42", Outbound(content=Content.plain("hello")))
        api.block(43)
        with pytest.raises(PermanentFailure):
            await channel.send("43", Outbound(content=Content.plain("hello")))
    finally:
        await channel.stop()
    # The fake Bot API's own server logs its request paths (token and all, as Telegram's would);
    # what counts is every line of this side: partnerbot, PTB, httpx.
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("uvicorn"))
    assert api.token not in repr(channel)
    assert "sendMessage" in ours  # httpx did log the request URLs...
    assert api.token not in ours  # ...without the token


async def test_the_token_is_in_no_log_line_of_a_photo_download_url_encoded_or_not(api, caplog):
    """File downloads put the token in the path percent-encoded (its ':' as %3A): redacted too."""
    caplog.set_level(logging.DEBUG)
    file_id = api.add_file(JPEG)
    channel = make_channel(api)
    try:
        assert await channel.fetch_file(file_id) == JPEG
    finally:
        await channel.stop()
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("uvicorn"))
    assert "/file/bot" in ours  # httpx logged the download...
    encoded = api.token.replace(":", "%3A")
    assert api.token not in ours and encoded not in ours and encoded.lower() not in ours.lower()


# -- error mapping without a server ------------------------------------------------------------------


def _caused(error: TelegramError, cause: BaseException) -> TelegramError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_caused(TimedOut(), httpx.ReadTimeout("read")), AmbiguousSend),
        (_caused(TimedOut(), httpx.ConnectTimeout("connect")), RetryLater),
        (_caused(TimedOut(), httpx.PoolTimeout("pool")), RetryLater),
        (_caused(TimedOut(), httpx.WriteTimeout("write")), RetryLater),
        (TimedOut(), AmbiguousSend),
        (
            _caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("dropped")),
            AmbiguousSend,
        ),
        (_caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")), RetryLater),
        (NetworkError("Bad Gateway (502)"), RetryLater),
        (Forbidden("Forbidden: user is deactivated"), PermanentFailure),
        (BadRequest("Bad Request: PEER_ID_INVALID"), PermanentFailure),
        (BadRequest("Bad Request: can't parse entities"), Rejected),
        (InvalidToken(), type(None)),
    ],
)
def test_classify(error, expected):
    assert type(classify(error)) is expected


# -- the fake itself ---------------------------------------------------------------------------------


async def test_the_fake_answers_like_telegram_to_unknown_methods_and_tokens(api):
    async with httpx.AsyncClient() as client:
        unknown = await client.post(f"{api.base_url}{api.token}/sendTelepathy", data={"chat_id": "42"})
        wrong_token = await client.post(f"{api.base_url}123:wrong/getMe")
        html_error = await client.post(
            f"{api.base_url}{api.token}/sendMessage",
            data={"chat_id": "42", "text": "1 < 2", "parse_mode": "HTML"},
        )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert wrong_token.status_code == 401
    assert html_error.status_code == 400
    assert "can't parse entities" in html_error.json()["description"]
