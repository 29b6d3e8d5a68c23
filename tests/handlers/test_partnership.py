"""Setting up a partnership end to end (seed 000): /partnership, each member's answers in their own
language, the communication plan each receives, the equity check, and meetings."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import Speaker
from storage.models import Message, MessageKind, PartnershipMember, Person
from tests.harness import Chat

AR, ES = Speaker("ar"), Speaker("es")
GOALS = "Yusuf reads a short book each week."


def asked(speaker: Speaker, text: str) -> str:
    """The fixed words of a sentence, before its first placeholder."""
    return speaker._(text).split("{")[0]


async def set_up(emma: Chat, student: str = "Yusuf Haddad") -> None:
    await emma.say("/partnership")
    await emma.press(student)
    await emma.press("Setting learning goals")
    await emma.say(GOALS)
    await emma.press(emma.buttons()[1])  # the next review, in six weeks


async def answer(phone: Chat, speaker: Speaker, involvement: str, constraints: str | None) -> None:
    await phone.press(speaker._(involvement))
    if constraints is None:
        await phone.press(speaker._("Skip"))
    else:
        await phone.say(constraints)
    await phone.press(speaker._("Straight away"))
    await phone.press(speaker._("Done"))


@pytest.fixture
def app(translating_app):
    return translating_app


async def test_set_up_then_answers_in_three_languages_then_each_gets_the_plan_in_theirs(
    join, app, session, libretranslate
):
    people = await join(
        ("Emma", "English"), ("Daniel", "Español"), ("Amina", "العربية"), ("Priya", "English")
    )
    emma, daniel, amina, priya = (people[n] for n in ["Emma", "Daniel", "Amina", "Priya"])
    await set_up(emma)
    replies = await emma.press("Done")
    assert "when all have answered" in replies[0].text
    await app.dispatcher.drain()

    # each member is asked in their language how they want to be involved
    assert asked(AR, "{coordinator} is bringing together the people who help {student}.") in amina.last.text
    assert AR._("Adviser: help plan and decide") in amina.buttons()
    assert asked(ES, "{coordinator} is bringing together the people who help {student}.") in daniel.last.text
    assert "Just keep me informed" in priya.buttons()

    # the equity check shows who has not answered yet
    await emma.say("/partnership")
    overview = await emma.press("Yusuf Haddad")
    assert "Not answered yet: " in overview[0].text and "Amina Haddad" in overview[0].text
    await emma.press("Done")

    await answer(amina, AR, "Adviser: help plan and decide", "أعمل في الصباح")
    await answer(daniel, ES, "Support: try strategies at home", None)
    assert await app.run_plans() == 0  # Priya has not answered: not yet
    await answer(priya, Speaker("en"), "Just keep me informed", "Only on Tuesdays")

    assert await app.run_plans() == 4  # every member, the coordinator too
    await app.dispatcher.drain()
    assert asked(AR, "Who is involved, and how each hears from us:") in amina.last.text
    assert f"[ar] {GOALS}" in amina.last.text
    assert asked(ES, "Who is involved, and how each hears from us:") in daniel.last.text
    assert f"[es] {GOALS}" in daniel.last.text
    assert "How we keep in touch about" in priya.last.text and GOALS in priya.last.text
    assert "Key contact:" in emma.last.text and "Next review:" in emma.last.text
    seats = session.exec(select(PartnershipMember)).all()
    amina_id = session.exec(select(Person.id).where(Person.name == "Amina Haddad")).one()
    mine = next(s for s in seats if s.person_id == amina_id)
    assert mine.involvement == "adviser" and mine.constraints == "أعمل في الصباح"

    assert await app.run_plans() == 0  # unchanged: not sent again
    await amina.say("/settings")
    await amina.press(AR._("My involvement"))
    await amina.press(AR._("Support: try strategies at home"))
    assert await app.run_plans() == 4  # it changed: everyone gets the new plan


async def test_a_plan_goes_out_after_the_set_time_even_if_someone_has_not_answered(join, app, clock):
    people = await join(("Emma", "English"), ("Amina", "العربية"))
    await set_up(people["Emma"])
    await people["Emma"].press("Done")
    assert await app.run_plans() == 0
    clock.advance(days=app.settings.plan_wait_days, minutes=1)
    assert await app.run_plans() == 4
    await app.dispatcher.drain()
    assert asked(AR, "Who is involved, and how each hears from us:") in people["Amina"].last.text


async def test_meeting_notes_go_translated_to_those_who_were_not_there(join, app, session, libretranslate):
    people = await join(("Emma", "English"), ("Daniel", "Español"), ("Amina", "العربية"))
    emma = people["Emma"]
    await emma.say("/meeting")
    await emma.press("Yusuf Haddad")
    await emma.press("Yesterday")
    await emma.press("Daniel Lee")  # was there
    await emma.press("Done")
    replies = await emma.say("We agreed on a sticker chart.")
    assert "Amina Haddad" in replies[0].text and "Daniel" not in replies[0].text
    await app.dispatcher.drain()
    notes = people["Amina"].last
    assert "[ar] We agreed on a sticker chart." in notes.text
    assert AR._("Got it") in [b.label for b in notes.buttons]
    assert asked(AR, "Notes from the meeting about {student} on {date}, from {author}") in notes.text
    assert "sticker chart" not in people["Daniel"].last.text
    stored = session.exec(select(Message).where(Message.kind == MessageKind.MEETING_NOTES)).one()
    assert stored.text == "We agreed on a sticker chart."
    replies = await people["Amina"].press(AR._("Got it"))
    assert replies
