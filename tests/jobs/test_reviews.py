"""Each term: "Is the way we keep in touch working for you?" — each answer leads somewhere, and the
coordinator gets the term's summary. A loopback LibreTranslate answers "[<lang>] <text>"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlmodel import select

from bot.i18n import Speaker
from storage.db import alembic_config, session_scope, upgrade
from storage.models import Once, TermReview
from storage.people import find_people

ES = Speaker("es")
QUESTION = "Is the way we keep in touch working for you?"
REFUSED = "Sorry, only school staff can do that. Send /help to see what you can do."
STALE = "That button is no longer active. Send /help to see what you can do."
WORDS = "Prefiero mensajes más cortos, los de hoy son muy largos"


@pytest.fixture
def app(translating_app):
    return translating_app


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


def _answers(session) -> dict[int, tuple[str | None, str | None, str | None]]:
    session.expire_all()
    return {r.person_id: (r.answer, r.text, r.language) for r in session.exec(select(TermReview)).all()}


def _id(session, name: str) -> int:
    return find_people(session=session, name=name)[0].id or 0


async def test_yes_thanks_them_and_is_kept_for_the_summary(people, app, clock, session):
    await _asked(app, clock)
    replies = await people["Carlos"].press(ES._("Yes, it works"))
    assert replies[0].text == ES._("Thank you! We are glad it works for you.")
    await app.dispatcher.drain()
    assert people["Emma"].last.text == QUESTION  # a choice waits for the summary: no message each
    assert _answers(session)[_id(session, "Carlos")] == ("yes", None, None)


async def test_change_how_often_leads_into_the_preferences(people, app, clock, session):
    await _asked(app, clock)
    replies = await people["Carlos"].press(ES._("Change how often"))
    assert replies[0].text == ES._(
        "How often would you like to hear from us? Urgent messages always come straight away."
    )
    await people["Carlos"].press(ES._("Daily digest"))
    replies = await people["Carlos"].press("7:00")
    assert ES._("What would you like to change?") in replies[-1].text
    assert _answers(session)[_id(session, "Carlos")][0] == "often"


async def test_something_else_reaches_the_coordinator_at_once_translated_with_the_original(
    people, app, clock, session
):
    await _asked(app, clock)
    await people["Carlos"].press(ES._("Something else"))
    replies = await people["Carlos"].say(WORDS)
    assert replies[0].text == ES._("Thank you, we passed it on to: {names}.").format(names="Emma Clarke")
    await app.dispatcher.drain()
    seen = people["Emma"].last.text
    assert seen.startswith(f"Carlos García answered “{QUESTION}”: Something else\n\n[en] ")
    assert seen.endswith(f"\nOriginal (Spanish):\n{WORDS}")
    assert _answers(session)[_id(session, "Carlos")] == ("other", WORDS, "es")


async def test_the_latest_answer_of_the_term_counts(people, app, clock, session):
    await _asked(app, clock)
    await people["Carlos"].press(ES._("Yes, it works"))
    await people["Carlos"].press(ES._("Something else"))  # on the same question, changing their mind
    await people["Carlos"].say(WORDS)
    assert _answers(session)[_id(session, "Carlos")] == ("other", WORDS, "es")
    assert len(_answers(session)) == 2  # Emma and Carlos, one row each


@pytest.mark.parametrize(
    "payload", ["review:delete-everything", "review:yes", "review:yes:1", "review:yes:x"]
)
async def test_a_forged_or_old_review_answer_is_harmless(people, app, clock, session, payload):
    await _asked(app, clock)
    replies = await people["Carlos"].press_payload(payload)
    assert replies[0].text == ES._(STALE)
    assert _answers(session)[_id(session, "Carlos")] == (None, None, None)


async def test_reviews_shows_the_coordinator_this_terms_answers(people, app, clock):
    await _asked(app, clock)
    await people["Carlos"].press(ES._("Something else"))
    await people["Carlos"].say(WORDS)
    replies = await people["Emma"].say("/reviews")
    lines = replies[0].text.split("\n")
    assert lines[:7] == [
        f"“{QUESTION}”: asked 2 people since February 18, 2027.",
        "Yes, it works: 0",
        "Change how often: 0",
        "Change how: 0",
        "Something else: 1",
        "Not answered yet: \u2068Emma Clarke\u2069",
        "",
    ]
    assert lines[7] == "Carlos García wrote:" and lines[8].startswith("[en] ")
    assert lines[9:] == ["Original (Spanish):", WORDS]


async def test_reviews_before_anyone_was_asked_and_for_someone_coordinating_nothing(
    people, app, clock, chat, invite
):
    nothing = f"No one in the partnerships you coordinate has been asked “{QUESTION}” this term yet."
    assert (await people["Emma"].say("/reviews"))[0].text == nothing
    daniel = chat("daniel")  # support staff in every partnership, coordinator of none
    await daniel.say(f"/start {invite('Daniel')}")
    await daniel.press("English")
    await daniel.say("/cancel")
    await _asked(app, clock)
    assert (await daniel.say("/reviews"))[0].text == nothing


@pytest.mark.parametrize("who", ["Carlos", "stranger"])
async def test_reviews_is_for_staff_only(people, chat, who):
    phone = people.get(who) or chat("stranger")
    replies = await phone.say("/reviews")
    if who == "stranger":
        assert "/start" in replies[0].text and "Carlos" not in replies[0].text
    else:
        assert replies[0].text == ES._(REFUSED)


async def test_the_summary_goes_to_the_coordinator_once_when_the_asking_has_had_time(people, app, clock):
    await _asked(app, clock)
    await people["Carlos"].press(ES._("Yes, it works"))
    assert await app.run_review_summaries() == 0  # just asked: too early
    clock.advance(days=13)
    assert await app.run_term_reviews() == 0
    clock.advance(days=1)
    assert await app.run_review_summaries() == 1
    assert await app.run_review_summaries() == 0  # the job running twice sends it once
    await app.dispatcher.drain()
    summary = people["Emma"].last.text
    assert summary.startswith(f"“{QUESTION}”: asked 2 people since February 18, 2027.\nYes, it works: 1")
    assert summary.endswith(
        "Not answered yet: \u2068Emma Clarke\u2069\n\nSend /reviews to see the latest answers at any time."
    )
    clock.advance(days=70)  # the next term: asked again, and summarised again after a fortnight
    assert await app.run_term_reviews() == 2
    clock.advance(days=14)
    assert await app.run_term_reviews() == 1


async def test_the_summary_is_in_the_coordinators_language(people, app, clock, session, db):
    with session_scope(db) as writing:
        find_people(session=writing, name="Emma")[0].language = "es"
    await _asked(app, clock)
    clock.advance(days=14)
    assert await app.run_review_summaries() == 1
    await app.dispatcher.drain()
    assert people["Emma"].last.text.startswith(
        ES.ngettext(
            "“{question}”: asked {count} person since {date}.",
            "“{question}”: asked {count} people since {date}.",
            2,
        ).format(question=ES._(QUESTION), count=2, date="18 de febrero de 2027")
    )


def test_people_asked_before_the_upgrade_stay_asked(db, school, clock):
    with session_scope(db) as session:  # read with today's models, before the schema goes back
        carlos = _id(session, "Carlos")
    command.downgrade(alembic_config(db), "0005")
    with session_scope(db) as session:
        session.add(Once(key=f"review:{carlos}:12", at=clock()))
        session.add(Once(key="reminder:1:42", at=clock()))
    upgrade(db)
    with session_scope(db) as session:
        rows = session.exec(select(TermReview)).all()
        assert [(r.person_id, r.term, r.asked_at, r.answer) for r in rows] == [(carlos, 12, clock(), None)]


def test_the_interval_is_a_setting(settings):
    assert timedelta(days=settings.review_interval_days) == timedelta(days=84)
