"""Digests: held messages gathered at the person's digest time, exactly once, even after downtime."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.i18n import Speaker
from bot.jobs.scheduler import make_scheduler
from storage.models import Delivery, DeliveryStatus, Digest

ES = Speaker("es")
MONDAY_7_30 = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # London is on UTC in winter


@pytest.fixture
async def people(chat, invite):
    """Emma (teacher) and Carlos, who wants a weekly digest on Mondays at 7:00."""
    emma = chat("emma")
    await emma.say(f"/start {invite('Emma')}")
    await emma.press("English")
    await emma.say("/cancel")
    carlos = chat("carlos")
    await carlos.say(f"/start {invite('Carlos')}")
    for label in ["Español", "test", ES._("Weekly digest"), ES.weekday(0), "7:00", ES._("No quiet hours")]:
        await carlos.press(label)
    await carlos.say("/cancel")
    return {"Emma": emma, "Carlos": carlos}


async def _highlights(emma, text: str) -> None:
    await emma.say("/highlights")
    await emma.say(text)
    await emma.press("Send")


async def test_messages_wait_for_the_digest_which_goes_out_once(people, app, clock, session):
    carlos = people["Carlos"]
    seen = len(carlos.inbox)
    await _highlights(people["Emma"], "We planted beans.")
    await _highlights(people["Emma"], "We measured the beans.")
    assert len(carlos.inbox) == seen  # held, not sent
    assert await app.run_digests() == 0  # Wednesday: the Monday slot came before these arrived

    clock.now = MONDAY_7_30
    assert await app.run_digests() == 1
    await app.dispatcher.drain()
    digest = carlos.last
    assert digest.text.startswith(
        ES.ngettext(
            "Your digest: {count} message since last time.",
            "Your digest: {count} messages since last time.",
            2,
        ).format(count=2)
    )
    assert (
        "1. " in digest.text
        and "We planted beans." in digest.text
        and "We measured the beans." in digest.text
    )
    heading = ES._("Learning highlights for {group} from {author}").format(
        group="Class 3B", author="Emma Clarke"
    )
    assert [(s.label, s.paragraphs[0]) for s in digest.content.sections] == [
        (f"1. {heading}", "We planted beans."),
        (f"2. {heading}", "We measured the beans."),
    ]  # one section per message, headed by its number and heading
    assert [b.label for b in digest.buttons] == [f"1. {ES._('Got it')}", f"2. {ES._('Got it')}"]
    assert await app.run_digests() == 0  # run again: nothing twice
    assert len(session.exec(select(Digest)).all()) == 1

    replies = await carlos.press(f"2. {ES._('Got it')}")
    assert replies[0].text == ES._("Thank you, noted.")
    session.expire_all()
    acked = session.exec(select(Delivery).where(Delivery.acknowledged_at.is_not(None))).one()
    assert acked.status == DeliveryStatus.SENT and acked.provider_id.startswith("digest:")


async def test_after_downtime_across_digest_times_exactly_one_digest_goes_out(people, app, clock, session):
    await _highlights(people["Emma"], "We planted beans.")
    clock.now = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # two Mondays later: the bot was down
    assert await app.run_digests() == 1
    assert await app.run_digests() == 0
    assert session.exec(select(Digest)).one().slot_at == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


async def test_urgent_messages_skip_the_digest(people):
    seen = len(people["Carlos"].inbox)
    await people["Emma"].say("/highlights")
    await people["Emma"].say("School closed today.")
    await people["Emma"].press("Send as urgent")
    assert len(people["Carlos"].inbox) == seen + 1


async def test_choosing_straight_away_releases_what_was_held(people, app, session):
    carlos = people["Carlos"]
    await _highlights(people["Emma"], "We planted beans.")
    await carlos.say("/settings")
    await carlos.press(ES._("How often"))
    await carlos.press(ES._("Straight away"))
    assert await app.run_digests() == 0
    await app.dispatcher.drain()
    assert any("We planted beans." in out.text for out in carlos.inbox)


def test_the_scheduler_has_one_job_per_kind_of_work_not_per_person():
    async def job() -> int:
        return 0

    scheduler = make_scheduler(digests=job, reminders=job, prompts=job, reviews=job, plans=job, replay=job)
    assert sorted(j.id for j in scheduler.get_jobs()) == [
        "digests",
        "plans",
        "prompts",
        "reminders",
        "replay",
        "reviews",
    ]
