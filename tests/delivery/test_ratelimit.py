"""The rate limiter on its own, against a clock that moves only when told to."""

from __future__ import annotations

import itertools

import pytest

from bot.channels.base import AddressKind, Quota, RateLimits, Scope
from bot.channels.telegram.limits import kind_of, telegram_limits
from bot.delivery.ratelimit import START_AHEAD, RateLimiter

TELEGRAM = telegram_limits()
GROUP = "-1001234567890"


class Ticks:
    """A monotonic clock for tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def limiter(ticks: Ticks, limits: RateLimits = TELEGRAM) -> RateLimiter:
    return RateLimiter(limits, now=ticks)


def send_when_ready(rl: RateLimiter, ticks: Ticks, address: str) -> None:
    ticks.now += rl.ready_in(address)
    assert rl.ready_in(address) == 0
    rl.record(address)


@pytest.mark.parametrize(
    ("address", "expected"), [("42", False), ("-42", True), ("-1001234567890", True), ("", False)]
)
def test_telegram_groups_are_the_negative_ids(address, expected):
    assert (kind_of(address) is AddressKind.GROUP) is expected


def test_no_limits_never_wait(ticks):
    rl = limiter(ticks, RateLimits())
    for _ in range(1000):
        assert rl.ready_in("42", behind=5) == 0
        rl.record("42")


def test_the_overall_rate_is_never_more_than_thirty_in_any_second(ticks):
    rl = limiter(ticks)
    sent_at = []
    for n in range(95):
        send_when_ready(rl, ticks, f"chat-{n}")
        sent_at.append(ticks.now)
        ticks.now += 0.004  # each request takes a few milliseconds
    assert max(sum(start <= t < start + 1 for t in sent_at) for start in sent_at) == 30
    assert sent_at[90] - sent_at[0] == pytest.approx(3.0)  # full speed: 30 a second


def test_a_slow_answer_delays_what_the_window_allows(ticks):
    rl = limiter(ticks, RateLimits(overall=(Quota(2, 1.0),)))
    rl.record("a")
    ticks.now += 0.5
    rl.record("b")  # answered half a second later
    assert rl.ready_in("c") == pytest.approx(0.5)
    ticks.now += 0.5
    assert rl.ready_in("c") == 0


def test_one_chat_is_spaced_at_its_rate(ticks):
    rl = limiter(ticks)
    rl.record("42")
    assert rl.ready_in("42") == pytest.approx(1.0)
    assert rl.ready_in("42", behind=2) == pytest.approx(3.0)
    assert rl.ready_in("43") == 0
    ticks.now += 0.4
    assert rl.ready_in("42") == pytest.approx(0.6)
    ticks.now += 0.6
    assert rl.ready_in("42") == 0


def test_a_fresh_chat_queued_behind_others_waits_their_spacing(ticks):
    assert limiter(ticks).ready_in("42", behind=3) == pytest.approx(3.0)


def test_a_group_gets_twenty_a_minute_in_a_sliding_window(ticks):
    rl = limiter(ticks)
    first = ticks.now
    for _ in range(20):
        send_when_ready(rl, ticks, GROUP)
    assert ticks.now - first == pytest.approx(19.0)  # one a second, as any chat
    assert rl.ready_in(GROUP) == pytest.approx(first + 60 - ticks.now)
    assert rl.ready_in(GROUP, behind=1) == pytest.approx(first + 61 - ticks.now)
    assert rl.ready_in(GROUP, behind=25) >= 60
    send_when_ready(rl, ticks, GROUP)
    assert ticks.now == pytest.approx(first + 60)
    assert rl.ready_in("1001234567890") == 0  # the same digits as a private chat: no window


def test_a_fractional_per_minute_limit_widens_the_window(ticks):
    rl = limiter(ticks, telegram_limits(overall_per_s=None, per_chat_per_s=None, per_group_per_min=0.5))
    rl.record(GROUP)
    assert rl.ready_in(GROUP) == pytest.approx(120.0)


def test_a_pause_holds_back_that_chat_only(ticks):
    rl = limiter(ticks)
    rl.pause(7, scope=Scope.ADDRESS, address="42")
    assert rl.ready_in("42") == pytest.approx(7)
    assert rl.ready_in("43") == 0
    rl.pause(2, scope=Scope.ADDRESS, address="42")  # a shorter retry-after does not shorten the pause
    ticks.now += 6
    assert rl.ready_in("42") == pytest.approx(1)
    ticks.now += 1
    assert rl.ready_in("42") == 0


def test_idle_chats_are_forgotten(ticks):
    rl = limiter(ticks)
    for n in range(10_000):
        rl.record(str(n))
        ticks.now += 0.1
    assert 0 < len(rl) <= 1024
    rl.pause(3600, scope=Scope.ADDRESS, address="busy")
    for n in range(10_000, 20_000):
        rl.record(str(n))
        ticks.now += 0.1
    assert rl.ready_in("busy") > 0  # a chat still paused is kept


def test_requests_on_their_way_hold_their_place_in_the_window(ticks):
    rl = limiter(ticks, RateLimits(overall=(Quota(2, 1.0),)))
    rl.start()
    rl.start()
    assert rl.ready_in("c") == pytest.approx(1.0)  # two on their way: as if answered now
    ticks.now += 0.3
    rl.record("a")
    assert rl.ready_in("c") == pytest.approx(1.0)  # the other may still arrive now
    ticks.now += 0.2
    rl.record("b")
    assert rl.ready_in("c") == pytest.approx(0.8)  # a's place frees a second after its answer


def test_starts_are_spread_evenly_over_the_second(ticks):
    """No burst of thirty then a second's silence: a few at once, then one each thirtieth."""
    rl = limiter(ticks)
    started_at = []
    for n in range(90):
        ticks.now += rl.ready_in(f"chat-{n}")
        rl.start()
        started_at.append(ticks.now)
        rl.record(f"chat-{n}")  # answered at once
    assert max(started_at.count(at) for at in started_at) == START_AHEAD + 1
    assert max(later - earlier for earlier, later in itertools.pairwise(started_at)) < 0.15
    assert max(sum(start <= t < start + 1 for t in started_at) for start in started_at) == 30


def test_a_late_start_is_made_up_by_the_next(ticks):
    rl = limiter(ticks)
    for n in range(START_AHEAD + 2):
        ticks.now += rl.ready_in(str(n))
        rl.start()
        rl.record(str(n))
    ticks.now += rl.ready_in("late") + 0.02  # woke 20 ms after its time
    rl.start()
    assert rl.ready_in("next") == pytest.approx(1 / 30 - 0.02)  # the schedule, not the late start


def _mailbox_or_private(address: str) -> AddressKind:
    return AddressKind.MAILBOX if "@" in address else AddressKind.PRIVATE


#: A mail relay's kind of limits: 3 a minute and 5 an hour overall (small, to count by hand).
RELAY = RateLimits(overall=(Quota(3, 60.0), Quota(5, 3600.0)))


def test_per_minute_and_per_hour_windows_hold_together(ticks):
    rl = limiter(ticks, RELAY)
    first = ticks.now
    sent_after = []
    for n in range(7):
        ticks.now += rl.ready_in(f"parent{n}@example.org", paced=False)
        rl.start()
        rl.record(f"parent{n}@example.org")
        sent_after.append(ticks.now - first)
    # three at once, two a minute later (the hourly five used up), the next an hour after the first
    assert sent_after == pytest.approx([0, 0, 0, 60, 60, 3600, 3600])


def test_an_even_start_follows_the_fastest_overall_window(ticks):
    rl = limiter(ticks, RateLimits(overall=(Quota(10, 1.0), Quota(100, 60.0))))
    for _ in range(START_AHEAD + 1):
        rl.start()
        rl.record("a")
    assert rl.ready_in("b") == pytest.approx(0.1)  # a tenth of a second: 10 a second spread out


def test_each_kind_of_address_gets_its_own_limits(ticks):
    limits = RateLimits(
        per_address={AddressKind.PRIVATE: (Quota(1, 1.0),), AddressKind.MAILBOX: (Quota(2, 60.0),)},
        kind_of=_mailbox_or_private,
    )
    rl = limiter(ticks, limits)
    for address in ("42", "42", "ana@example.org", "ana@example.org", "ana@example.org"):
        send_when_ready(rl, ticks, address)
    assert ticks.now - 1000.0 == pytest.approx(61.0)  # 1 s for the chat, a minute for the mailbox
    assert rl.spacing_s("42") == 1.0
    assert rl.spacing_s("ana@example.org") == 0.0  # two a minute, not one at a time
    assert limiter(ticks, RateLimits(kind_of=_mailbox_or_private)).ready_in("ana@example.org", behind=9) == 0


def test_a_channel_pause_holds_back_every_address(ticks):
    rl = limiter(ticks)
    rl.pause(5, scope=Scope.CHANNEL)
    assert [rl.ready_in(a) for a in ("42", "43", GROUP)] == pytest.approx([5, 5, 5])
    assert rl.methods_ready_in({"sendMessage"}) == 0  # no method of its own is paused
    ticks.now += 5
    assert [rl.ready_in(a) for a in ("42", "43", GROUP)] == [0, 0, 0]


def test_a_method_pause_holds_back_only_sends_using_it(ticks):
    rl = limiter(ticks)
    rl.pause(8, scope=Scope.METHOD, method="sendPhoto")
    assert rl.methods_ready_in({"sendPhoto", "sendMessage"}) == pytest.approx(8)
    assert rl.methods_ready_in({"sendMessage"}) == 0
    assert rl.ready_in("42") == 0  # the address itself may send (a message without a photo)
    ticks.now += 8
    assert rl.methods_ready_in({"sendPhoto"}) == 0


def test_an_address_pause_holds_back_no_method_and_no_other_address(ticks):
    rl = limiter(ticks)
    rl.pause(4, scope=Scope.ADDRESS, address="42")
    assert (rl.ready_in("42"), rl.ready_in("43"), rl.methods_ready_in({"sendMessage"})) == (
        pytest.approx(4),
        0,
        0,
    )


def test_a_start_given_up_frees_its_place_and_turn(ticks):
    rl = limiter(ticks, RateLimits(overall=(Quota(2, 1.0),)))
    rl.start()
    rl.start()
    assert rl.ready_in("c", paced=False) == pytest.approx(1.0)
    rl.abandon()
    rl.abandon()
    assert rl.ready_in("c") == 0
