"""Replies on a channel with threading: a reply that names our message is filed against that one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.handlers.replies import FORM
from bot.i18n import Speaker
from storage.db import session_scope
from storage.inbound import record_inbound
from storage.messages import received_as
from storage.models import InboundEvent, Message, MessageKind
from storage.people import find_people

AR = Speaker("ar")


@pytest.fixture
async def people(join):
    """Emma (teacher) and Daniel (support) on Slack-like chats; the Haddad and García families."""
    joined = await join(
        ("Emma", "English"), ("Daniel", "English"), ("Amina", "العربية"), ("Carlos", "Español")
    )
    return joined


async def _highlights(teacher, text: str) -> None:
    await teacher.say("/highlights")
    await teacher.say(text)
    replies = await teacher.press("Send")
    assert replies[0].text.startswith("Sent to ")


@pytest.fixture
async def two_messages(people):
    """Emma's highlights, then Daniel's: Amina's inbox ends with both, Daniel's the newer."""
    await _highlights(people["Emma"], "We measured the playground.")
    emmas = people["Amina"].last
    await _highlights(people["Daniel"], "Swimming starts on Monday.")
    daniels = people["Amina"].last
    assert "We measured the playground." in emmas.text and "Swimming starts on Monday." in daniels.text
    return emmas, daniels


def _reply_answers(session) -> int | None:
    reply = session.exec(
        select(Message).where(Message.kind == MessageKind.REPLY, Message.text == "كم خطوة؟")
    ).one()
    return reply.answers_id


def _authored_by(session, name: str) -> int:
    person = find_people(session=session, name=name)[0]
    return session.exec(select(Message).where(Message.author_id == person.id)).one().id


async def test_a_reply_to_the_older_message_goes_to_its_author(people, two_messages, session):
    emmas, _ = two_messages
    emma_saw, daniel_saw = len(people["Emma"].inbox), len(people["Daniel"].inbox)
    replies = await people["Amina"].reply(emmas, "كم خطوة؟")
    assert replies[0].text == AR._("Sent to {name}.").format(name="Emma Clarke")
    [got] = people["Emma"].inbox[emma_saw:]
    assert got.text.startswith("Message from Amina Haddad")
    assert "كم خطوة؟" in got.text
    assert "Reply" in [b.label for b in got.buttons]
    assert len(people["Daniel"].inbox) == daniel_saw
    assert _reply_answers(session) == _authored_by(session, "Emma")


async def test_a_reply_to_a_message_weeks_old_still_finds_it(people, two_messages, clock):
    emmas, _ = two_messages
    clock.advance(days=30)
    replies = await people["Amina"].reply(emmas, "كم خطوة؟")
    assert replies[0].text == AR._("Sent to {name}.").format(name="Emma Clarke")


async def test_a_reply_naming_another_familys_message_is_not_filed_there(
    people, two_messages, channel, session
):
    """Carlos's copy of Emma's highlights has its own id; named from Amina's chat it finds nothing,
    and the answer goes where a plain message would (the latest: Daniel's)."""
    carlos = people["Carlos"]
    emmas_to_carlos = channel.provider_ids["carlos"][
        carlos.inbox.index(next(o for o in carlos.inbox if "playground" in o.text))
    ]
    amina = people["Amina"]
    replies = await amina.send(amina.inbound("كم خطوة؟", reply_to=emmas_to_carlos))
    assert replies[0].text == AR._("Sent to {name}.").format(name="Daniel Lee")
    assert _reply_answers(session) == _authored_by(session, "Daniel")


@pytest.mark.parametrize("reply_to", ["test-999999", ""])
async def test_a_reply_naming_an_unknown_message_falls_back_to_the_latest(people, two_messages, reply_to):
    amina = people["Amina"]
    replies = await amina.send(amina.inbound("كم خطوة؟", reply_to=reply_to))
    assert replies[0].text == AR._("Sent to {name}.").format(name="Daniel Lee")


async def test_a_reply_to_the_bots_own_answer_falls_back_to_the_latest(people, two_messages):
    amina = people["Amina"]
    [sent] = await amina.reply(two_messages[0], "شكرا")
    replies = await amina.reply(sent, "كم خطوة؟")
    assert replies[0].text == AR._("Sent to {name}.").format(name="Daniel Lee")


async def test_only_the_persons_own_delivery_in_that_chat_is_found(people, two_messages, channel, session):
    named = channel.provider_ids["amina"][people["Amina"].inbox.index(two_messages[0])]
    amina, carlos = (find_people(session=session, name=n)[0].id for n in ("Amina", "Carlos"))
    found = received_as(session=session, person_id=amina, channel="test", address="amina", provider_id=named)
    assert found is not None and found[1].name == "Emma Clarke"
    for person_id, channel_name, address in [
        (carlos, "test", "amina"),
        (amina, "test", "carlos"),
        (amina, "other", "amina"),
    ]:
        assert (
            received_as(
                session=session, person_id=person_id, channel=channel_name, address=address, provider_id=named
            )
            is None
        ), (person_id, channel_name, address)


async def test_a_reply_is_kept_with_the_event_and_replays_to_the_same_message(
    app, db, people, two_messages, channel, session
):
    emmas, _ = two_messages
    named = channel.provider_ids["amina"][people["Amina"].inbox.index(emmas)]
    await people["Amina"].reply(emmas, "شكرا")
    stored = session.exec(select(InboundEvent).where(InboundEvent.address == "amina")).all()[-1]
    assert stored.payload["reply_to"] == named

    lost = people["Amina"].inbound("كم خطوة؟", reply_to=named)
    with session_scope(db) as recording:
        record_inbound(
            session=recording,
            channel="test",
            platform_event_id=lost.event_id,
            address="amina",
            payload=stored.payload | {"event_id": lost.event_id, "text": lost.text},
            claimed_until=app.clock() - timedelta(seconds=1),  # by a process that died a lease ago
        )
    emma_saw = len(people["Emma"].inbox)
    assert await app.engine.replay_unhandled() == 1
    await app.dispatcher.drain()
    assert "كم خطوة؟" in people["Emma"].inbox[emma_saw].text
    assert _reply_answers(session) == _authored_by(session, "Emma")


async def test_reply_with_a_trigger_is_a_form_checked_like_the_button(join, session):
    """Where the channel can open a form, Reply opens one; its answer threads back like a typed one,
    and a forged message id gets the harmless answer."""
    people = await join(("Emma", "English"), ("Sarah", "English"))
    emma, sarah = people["Emma"], people["Sarah"]
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    await sarah.say("Lily loved it!")
    reply = next(b for b in emma.last.buttons if b.label == "Reply")
    [form] = await emma.send(emma.inbound("", payload=reply.payload, trigger="t1"))
    assert form.content.form is not None and form.content.form.payload.startswith(f"{FORM}:")
    payload = form.content.form.payload
    [blank] = await emma.send(emma.inbound("", payload=payload, form_values={"text": " "}))
    assert blank.text == "Please answer with a text message."
    [forged] = await sarah.send(sarah.inbound("", payload=payload, form_values={"text": "hi"}))
    assert forged.text == "That button is no longer active. Send /help to see what you can do."
    [sent] = await emma.send(emma.inbound("", payload=payload, form_values={"text": "Thank you, Sarah!"}))
    assert sent.text == "Sent to Sarah Bennett."
    assert "Thank you, Sarah!" in sarah.last.text


async def test_a_reply_too_long_for_a_phone_is_not_passed_on(people, two_messages):
    """100,000 characters were 25 messages to a teacher; now the family is asked to shorten it."""
    emmas, _ = two_messages
    emma_saw = len(people["Emma"].inbox)
    replies = await people["Amina"].reply(emmas, "ب" * 100_000)
    shorten = AR._("That is long for a phone screen: please keep it under {limit} characters.")
    assert len(replies) == 1 and shorten.format(limit=3000) in replies[0].text
    assert len(people["Emma"].inbox) == emma_saw
