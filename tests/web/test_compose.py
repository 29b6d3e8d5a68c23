"""Compose: class highlights written on the page, checked as in chat, previewed in each family's
language (translated), and sent to every family of the class like the chat's Send."""

from __future__ import annotations

import pytest

from bot.i18n import Speaker
from tests.web.conftest import csrf_of, sign_in

AR, ES = Speaker("ar"), Speaker("es")
HIGHLIGHTS = "We measured the playground with our steps. Ask your child how many steps it was!"


@pytest.fixture
def app(translating_app):
    """Translated by the loopback LibreTranslate, which answers "[<lang>] <text>"."""
    return translating_app


async def _form(web, people):  # type: ignore[no-untyped-def]
    await sign_in(web, people["Emma"])
    page = await web.get("/dashboard/compose")
    assert page.status_code == 200
    assert '<option value="1">Class 3B</option>' in page.text
    return page.text


async def test_a_preview_shows_each_language_and_sends_nothing(people, web):
    csrf = csrf_of(await _form(web, people))
    seen = {name: len(chat.inbox) for name, chat in people.items()}
    page = await web.post(
        "/dashboard/compose", data={"csrf": csrf, "class_id": "1", "text": HIGHLIGHTS, "action": "preview"}
    )
    assert page.status_code == 200
    html = page.text
    assert "It will go to 3 family members. Languages: Arabic, English, Spanish." in html
    heading = AR._("Learning highlights for {group} from {author}")
    arabic = html.split('<div lang="ar" dir="rtl">')[1].split("</div>")[0]
    assert (
        f'<p class="text" dir="auto">{heading.format(group="Class 3B", author="Emma Clarke")}</p>' in arabic
    )
    assert f"[ar] {HIGHLIGHTS}" in html
    assert f"[es] {HIGHLIGHTS}" in html
    assert f">{HIGHLIGHTS}</textarea>" in html  # still editable
    await people["Emma"].app.dispatcher.drain()
    assert {name: len(chat.inbox) for name, chat in people.items()} == seen


async def test_send_reaches_every_family_in_their_language(people, web):
    csrf = csrf_of(await _form(web, people))
    sent = await web.post(
        "/dashboard/compose", data={"csrf": csrf, "class_id": "1", "text": HIGHLIGHTS, "action": "send"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/dashboard/messages#message-")
    await people["Emma"].app.dispatcher.drain()
    assert f"[es] {HIGHLIGHTS}" in people["Carlos"].last.text
    assert people["Carlos"].last.buttons[0].label == ES._("Got it")
    assert HIGHLIGHTS in people["Sarah"].last.text
    page = (await web.get("/dashboard/messages")).text
    assert 'data-status="waiting">3<' in page


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("   ", "Please write the highlights as a text message."),
        ("x" * 3001, "That is long for a phone screen: please keep it under 3000 characters."),
    ],
)
async def test_the_chats_checks_apply(people, web, text, problem):
    csrf = csrf_of(await _form(web, people))
    page = await web.post(
        "/dashboard/compose", data={"csrf": csrf, "class_id": "1", "text": text, "action": "send"}
    )
    assert page.status_code == 200
    assert problem in page.text
    await people["Emma"].app.dispatcher.drain()
    assert not any("xxx" in out.text for out in people["Sarah"].inbox)


async def test_nobody_writes_to_a_class_they_do_not_teach_or_without_the_forms_token(people, others, web):
    await sign_in(web, others["Tom"])
    page = (await web.get("/dashboard/compose")).text
    assert "Class 3B" not in page
    data = {"csrf": csrf_of(page), "class_id": "1", "text": HIGHLIGHTS, "action": "send"}
    assert (await web.post("/dashboard/compose", data=data)).status_code == 404
    assert (await web.post("/dashboard/compose", data={**data, "csrf": "forged"})).status_code == 403
    await people["Emma"].app.dispatcher.drain()
    assert all(HIGHLIGHTS not in out.text for out in people["Sarah"].inbox)
