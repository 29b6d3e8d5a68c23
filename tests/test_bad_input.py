"""Bad input: each gets a clear answer in the person's language; nothing raises; nothing stored is lost."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import Speaker
from storage.models import InboundEvent, Person

ES = Speaker("es")


@pytest.fixture
async def carlos(chat, invite):
    """Carlos has joined, chosen Spanish, and is being asked where to receive messages."""
    phone = chat("carlos")
    await phone.say(f"/start {invite('Carlos')}")
    await phone.press("Español")
    return phone


NASTY = [
    "x" * 20_000,
    "🙂🎉👍🏽" * 10,
    "مرحبا، كيف حالك؟",
    "\u202eevil override\u202c",
    "\x00\x01\x02\x1b[2J",
    "   ",
    "/nonexistent_command with args",
    "/",
    "/start@partnerbot",
    "Robert'); DROP TABLE person;--",
    "<b>bold</b> & <script>alert(1)</script>",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
async def test_nasty_text_while_a_button_is_expected(carlos, session, text):
    before = session.exec(select(Person).where(Person.name == "Carlos García")).one().language
    replies = await carlos.say(text)
    assert len(replies) == 1
    assert replies[0].text in {
        ES._("Please choose one of the options below."),
        ES._("Sorry, I can only read text messages and button presses here."),
        ES._("Sorry, I do not know the command /{command}. Send /help to see what you can do.").format(
            command="nonexistent_command"
        ),
        ES._("Hello again, {name}! Send /help to see what you can do.").format(name="Carlos García"),
    }
    assert replies[0].text.isprintable() or "\n" in replies[0].text
    session.expire_all()
    assert session.exec(select(Person).where(Person.name == "Carlos García")).one().language == before
    # the question is still open: a valid answer works afterwards
    replies = await carlos.press("test")
    assert replies[0].text == ES._("Done: we will send your messages to {channel}.").format(channel="test")


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
async def test_nasty_text_with_no_question_open(carlos, text):
    await carlos.say("/cancel")
    replies = await carlos.say(text)
    assert len(replies) == 1
    assert replies[0].text in {
        ES._("Sorry, I did not understand that. Send /help to see what you can do."),
        ES._("Sorry, I can only read text messages and button presses here."),
        ES._("Sorry, I do not know the command /{command}. Send /help to see what you can do.").format(
            command="nonexistent_command"
        ),
        ES._("Hello again, {name}! Send /help to see what you can do.").format(name="Carlos García"),
    }


async def test_help_in_the_middle_of_a_question_keeps_the_question_open(carlos):
    replies = await carlos.say("/help")
    assert "/settings" in replies[0].text
    replies = await carlos.press("test")
    assert replies[0].text == ES._("Done: we will send your messages to {channel}.").format(channel="test")


async def test_cancel_closes_the_question(carlos):
    await carlos.say("/cancel")
    replies = await carlos.press("test")
    assert replies[0].text == ES._("That button is no longer active. Send /help to see what you can do.")


async def test_the_stored_event_keeps_the_whole_long_message(carlos, session):
    await carlos.say("y" * 20_000)
    stored = session.exec(select(InboundEvent).order_by(InboundEvent.id.desc())).first()
    assert stored.payload["text"] == "y" * 20_000


async def test_unknown_command_is_named_in_the_answer_and_truncated(carlos):
    replies = await carlos.say("/" + "z" * 500)
    assert "/" + "z" * 32 in replies[0].text
    assert "z" * 33 not in replies[0].text


async def test_an_empty_event_from_a_platform_gets_an_answer(carlos):
    replies = await carlos.send(carlos.inbound(""))
    assert replies[0].text == ES._("Sorry, I can only read text messages and button presses here.")


@pytest.mark.parametrize(
    "payload",
    ["ack:100000000000000000000", "ack:9223372036854775808", "ack:٣", "ack:-1", "ack:0", "ack:1e9"],
)
async def test_a_forged_button_with_an_id_no_database_holds_is_no_longer_active(carlos, payload):
    replies = await carlos.press_payload(payload)
    assert [r.text for r in replies] == [
        ES._("That button is no longer active. Send /help to see what you can do.")
    ]
