"""Block Kit rendering and payload parsing: pure functions, tables and Hypothesis, no network."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.channels.slack.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    Person,
    escape,
    from_action,
    from_command,
    from_home_opened,
    from_message,
    from_shortcut,
    person_of,
    render,
    render_home,
)
from bot.events import Button, Content, Outbound, Section


def texts(out: Outbound) -> list[str]:
    return [
        block["text"]["text"] if "text" in block else block["elements"][0].get("text", "")
        for message in render(out)
        for block in message.blocks
        if block["type"] in {"section", "context"}
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (Content.plain("a < b & c > d"), ["a &lt; b &amp; c &gt; d"]),
        (Content(heading="Highlights for 3B"), ["*Highlights for 3B*"]),
        (Content(heading="Trip", urgent="Urgent"), ["‼️ *Urgent* · *Trip*"]),
        (Content(title="Count the stairs"), ["_“Count the stairs”_"]),
        (
            Content(sections=(Section(label="What to try:", steps=("Count", " ", "Clap")),)),
            ["*What to try:*\n1. Count\n2. Clap"],
        ),
        (Content(reminder="Reminder:", note="Sent by the school"), ["_Reminder:_", "Sent by the school"]),
        (
            Content(
                sections=(Section(paragraphs=("one",)),),
                original=Section(label="Original:", paragraphs=("uno",)),
            ),
            ["one", "*Original:*\nuno"],
        ),
    ],
)
def test_content_as_blocks(content, expected):
    assert texts(Outbound(content=content)) == expected


def test_original_follows_a_divider_and_buttons_are_an_actions_block():
    out = Outbound(
        content=Content(sections=(Section(paragraphs=("x",)),), original=Section(paragraphs=("y",))),
        buttons=(Button(label="Got it", payload="ack:1"), Button(label="Not yet", payload="ack:1:no")),
    )
    [message] = render(out)
    assert [b["type"] for b in message.blocks] == ["section", "divider", "section", "actions"]
    elements = message.blocks[-1]["elements"]
    assert [(e["text"]["text"], e["value"], e["action_id"]) for e in elements] == [
        ("Got it", "ack:1", "pb:0"),
        ("Not yet", "ack:1:no", "pb:1"),
    ]


def test_limits_long_text_many_blocks_many_buttons():
    long = "word " * 2000 + "&" * 1000  # escaping makes the ampersands five times longer
    paragraphs = tuple(f"paragraph {i}" for i in range(60))
    out = Outbound(
        content=Content(
            sections=(Section(paragraphs=(long,)), *(Section(paragraphs=(p,)) for p in paragraphs))
        ),
        buttons=tuple(Button(label="L" * 100, payload=f"p:{i}") for i in range(30)),
    )
    messages = render(out)
    assert len(messages) == 2
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        for block in Block.parse_all(list(message.blocks)):
            block.to_dict()  # slack_sdk's validators: section text, labels, values, elements
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert max(len(s) for s in sections) <= SECTION_LIMIT
    assert html.unescape("".join(s for s in sections if "paragraph" not in s)).replace(" ", "") == (
        long.replace(" ", "")
    )
    actions = [b for b in messages[-1].blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    assert actions[0]["elements"][0]["text"]["text"] == "L" * 74 + "…"


def test_values_slack_cannot_carry():
    with pytest.raises(ValueError, match="button value"):
        render(Outbound(content=Content.plain("x"), buttons=(Button(label="x", payload="v" * 2001),)))
    with pytest.raises(ValueError, match="nothing to show"):
        render(Outbound(content=Content()))


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=9000), st.text(max_size=200))
def test_any_text_fits_and_survives(text, label):
    out = Outbound(content=Content(heading=label, sections=(Section(label=label, paragraphs=(text,)),)))
    try:
        messages = render(out)
    except ValueError:
        assert not (text.strip() or label.strip())
        return
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        for block in Block.parse_all(list(message.blocks)):
            block.to_dict()
        for block in message.blocks:
            shown = block.get("text", {}).get("text", "")
            assert not re.search(r"<|>|&(?!amp;|lt;|gt;)", shown)  # nothing unescaped reaches Slack


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Send /help to see what you can do.", "Send /partnerbot help to see what you can do."),
        ("like this: /start your-code", "like this: /partnerbot start your-code"),
        ("(/settings)", "(/partnerbot settings)"),
        (
            "on 3/12, see https://school.example/help and a/b /2",
            "on 3/12, see https://school.example/help and a/b /2",
        ),
    ],
)
def test_commands_are_spelled_the_slack_way(text, shown):
    assert texts(Outbound(content=Content.plain(text))) == [shown]


def test_escape():
    assert escape("<@U1> & <!channel>") == "&lt;@U1&gt; &amp; &lt;!channel&gt;"


MESSAGE = {
    "event_id": "Ev1",
    "event": {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": "/acks 2",
        "ts": "5.1",
    },
}


def test_parsing_payloads():
    person = Person(display_name="Emma", language_hint="es", verified_email="emma@school.example")
    dm = from_message(MESSAGE, person)
    assert dm is not None
    assert (dm.address, dm.event_id, dm.command, dm.args, dm.verified_email) == (
        "U1",
        "Ev1",
        "acks",
        ("2",),
        "emma@school.example",
    )
    threaded = from_message({**MESSAGE, "event": {**MESSAGE["event"], "thread_ts": "4.0"}})
    assert threaded is not None and threaded.reply_to == "4.0"
    for ignored in ({"subtype": "message_changed"}, {"bot_id": "B1"}, {"channel_type": "channel"}):
        assert from_message({**MESSAGE, "event": {**MESSAGE["event"], **ignored}}) is None
    command = from_command(
        {"command": "/partnerbot", "text": " /highlights ", "user_id": "U1", "trigger_id": "t1"}
    )
    assert command is not None and (command.command, command.event_id) == ("highlights", "cmd:t1")
    free = from_command({"command": "/partnerbot", "text": "¿qué?", "user_id": "U1", "trigger_id": "t2"})
    assert free is not None and (free.command, free.text) == (None, "¿qué?")
    press = {
        "type": "block_actions",
        "user": {"id": "U2"},
        "trigger_id": "t3",
        "actions": [
            {"action_id": "pb:0", "value": "ack:9", "text": {"type": "plain_text", "text": "Got it"}}
        ],
    }
    action = from_action(press)
    assert action is not None and (action.address, action.payload, action.event_id) == (
        "U2",
        "ack:9",
        "act:t3",
    )
    assert from_action({**press, "actions": [{**press["actions"][0], "action_id": "other"}]}) is None


def test_person_of_users_info():
    user = {"real_name": "E", "locale": "zh-CN", "profile": {"real_name": "Emma C", "email": " Emma@X.org "}}
    assert person_of(user) == Person(display_name="Emma C", language_hint="zh", verified_email="emma@x.org")
    assert person_of({**user, "is_email_confirmed": False}).verified_email is None
    assert person_of({**user, "deleted": True}).verified_email is None


def test_home_opened_and_home_view():
    opened = {"event_id": "EvH", "event": {"type": "app_home_opened", "user": "U1", "tab": "home"}}
    home = from_home_opened(opened)
    assert home is not None and (home.command, home.text, home.event_id) == ("home", "/home", "EvH")
    assert from_home_opened({**opened, "event": {**opened["event"], "tab": "messages"}}) is None
    page = Outbound(
        content=Content(
            heading="Hello", sections=tuple(Section(paragraphs=(f"p{i}",)) for i in range(120)), home=True
        ),
        buttons=(Button(label="Nudge 2", payload="nudge:4"),),
    )
    view = render_home(page)
    assert view["type"] == "home" and len(view["blocks"]) == 100
    assert view["blocks"][0]["text"]["text"] == "*Hello*"
    assert view["blocks"][-1]["elements"][0]["value"] == "nudge:4"


def test_a_message_shortcut_is_its_command_with_the_message_quoted():
    body = {
        "type": "message_action",
        "callback_id": "pb:postcard",
        "trigger_id": "t9",
        "user": {"id": "U1"},
        "message": {"text": "Count &lt;all&gt; the stairs &amp; the doors "},
    }
    inbound = from_shortcut(body)
    assert inbound is not None
    assert (inbound.command, inbound.trigger, inbound.event_id) == ("postcard", "t9", "sc:t9")
    assert inbound.quoted == "Count <all> the stairs & the doors"
    assert from_shortcut(body | {"callback_id": "someone_elses"}) is None
    assert from_shortcut(body | {"type": "shortcut"}) is None  # a global shortcut: not ours
    assert from_shortcut({**body, "message": {"text": ""}}).quoted is None  # type: ignore[union-attr]
