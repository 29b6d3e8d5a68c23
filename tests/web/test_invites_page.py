"""Printable invites: one card per family member of a class who has not joined, in their language,
with a QR code and a join code that works; codes are made only by the form's POST."""

from __future__ import annotations

import re

from sqlmodel import func, select

from storage.models import ClassGroup, Invite
from tests.web.conftest import a_grandmother_not_joined, csrf_of, sign_in


def _invites(session) -> int:  # type: ignore[no-untyped-def]
    return int(session.exec(select(func.count()).select_from(Invite)).one())


async def test_a_teacher_prints_cards_for_the_families_not_yet_joined(people, others, web, db, session, chat):
    a_grandmother_not_joined(db)
    await sign_in(web, people["Emma"])
    before = _invites(session)
    form = await web.get("/dashboard/invites")
    assert form.status_code == 200
    assert _invites(session) == before  # opening the page makes no code
    options = dict(re.findall(r'<option value="(\d+)">([^<]+)</option>', form.text))
    assert list(options.values()) == ["Class 3B"]  # not Tom's class 4A
    sheet = await web.post(
        "/dashboard/invites", data={"csrf": csrf_of(form.text), "class_id": next(iter(options))}
    )
    assert sheet.status_code == 200
    cards = re.findall(r'<li class="invite" lang="([^"]+)" dir="([^"]+)">(.*?)</li>', sheet.text, re.S)
    assert [(lang, direction) for lang, direction, _ in cards] == [("ar", "rtl")]  # the others joined
    card = cards[0][2]
    assert "Hoda Haddad" in card and "Yusuf Haddad" in card
    assert "<svg" in card and "<title>" in card
    assert "Or send this code" not in card  # in Arabic, her language
    code = re.search(r'<p class="code" dir="ltr">([^<]+)</p>', card)
    assert code
    assert _invites(session) == before + 1
    joined = await chat("hoda").say(f"/start {code.group(1)}")
    assert any("Hoda" in out.text for out in joined)


async def test_another_class_or_no_csrf_token_is_refused(people, others, web, session):
    await sign_in(web, people["Emma"])
    form = await web.get("/dashboard/invites")
    before = _invites(session)
    tom_class = session.exec(select(ClassGroup).where(ClassGroup.name == "Class 4A")).one()
    for class_id in (str(tom_class.id), "999", "x"):
        other = await web.post("/dashboard/invites", data={"csrf": csrf_of(form.text), "class_id": class_id})
        assert other.status_code == 404
    assert (await web.post("/dashboard/invites", data={"class_id": "1"})).status_code == 403
    assert _invites(session) == before
