"""A mail that came in → Inbound: only the new words, the message it answers, a photo; bounces and
auto-replies never become replies; bad bytes never crash the reader."""

from __future__ import annotations

import pytest

from bot.channels.email.ingest import MAX_MAIL_BYTES, Arrived, read
from bot.channels.email.links import Links
from bot.web.signing import Signer
from tests.channels.email import mails
from tests.channels.email.mails import FAMILY, OURS

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"


def inbound(data: bytes, **options):  # type: ignore[no-untyped-def]
    return read(Arrived(data=data), **options)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (mails.GMAIL_EN, "We tried it last night and she loved it!"),
        (mails.GMAIL_VI, "Cháu rất thích đọc sách cùng bố mẹ."),
        (mails.OUTLOOK_EN, "Thanks, we will try it on Saturday."),
        (mails.OUTLOOK_VI, "Cảm ơn cô, tối nay chúng tôi sẽ thử."),
        (mails.APPLE_ES, "Lo probamos y funcionó muy bien."),
        (mails.GMAIL_AR, "جربنا القراءة معًا وكانت رائعة."),
        (mails.HTML_ONLY, "We read two books & sang a song.\nThank you!"),
        (mails.LATIN_1, "Très bien, merci ! Nous avons essayé à la maison."),
    ],
    ids=["gmail-en", "gmail-vi", "outlook-en", "outlook-vi", "apple-es", "gmail-ar", "html-only", "latin-1"],
)
def test_a_reply_is_only_its_new_words_filed_against_our_mail(data, text):
    event = inbound(data)
    assert event is not None
    assert event.text == text
    assert (event.channel, event.address, event.reply_to) == ("email", FAMILY, OURS)
    assert event.event_id.startswith("m:<") and event.payload is None


def test_the_same_mail_twice_is_the_same_event():
    assert inbound(mails.GMAIL_EN).event_id == inbound(mails.GMAIL_EN).event_id


@pytest.mark.parametrize("data", [mails.WRONG_CHARSET, mails.UNKNOWN_CHARSET, mails.BROKEN_MIME])
def test_wrong_charsets_and_broken_mime_are_read_as_well_as_they_can_be(data):
    event = inbound(data)
    assert event is not None and event.text
    assert event.address == FAMILY


def test_garbage_is_skipped_not_raised():
    assert inbound(b"\x00\xff not a mail at all \r\n\r\n") is None
    assert inbound(b"") is None


@pytest.mark.parametrize("data", [mails.AUTO_REPLY, mails.OUT_OF_OFFICE_SUBJECT])
def test_auto_replies_are_ignored(data):
    assert inbound(data) is None


def test_a_hard_bounce_names_the_mail_that_bounced():
    event = inbound(mails.bounce())
    assert event is not None
    assert (event.address, event.payload, event.reply_to) == (FAMILY, "bounced", OURS)


@pytest.mark.parametrize(
    "data", [mails.bounce(action="delayed", status="4.4.1"), mails.bounce(message_id="none")]
)
def test_a_delay_or_a_bounce_naming_no_mail_of_ours_is_nothing(data):
    assert inbound(data) is None


def test_a_photo_comes_with_the_reply():
    event = inbound(mails.with_photo(JPEG))
    assert event is not None
    assert event.text == "Here is Sofía reading."
    assert event.attachment is not None
    assert (event.attachment.content_type, event.attachment.filename, event.attachment.data) == (
        "image/jpeg", "reading.jpg", JPEG,
    )  # fmt: skip


def test_a_mail_over_the_size_limit_is_not_read():
    huge = mails.with_photo(b"\xff\xd8" + b"\x00" * (25 * 1024 * 1024))
    assert len(huge) > MAX_MAIL_BYTES
    assert inbound(huge) is None


def test_a_reply_to_a_threads_address_from_another_sender_is_held():
    links = Links(public_url="https://bot.example", signer=Signer("k" * 40))
    reply_to = links.reply_address(FAMILY, "riverside.example")
    assert reply_to is not None and len(reply_to.partition("@")[0]) <= 64
    ours = mails.mail("Fine, thanks.\n", to=reply_to)
    forwarded = mails.mail("I am not Carlos.\n", to=reply_to, sender="someone@elsewhere.example")
    assert inbound(ours, reply_sender=links.reply_sender) is not None
    assert inbound(forwarded, reply_sender=links.reply_sender) is None
    # A token that is not ours, or none, proves nothing about the From anyone can write: held too.
    forged = mails.mail("Hi\n", to="reply+forged@riverside.example")
    assert inbound(forged, reply_sender=links.reply_sender) is None
    assert inbound(mails.mail("Hi\n"), reply_sender=links.reply_sender) is None
    # A bounce is not a reply: it is honoured only if it names a mail we sent to that address.
    assert inbound(mails.bounce(), reply_sender=links.reply_sender) is not None


def test_a_reply_token_is_read_whatever_its_case():
    """Mail clients and people change an address's case (REPLY+AB12…@SCHOOL): still ours, still
    for the same family; an altered one is not ours."""
    links = Links(public_url="https://bot.example", signer=Signer("k" * 40))
    reply_to = links.reply_address(FAMILY, "riverside.example")
    assert reply_to is not None and reply_to == reply_to.lower()
    token = reply_to.partition("@")[0].removeprefix("reply+")
    assert links.reply_sender(token.upper(), FAMILY.upper()) is True
    assert (
        inbound(mails.mail("Fine, thanks.\n", to=reply_to.upper()), reply_sender=links.reply_sender)
        is not None
    )
    assert links.reply_sender(token.upper(), "someone@elsewhere.example") is False
    altered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert links.reply_sender(altered, FAMILY) is None
    assert links.reply_sender(token, FAMILY) is True
