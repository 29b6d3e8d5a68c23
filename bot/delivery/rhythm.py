"""When a person may be written to: quiet hours and digest times, in their own time zone.

Pure functions of an aware `now`, so they are tested across daylight-saving changes without
a clock. Times are wall-clock times in the person's zone; a time that does not exist on a
spring-forward night is read as the same wall time before the change (Python's fold=0),
which lands just after the gap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Frequency

#: A Monday: fortnightly digests fall in the weeks an even number of weeks from it.
FORTNIGHT_ANCHOR = date(2024, 1, 1)


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def quiet_until(now: datetime, *, zone: str, start: time | None, end: time | None) -> datetime | None:
    """If `now` falls in the quiet hours [start, end) (which may span midnight), the moment they
    end, in UTC; None when the person may be written to now."""
    if start is None or end is None or start == end:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return None
    ends_on = local.date() if clock < end else local.date() + timedelta(days=1)
    return _at(ends_on, end, tz)


def latest_digest_slot(
    now: datetime, *, zone: str, frequency: Frequency, weekday: int | None, at: time | None
) -> datetime | None:
    """The most recent digest time at or before `now`, in UTC; None for "straight away".

    A bot that was down across a digest time finds the missed slot here, once: the caller
    keys the digest by this slot, so it is created exactly once however often it asks.
    """
    if frequency == Frequency.IMMEDIATE or at is None:
        return None
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    for back in range(0, 15):
        day = today - timedelta(days=back)
        if frequency != Frequency.DAILY:
            if day.weekday() != (weekday if weekday is not None else 4):
                continue
            if frequency == Frequency.FORTNIGHTLY and ((day - FORTNIGHT_ANCHOR).days // 7) % 2:
                continue
        slot = _at(day, at, tz)
        if slot <= now:
            return slot
    return None
