"""The partnership set-up page: staff save what it is about, its goals and review date (POST with
the CSRF token), and see the answers, the equity check and the consent record."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Partnership
from tests.web.conftest import csrf_of, sign_in, student_id


async def test_staff_set_up_a_partnership_and_see_the_consent_record(people, web, db, session):
    await sign_in(web, people["Emma"])
    yusuf = student_id(db, "Yusuf Haddad")
    page = await web.get(f"/dashboard/students/{yusuf}/set-up")
    assert page.status_code == 200
    assert "Is every voice heard?" in page.text
    # the demo recorded the family's paper form for Priya
    assert "Priya Patel (speech therapist)" in page.text and "They signed a paper form" in page.text

    form = {
        "csrf": csrf_of(page.text),
        "purpose": "behaviour",
        "goals": "Calm mornings.",
        "review": "2027-01-15",
    }
    saved = await web.post(f"/dashboard/students/{yusuf}/set-up", data=form)
    assert saved.status_code == 303
    shown = await web.get(saved.headers["location"])
    assert "Saved. You coordinate this partnership." in shown.text and "Calm mornings." in shown.text
    stored = session.exec(select(Partnership).where(Partnership.student_id == yusuf)).one()
    assert (stored.purpose, stored.goals, str(stored.review_date)) == (
        "behaviour",
        "Calm mornings.",
        "2027-01-15",
    )

    assert (
        await web.post(f"/dashboard/students/{yusuf}/set-up", data={**form, "csrf": "x"})
    ).status_code == 403
    bad = await web.post(f"/dashboard/students/{yusuf}/set-up", data={**form, "purpose": "nope"})
    assert bad.status_code == 400


async def test_a_student_the_viewer_may_not_see_is_not_found(people, others, web):
    await sign_in(web, people["Emma"])
    assert (await web.get(f"/dashboard/students/{others['mia_id']}/set-up")).status_code == 404
