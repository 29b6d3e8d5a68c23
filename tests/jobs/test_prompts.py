"""Every fortnight each class teacher is asked for the class's learning highlights, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
async def emma(chat, invite):
    teacher = chat("emma")
    await teacher.say(f"/start {invite('Emma')}")
    await teacher.press("English")
    await teacher.say("/cancel")
    return teacher


async def test_the_teacher_is_asked_on_the_fortnight_friday_once(emma, app, clock):
    seen = len(emma.inbox)
    clock.now = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # a Friday of the off week
    assert await app.run_prompts() == 0
    clock.now = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)  # the next Friday: a highlights week
    asked = await app.run_prompts()
    assert asked == 1
    await app.dispatcher.drain()
    assert emma.last.text.startswith("It is time to share this fortnight's learning highlights")
    assert "Class 3B" in emma.last.text and "/highlights" in emma.last.text
    assert await app.run_prompts() == 0
    assert len(emma.inbox) == seen + 1


async def test_a_prompt_missed_by_days_is_not_sent_late(emma, app, clock):
    clock.now = datetime(2026, 12, 9, 14, 30, tzinfo=UTC)  # a Wednesday, days after either Friday
    assert await app.run_prompts() == 0
