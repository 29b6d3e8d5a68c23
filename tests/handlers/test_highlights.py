"""Class highlights: one message, one delivery per family member in their language, each with Got it."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlmodel import select

from bot.events import Content
from bot.i18n import Speaker
from storage.models import (
    ChannelAccount,
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    MessageTranslation,
    Person,
)

HIGHLIGHTS = (
    "This fortnight we measured the playground with our own steps. Ask your child how many steps it was!"
)


@pytest.fixture
async def families(join):
    """The three demo families joined on their phones, each in their own language."""
    joined = await join(
        ("Sarah", "English"), ("Carlos", "Español"), ("Amina", "العربية"), address="{name}-phone"
    )
    return joined


@pytest.fixture
async def emma(chat, invite):
    teacher = chat("emma-slack")
    await teacher.say(f"/start {invite('Emma')}")
    await teacher.say("/cancel")
    return teacher


async def test_a_teacher_sends_highlights_to_every_family(emma, families, session):
    replies = await emma.say("/highlights")
    assert replies[0].text.startswith("Write the learning highlights for Class 3B")
    replies = await emma.say(HIGHLIGHTS)
    assert "It will go to 3 family members. Languages: Arabic, English, and Spanish." in replies[0].text
    replies = await emma.press("Send")
    assert replies[0].text.startswith("Sent to 3 people.")

    for phone in families.values():
        got = phone.last
        assert HIGHLIGHTS in got.text
        assert "Class 3B" in got.text and "Emma Clarke" in got.text
        assert got.buttons[0].payload.startswith("ack:")
    es = Speaker("es")
    assert families["Carlos"].last.buttons[0].label == es._("Got it")
    assert (
        es._("Learning highlights for {group} from {author}").format(group="Class 3B", author="Emma Clarke")
        in families["Carlos"].last.text
    )
    assert families["Amina"].last.rtl

    message = session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).one()
    assert (message.text, message.language) == (HIGHLIGHTS, "en")
    deliveries = session.exec(select(Delivery).where(Delivery.message_id == message.id)).all()
    assert sorted(d.language for d in deliveries) == ["ar", "en", "es"]
    assert all(d.status == DeliveryStatus.SENT for d in deliveries)
    assert session.exec(select(MessageTranslation)).all() == []  # no translation service configured


async def test_without_a_translation_service_families_get_the_original_with_a_note(emma, families):
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")
    es = Speaker("es")
    note = es._(
        "This message was written in {language}. Automatic translation is not available, "
        "so here is the original."
    ).format(language=es.language_name_here("en"))
    assert note in families["Carlos"].last.text
    assert "Automatic translation" not in families["Sarah"].last.text
    assert [b.label for b in families["Carlos"].last.buttons] == [es._("Got it")]  # nothing to show


async def test_got_it_records_who_when_and_where(emma, families, session, clock):
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")
    carlos = families["Carlos"]
    replies = await carlos.press(Speaker("es")._("Got it"))
    assert replies[0].text == Speaker("es")._("Thank you, noted.")
    replies = await carlos.press(Speaker("es")._("Got it"))
    assert replies[0].text == Speaker("es")._("Already noted, thank you.")
    delivery = session.exec(select(Delivery).where(Delivery.acknowledged_at.is_not(None))).one()
    assert (delivery.acknowledged_at, delivery.acknowledged_channel, delivery.language) == (
        clock(),
        "test",
        "es",
    )


async def test_urgent_highlights_are_marked(emma, families, session):
    await emma.say("/highlights")
    await emma.say("School closes at noon today because of the storm.")
    await emma.press("Send as urgent")
    assert families["Sarah"].last.text.startswith("‼️ Urgent")
    assert all(
        d.urgent
        for d in session.exec(select(Delivery).where(Delivery.language == "en")).all()
        if Content.from_json(d.content).urgent
    )


async def test_cancel_sends_nothing(emma, families, session):
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    replies = await emma.press("Cancel")
    assert replies[0].text == "Cancelled. Nothing was sent."
    assert session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).all() == []


@pytest.mark.email_channel  # Carlos and Amina hear by e-mail
async def test_families_nobody_can_reach_are_recorded_as_unreached(emma, session):
    sarah = session.exec(
        select(ChannelAccount).where(ChannelAccount.address == "sarah.bennett@example.org")
    ).one()
    sarah.active = False
    session.add(sarah)
    session.commit()
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    replies = await emma.press("Send")
    assert "1 of them cannot be reached yet" in replies[0].text
    session.expire_all()
    unreached = session.exec(select(Delivery).where(Delivery.status == DeliveryStatus.UNREACHED)).one()
    assert (unreached.language, unreached.account_id, unreached.last_error) == (
        "en",
        None,
        "no linked account",
    )


async def test_empty_and_overlong_highlights_are_asked_again(emma, families):
    await emma.say("/highlights")
    assert (await emma.press_payload("send"))[0].text == "Please write the highlights as a text message."
    assert "under 3000 characters" in (await emma.say("x" * 3001))[0].text
    assert "It will go to" in (await emma.say("Fine."))[0].text


async def test_quiet_hours_hold_a_message_until_they_end_except_urgent_ones(
    emma, families, session, clock, app
):
    sarah = session.exec(select(Person).where(Person.name == "Sarah Bennett")).one()
    sarah.quiet_start, sarah.quiet_end = time(21), time(7)
    session.add(sarah)
    session.commit()
    seen = len(families["Sarah"].inbox)
    clock.now = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 22:00 in London, in Sarah's quiet hours
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")
    assert len(families["Sarah"].inbox) == seen  # held
    assert HIGHLIGHTS in families["Carlos"].last.text  # others are not held back
    session.expire_all()
    held = session.exec(
        select(Delivery).where(Delivery.person_id == sarah.id, Delivery.status == DeliveryStatus.PENDING)
    ).one()
    assert held.not_before == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)

    await emma.say("/highlights")
    await emma.say("The school is closed today: snow.")
    await emma.press("Send as urgent")
    assert "snow" in families["Sarah"].last.text  # urgent skips quiet hours

    clock.now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    await app.dispatcher.drain()
    assert HIGHLIGHTS in families["Sarah"].last.text


async def test_with_a_trigger_the_highlights_are_one_form_and_its_answers_are_checked(
    emma, families, chat, join
):
    [form] = await emma.send(emma.inbound("/highlights", trigger="trigger-1"))
    assert form.content.form is not None
    assert form.content.form.trigger == "trigger-1"
    assert [(f.name, f.options) for f in form.content.form.fields] == [
        ("class", (("Class 3B", "1"),)),
        ("text", ()),
        ("urgent", ()),
    ]
    payload = form.content.form.payload

    async def submit(who, **values: str) -> str:  # type: ignore[no-untyped-def]
        [reply] = await who.send(who.inbound("", payload=payload, form_values=values))
        return reply.text

    assert await submit(emma, **{"class": "999", "text": HIGHLIGHTS}) == (
        "That button is no longer active. Send /help to see what you can do."
    )  # a class that is not hers
    assert (
        await submit(emma, **{"class": "1", "text": "x" * 3001})
        == "Please write the highlights as a text message."
    )
    assert await submit(families["Sarah"], **{"class": "1", "text": "Hi"}) == (
        "Sorry, only school staff can do that. Send /help to see what you can do."
    )
    assert (await submit(emma, **{"class": "1", "text": HIGHLIGHTS, "urgent": "yes"})).startswith(
        "Sent to 3 people."
    )
    assert HIGHLIGHTS in families["Carlos"].last.text and families["Carlos"].last.urgent
