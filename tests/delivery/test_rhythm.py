"""Quiet hours and digest times in a person's own zone, across daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time

import pytest

from bot.delivery.rhythm import latest_digest_slot, quiet_until
from storage.models import Frequency

LONDON, SYDNEY = "Europe/London", "Australia/Sydney"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "start", "end", "expected"),
    [
        # winter, London = UTC: 21:00-07:00 quiet
        (utc(2026, 1, 10, 22, 0), LONDON, time(21), time(7), utc(2026, 1, 11, 7, 0)),
        (utc(2026, 1, 10, 6, 59), LONDON, time(21), time(7), utc(2026, 1, 10, 7, 0)),
        (utc(2026, 1, 10, 7, 0), LONDON, time(21), time(7), None),
        (utc(2026, 1, 10, 20, 59), LONDON, time(21), time(7), None),
        # summer, London = UTC+1: 22:30 UTC is 23:30 local, quiet until 07:00 local = 06:00 UTC
        (utc(2026, 7, 10, 22, 30), LONDON, time(21), time(7), utc(2026, 7, 11, 6, 0)),
        # the night the clocks go forward (29 March 2026, 01:00 UTC): 07:00 local is 06:00 UTC
        (utc(2026, 3, 28, 23, 0), LONDON, time(21), time(7), utc(2026, 3, 29, 6, 0)),
        # the night they go back (25 October 2026): 07:00 local is 07:00 UTC again
        (utc(2026, 10, 24, 22, 0), LONDON, time(21), time(7), utc(2026, 10, 25, 7, 0)),
        # a daytime window that does not cross midnight
        (utc(2026, 1, 10, 13, 0), LONDON, time(12), time(14), utc(2026, 1, 10, 14, 0)),
        # southern hemisphere: Sydney, UTC+11 in January
        (utc(2026, 1, 10, 11, 0), SYDNEY, time(21), time(7), utc(2026, 1, 10, 20, 0)),
        (utc(2026, 1, 10, 9, 0), SYDNEY, None, None, None),
    ],
)
def test_quiet_until(now, zone, start, end, expected):
    assert quiet_until(now, zone=zone, start=start, end=end) == expected


def test_a_quiet_hour_ending_in_the_spring_gap_ends_just_after_it():
    # 01:30 does not exist in London on 29 March 2026; it is read as 01:30 GMT = 02:30 BST
    ends = quiet_until(utc(2026, 3, 29, 0, 30), zone=LONDON, start=time(0), end=time(1, 30))
    assert ends == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(
    ("now", "frequency", "weekday", "at", "expected"),
    [
        (utc(2026, 1, 14, 19, 0), Frequency.DAILY, None, time(18), utc(2026, 1, 14, 18, 0)),
        (utc(2026, 1, 14, 17, 0), Frequency.DAILY, None, time(18), utc(2026, 1, 13, 18, 0)),
        # Wednesday 14 January 2026; weekly on Mondays at 07:00 → Monday 12th
        (utc(2026, 1, 14, 12, 0), Frequency.WEEKLY, 0, time(7), utc(2026, 1, 12, 7, 0)),
        # in summer the same local time is an hour earlier in UTC
        (utc(2026, 7, 15, 12, 0), Frequency.WEEKLY, 0, time(7), utc(2026, 7, 13, 6, 0)),
        # the Monday after the clocks went forward
        (utc(2026, 3, 30, 12, 0), Frequency.DAILY, None, time(7), utc(2026, 3, 30, 6, 0)),
        (utc(2026, 1, 14, 12, 0), Frequency.IMMEDIATE, None, None, None),
    ],
)
def test_latest_digest_slot(now, frequency, weekday, at, expected):
    assert latest_digest_slot(now, zone=LONDON, frequency=frequency, weekday=weekday, at=at) == expected


def test_fortnightly_slots_are_two_weeks_apart_and_the_same_for_every_asker():
    slots = {
        latest_digest_slot(
            utc(2026, 1, day, 12, 0), zone=LONDON, frequency=Frequency.FORTNIGHTLY, weekday=0, at=time(7)
        )
        for day in range(1, 29)
    }
    ordered = sorted(s for s in slots if s is not None)
    assert all((b - a).days == 14 for a, b in itertools.pairwise(ordered))
    assert all(s.weekday() == 0 for s in ordered)


def test_a_slot_missed_while_the_bot_was_down_is_found_once():
    # weekly on Fridays at 18:00; the bot comes back on Sunday: Friday's slot, not two
    slot = latest_digest_slot(
        utc(2026, 1, 18, 9, 0), zone=LONDON, frequency=Frequency.WEEKLY, weekday=4, at=time(18)
    )
    assert slot == utc(2026, 1, 16, 18, 0)
