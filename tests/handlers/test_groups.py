"""Class group chats: staff link a group to a class; it then receives the class's highlights."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import Speaker
from storage.models import ChannelAccount, ClassChat

GROUP = "class-3b-families"


@pytest.fixture
async def emma(chat, invite):
    teacher = chat("emma")
    await teacher.say(f"/start {invite('Emma')}")
    await teacher.press("English")
    await teacher.say("/cancel")
    return teacher


@pytest.fixture
def group(chat):
    return chat(GROUP)


async def test_a_teacher_links_the_class_group_and_highlights_reach_it(emma, group, session):
    replies = await group.send(group.inbound("/linkclass", sender="emma"))
    assert replies[0].text == "This group will now receive the learning highlights for Class 3B."
    assert session.exec(select(ClassChat)).one().linked_by is not None

    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    assert "We planted beans." in group.last.text
    assert group.last.buttons == ()  # no personal Got it in a shared chat


async def test_a_parent_cannot_link_a_group(chat, invite, group, session):
    carlos = chat("carlos")
    await carlos.say(f"/start {invite('Carlos')}")
    replies = await group.send(group.inbound("/linkclass", sender="carlos"))
    assert replies[0].text == Speaker("es")._("Only school staff can link this group to a class.")
    assert session.exec(select(ClassChat)).all() == []


@pytest.mark.parametrize("text", ["hello everyone", "/start abcd", "/help", "/highlights", "1"])
async def test_the_bot_stays_quiet_in_groups_and_creates_no_accounts_for_chatter(
    group, school, session, text
):
    assert await group.send(group.inbound(text, sender="someone")) == []
    addresses = {
        a.address for a in session.exec(select(ChannelAccount).where(ChannelAccount.channel == "test"))
    }
    assert "someone" not in addresses


async def test_a_forged_link_button_for_another_class_is_refused(emma, group, session):
    replies = await group.send(group.inbound("", payload="linkclass:999", sender="emma"))
    assert replies[0].text == "Which class is this group for?"
    assert session.exec(select(ClassChat)).all() == []


async def test_a_nudge_never_reminds_the_class_group(emma, group, chat, invite):
    """The group's copy has no person to acknowledge it: a nudge reminds families only."""
    await group.send(group.inbound("/linkclass", sender="emma"))
    parent = chat("carlos")
    await parent.say(f"/start {invite('Carlos')}")
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    in_group = len(group.inbox)
    replies = await emma.say("/acks")
    nudge = next(b.label for b in replies[0].buttons if b.label.startswith("Nudge"))
    replies = await emma.press(nudge)
    assert replies[0].text == "Reminder sent to 1 person."
    assert len(group.inbox) == in_group
