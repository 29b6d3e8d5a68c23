"""Signing in to the dashboard: a one-time, short-lived link from /dashboard, a GET that only shows a
button, a POST that starts the session; cookies, CSRF, expiry and signing out."""

from __future__ import annotations

import httpx
import pytest

from bot.web.dashboard.links import sign_in_url
from bot.web.signing import signer_for
from storage.db import session_scope
from storage.people import find_people
from tests.web.conftest import csrf_of, link_for, sign_in

REFUSED = "Sorry, only school staff can do that. Send /help to see what you can do."


async def test_a_teacher_gets_a_link_whose_get_only_shows_a_sign_in_button(people, web):
    path = await link_for(people["Emma"])
    shown = await web.get(path)
    assert shown.status_code == 200
    assert "This link is for Emma Clarke." in shown.text
    assert '<button type="submit">Sign in</button>' in shown.text
    assert "set-cookie" not in shown.headers
    assert shown.headers["referrer-policy"] == "no-referrer"
    # a link scanner's second GET does not use the link up
    assert (await web.get(path)).status_code == 200
    assert (await web.get("/dashboard/messages")).status_code == 401


async def test_the_post_signs_in_with_a_session_cookie(people, web):
    signed_in = await sign_in(web, people["Emma"])
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard/messages"
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain http here: a Secure cookie would never come back
    page = await web.get("/dashboard/messages")
    assert page.status_code == 200
    assert "<h1>Messages</h1>" in page.text


async def test_behind_tls_the_cookie_is_secure(people, app, web):
    app.settings.public_url = "https://school.example.org"
    signed_in = await sign_in(web, people["Emma"])
    assert "Secure" in signed_in.headers["set-cookie"]


async def test_a_link_works_once(people, web):
    path = await link_for(people["Emma"])
    csrf = csrf_of((await web.get(path)).text)
    assert (await web.post(path, data={"csrf": csrf})).status_code == 303
    again = await httpx.AsyncClient(transport=web._transport, base_url=web.base_url).post(
        path, data={"csrf": csrf}
    )
    assert again.status_code == 410
    assert "This link has already been used" in again.text
    assert "Send /dashboard to partnerbot to get a new link." in again.text


async def test_an_expired_link_explains_itself_in_the_persons_language(people, web, clock):
    path = await link_for(people["Daniel"])
    clock.advance(minutes=16)
    shown = await web.get(path)
    assert shown.status_code == 410
    assert 'lang="ar" dir="rtl"' in shown.text
    assert "/dashboard" in shown.text
    english = await link_for(people["Emma"])
    clock.advance(minutes=16)
    text = (await web.get(english)).text
    assert "This link has expired" in text
    assert (
        "a sign-in link works for 15 minutes only. Send /dashboard to partnerbot to get a new link." in text
    )


@pytest.mark.parametrize("csrf", [None, "", "forged", "other"])
async def test_signing_in_without_the_forms_csrf_token_is_forbidden(people, web, csrf):
    path = await link_for(people["Emma"])
    if csrf == "other":  # a real token, but of another link
        csrf = csrf_of((await web.get(await link_for(people["Emma"]))).text)
    posted = await web.post(path, data={} if csrf is None else {"csrf": csrf})
    assert posted.status_code == 403
    assert "set-cookie" not in posted.headers
    assert (await web.get("/dashboard/messages")).status_code == 401


async def test_families_and_unlinked_people_get_no_link(people, chat):
    for family in ("Sarah", "Amina"):
        replies = await people[family].say("/dashboard")
        assert "/dashboard/sign-in/" not in replies[0].text
    assert (await people["Sarah"].say("/dashboard"))[0].text == REFUSED
    assert (await people["Priya"].say("/dashboard"))[0].text == REFUSED  # outside partners too
    stranger = await chat("stranger").say("/dashboard")
    assert all("/dashboard/sign-in/" not in out.text for out in stranger)


async def test_a_link_made_for_a_parent_cannot_sign_in(people, web, app, db, clock):
    with session_scope(db) as session:
        sarah = find_people(session=session, name="Sarah")[0]
    forged = sign_in_url(
        settings=app.settings, signer=signer_for(app.settings), person_id=sarah.id, now=clock()
    )
    shown = await web.get(httpx.URL(forged).path)
    assert shown.status_code == 403
    assert "Sign in</button>" not in shown.text


async def test_an_altered_link_does_not_work(people, web):
    path = await link_for(people["Emma"])
    shown = await web.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert shown.status_code == 404
    assert "This link does not work" in shown.text


async def test_signing_out_ends_the_session_for_good(people, web):
    await sign_in(web, people["Emma"])
    page = await web.get("/dashboard/messages")
    cookie = web.cookies.get("partnerbot_dashboard")
    assert (await web.post("/dashboard/sign-out", data={})).status_code == 403  # no CSRF: still signed in
    assert (await web.get("/dashboard/messages")).status_code == 200
    out = await web.post("/dashboard/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 200
    assert "You are signed out" in out.text
    assert (await web.get("/dashboard/messages")).status_code == 401
    # the old cookie, kept by someone, no longer opens anything
    web.cookies.set("partnerbot_dashboard", cookie, path="/dashboard")
    assert (await web.get("/dashboard/messages")).status_code == 401


async def test_a_session_expires(people, web, clock):
    await sign_in(web, people["Emma"])
    clock.advance(hours=8, seconds=1)
    assert (await web.get("/dashboard/messages")).status_code == 401
