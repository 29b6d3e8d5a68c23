"""Who may do what, as a matrix of roles × actions, including forged button payloads."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import Speaker
from storage.models import Delivery, Message, MessageKind

REFUSED = "Sorry, only school staff can do that. Send /help to see what you can do."
STALE = "That button is no longer active. Send /help to see what you can do."


@pytest.fixture
async def people(chat, invite):
    joined = {}
    for name in ["Emma", "Daniel", "Priya", "Amina", "Carlos"]:
        phone = chat(name.lower())
        await phone.say(f"/start {invite(name)}")
        await phone.press("English")
        await phone.say("/cancel")
        joined[name] = phone
    joined["stranger"] = chat("stranger")
    return joined


@pytest.mark.parametrize(
    ("who", "command", "allowed"),
    [
        ("Emma", "/highlights", True),
        ("Daniel", "/highlights", True),
        ("Priya", "/highlights", False),
        ("Amina", "/highlights", False),
        ("stranger", "/highlights", False),
        ("Emma", "/postcard", True),
        ("Priya", "/postcard", True),
        ("Amina", "/postcard", False),
        ("stranger", "/postcard", False),
        ("Emma", "/acks", True),
        ("Daniel", "/acks", True),
        ("Priya", "/acks", False),
        ("Carlos", "/acks", False),
        ("stranger", "/acks", False),
        ("Amina", "/tried", True),
        ("Emma", "/tried", False),
        ("stranger", "/tried", False),
    ],
)
async def test_command_matrix(people, who, command, allowed):
    replies = await people[who].say(command)
    text = replies[0].text
    if who == "stranger":
        assert "/start" in text and "Class 3B" not in text
    elif allowed:
        assert text != REFUSED and "for families" not in text
    else:
        assert text in {REFUSED, "This is for families, to tell the school what they tried at home."}


async def test_an_outside_partner_reaches_only_their_own_partnerships(people):
    replies = await people["Priya"].say("/postcard")
    assert [b.label for b in replies[0].buttons] == ["Yusuf Haddad"]
    replies = await people["Priya"].press_payload("class:1")  # forged: a whole class
    assert replies[0].text == "Please choose one of the options below."
    replies = await people["Priya"].press_payload("student:2")  # forged: another student
    assert replies[0].text == "Please choose one of the options below."


async def test_a_parent_sees_only_their_own_children(people):
    replies = await people["Amina"].say("/tried")
    assert "Which strategy did you try?" in replies[0].text  # one child: no choice of student
    replies = await people["Carlos"].say("/settings")
    assert "Sofía García" in replies[0].text and "Yusuf" not in replies[0].text


@pytest.mark.parametrize("action", ["ack", "orig", "tried", "ask", "nudge"])
async def test_a_forged_button_on_another_familys_message_does_nothing(people, session, action):
    emma = people["Emma"]
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    for answer in ["Counting stairs", "Count them.", "It helps."]:
        await emma.say(answer)
    await emma.press("Skip")
    await emma.press("Send")
    postcard = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_TO_HOME)).one()
    messages_before = len(session.exec(select(Message)).all())

    replies = await people["Carlos"].press_payload(f"{action}:{postcard.id}")

    assert replies[0].text in {STALE, REFUSED}
    assert "Counting stairs" not in replies[0].text
    session.expire_all()
    assert all(d.acknowledged_at is None for d in session.exec(select(Delivery)).all())
    # no postcard, reply or reminder was created: only the postcard itself is not a bot reply
    assert len(session.exec(select(Message).where(Message.kind != MessageKind.REPLY)).all()) == 1
    assert len(session.exec(select(Message)).all()) == messages_before + 1  # just our answer to Carlos


@pytest.mark.parametrize(
    "payload", ["ack:", "ack:abc", "ack:-1", "ack:99999999", "orig:1e3", "nudge:0", "ask:😀"]
)
async def test_malformed_payloads_are_answered_harmlessly(people, payload):
    replies = await people["Amina"].press_payload(payload)
    assert replies[0].text in {STALE, REFUSED, Speaker("en")._(STALE)}
