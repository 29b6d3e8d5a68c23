"""Telegram parsing and rendering without a network: update tables, render tables, Hypothesis properties."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.channels.telegram.render import (
    CAPTION_LIMIT,
    RLM,
    TEXT_LIMIT,
    render,
    split_text,
    to_inbound,
    utf16_len,
)
from bot.events import Attachment, Button, Content, Outbound, Section
from tests.fakes.telegram import BOT_USER
from tests.fakes.telegram_updates import UpdateFactory

BOT = str(BOT_USER["username"])
PHOTO = Attachment(filename="card.jpg", content_type="image/jpeg", data=b"\xff\xd8jpeg")
OK = Button(label="OK", payload="ok")


def parsed(build: Any) -> Update:
    """An Update as PTB parses the JSON the fake's factory writes."""
    factory = UpdateFactory(bot_user=BOT_USER)
    factory.chats["42"] = [
        {
            "message_id": 7,
            "from": BOT_USER,
            "chat": factory.chat(42),
            "date": 1_764_000_000,
            "text": "Did you see it?",
            "reply_markup": {"inline_keyboard": [[{"text": "Got it", "callback_data": "ack:9"}]]},
        }
    ]
    return Update.de_json(build(factory), None)


CASES = [
    # (id, build the update, bot username, expected fields or None)
    (
        "text",
        lambda f: f.push_text(42, "hello"),
        BOT,
        {"text": "hello", "command": None, "address": "42", "reply_to": None},
    ),
    (
        "reply",
        lambda f: f.push_text(42, "yes", reply_to=f.chats["42"][0]),
        BOT,
        {"text": "yes", "reply_to": "7"},
    ),
    (
        "quote from another chat",
        lambda f: f.push(
            "message",
            f._message(
                42,
                None,
                text="see this",
                external_reply={
                    "origin": {"type": "user", "date": 0, "sender_user": f.user(43)},
                    "chat": f.chat(43),
                    "message_id": 7,
                },
            ),
        ),
        BOT,
        {"text": "see this", "reply_to": None},
    ),
    (
        "deep link",
        lambda f: f.push_command(42, "start", "Q7-XK2"),
        BOT,
        {"command": "start", "args": ("Q7-XK2",)},
    ),
    (
        "our name",
        lambda f: f.push_command(-100, "help", bot_username="Partnerbot_Test_Bot"),
        BOT,
        {"command": "help", "address": "-100"},
    ),
    ("another bot", lambda f: f.push_command(-100, "start", "X", bot_username="otherbot"), BOT, None),
    ("unknown name", lambda f: f.push_command(-100, "help", bot_username="x"), None, {"command": "help"}),
    ("not a command", lambda f: f.push_text(42, "hi /start"), BOT, {"command": None, "text": "hi /start"}),
    (
        "button",
        lambda f: f.push_callback(42, "ack:9"),
        BOT,
        {"payload": "ack:9", "text": "Got it", "command": None},
    ),
    (
        "old button",
        lambda f: f.push_callback(42, "ack:9", message={"message_id": 3, "chat": f.chat(42), "date": 0}),
        BOT,
        {"payload": "ack:9", "text": "", "address": "42"},
    ),
    (
        "photo",
        lambda f: f.push_photo(42, b"jpeg", caption="We tried it"),
        BOT,
        {"text": "We tried it", "attachment.content_type": "image/jpeg"},
    ),
    (
        "image as a file",
        lambda f: f.push(
            "message",
            f._message(
                42,
                None,
                document={
                    "file_id": "D1",
                    "file_unique_id": "U",
                    "file_name": "p.png",
                    "mime_type": "image/png",
                },
            ),
        ),
        BOT,
        {
            "attachment.platform_ref": "D1",
            "attachment.filename": "p.png",
            "attachment.content_type": "image/png",
        },
    ),
    ("sticker", lambda f: f.push_sticker(42), BOT, {"text": "", "attachment": None, "command": None}),
    ("sticker in a group", lambda f: f.push_sticker(-100), BOT, None),
    ("edited", lambda f: f.push_edited(42, "hello again"), BOT, None),
    ("blocked", lambda f: f.push_my_chat_member(42), BOT, None),
    ("group join", lambda f: f.push_group_join(-100), BOT, None),
    ("channel post", lambda f: f.push("channel_post", {**f._message(-1001, None, text="news")}), BOT, None),
    ("from a bot", lambda f: f.push_text(42, "beep", user={**BOT_USER, "id": 9}), BOT, None),
    (
        "first name only",
        lambda f: f.push_text(
            42, "hi", user=f.user(42, first_name="Lan", last_name=None, language_code="vi")
        ),
        BOT,
        {"display_name": "Lan", "language_hint": "vi"},
    ),
]


@pytest.mark.parametrize(
    ("build", "bot_username", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_to_inbound(build, bot_username, expected):
    update = parsed(build)
    inbound = to_inbound(update, bot_username=bot_username)
    if expected is None:
        assert inbound is None
        return
    assert inbound is not None
    assert inbound.channel == "telegram"
    for name, value in expected.items():
        target: Any = inbound
        for part in name.split("."):
            target = getattr(target, part)
        assert target == value, name


def test_event_ids_are_the_update_id_or_the_callback_query_id():
    text = parsed(lambda f: f.push_text(42, "hello"))
    button = parsed(lambda f: f.push_callback(42, "ack:9"))
    assert to_inbound(text, bot_username=BOT).event_id == str(text.update_id)
    assert to_inbound(button, bot_username=BOT).event_id == f"cbq:{button.callback_query.id}"


def test_a_photo_is_its_largest_size_and_the_sender_is_named():
    update = parsed(lambda f: f.push_photo(42, b"the full picture"))
    inbound = to_inbound(update, bot_username=BOT)
    assert inbound.attachment.platform_ref == update.message.photo[-1].file_id
    assert (inbound.display_name, inbound.language_hint) == ("Amina Haddad", "ar")


# -- render ----------------------------------------------------------------------------------------


def test_user_text_is_escaped_for_html():
    [part] = render(Outbound(content=Content.plain("Tom & Jerry <3 <b>not bold</b>")))
    assert part.html == "Tom &amp; Jerry &lt;3 &lt;b&gt;not bold&lt;/b&gt;"
    assert (part.photo, part.reply_markup) == (None, None)


def test_buttons_one_per_row_on_the_last_part():
    buttons = (Button(label="Got it", payload="ack:1"), Button(label="العربية", payload="lang:ar"))
    parts = render(Outbound(content=Content.plain("a" * 5000), buttons=buttons))
    assert [p.reply_markup is not None for p in parts] == [False, True]
    rows = parts[-1].reply_markup.inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("Got it", "ack:1")],
        [("العربية", "lang:ar")],
    ]


@pytest.mark.parametrize("payload", ["", "x" * 65, "é" * 33])
def test_a_payload_telegram_cannot_carry_is_refused(payload):
    with pytest.raises(ValueError, match="button payload"):
        render(Outbound(content=Content.plain("Which?"), buttons=(Button(label="A", payload=payload),)))


def test_long_text_splits_on_paragraphs_first():
    paragraphs = ["A" * 3000, "B" * 3000, "C" * 100]
    parts = render(Outbound(content=Content.plain("\n\n".join(paragraphs))))
    assert [p.html for p in parts] == ["A" * 3000, "B" * 3000 + "\n\n" + "C" * 100]


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("word " * 2000, [4094, 4094, 1809]),  # at spaces, the spaces dropped
        ("x" * 9000, [4096, 4096, 808]),  # no space at all: a hard split
        ("line\n" * 1000 + "end", [4094, 908]),
        ("x" * 4096 + " " + "y" * 10, [4096, 10]),  # a space just past the limit is a fine place
    ],
)
def test_long_text_falls_back_to_lines_spaces_then_anywhere(text, sizes):
    assert [len(p.html) for p in render(Outbound(content=Content.plain(text)))] == sizes


def test_emoji_count_twice_as_telegram_counts_them():
    parts = render(Outbound(content=Content.plain("😀" * 3000)))
    assert [len(p.html) for p in parts] == [2048, 952]


def test_right_to_left_lines_start_with_a_right_to_left_mark():
    [part] = render(Outbound(content=Content.plain("مرحبا\n\n3 كتب\nOK"), rtl=True))
    assert part.html == f"{RLM}مرحبا\n\n{RLM}3 كتب\n{RLM}OK"


def test_right_to_left_parts_of_a_split_all_start_with_the_mark():
    parts = render(Outbound(content=Content.plain("كلمة " * 2000), rtl=True))
    assert len(parts) == 3
    assert all(p.html.startswith(RLM) and utf16_len(p.html) <= TEXT_LIMIT for p in parts)


def test_a_photo_carries_a_short_text_as_its_caption_and_the_buttons():
    [part] = render(Outbound(content=Content.plain("Try <this>"), attachment=PHOTO, buttons=(OK,)))
    assert (part.photo, part.html) == (PHOTO, "Try &lt;this&gt;")
    assert part.reply_markup is not None


def test_text_longer_than_a_caption_follows_the_photo():
    parts = render(
        Outbound(content=Content.plain("y" * (CAPTION_LIMIT + 1)), attachment=PHOTO, buttons=(OK,))
    )
    assert [(p.photo, len(p.html), p.reply_markup is not None) for p in parts] == [
        (PHOTO, 0, False),
        (None, CAPTION_LIMIT + 1, True),
    ]


def test_a_photo_alone_and_a_photo_known_only_by_reference():
    by_ref = Attachment(filename="p.jpg", content_type="image/jpeg", platform_ref="AgAC-file-id")
    assert [p.photo for p in render(Outbound(content=Content.plain(""), attachment=by_ref))] == [by_ref]
    empty = Attachment(filename="p.jpg", content_type="image/jpeg")
    assert [p.photo for p in render(Outbound(content=Content.plain("hi"), attachment=empty))] == [None]


def test_nothing_to_send_is_an_error():
    with pytest.raises(ValueError, match="no text"):
        render(Outbound(content=Content.plain(" \n ")))


# -- structured content -------------------------------------------------------------------------------

POSTCARD = Content(
    heading="Something to try at home, for Yusuf Haddad, from Emma Clarke",
    title="Counting <stairs>",
    sections=(
        Section(label="What to try:", steps=("Count the stairs.", "", "Say each number.")),
        Section(label="Why it helps:", paragraphs=("Touch & count.",)),
    ),
    note="Translated automatically from English.",
)


def test_a_postcard_is_marked_up_with_its_parts_and_user_text_escaped():
    [part] = render(Outbound(content=POSTCARD))
    assert part.html == (
        "<b>Something to try at home, for Yusuf Haddad, from Emma Clarke</b>\n\n"
        "<i>“Counting &lt;stairs&gt;”</i>\n\n"
        "<b>What to try:</b>\n1. Count the stairs.\n2. Say each number.\n\n"
        "<b>Why it helps:</b>\nTouch &amp; count.\n\n"
        "<i>Translated automatically from English.</i>"
    )


def test_an_urgent_reminder_and_the_original_in_an_expandable_quote():
    content = Content(
        reminder="Reminder:",
        heading="Message from Amina",
        urgent="Urgent",
        sections=(Section(paragraphs=("How many steps?",)),),
        original=Section(label="Original (Arabic):", paragraphs=("كم خطوة؟",)),
    )
    [part] = render(Outbound(content=content))
    assert part.html == (
        "<i>Reminder:</i>\n\n‼️<b> Urgent</b> · <b>Message from Amina</b>\n\nHow many steps?\n\n"
        "<blockquote expandable><b>Original (Arabic):</b>\nكم خطوة؟</blockquote>"
    )


def test_a_long_original_is_split_between_parts_with_every_tag_closed_and_reopened():
    content = Content(
        heading="Message from Amina",
        sections=(Section(paragraphs=("x" * 3000,)),),
        original=Section(label="Original (Arabic):", paragraphs=("ع" * 3000, "ب" * 3000)),
    )
    parts = render(Outbound(content=content, rtl=True))
    assert [p.html.replace(RLM, "") for p in parts] == [
        "<b>Message from Amina</b>\n\n" + "x" * 3000,
        "<blockquote expandable><b>Original (Arabic):</b>\n" + "ع" * 3000 + "</blockquote>",
        "<blockquote expandable>" + "ب" * 3000 + "</blockquote>",
    ]
    assert all(utf16_len(re.sub("<[^>]+>", "", p.html)) <= TEXT_LIMIT for p in parts)


def test_a_photo_takes_a_short_postcard_as_its_marked_up_caption():
    [part] = render(Outbound(content=POSTCARD, attachment=PHOTO, buttons=(OK,)))
    assert part.photo == PHOTO and part.html.startswith("<b>Something to try at home")
    assert part.reply_markup is not None


def test_plain_text_is_the_same_document_on_every_channel():
    assert POSTCARD.to_plain() == (
        "Something to try at home, for Yusuf Haddad, from Emma Clarke\n\n“Counting <stairs>”\n\n"
        "What to try:\nCount the stairs.\n\nSay each number.\n\nWhy it helps:\nTouch & count.\n\n"
        "(Translated automatically from English.)"
    )
    assert Content.from_json(POSTCARD.to_json()) == POSTCARD


# -- properties --------------------------------------------------------------------------------------

_TRICKY = st.sampled_from(
    ["<", ">", "&", "&amp;", "&lt;", "<b>", "</a>", '"', "'", "\n", "\n\n", " ", "😀", "é", "ع"]
)
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=20)), max_size=60).map("".join)


def _no_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text.replace(RLM, ""))


@given(text=_TEXT, rtl=st.booleans())
def test_escaping_never_leaves_markup_from_user_text(text, rtl):
    if not text.strip():
        return
    for part in render(Outbound(content=Content.plain(text), rtl=rtl)):
        assert not re.search(r"[<>&]", re.sub(r"&(lt|gt|amp);", "", part.html))
        assert _no_whitespace(html.unescape(part.html)) in _no_whitespace(text)


@given(text=_TEXT, limit=st.integers(min_value=2, max_value=40))
def test_split_parts_fit_and_rejoin_to_the_original(text, limit):
    parts = split_text(text, limit)
    assert all(part and utf16_len(part) <= limit for part in parts)
    assert all(part == part.strip() for part in parts)
    assert _no_whitespace("".join(parts)) == _no_whitespace(text)


@settings(max_examples=25, deadline=None)
@given(
    paragraphs=st.lists(st.text(min_size=1, max_size=3000).filter(str.strip), min_size=1, max_size=8),
    rtl=st.booleans(),
)
def test_rendered_parts_fit_telegram_and_keep_all_the_text(paragraphs, rtl):
    text = "\n\n".join(paragraphs)
    parts = render(Outbound(content=Content.plain(text), rtl=rtl))
    shown = [html.unescape(part.html) for part in parts]
    assert all(utf16_len(part) <= TEXT_LIMIT for part in shown)
    assert _no_whitespace("".join(shown)) == _no_whitespace(text)
