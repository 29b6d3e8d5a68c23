"""The scheduler: a few periodic jobs that read the database (APScheduler 3, AsyncIOScheduler).

No job per person: each job looks at who is due and does their work; every job is safe to run
twice, after a restart, or in two processes at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

Job = Callable[[], Awaitable[int]]


def make_scheduler(
    *,
    digests: Job,
    reminders: Job,
    prompts: Job,
    reviews: Job,
    plans: Job,
    replay: Job,
    retention: Job | None = None,
    every_s: float = 60,
) -> AsyncIOScheduler:
    """Every job runs every minute; a run missed while the process was busy is run once, late.

    `replay` handles the inbound events a process that died left unhandled, once their lease ends;
    `retention` runs hourly (what it deletes is days or months old)."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    jobs = {
        "digests": digests,
        "reminders": reminders,
        "prompts": prompts,
        "reviews": reviews,
        "plans": plans,
        "replay": replay,
    }
    for name, job in jobs.items():
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=every_s),
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(every_s * 5),
        )
    if retention is not None:
        scheduler.add_job(
            retention, IntervalTrigger(seconds=every_s * 60), id="retention", max_instances=1, coalesce=True
        )
    return scheduler
