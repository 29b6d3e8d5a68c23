"""A student's partnership page: the communication plan (members, how each is reached, goals, next
review) and the home-learning loop, translated with the original; and who may open it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from bot.events import Attachment
from bot.i18n import Speaker
from storage.audit import Action
from storage.db import session_scope
from storage.models import AuditEntry
from storage.school import partnership_for
from tests.web.conftest import sign_in, student_id

AR = Speaker("ar")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ANSWER = "عددنا الدرج معًا وكان يوسف سعيدًا جدًا"


@pytest.fixture
def app(translating_app):
    """Translated by the loopback LibreTranslate, which answers "[<lang>] <text>"."""
    return translating_app


@pytest.fixture
async def loop(people, db):
    """Emma sent the Haddads a postcard; Amina answered it in Arabic, with a photo; the plan has goals."""
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
    await amina.send(
        amina.inbound("", attachment=Attachment(filename="stairs.png", content_type="image/png", data=PNG))
    )
    with session_scope(db) as session:
        plan = partnership_for(session=session, student_id=student_id(db, "Yusuf"))
        plan.goals = "Yusuf counts to 20 and asks for help in words."
        plan.review_date = date(2027, 1, 15)
        session.add(plan)
    return people


async def test_the_communication_plan(loop, web, db):
    await sign_in(web, loop["Emma"])
    page = await web.get(f"/dashboard/students/{student_id(db, 'Yusuf')}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Yusuf Haddad</h1>" in html
    assert "Class 3B" in html
    assert "Yusuf counts to 20 and asks for help in words." in html
    assert "Next review: January 15, 2027" in html
    members = html.split('<table class="people">')[1].split("</table>")[0]
    rows = {re.search(r'<span class="name">([^<]+)</span>', row)[1]: row for row in members.split("<tr>")[2:]}
    assert set(rows) == {"Amina Haddad", "Emma Clarke", "Daniel Lee", "Priya Patel"}
    assert "Key contact" in rows["Amina Haddad"]
    assert "Parent or carer (mother)" in rows["Amina Haddad"]
    assert "Support: try strategies at home" in rows["Amina Haddad"]
    assert "Arabic" in rows["Amina Haddad"]
    assert "Coordinator" in rows["Emma Clarke"]
    assert "Outside partner (speech therapist)" in rows["Priya Patel"]
    assert "Adviser: help plan and decide" in rows["Priya Patel"]
    assert "Straight away" in rows["Priya Patel"]
    assert "test" in rows["Priya Patel"]  # the channel she is reached on
    with session_scope(db) as session:
        viewed = session.exec(select(AuditEntry).where(AuditEntry.action == Action.VIEWED_PARTNERSHIP)).one()
        assert (viewed.via, viewed.target) == ("dashboard", f"student:{student_id(db, 'Yusuf')}")


async def test_the_home_learning_loop_with_translation_and_original(loop, web, db):
    await sign_in(web, loop["Emma"])
    html = (await web.get(f"/dashboard/students/{student_id(db, 'Yusuf')}")).text
    loop_part = html.split('id="home-learning"')[1]
    assert "Counting stairs" in loop_part
    answer = loop_part.split("Something we tried at home")[1]
    assert "How it went: Went well" in answer
    assert f"[en] {ANSWER}" in answer  # the translation first
    assert f'<p class="text" lang="ar" dir="auto">{ANSWER}</p>' in answer  # the original beside it
    photo = answer.split('<img src="')[1].split('"')[0]
    got = await web.get(photo)
    assert (got.status_code, got.headers["content-type"], got.content) == (200, "image/png", PNG)


async def test_in_arabic_the_page_is_right_to_left_with_the_postcard_translated(loop, web, db):
    await sign_in(web, loop["Daniel"])
    html = (await web.get(f"/dashboard/students/{student_id(db, 'Yusuf')}")).text
    assert '<html lang="ar" dir="rtl">' in html
    assert AR._("Shared goals") in html
    assert "[ar] Counting stairs" in html
    assert f'<p class="text" lang="ar" dir="auto">{ANSWER}</p>' in html  # already in Arabic: shown as is
    mother = AR.relationship("mother")
    assert mother != "mother"
    assert f"({mother})" in html and "(mother)" not in html  # the roster's word, in the reader's language


async def test_a_teacher_cannot_open_another_class_s_student_by_changing_the_address(loop, others, web, db):
    yusuf = student_id(db, "Yusuf")
    await sign_in(web, loop["Emma"])
    listed = (await web.get("/dashboard/students")).text
    assert "Yusuf Haddad" in listed and "Mia Novak" not in listed
    assert (await web.get(f"/dashboard/students/{others['mia_id']}")).status_code == 404
    photo = (await web.get(f"/dashboard/students/{yusuf}")).text.split('<img src="')[1].split('"')[0]
    web.cookies.clear()
    await sign_in(web, others["Tom"])
    assert "Yusuf Haddad" not in (await web.get("/dashboard/students")).text
    refused = await web.get(f"/dashboard/students/{yusuf}")
    assert refused.status_code == 404
    assert "Yusuf" not in refused.text
    assert (await web.get(photo)).status_code == 404
    assert (await web.get(f"/dashboard/students/{yusuf + 1000}")).status_code == 404
    assert (await web.get(f"/dashboard/students/{others['mia_id']}")).status_code == 200


async def test_a_leader_opens_every_student_of_the_school(loop, others, web, db):
    await sign_in(web, others["Grace"])
    listed = (await web.get("/dashboard/students")).text
    for name in ("Oliver Bennett", "Sofía García", "Yusuf Haddad", "Mia Novak"):
        assert name in listed
    assert (await web.get(f"/dashboard/students/{student_id(db, 'Yusuf')}")).status_code == 200


async def test_signed_out_nobody_sees_a_partnership(loop, web, db):
    page = await web.get(f"/dashboard/students/{student_id(db, 'Yusuf')}")
    assert page.status_code == 401
    assert "Yusuf" not in page.text
