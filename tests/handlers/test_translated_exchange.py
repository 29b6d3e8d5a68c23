"""The heart of it, with a translation server: school and home each in their own language.

A loopback LibreTranslate (tests/fakes) answers "[<lang>] <text>" and counts its calls.
"""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.i18n import LANGUAGES, Speaker
from storage.db import session_scope
from storage.models import Message, MessageKind, MessageTranslation, Person, Role
from storage.school import add_member, add_person, get_or_create_class, get_or_create_student, partnership_for
from tests.harness import Chat

AR, ES = Speaker("ar"), Speaker("es")
HIGHLIGHTS = "We measured the playground with our steps. Ask your child how many steps it was!"


@pytest.fixture
def app(translating_app):
    return translating_app


@pytest.fixture
async def people(join):
    joined = await join(
        ("Emma", "English"), ("Sarah", "English"), ("Carlos", "Español"), ("Amina", "العربية")
    )
    return joined


async def _highlights(emma: Chat, text: str = HIGHLIGHTS) -> None:
    await emma.say("/highlights")
    await emma.say(text)
    await emma.press("Send")


async def test_highlights_reach_each_family_in_their_language_with_the_original_a_tap_away(
    people, libretranslate, session
):
    await _highlights(people["Emma"])
    carlos, amina, sarah = people["Carlos"].last, people["Amina"].last, people["Sarah"].last
    assert "[es] We measured the playground" in carlos.text
    assert ES._("Translated automatically from {language}.").format(language="inglés") in carlos.text
    assert "[ar] We measured the playground" in amina.text
    assert HIGHLIGHTS in sarah.text and "[" not in sarah.text
    assert [b.label for b in carlos.buttons] == [ES._("Got it"), ES._("Show original")]
    assert [b.label for b in sarah.buttons] == ["Got it"]

    replies = await people["Carlos"].press(ES._("Show original"))
    assert HIGHLIGHTS in replies[0].text and "[es]" not in replies[0].text

    stored = {t.language: t for t in session.exec(select(MessageTranslation)).all()}
    assert set(stored) == {"es", "ar"}
    assert {t.backend for t in stored.values()} == {"libretranslate"}
    assert session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).one().text == HIGHLIGHTS
    assert libretranslate.count("/translate") == 2


async def test_names_and_numbers_pass_through_untranslated(people, libretranslate):
    await _highlights(
        people["Emma"], "Emma Clarke: the trip costs 12.50 on 3/12, see https://school.example/trip"
    )
    text = people["Carlos"].last.text
    assert (
        "Emma Clarke" in text and "12.50" in text and "3/12" in text and "https://school.example/trip" in text
    )
    sent = libretranslate.bodies("/translate")[0]["q"]
    assert "Emma Clarke" not in str(sent) and "https://school.example/trip" not in str(sent)


async def test_the_arabic_familys_postcard_reaches_the_teacher_in_english_with_the_original(people, session):
    emma, amina = people["Emma"], people["Amina"]
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    for answer in ["Counting stairs", "Count the stairs together.", "Touching makes numbers real."]:
        await emma.say(answer)
    await emma.press("Skip")
    await emma.press("Send")
    assert "[ar] Counting stairs" in amina.last.text

    await amina.press(AR._("We tried it"))
    await amina.press(AR._("Went well"))
    await amina.say("عددنا الدرج معًا وكان يوسف سعيدًا جدًا")
    await amina.press(AR._("Skip"))

    seen = emma.last.text
    assert "[en] عددنا الدرج معًا" in seen  # the translation (the fake prefixes the target language)
    assert "Original (Arabic):\nعددنا الدرج معًا وكان يوسف سعيدًا جدًا" in seen
    assert "Strategy: Counting stairs" in seen
    postcard = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_TO_HOME)).one()
    from_home = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_FROM_HOME)).one()
    assert (from_home.answers_id, from_home.language) == (postcard.id, "ar")

    await emma.press("Reply")
    await emma.say("Wonderful! Try it with the doors too.")
    assert "[ar] Wonderful! Try it with the doors too." in amina.last.text


async def test_a_big_class_costs_one_call_per_language_and_a_resend_costs_none(
    people, db, settings, libretranslate
):
    with session_scope(db) as session:
        emma = session.exec(select(Person).where(Person.name == "Emma Clarke")).one()
        group = get_or_create_class(session=session, school_id=emma.school_id, name="Class 3B")
        languages = list(LANGUAGES)
        for n in range(60):
            student, _ = get_or_create_student(
                session=session, school_id=emma.school_id, class_id=group.id, name=f"Student {n}"
            )
            parent = add_person(
                session=session,
                person=Person(
                    school_id=emma.school_id,
                    name=f"Parent {n}",
                    role=Role.PARENT,
                    language=languages[n % 6],
                    email=f"parent{n}@example.org",
                ),
            )
            add_member(
                session=session,
                partnership=partnership_for(session=session, student_id=student.id),
                person=parent,
            )
    await _highlights(people["Emma"])
    assert libretranslate.count("/translate") == len(LANGUAGES) - 1  # every language but the teacher's
    await _highlights(people["Emma"])
    assert libretranslate.count("/translate") == len(LANGUAGES) - 1  # all from the cache


async def test_when_the_server_fails_the_original_goes_out_with_a_note(people, libretranslate, caplog):
    libretranslate.script.status = 500
    await _highlights(people["Emma"])
    carlos = people["Carlos"].last
    assert HIGHLIGHTS in carlos.text
    assert (
        ES._(
            "This message was written in {language}. Automatic translation is not available, "
            "so here is the original."
        ).format(language="inglés")
        in carlos.text
    )
    assert "translation" in caplog.text.lower()


async def test_text_is_labelled_with_the_language_it_was_written_in(people, session):
    """Amina chose Arabic but writes to Emma in English: the reply is English, passed on as written
    (not labelled Arabic and left untranslated)."""
    emma, amina = people["Emma"], people["Amina"]
    await _highlights(emma)
    await amina.say("Thank you, see you Monday")
    seen = emma.last.text
    assert "Thank you, see you Monday" in seen
    assert "[en]" not in seen and "Arabic" not in seen
    replies = session.exec(
        select(Message).where(Message.kind == MessageKind.REPLY, col(Message.author_id).is_not(None))
    ).all()
    assert [(r.text, r.language) for r in replies] == [("Thank you, see you Monday", "en")]
