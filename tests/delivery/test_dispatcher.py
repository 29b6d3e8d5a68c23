"""The dispatcher's answers to each kind of send failure, and its rate limits per chat, through a
test channel that raises them (and once through python-telegram-bot against the fake Bot API)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.channels.base import (
    AddressChanged,
    AddressKind,
    AmbiguousSend,
    Capabilities,
    Channel,
    PermanentFailure,
    Quota,
    RateLimits,
    Rejected,
    RetryLater,
    Scope,
    Sent,
)
from bot.channels.telegram.adapter import TelegramChannel
from bot.delivery.dispatcher import Dispatcher
from bot.events import Content, Outbound
from bot.i18n import Speaker
from bot.web.app import make_web_app
from storage.db import session_scope
from storage.models import ChannelAccount, Delivery, DeliveryStatus, MessageKind
from storage.outbox import DeliveryDraft, MessageDraft, claim_due, queue_message
from tests.fakes.telegram import FakeTelegram
from tests.harness import FakeClock, TestChannel

#: Telegram's pace for the test channel: 30 a second overall, a second between two to one chat.
PACED = RateLimits(overall=(Quota(30, 1.0),), per_address={AddressKind.PRIVATE: (Quota(1, 1.0),)})


def dispatcher(db, channel: Channel, clock: FakeClock, **kwargs: object) -> Dispatcher:
    """A dispatcher whose limiter reads the test's clock and whose waits move it on."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    return Dispatcher(
        db=db,
        channels={channel.name: channel},
        clock=clock,
        monotonic=lambda: clock().timestamp(),
        sleep=sleep,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(settings, db, channel: TestChannel, clock: FakeClock) -> App:
    """The app on one clock: a platform's retry-after and the row's retry time agree."""
    app = build_app(settings, {"test": channel}, db=db, clock=clock)
    app.dispatcher = dispatcher(db, channel, clock)
    return app


@pytest.fixture
async def stranger(chat, school):
    """An unlinked account whose first message is answered; the answer is what fails."""
    return chat("stranger")


def _account(session) -> ChannelAccount:
    session.expire_all()
    return session.exec(select(ChannelAccount).where(ChannelAccount.channel == "test")).one()


def _delivery(session) -> Delivery:
    session.expire_all()
    return session.exec(select(Delivery)).one()


async def test_retry_later_waits_as_long_as_the_platform_asks(stranger, channel, session, clock):
    channel.failures["stranger"].append(RetryLater("429", after_s=12))
    assert await stranger.say("hello") == []
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.PENDING, 0, "429")
    assert (delivery.not_before - clock()).total_seconds() == 12
    clock.advance(seconds=12)
    await stranger.app.dispatcher.drain()
    assert _delivery(session).status == DeliveryStatus.SENT
    assert len(channel.sent["stranger"]) == 1


async def test_passing_failures_are_tried_again_for_a_day_then_given_up(stranger, channel, session, clock):
    """Retried by time, not by count: 30 failures in a row over hours still leave it pending; a
    delivery failing a day after it was queued is marked failed."""
    channel.failures["stranger"].extend(RuntimeError("boom") for _ in range(1000))
    await stranger.say("hello")
    for _ in range(30):
        delivery = _delivery(session)
        assert delivery.status == DeliveryStatus.PENDING
        assert (delivery.not_before - clock()) <= timedelta(minutes=5)  # never far apart
        clock.now = delivery.not_before
        await stranger.app.dispatcher.drain()
    assert _delivery(session).attempts == 31
    clock.now = _delivery(session).created_at + timedelta(hours=24)
    await stranger.app.dispatcher.drain()
    assert (_delivery(session).status, _delivery(session).attempts) == (DeliveryStatus.FAILED, 32)


async def test_an_outage_loses_nothing_and_sends_nothing_twice(db, clock, session):
    """Issue 14's three faults, 2 minutes each, on 100 families: 500s, 429s (retry after 5 s) and
    the platform out of reach. Before, 5 tries in ~30 s failed most of them for ever."""
    chats = [f"family{n}" for n in range(100)]
    queue(db, clock, "test", [(chat, f"to {chat}") for chat in chats])
    start = clock()

    class Outage(TestChannel):
        async def send(self, address: str, out: Outbound) -> Sent:
            elapsed = (clock() - start).total_seconds()
            if elapsed < 120:
                raise RetryLater("500 Internal Server Error")
            if elapsed < 240:
                raise RetryLater("429 Too Many Requests", after_s=5)
            if elapsed < 360:
                raise RetryLater("connection refused", scope=Scope.CHANNEL)
            return await super().send(address, out)

    channel = Outage()
    dispatching = dispatcher(db, channel, clock)
    for _ in range(2000):  # the run loop: wake when the next delivery is due
        session.expire_all()
        waiting = [d for d in session.exec(select(Delivery)) if d.status != DeliveryStatus.SENT]
        if not waiting:
            break
        assert all(d.status == DeliveryStatus.PENDING for d in waiting)
        due = min(d.not_before or clock.now for d in waiting)
        clock.now = max(clock.now + timedelta(seconds=1), due)  # as `run` looks again after a while
        await dispatching.drain()
    assert sorted(a for a in chats if texts(channel, a) == [f"to {a}"]) == sorted(chats)
    assert clock() - start < timedelta(minutes=12)  # within minutes of the platform's return


async def test_a_blocked_chat_is_unreached_and_its_account_inactive(stranger, channel, session):
    channel.failures["stranger"].append(PermanentFailure("Forbidden: bot was blocked by the user"))
    await stranger.say("hello")
    assert _delivery(session).status == DeliveryStatus.UNREACHED
    assert not _account(session).active


async def test_a_rejected_message_fails_without_retry_and_the_account_stays(stranger, channel, session):
    channel.failures["stranger"].append(Rejected("Bad Request: message is too long"))
    await stranger.say("hello")
    assert (_delivery(session).status, _delivery(session).attempts) == (DeliveryStatus.FAILED, 1)
    assert _account(session).active


async def test_a_moved_chat_is_followed(stranger, channel, session):
    channel.failures["stranger"].append(AddressChanged("migrated", new_address="stranger-2"))
    await stranger.say("hello")
    await stranger.app.dispatcher.drain()
    assert _delivery(session).status == DeliveryStatus.SENT
    assert len(channel.sent["stranger-2"]) == 1
    assert _account(session).address == "stranger-2"


async def test_an_ambiguous_send_is_recorded_not_repeated(stranger, channel, session):
    channel.failures["stranger"].append(AmbiguousSend("timed out after sending"))
    await stranger.say("hello")
    delivery = _delivery(session)
    assert (delivery.status, delivery.ambiguous, delivery.last_error) == (
        DeliveryStatus.SENT,
        True,
        "ambiguous: timed out after sending",
    )
    assert len(channel.sent["stranger"]) == 0  # the test channel raised: nothing repeated it


async def test_a_claim_left_by_a_stopped_dispatcher_is_taken_again_after_its_lease(
    db, channel, clock, session
):
    queue(db, clock, "test", [("a", "a0"), ("b", "b0")])
    with session_scope(db) as claiming:  # a dispatcher claims both, then dies before sending
        claim_due(session=claiming, channels=["test"], now=clock(), lease=timedelta(minutes=2), limit=10)
    assert await dispatcher(db, channel, clock).drain() == 0
    clock.advance(seconds=119)
    assert await dispatcher(db, channel, clock).drain() == 0  # its claim still holds
    clock.advance(seconds=2)
    assert await dispatcher(db, channel, clock).drain() == 2
    assert texts(channel, "a") == ["a0"]
    assert [(d.status, d.attempts, d.ambiguous) for d in deliveries(session, "a")] == [
        (DeliveryStatus.SENT, 2, True)  # it may have gone out before the crash: recorded
    ]


async def test_a_round_cut_short_confirms_what_it_sent_and_the_rest_goes_again_after_the_lease(
    db, channel, clock, session
):
    """Sends are confirmed together; stopped mid-round (shut down), those that went are still
    recorded, and the one on its way keeps its claim until it expires (then goes, ambiguous)."""
    queue(db, clock, "test", [("a", "a0"), ("b", "b0"), ("c", "c0")])
    on_its_way = asyncio.Event()
    send = channel.send

    async def stuck_for_b(address: str, out: Outbound) -> Sent:
        if address == "b" and not on_its_way.is_set():
            on_its_way.set()
            await asyncio.Event().wait()  # no answer until the drain is stopped
        return await send(address, out)

    channel.send = stuck_for_b  # type: ignore[method-assign]
    draining = asyncio.create_task(dispatcher(db, channel, clock).drain())
    await on_its_way.wait()
    await asyncio.sleep(0)  # c goes beside b
    draining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await draining
    assert [d.status for d in deliveries(session, "a") + deliveries(session, "c")] == [
        DeliveryStatus.SENT
    ] * 2
    assert [d.status for d in deliveries(session, "b")] == [DeliveryStatus.SENDING]
    clock.advance(minutes=3)
    assert await dispatcher(db, channel, clock).drain() == 1
    assert (texts(channel, "a"), texts(channel, "b"), texts(channel, "c")) == (["a0"], ["b0"], ["c0"])
    assert [d.ambiguous for d in deliveries(session, "b")] == [True]  # it was on its way when it stopped


async def test_a_drain_that_claims_everything_due_does_not_ask_again(db, channel, clock):
    queue(db, clock, "test", [("a", "a0"), ("b", "b0")])
    claims: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("SELECT") and "FROM delivery" in statement:
            claims.append(statement)

    event.listen(db, "before_cursor_execute", count)
    try:
        assert await dispatcher(db, channel, clock).drain() == 2
    finally:
        event.remove(db, "before_cursor_execute", count)
    assert len(claims) == 1


def queue(db, clock: FakeClock, channel: str, messages: Sequence[tuple[str, str]]) -> None:
    """Queue (address, text) deliveries of updates in this order, with an account for each address."""
    with session_scope(db) as session:
        accounts: dict[str, int] = {}
        for address, _text in messages:
            account = session.exec(
                select(ChannelAccount).where(
                    ChannelAccount.channel == channel, ChannelAccount.address == address
                )
            ).first() or ChannelAccount(channel=channel, address=address)
            session.add(account)
            session.flush()
            accounts[address] = account.id or 0
        for address, text in messages:
            draft = DeliveryDraft(
                person_id=None,
                account_id=accounts[address],
                channel=channel,
                address=address,
                language="en",
                content=Content.plain(text).to_json(),
            )
            queue_message(
                session=session,
                message=MessageDraft(text=text, language="en", kind=MessageKind.UPDATE),
                drafts=[draft],
                now=clock(),
            )


def deliveries(session: Session, address: str) -> list[Delivery]:
    session.expire_all()
    return list(session.exec(select(Delivery).where(Delivery.address == address).order_by(Delivery.id)))


def texts(channel: TestChannel, address: str) -> list[str]:
    return [out.text for out in channel.sent[address]]


async def test_a_429_for_one_chat_does_not_hold_back_another(db, channel, clock, session):
    channel.limits = PACED
    queue(db, clock, "test", [(address, f"{address}{n}") for n in range(3) for address in ("a", "b")])
    channel.failures["a"].append(RetryLater("429", after_s=30))
    start = clock()
    await dispatcher(db, channel, clock).drain()
    assert texts(channel, "b") == ["b0", "b1", "b2"]
    sent_after = [(d.sent_at - start).total_seconds() for d in deliveries(session, "b")]
    assert sent_after == pytest.approx([0, 1, 2], abs=1e-6)
    assert texts(channel, "a") == []
    waiting = deliveries(session, "a")
    assert [(d.status, d.attempts) for d in waiting] == [(DeliveryStatus.PENDING, 0)] * 3  # none counted
    assert all(d.not_before >= start + timedelta(seconds=30) for d in waiting)

    clock.now = start + timedelta(seconds=32)
    await dispatcher(db, channel, clock).drain()
    assert texts(channel, "a") == ["a0", "a1", "a2"]


async def test_a_429_for_one_chat_and_500s_for_another_hold_back_neither_the_others(
    db, channel, clock, session
):
    channel.limits = PACED
    chats = ["limited", "failing", "c", "d"]
    queue(db, clock, "test", [(address, f"{address}{n}") for n in range(2) for address in chats])
    channel.failures["limited"].append(RetryLater("429", after_s=30))
    channel.failures["failing"].extend([RetryLater("500 Internal Server Error")] * 2)
    start = clock()
    await dispatcher(db, channel, clock).drain()
    for address in ("c", "d"):
        assert texts(channel, address) == [f"{address}0", f"{address}1"]
        first, second = [(d.sent_at - start).total_seconds() for d in deliveries(session, address)]
        assert first < 0.2  # only the overall pacing ahead of it
        assert second - first == pytest.approx(1.0, abs=1e-6)  # the chat's own spacing
    assert texts(channel, "limited") == []

    for _ in range(10):  # the dispatcher's run loop, each time the next retry becomes due
        pending = [
            d
            for d in deliveries(session, "failing") + deliveries(session, "limited")
            if d.status == DeliveryStatus.PENDING
        ]
        if not pending:
            break
        clock.now = max(clock.now, min(d.not_before for d in pending))
        await dispatcher(db, channel, clock).drain()
    assert sorted(texts(channel, "failing")) == ["failing0", "failing1"]  # each retried after a 500
    assert sum(d.attempts for d in deliveries(session, "failing")) == 4
    assert texts(channel, "limited") == ["limited0", "limited1"]


async def test_a_channel_wide_slow_down_holds_back_every_chat_until_it_lapses(db, channel, clock, session):
    channel.limits = PACED
    chats = ("a", "b", "c")
    queue(db, clock, "test", [(address, f"{address}{n}") for n in range(2) for address in chats])
    channel.failures["a"].append(RetryLater("421 try later", after_s=30, scope=Scope.CHANNEL))
    start = clock()
    await dispatcher(db, channel, clock).drain()
    assert [texts(channel, a) for a in chats] == [[], ["b0"], ["c0"]]  # those were on their way
    waiting = [d for a in chats for d in deliveries(session, a) if d.status == DeliveryStatus.PENDING]
    assert [d.attempts for d in waiting] == [0, 0, 0, 0]  # a named wait is no try; the rest not tried
    assert all(d.not_before >= start + timedelta(seconds=30) for d in waiting)

    clock.now = start + timedelta(seconds=30)
    for _ in range(5):  # the run loop, each time the next becomes due (each chat one a second)
        await dispatcher(db, channel, clock).drain()
        clock.advance(seconds=1)
    assert [texts(channel, a) for a in chats] == [["a0", "a1"], ["b0", "b1"], ["c0", "c1"]]


async def test_a_method_slow_down_holds_back_only_the_sends_using_it(db, channel, clock, session):
    channel.limits = RateLimits(
        methods_of=lambda out: frozenset({"photo" if out.text.startswith("photo") else "text"})
    )
    queue(db, clock, "test", [("a", "photo 1"), ("b", "photo 2"), ("c", "text 1"), ("a", "text 2")])
    channel.failures["a"].append(RetryLater("tier 2", after_s=60, scope=Scope.METHOD, method="photo"))
    start = clock()
    await dispatcher(db, channel, clock).drain()
    assert [texts(channel, a) for a in ("a", "b", "c")] == [["text 2"], [], ["text 1"]]
    [photo] = deliveries(session, "b")
    assert (photo.status, photo.attempts) == (DeliveryStatus.PENDING, 0)
    assert photo.not_before >= start + timedelta(seconds=60)

    clock.now = start + timedelta(seconds=60)
    await dispatcher(db, channel, clock).drain()
    assert [texts(channel, a) for a in ("a", "b")] == [["text 2", "photo 1"], ["photo 2"]]


async def test_a_burst_to_one_chat_is_paced_and_others_go_first(db, channel, clock, session):
    channel.limits = RateLimits(per_address={AddressKind.PRIVATE: (Quota(1, 0.5),)})
    queue(db, clock, "test", [("a", f"a{n}") for n in range(20)] + [("b", "b0")])
    start = clock()
    await dispatcher(db, channel, clock, hold_s=5.0).drain()
    assert [(d.sent_at - start).total_seconds() for d in deliveries(session, "b")] == [0]
    sent = [d for d in deliveries(session, "a") if d.status == DeliveryStatus.SENT]
    assert [(d.sent_at - start).total_seconds() for d in sent] == [n / 2 for n in range(11)]
    put_back = [d for d in deliveries(session, "a") if d.status == DeliveryStatus.PENDING]
    assert len(put_back) == 9  # more than `hold_s` ahead: back in the outbox, without an attempt
    assert {d.attempts for d in put_back} == {0}

    for _ in range(20):  # as the dispatcher's run loop would, each time one becomes due
        due = min(d.not_before for d in deliveries(session, "a") if d.status == DeliveryStatus.PENDING)
        clock.now = max(clock.now, due)
        await dispatcher(db, channel, clock).drain()
        if len(texts(channel, "a")) == 20:
            break
    assert texts(channel, "a") == [f"a{n}" for n in range(20)]
    sent_at = [d.sent_at for d in deliveries(session, "a")]
    assert all((later - earlier).total_seconds() >= 0.5 for earlier, later in itertools.pairwise(sent_at))


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as fake:
        yield fake


async def test_on_telegram_a_429_for_one_chat_and_500s_for_another_hold_back_no_other(
    db, clock, api, session
):
    """Through python-telegram-bot, with Telegram's limits and real time."""
    limited, failing, others = "1001", "1004", ["1002", "1003", "-1001234567890"]
    chats = [limited, failing, *others]
    queue(db, clock, "telegram", [(chat, f"{chat}/{n}") for n in range(2) for chat in chats])
    api.rate_limit(limited, retry_after=30)
    api.fail(status=500, description="Internal Server Error", chat_id=failing, times=2)
    channel = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
    try:
        async with asyncio.timeout(20):
            await Dispatcher(db=db, channels={"telegram": channel}, clock=clock).drain()
    finally:
        await channel.stop()
    for chat in others:
        assert [call.params["text"] for call in api.sent_to(chat)] == [f"{chat}/0", f"{chat}/1"]
    assert len(api.sent_to(limited)) == 1  # the answer was 429; the next one waits out the pause
    assert len(api.sent_to(failing)) == 2  # both answered 500: each will be tried again later
    retrying = [d for d in deliveries(session, failing) if d.status == DeliveryStatus.PENDING]
    assert [d.attempts for d in retrying] == [1, 1]


async def test_a_drain_asked_for_while_one_runs_leaves_the_new_work_to_it(db, channel, clock):
    """An event's replies queued during a broadcast: the running drain sends them, no second
    drain runs beside it (two would pace the same chats without seeing each other's sends); the
    second call returns when the first is done."""
    queue(db, clock, "test", [("a", "a0")])
    running = dispatcher(db, channel, clock)
    sending, go_on = asyncio.Event(), asyncio.Event()
    send = channel.send

    async def slow_send(address: str, out: Outbound) -> Sent:
        sending.set()
        await go_on.wait()
        return await send(address, out)

    channel.send = slow_send  # type: ignore[method-assign]
    first = asyncio.create_task(running.drain())
    await sending.wait()
    queue(db, clock, "test", [("b", "b0")])
    second = asyncio.create_task(running.drain())
    go_on.set()
    assert (await first, await second) == (2, 0)  # the second waited for the first, which sent b0
    assert texts(channel, "b") == ["b0"]


async def test_a_reply_goes_before_a_broadcast_already_queued(app, stranger, channel, clock, db, session):
    channel.limits = PACED
    app.dispatcher = dispatcher(db, channel, clock)
    queue(db, clock, "test", [(f"family-{n}", "The trip is on Friday.") for n in range(150)])
    start = clock()
    await stranger.say("hello")  # queued after the broadcast, sent first
    [reply] = deliveries(session, "stranger")
    assert (reply.status, reply.sent_at) == (DeliveryStatus.SENT, start)
    assert sum(len(texts(channel, f"family-{n}")) for n in range(150)) == 150
    assert (clock() - start).total_seconds() >= 4  # the broadcast itself kept to 30 a second


async def test_presses_during_a_paced_broadcast_are_answered_within_a_second(app, chat, channel, clock, db):
    """Ten families press at once while 300 highlights go out at 30 a second, 1 a second per chat:
    each is answered within a second of (fake) time, long before the broadcast ends."""
    channel.limits = PACED
    app.dispatcher = dispatcher(db, channel, clock)
    queue(db, clock, "test", [(f"family-{n}", "The trip is on Friday.") for n in range(300)])
    pressers = [f"presser-{n}" for n in range(10)]
    halfway, go_on, answered = asyncio.Event(), asyncio.Event(), asyncio.Event()
    broadcast_sent: list[int] = []
    answered_at: dict[str, tuple[float, int]] = {}
    send = channel.send

    async def watched_send(address: str, out: Outbound) -> Sent:
        if address.startswith("family-"):
            broadcast_sent.append(1)
            if len(broadcast_sent) == 45:
                halfway.set()
                await go_on.wait()  # the presses arrive while this send is on its way
        else:
            answered_at[address] = (clock().timestamp(), len(broadcast_sent))
            if len(answered_at) == len(pressers):
                answered.set()
        return await send(address, out)

    channel.send = watched_send  # type: ignore[method-assign]
    running = asyncio.create_task(app.dispatcher.run())
    try:
        await halfway.wait()
        pressed_at = clock().timestamp()
        for address in pressers:
            await app.receive(chat(address).inbound("hello"))
        await app.intake.settled()
        go_on.set()
        await answered.wait()
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    for address in pressers:
        at, broadcast_before = answered_at[address]
        assert at - pressed_at < 1.0
        assert broadcast_before < 100  # not after the broadcast: within a few of the 45 sent


async def test_sends_to_different_chats_go_side_by_side_and_one_at_a_time_per_chat(db, channel, clock):
    queue(db, clock, "test", [(f"chat-{n % 20}", str(n)) for n in range(60)])
    on_their_way: list[str] = []
    most, overlapping = 0, []
    send = channel.send

    async def slow_send(address: str, out: Outbound) -> Sent:
        nonlocal most
        if address in on_their_way:
            overlapping.append(address)
        on_their_way.append(address)
        most = max(most, len(on_their_way))
        await asyncio.sleep(0.005)  # a platform a few milliseconds away
        on_their_way.remove(address)
        return await send(address, out)

    channel.send = slow_send  # type: ignore[method-assign]
    assert await dispatcher(db, channel, clock, concurrency=8).drain() == 60
    assert (most, overlapping) == (8, [])
    for n in range(20):
        assert texts(channel, f"chat-{n}") == [str(n), str(n + 20), str(n + 40)]  # each chat in order


class ButtonlessChannel(TestChannel):
    """A channel that cannot show buttons (SMS, say)."""

    __test__ = False
    capabilities = Capabilities(buttons=False)


async def test_a_channel_without_buttons_gets_the_choices_as_text_to_write_back(db, clock):
    channel = ButtonlessChannel()
    with session_scope(db) as session:
        account = ChannelAccount(channel=channel.name, address="sms")
        session.add(account)
        session.flush()
        draft = DeliveryDraft(
            person_id=None,
            account_id=account.id,
            channel=channel.name,
            address="sms",
            language="es",
            content=Content.plain("¿Cómo fue?").to_json(),
            buttons=(("Bien", "how:well"), ("Todavía no", "how:not_yet")),
        )
        queue_message(
            session=session,
            message=MessageDraft(text="¿Cómo fue?", language="es", kind=MessageKind.UPDATE),
            drafts=[draft],
            now=clock(),
        )
    assert await dispatcher(db, channel, clock).drain() == 1
    [out] = channel.sent["sms"]
    assert out.buttons == ()
    hint = Speaker("es")._("To answer, write one of these:")
    assert out.text == f"¿Cómo fue?\n\n{hint}\nBien\nTodavía no"


async def test_a_platform_out_of_reach_pauses_the_channel_not_each_chat(db, channel, clock, session, caplog):
    """A circuit breaker: the first failure to connect pauses the whole channel (its other chats are
    not tried meanwhile, and not counted); the health check names it; the next success closes it."""
    queue(db, clock, "test", [(chat, f"to {chat}") for chat in ("a", "b", "c")])
    channel.failures["a"].extend([RetryLater("connection refused", scope=Scope.CHANNEL)] * 2)
    dispatching = dispatcher(db, channel, clock, hold_s=0, concurrency=1)  # none on its way beside it
    await dispatching.drain()
    assert [texts(channel, chat) for chat in ("a", "b", "c")] == [[], [], []]
    assert [d.attempts for chat in ("a", "b", "c") for d in deliveries(session, chat)] == [0, 0, 0]
    assert dispatching.down_channels() == {"test"}
    assert "channel test cannot be reached (connection refused); its sends wait" in caplog.text
    async with _health(dispatching) as client:
        down = await client.get("/healthz")
        assert (down.status_code, down.text) == (503, "down: test")

    for _ in range(10):  # the run loop; the second probe fails too, then the channel is back
        clock.advance(seconds=61)
        await dispatching.drain()
    assert [texts(channel, chat) for chat in ("a", "b", "c")] == [["to a"], ["to b"], ["to c"]]
    assert dispatching.down_channels() == frozenset()
    assert "channel test is reachable again" in caplog.text
    async with _health(dispatching) as client:
        assert (await client.get("/healthz")).status_code == 200


@contextlib.asynccontextmanager
async def _health(dispatching: Dispatcher) -> AsyncIterator[httpx.AsyncClient]:
    app = make_web_app(down=dispatching.down_channels)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_a_delivery_is_never_held_past_half_its_lease(db, channel, clock, session):
    """With a 3 s lease and a second between two messages to one chat, a delivery held for its turn
    would outlive its claim, be claimed again and go twice; it is put back instead."""
    channel.limits = PACED
    queue(db, clock, "test", [("a", f"a{n}") for n in range(8)] + [("b", "b0")])
    dispatching = dispatcher(db, channel, clock, lease=timedelta(seconds=3))
    for _ in range(30):  # the run loop
        await dispatching.drain()
        if len(texts(channel, "a")) == 8:
            break
        clock.advance(seconds=1)
    assert texts(channel, "a") == [f"a{n}" for n in range(8)]  # each once, in order
    assert texts(channel, "b") == ["b0"]
    assert not [d for d in deliveries(session, "a") if d.ambiguous]


async def test_a_send_names_the_recipients_language_and_its_message(join, channel: TestChannel):
    """For a channel that labels a mail's language and threads by the stored message (e-mail)."""
    await join(("Carlos", "Español"))
    out = channel.sent["carlos"][-1]
    assert out.language == "es"
    assert out.message_id is not None
