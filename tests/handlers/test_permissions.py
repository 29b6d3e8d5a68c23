"""Who may do what, as a matrix of roles × actions, including forged button payloads."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import Speaker
from storage.consents import withdraw
from storage.models import Consent, ConsentStatus, Delivery, Message, MessageKind
from storage.partnerships import partnership_of, remove

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
        ("Emma", "/partnership", True),
        ("Daniel", "/partnership", True),
        ("Priya", "/partnership", False),
        ("Amina", "/partnership", False),
        ("stranger", "/partnership", False),
        ("Emma", "/meeting", True),
        ("Priya", "/meeting", False),
        ("Carlos", "/meeting", False),
        ("stranger", "/meeting", False),
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


async def _consent(session, status: ConsentStatus) -> None:
    """Priya's consent for Yusuf as the demo recorded it (given), then changed to `status`; a
    withdrawal also takes her out of the partnership, as /settings does."""
    consent = session.exec(select(Consent)).one()
    if status is ConsentStatus.WITHDRAWN:
        withdraw(session=session, consent=consent, by=consent.decided_by, at=consent.decided_at)
        partnership = partnership_of(session=session, student_id=consent.student_id)
        remove(session=session, partnership_id=partnership.id, person_id=consent.partner_id)
    session.commit()


@pytest.mark.parametrize(
    ("consent", "sees"),
    [(ConsentStatus.GIVEN, True), (ConsentStatus.WITHDRAWN, False)],
)
async def test_an_outside_partner_sees_the_student_only_while_consent_stands(people, session, consent, sees):
    """The role × consent matrix: the partner's /postcard targets, and what comes from home."""
    await _consent(session, consent)
    replies = await people["Priya"].say("/postcard")
    assert ("Yusuf Haddad" in [b.label for b in replies[0].buttons]) is sees
    await people["Priya"].say("/cancel")
    before = len(people["Priya"].inbox)
    amina = people["Amina"]
    await amina.say("/tried")
    await amina.press("Something new")
    await amina.say("We counted the stairs.")
    await amina.press("Mixed")
    await amina.say("He was tired.")
    await amina.press("Skip")
    heard = [o.text for o in people["Priya"].inbox[before:]]
    assert any("counted the stairs" in t for t in heard) is sees
