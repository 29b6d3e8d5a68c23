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
