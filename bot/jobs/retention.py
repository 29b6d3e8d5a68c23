"""Retention (run by the scheduler): deletes the messages, photos, inbound events and delivery rows the
school no longer keeps, and logs how many. Deleting what is already gone does nothing: safe to run twice."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storage.retention import delete_deliveries, delete_inbound, delete_messages, delete_photos

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Keep:
    """How long one kind of record is kept: `days`, or to the end of its school year plus `months`."""

    days: int | None = None
    months: int | None = None

    @classmethod
    def parse(cls, value: str) -> Keep | None:
        """Empty: kept for ever; "30d": days; "year+6m": school year plus months (settings check it)."""
        if not value:
            return None
        if match := re.fullmatch(r"(\d+)d", value):
            return cls(days=int(match[1]))
        match = re.fullmatch(r"year\+(\d+)m", value)
        if match is None:
            raise ValueError(f"not a retention: {value!r}")
        return cls(months=int(match[1]))

    def cutoff(self, now: datetime, *, year_end: tuple[int, int]) -> datetime:
        """Records made before this are due. For "year+N months": the end of the latest school year
        whose end, N months on, has passed (the day after the year's last day, 00:00 UTC)."""
        if self.days is not None:
            return now - timedelta(days=self.days)
        month, day = year_end
        for year in range(now.year, now.year - 20, -1):
            end = datetime(year, month, day, tzinfo=UTC) + timedelta(days=1)
            if _add_months(end, self.months or 0) <= now:
                return end
        return datetime(now.year - 20, month, day, tzinfo=UTC)


def _add_months(at: datetime, months: int) -> datetime:
    month = at.month - 1 + months
    year, month = at.year + month // 12, month % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, 28))


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    messages: Keep | None = None
    photos: Keep | None = None
    inbound: Keep | None = None
    deliveries: Keep | None = None
    year_end: tuple[int, int] = (8, 31)

    @classmethod
    def from_settings(
        cls, *, messages: str, photos: str, inbound: str, deliveries: str, year_end: str
    ) -> Retention:
        month, day = (int(part) for part in year_end.split("-"))
        return cls(
            messages=Keep.parse(messages),
            photos=Keep.parse(photos),
            inbound=Keep.parse(inbound),
            deliveries=Keep.parse(deliveries),
            year_end=(month, day),
        )


def apply_retention(*, session: Session, now: datetime, retention: Retention) -> int:
    """Delete what is due under each configured retention; returns how many records went."""
    work = (
        ("messages", retention.messages, delete_messages),
        ("photos", retention.photos, delete_photos),
        ("inbound", retention.inbound, delete_inbound),
        ("deliveries", retention.deliveries, delete_deliveries),
    )
    total = 0
    for kind, keep, remove in work:
        if keep is None:
            continue
        before = keep.cutoff(now, year_end=retention.year_end)
        removed = remove(session=session, before=before)
        if removed:
            _LOGGER.info("retention: deleted %d %s from before %s", removed, kind, before.isoformat())
        total += removed
    return total
