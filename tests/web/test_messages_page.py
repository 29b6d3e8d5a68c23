"""The messages page: each highlight and postcard with Got it / Not yet / Can't be reached, per
language, the reminders sent, Nudge (the chat's Nudge, over a CSRF-checked POST), and who may see what."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Speaker
from bot.web.dashboard import pages
from tests.web.conftest import csrf_of, sign_in

ES = Speaker("es")
HIGHLIGHTS = "We planted beans. Ask your child what a seed needs."


@pytest.fixture
async def sent(people):
    emma = people["Emma"]
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")
    return people


def _cells(html: str) -> dict[str, int]:
    """The "Everyone" row of the first message: status → count."""
    return {status: int(n) for status, n in re.findall(r'data-status="(\w+)">(\d+)<', html)[:3]}


def _language_row(html: str, language: str) -> list[int]:
    row = re.search(rf'data-language="{language}">\s*<th scope="row">[^<]*</th>(.*?)</tr>', html, re.S)
    assert row, html
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", row.group(1))]


def _message_id(html: str) -> int:
    return int(re.search(r'id="message-(\d+)"', html).group(1))


async def test_the_page_counts_who_has_read_it_and_changes_when_a_family_presses_got_it(sent, web):
    await sign_in(web, sent["Emma"])
    page = (await web.get("/dashboard/messages")).text
    assert "Class highlights · Class 3B" in page
    assert HIGHLIGHTS in page
    assert _cells(page) == {"acknowledged": 0, "waiting": 3, "unreached": 0}
    await sent["Sarah"].press("Got it")
    page = (await web.get("/dashboard/messages")).text
    assert _cells(page) == {"acknowledged": 1, "waiting": 2, "unreached": 0}
    assert _language_row(page, "en") == [1, 0, 0]
    assert _language_row(page, "es") == [0, 1, 0]
    assert _language_row(page, "ar") == [0, 1, 0]
    assert "Nudge 2" in page


async def test_each_person_is_listed_with_their_status(sent, web):
    await sent["Sarah"].press("Got it")
    await sign_in(web, sent["Emma"])
    message_id = _message_id((await web.get("/dashboard/messages")).text)
    page = (await web.get(f"/dashboard/messages/{message_id}")).text
    people = page.split('<table class="people">')[1]
    rows = {
        name: status
        for row in people.split("<tr>")[2:]
        for name, status in re.findall(r'<th scope="row">([^<]+)</th>.*<td class="(\w+)">', row, re.S)
    }
    assert rows == {
        "Amina Haddad": "delivered",
        "Carlos García": "delivered",
        "Sarah Bennett": "acknowledged",
    }


async def test_nudge_reminds_those_who_have_not_said_got_it_and_shows_the_reminders(sent, web):
    await sent["Sarah"].press("Got it")
    sarah_seen = len(sent["Sarah"].inbox)
    await sign_in(web, sent["Emma"])
    page = (await web.get("/dashboard/messages")).text
    nudged = await web.post(f"/dashboard/messages/{_message_id(page)}/nudge", data={"csrf": csrf_of(page)})
    assert nudged.status_code == 303
    await sent["Emma"].app.dispatcher.drain()
    reminder = sent["Carlos"].last
    assert reminder.text.startswith(ES._("Reminder:"))
    assert HIGHLIGHTS in reminder.text
    assert len(sent["Sarah"].inbox) == sarah_seen
    page = (await web.get(nudged.headers["location"])).text
    assert "Reminder sent to 2 people." in page
    assert "Reminders sent" in page
    assert ": to 2 people" in page
    # Got it on the reminder counts for the highlight
    await sent["Carlos"].press(ES._("Got it"))
    assert _cells((await web.get("/dashboard/messages")).text)["acknowledged"] == 2


@pytest.mark.parametrize("csrf", [None, "forged"])
async def test_nudge_without_the_pages_csrf_token_is_forbidden(sent, web, csrf):
    await sign_in(web, sent["Emma"])
    page = (await web.get("/dashboard/messages")).text
    seen = len(sent["Carlos"].inbox)
    posted = await web.post(
        f"/dashboard/messages/{_message_id(page)}/nudge", data={} if csrf is None else {"csrf": csrf}
    )
    assert posted.status_code == 403
    await sent["Emma"].app.dispatcher.drain()
    assert len(sent["Carlos"].inbox) == seen


async def test_a_teacher_of_another_class_sees_nothing_of_it(sent, others, web):
    await sign_in(web, sent["Emma"])
    message_id = _message_id((await web.get("/dashboard/messages")).text)
    web.cookies.clear()
    await sign_in(web, others["Tom"])
    page = (await web.get("/dashboard/messages")).text
    assert HIGHLIGHTS not in page
    assert "No highlights or postcards have been sent yet." in page
    assert (await web.get(f"/dashboard/messages/{message_id}")).status_code == 404
    seen = len(sent["Carlos"].inbox)
    nudge = await web.post(f"/dashboard/messages/{message_id}/nudge", data={"csrf": csrf_of(page)})
    assert nudge.status_code == 404
    await sent["Emma"].app.dispatcher.drain()
    assert len(sent["Carlos"].inbox) == seen


async def test_a_leader_sees_the_whole_school(sent, others, web):
    await sign_in(web, others["Grace"])
    page = (await web.get("/dashboard/messages")).text
    assert HIGHLIGHTS in page


async def test_what_people_wrote_is_escaped(people, web):
    await people["Emma"].say("/highlights")
    await people["Emma"].say('<script>alert("hi")</script> & <b>beans</b>')
    await people["Emma"].press("Send")
    await sign_in(web, people["Emma"])
    page = (await web.get("/dashboard/messages")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; &lt;b&gt;beans&lt;/b&gt;" in page


async def test_the_page_is_in_the_staff_members_language(sent, web):
    await sign_in(web, sent["Daniel"])
    page = (await web.get("/dashboard/messages")).text
    ar = Speaker("ar")
    assert '<html lang="ar" dir="rtl">' in page
    assert f"<h1>{ar._('Messages')}</h1>" in page
    assert ar._("Class highlights") in page


def _people_listed(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page.split('<table class="people">')[1])


async def test_a_messages_page_shows_who_has_not_read_it_yet_and_pages_a_big_list(sent, web, monkeypatch):
    await sent["Sarah"].press("Got it")
    await sign_in(web, sent["Emma"])
    message_id = _message_id((await web.get("/dashboard/messages")).text)
    waiting = (await web.get(f"/dashboard/messages/{message_id}?show=waiting")).text
    assert _people_listed(waiting) == ["Amina Haddad", "Carlos García"]
    assert _people_listed((await web.get(f"/dashboard/messages/{message_id}?show=acknowledged")).text) == [
        "Sarah Bennett"
    ]
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    first = (await web.get(f"/dashboard/messages/{message_id}")).text
    assert _people_listed(first) == ["Amina Haddad", "Carlos García"]
    assert "Page 1 of 2" in first
    second = (await web.get(f"/dashboard/messages/{message_id}?show=&page=2")).text
    assert _people_listed(second) == ["Sarah Bennett"]
    assert 'rel="prev"' in second and 'rel="next"' not in second
