"""Outbound → e-mail: subject, parts, escaping, direction and header safety, without a network."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.email.render import Envelope, Link, html, one_line, plain_text, render, subject
from bot.events import Content, Outbound, Section

DOMAIN = "riverside.example"


def envelope(**changes: object) -> Envelope:
    fields: dict[str, object] = {
        "sender_name": "Riverside Primary",
        "sender_address": "office@riverside.example",
        "to": "amina@example.org",
        "domain": DOMAIN,
        "message_id": "<abc.partnerbot@riverside.example>",
        "date": datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
    }
    return Envelope(**(fields | changes))  # type: ignore[arg-type]


def parsed(out: Outbound, **changes: object) -> EmailMessage:
    """The mail as a receiving mail app parses it, after the wire format."""
    data = render(out, envelope(**changes))
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def sender_name(message: EmailMessage) -> str:
    """The From name, without spaces: where a long name is folded into several encoded words,
    decoders differ on the space between them (RFC 2047 drops it; Python's parser keeps one)."""
    return "".join(message["From"].addresses[0].display_name.split())


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    return plain.get_content().replace("\r\n", "\n"), rich.get_content().replace("\r\n", "\n")


POSTCARD = Content(
    heading="Something to try at home, for Sami, from Ms Lee",
    title="Reading together",
    sections=(
        Section(label="What to try:", steps=("Pick a book", "Read one page each")),
        Section(label="Why it helps:", paragraphs=("Reading aloud builds confidence.\nAnd it is fun.",)),
    ),
    note="Translated automatically from English.",
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (POSTCARD, "Something to try at home, for Sami, from Ms Lee: “Reading together”"),
        (Content(heading="Learning highlights", urgent="Urgent"), "‼️ Urgent · Learning highlights"),
        (Content(heading="Learning highlights", reminder="Reminder:"), "Reminder: Learning highlights"),
        (Content.plain("Thanks, we got it.\nSee you soon."), "Thanks, we got it."),
        (Content(heading="x" * 400), "x" * 149 + "…"),
        (Content(heading="Hi\r\nBcc: evil@example.org"), "Hi Bcc: evil@example.org"),
        (Content(heading="Tab\there\u2028and\x85there"), "Tab here and there"),
    ],
)
def test_subject_in_the_recipients_words_on_one_line(content, expected):
    assert subject(content) == expected


def test_a_multipart_alternative_with_the_plain_text_and_accessible_html():
    message = parsed(Outbound(content=POSTCARD, language="es"))
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "es"
    text, page = parts(message)
    assert "1. Pick a book\n2. Read one page each" in text
    assert '<html lang="es" dir="ltr">' in page
    assert "<li" in page and "Read one page each</li>" in page
    assert "Reading aloud builds confidence.<br>\nAnd it is fun." in page
    assert "font-size:20px" in page  # large type
    assert "<img" not in page  # nothing that needs images on


def test_arabic_is_right_to_left_in_both_parts():
    content = Content(heading="نشاط للبيت", sections=(Section(steps=("1 كتاب", "اقرأ")),))
    text, page = parts(parsed(Outbound(content=content, rtl=True, language="ar")))
    assert '<html lang="ar" dir="rtl">' in page and "text-align:right" in page
    assert all(line.startswith("\u200f") for line in text.splitlines() if line.strip())


def test_the_original_is_beside_the_translation():
    content = Content(
        heading="Mensaje de la Sra. Lee",
        sections=(Section(paragraphs=("Gracias por la foto.",)),),
        original=Section(label="Original:", paragraphs=("Thank you for the photo.",)),
    )
    text, page = parts(parsed(Outbound(content=content, language="es")))
    assert text.index("Gracias por la foto.") < text.index("Original:\nThank you for the photo.")
    assert "<blockquote" in page and "Thank you for the photo." in page.split("<blockquote")[1]


def test_user_text_is_escaped_in_the_html():
    content = Content(
        heading='<script>alert("x")</script>',
        title="Tom & Jerry <b>",
        sections=(Section(paragraphs=('<img src=x onerror="steal()">',)),),
    )
    _, page = parts(parsed(Outbound(content=content)))
    assert "<script>" not in page and 'onerror="steal' not in page
    assert "&lt;script&gt;" in page and "Tom &amp; Jerry &lt;b&gt;" in page


def test_links_are_in_both_parts():
    links = (Link(label="Got it", url="https://bot.example/e/abc?x=1&y=2"),)
    out = Outbound(content=Content.plain("Hello"))
    assert plain_text(out, links).endswith("Got it:\nhttps://bot.example/e/abc?x=1&y=2\n")
    assert 'href="https://bot.example/e/abc?x=1&amp;y=2"' in html(out, links)


@pytest.mark.parametrize(
    "name",
    [
        "مدرسة ريفرسايد الابتدائية للبنين والبنات",
        "Trường Tiểu học Riverside – Cơ sở Một",
        "河畔小学附属幼儿园与社区学习中心",
    ],
)
def test_the_schools_name_in_any_script(name):
    message = parsed(Outbound(content=Content.plain("Hi")), sender_name=name)
    assert sender_name(message) == "".join(name.split())
    assert next(v for k, v in message.raw_items() if k == "From").isascii()  # RFC 2047 encoded


def test_names_and_subjects_cannot_add_headers():
    out = Outbound(content=Content(heading="Hello\r\nBcc: evil@example.org\r\n\r\nbody"))
    message = parsed(out, sender_name="Riverside\r\nBcc: evil@example.org")
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: evil@example.org body"
    assert message["From"].addresses[0].display_name == "Riverside Bcc: evil@example.org"


def test_one_click_unsubscribe_headers():
    message = parsed(Outbound(content=Content.plain("Hi")), unsubscribe_url="https://bot.example/e/u/tok")
    assert message["List-Unsubscribe"] == "<https://bot.example/e/u/tok>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed(Outbound(content=Content.plain("Hi")))["List-Unsubscribe"] is None


def test_a_recipient_that_is_not_one_mailbox_is_refused():
    with pytest.raises(ValueError, match="not an e-mail address"):
        render(Outbound(content=Content.plain("Hi")), envelope(to="a@b.example, c@d.example"))


@given(
    heading=st.text(max_size=200),
    paragraph=st.text(max_size=500),
    name=st.text(max_size=80),
    rtl=st.booleans(),
)
def test_any_text_renders_to_a_mail_that_parses_back(heading, paragraph, name, rtl):
    content = Content(heading=heading, sections=(Section(paragraphs=(paragraph,)),))
    message = parsed(Outbound(content=content, rtl=rtl, language="vi"), sender_name=name)
    assert message["Subject"] == subject(content)
    assert sender_name(message) == "".join(one_line(name).split())
    text, page = parts(message)
    assert one_line(paragraph.replace("\u200f", "")) in one_line(text.replace("\u200f", ""))
    assert "<script" not in page.lower() or "<script" not in paragraph.lower()
