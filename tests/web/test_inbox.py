"""The Inbox: what families sent, not yet read, translated with the original; Mark as read; and a
reply that reaches the family through the outbox, in their language."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Speaker
from tests.web.conftest import csrf_of, sign_in

AR = Speaker("ar")
ANSWER = "عددنا الدرج معًا وكان يوسف سعيدًا جدًا"


@pytest.fixture
def app(translating_app):
    """Translated by the loopback LibreTranslate, which answers "[<lang>] <text>"."""
    return translating_app


@pytest.fixture
async def answered(people):
    """Emma sent the Haddads a postcard and Amina answered it, in Arabic."""
    emma, amina = people["Emma"], people["Amina"]
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    for answer in ["Counting stairs", "Count the stairs together.", "Touching makes numbers real."]:
        await emma.say(answer)
    await emma.press("Skip")
    await emma.press("Send")
    await amina.press(AR._("We tried it"))
    await amina.press(AR._("Went well"))
    await amina.say(ANSWER)
    await amina.press(AR._("Skip"))
    return people


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="card" id="message-(\d+)"', html)]


async def test_the_inbox_shows_what_families_sent_translated_with_the_original(answered, web):
    await sign_in(web, answered["Emma"])
    page = (await web.get("/dashboard/inbox")).text
    assert "Something we tried at home · Yusuf Haddad" in page
    assert f"[en] {ANSWER}" in page
    assert f'<p class="text" lang="ar" dir="auto">{ANSWER}</p>' in page
    assert "Amina Haddad (mother)" in page
    assert '<label for="reply-' in page


async def test_mark_as_read_takes_it_out_of_the_inbox(answered, web):
    await sign_in(web, answered["Emma"])
    page = (await web.get("/dashboard/inbox")).text
    [message_id] = _ids(page)
    assert (await web.post(f"/dashboard/inbox/{message_id}/read", data={})).status_code == 403
    done = await web.post(f"/dashboard/inbox/{message_id}/read", data={"csrf": csrf_of(page)})
    assert done.status_code == 303
    page = (await web.get("/dashboard/inbox")).text
    assert _ids(page) == []
    assert "Nothing new from families." in page


async def test_a_reply_reaches_the_family_in_their_language(answered, web):
    await sign_in(web, answered["Emma"])
    page = (await web.get("/dashboard/inbox")).text
    [message_id] = _ids(page)
    sent = await web.post(
        f"/dashboard/inbox/{message_id}/reply",
        data={"csrf": csrf_of(page), "text": "Wonderful! Try the doors too."},
    )
    assert sent.status_code == 303
    await answered["Emma"].app.dispatcher.drain()
    assert "[ar] Wonderful! Try the doors too." in answered["Amina"].last.text
    page = (await web.get(sent.headers["location"])).text
    assert "Your answer was sent." in page
    assert _ids(page) == []


async def test_nobody_answers_or_marks_what_was_not_sent_to_them(answered, others, web):
    await sign_in(web, answered["Emma"])
    [message_id] = _ids((await web.get("/dashboard/inbox")).text)
    web.cookies.clear()
    await sign_in(web, others["Tom"])
    page = (await web.get("/dashboard/inbox")).text
    assert _ids(page) == []
    seen = len(answered["Amina"].inbox)
    for action in ("read", "reply"):
        posted = await web.post(
            f"/dashboard/inbox/{message_id}/{action}", data={"csrf": csrf_of(page), "text": "Hello"}
        )
        assert posted.status_code == 404
    await answered["Emma"].app.dispatcher.drain()
    assert len(answered["Amina"].inbox) == seen
    web.cookies.clear()
    await sign_in(web, answered["Emma"])
    assert _ids((await web.get("/dashboard/inbox")).text) == [message_id]  # still unread for Emma
