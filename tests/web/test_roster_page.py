"""Roster page: a school leader uploads the school's list, sees what it adds and every row's
problem, and nothing is saved until they press Import. Teachers do not get the page."""

from __future__ import annotations

import re

from sqlmodel import select

from storage.models import Student
from tests.web.conftest import csrf_of, sign_in

HEADER = "student,class,family_member,relationship,language,email,phone,telegram,student_id\n"
GOOD = HEADER + (
    "Yusuf Haddad,Class 3B,Amina Haddad,mother,ar,,,,\n"  # already here (the `join` fixture's family)
    "Lena Vogel,Class 5C,Petra Vogel,mother,fr,petra@example.org,,,\n"
    "Tariq Aziz,Class 5C,Samir Aziz,father,ar,,,,\n"
)
BAD = HEADER + "Lena Vogel,Class 5C,Petra Vogel,mother,xx,not-an-email,,,\n,Class 5C,Samir Aziz,father,,,,,\n"


def _students(session) -> set[str]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {s.name for s in session.exec(select(Student)).all()}


async def _check(web, html: str, data: str):  # type: ignore[no-untyped-def]
    return await web.post(
        "/dashboard/roster",
        data={"csrf": csrf_of(html), "action": "preview"},
        files={"file": ("roster.csv", data.encode(), "text/csv")},
    )


async def test_a_leader_previews_then_imports(people, others, web, session):
    await sign_in(web, others["Grace"])
    form = await web.get("/dashboard/roster")
    assert form.status_code == 200
    assert 'type="file"' in form.text and 'enctype="multipart/form-data"' in form.text
    before = _students(session)
    preview = await _check(web, form.text, GOOD)
    assert preview.status_code == 200
    html = preview.text
    assert '<th scope="row">Students</th><td>2</td>' in html
    assert '<th scope="row">Family members</th><td>2</td>' in html
    assert '<th scope="row">Classes</th><td>1</td>' in html
    assert "1 student in the list is already here" in html
    assert _students(session) == before  # a preview saves nothing
    carried = dict(re.findall(r'name="(file_name|file_data|action)" value="([^"]*)"', html))
    assert carried["action"] == "import" and carried["file_name"] == "roster.csv"
    done = await web.post("/dashboard/roster", data={"csrf": csrf_of(html), **carried})
    assert done.status_code == 200
    assert "The roster is imported." in done.text
    assert _students(session) == before | {"Lena Vogel", "Tariq Aziz"}


async def test_problems_are_listed_per_row_and_nothing_is_saved(people, others, web, session):
    await sign_in(web, others["Grace"])
    form = await web.get("/dashboard/roster")
    before = _students(session)
    checked = await _check(web, form.text, BAD)
    assert checked.status_code == 200
    problems = checked.text.split('id="problems"')[1].split("</section>")[0]
    assert "roster.csv line 2:" in problems and "roster.csv line 3: missing student name" in problems
    assert 'name="action" value="import"' not in checked.text
    assert _students(session) == before


async def test_no_file_or_another_kind_of_file_is_asked_again(people, others, web):
    await sign_in(web, others["Grace"])
    form = await web.get("/dashboard/roster")
    sent = await web.post(
        "/dashboard/roster",
        data={"csrf": csrf_of(form.text), "action": "preview"},
        files={"file": ("roster.xlsx", b"PK...", "application/octet-stream")},
    )
    assert "Please choose a .csv or .zip file." in sent.text


async def test_teachers_and_a_missing_csrf_token_are_refused(people, others, web, session):
    await sign_in(web, people["Emma"])
    page = await web.get("/dashboard/messages")
    assert (await web.get("/dashboard/roster")).status_code == 404
    assert 'href="/dashboard/roster"' not in page.text
    assert (await _check(web, page.text, GOOD)).status_code == 404
    await sign_in(web, others["Grace"])
    before = _students(session)
    forged = await web.post(
        "/dashboard/roster",
        data={"action": "preview"},
        files={"file": ("roster.csv", GOOD.encode(), "text/csv")},
    )
    assert forged.status_code == 403
    assert _students(session) == before
