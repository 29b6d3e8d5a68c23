"""Each term: "Is the way we keep in touch working for you?" — each answer leads somewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import Speaker

ES = Speaker("es")
QUESTION = "Is the way we keep in touch working for you?"


@pytest.fixture
async def people(chat, invite):
    """Carlos finished his preferences; Emma coordinates Sofía's partnership."""
    emma = chat("emma")
    await emma.say(f"/start {invite('Emma')}")
    for label in [
        "English",
        "test",
        "Straight away",
        "No quiet hours",
        *["Adviser: help plan and decide"] * 3,
    ]:
        await emma.press(label)  # Emma is in three partnerships
    carlos = chat("carlos")
    await carlos.say(f"/start {invite('Carlos')}")
    for label in [
        "Español",
        "test",
        ES._("Straight away"),
        ES._("No quiet hours"),
        ES._("Just keep me informed"),
    ]:
        await carlos.press(label)
    return {"Emma": emma, "Carlos": carlos}


async def _asked(app, clock) -> int:
    clock.advance(days=85)
    asked = await app.run_reviews()
    await app.dispatcher.drain()
    return asked


async def test_asked_once_a_term_in_their_language(people, app, clock):
    assert await app.run_reviews() == 0  # joined today: not yet
    assert await _asked(app, clock) == 2
    assert people["Carlos"].last.text == ES._(QUESTION)
    assert [b.label for b in people["Carlos"].last.buttons] == [
        ES._("Yes, it works"),
        ES._("Change how often"),
        ES._("Change how"),
        ES._("Something else"),
    ]
    assert await app.run_reviews() == 0
    clock.advance(days=84)
    assert await app.run_reviews() == 2


async def test_yes_thanks_them_and_tells_the_coordinator(people, app, clock):
    await _asked(app, clock)
    replies = await people["Carlos"].press(ES._("Yes, it works"))
    assert replies[0].text == ES._("Thank you! We are glad it works for you.")
    await app.dispatcher.drain()
    assert people["Emma"].last.text == f"Carlos García answered “{QUESTION}”: Yes, it works"


async def test_change_how_often_leads_into_the_preferences(people, app, clock):
    await _asked(app, clock)
    replies = await people["Carlos"].press(ES._("Change how often"))
    assert replies[0].text == ES._(
        "How often would you like to hear from us? Urgent messages always come straight away."
    )
    await people["Carlos"].press(ES._("Daily digest"))
    replies = await people["Carlos"].press("7:00")
    assert ES._("What would you like to change?") in replies[-1].text


async def test_something_else_goes_to_the_coordinator_in_their_own_words(people, app, clock):
    await _asked(app, clock)
    await people["Carlos"].press(ES._("Something else"))
    replies = await people["Carlos"].say("Prefiero mensajes más cortos")
    assert replies[0].text == ES._("Thank you, we passed it on to: {names}.").format(names="Emma Clarke")
    await app.dispatcher.drain()
    assert people["Emma"].last.text.endswith(": Prefiero mensajes más cortos")


async def test_a_forged_review_answer_is_harmless(people):
    replies = await people["Carlos"].press_payload("review:delete-everything")
    assert replies[0].text == ES._("That button is no longer active. Send /help to see what you can do.")


def test_the_interval_is_a_setting(settings):
    assert timedelta(days=settings.review_interval_days) == timedelta(days=84)
