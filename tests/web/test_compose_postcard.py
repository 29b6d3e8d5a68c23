"""Compose a postcard, "Something to try at home": for a class or one student's family, checked as
the chat checks it, previewed in each family language, and sent like the chat's /postcard."""

from __future__ import annotations

import pytest

from bot.i18n import Speaker
from tests.web.conftest import csrf_of, sign_in

ES = Speaker("es")
POSTCARD = {
    "title": "Counting stairs",
    "steps": "Count the stairs together.\nSay the numbers out loud.",
    "why": "Counting real things makes numbers stick.",
}


@pytest.fixture
def app(translating_app):
    """Translated by the loopback LibreTranslate, which answers "[<lang>] <text>"."""
    return translating_app


async def _form(web, who) -> str:  # type: ignore[no-untyped-def]
    await sign_in(web, who)
    page = await web.get("/dashboard/compose/postcard")
    assert page.status_code == 200
    return page.text


async def test_a_postcard_to_a_class_is_previewed_then_sent(people, web):
    html = await _form(web, people["Emma"])
    assert '<option value="class:1">Whole class: Class 3B</option>' in html
    data = {"csrf": csrf_of(html), "target": "class:1", **POSTCARD}
    seen = {name: len(chat.inbox) for name, chat in people.items()}
    preview = await web.post("/dashboard/compose/postcard", data={**data, "action": "preview"})
    assert preview.status_code == 200
    assert "It will go to 3 family members. Languages: Arabic, English, Spanish." in preview.text
    spanish = preview.text.split('<div lang="es" dir="ltr">')[1].split("</div>")[0]
    assert "[es] Count the stairs together." in spanish
    assert '<div lang="ar" dir="rtl">' in preview.text
    await people["Emma"].app.dispatcher.drain()
    assert {name: len(chat.inbox) for name, chat in people.items()} == seen  # a preview sends nothing
    sent = await web.post("/dashboard/compose/postcard", data={**data, "action": "send"})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/dashboard/messages#message-")
    await people["Emma"].app.dispatcher.drain()
    carlos = people["Carlos"].last
    assert "[es] Count the stairs together." in carlos.text
    assert ES._("We tried it") in [b.label for b in carlos.buttons]
    assert "Count the stairs together." in people["Sarah"].last.text
    messages = (await web.get("/dashboard/messages")).text
    assert "Something to try at home" in messages


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"why": "  "}, "Please fill in every part of the postcard."),
        ({"title": "x" * 121}, "That is long for a phone screen: please keep it under 120 characters."),
    ],
)
async def test_the_chats_checks_apply(people, web, change, problem):
    html = await _form(web, people["Emma"])
    data = {"csrf": csrf_of(html), "target": "class:1", **POSTCARD, **change, "action": "send"}
    page = await web.post("/dashboard/compose/postcard", data=data)
    assert page.status_code == 200
    assert problem in page.text
    await people["Emma"].app.dispatcher.drain()
    assert not any("Count the stairs" in out.text for out in people["Sarah"].inbox)


async def test_nobody_writes_to_a_class_they_do_not_teach_or_without_the_forms_token(people, others, web):
    html = await _form(web, others["Tom"])
    assert "class:1" not in html
    data = {"csrf": csrf_of(html), "target": "class:1", **POSTCARD, "action": "send"}
    assert (await web.post("/dashboard/compose/postcard", data=data)).status_code == 404
    assert (await web.post("/dashboard/compose/postcard", data={**data, "csrf": "forged"})).status_code == 403
    await people["Emma"].app.dispatcher.drain()
    assert all("Count the stairs" not in out.text for out in people["Sarah"].inbox)
