"""The signed-out page's "E-mail me a sign-in link": only a staff member's e-mail account gets the
link, through the outbox; every address gets the same answer; a signed form token; limits."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from bot.web.dashboard.links import csrf_token
from bot.web.dashboard.mail_link import PER_ADDRESS, PER_HOUR
from bot.web.signing import signer_for
from storage.db import session_scope
from storage.models import ChannelAccount, Person
from storage.people import find_people
from tests.web.conftest import LINK, csrf_of
from tests.web.test_accessibility import check

pytestmark = pytest.mark.email_channel
ANSWER = "If this address belongs to school staff, a link to sign in is on its way."
EMMA = "Emma.Clarke@Example.org"


@pytest.fixture
def staff_mail(db, school) -> None:  # type: ignore[no-untyped-def]
    """Emma (teacher) and Priya (outside partner) have e-mail accounts; Sarah (parent) has the
    roster's; one more address is linked to nobody."""
    with session_scope(db) as session:
        for name, address in (("Emma", EMMA), ("Priya", "priya.patel@example.org")):
            person = find_people(session=session, name=name)[0]
            session.add(ChannelAccount(channel="email", address=address, person_id=person.id))
        session.add(ChannelAccount(channel="email", address="nobody@example.org"))


async def ask(web: httpx.AsyncClient, address: str) -> httpx.Response:
    shown = await web.get("/dashboard/")
    assert shown.status_code == 401
    return await web.post("/dashboard/mail-link", data={"csrf": csrf_of(shown.text), "email": address})


def sent(mail) -> int:  # type: ignore[no-untyped-def]
    return sum(len(outs) for outs in mail.sent.values())


async def test_a_teacher_gets_a_working_link_by_e_mail(staff_mail, web, app, mail):
    check((await web.get("/dashboard/")).text, "en")
    answer = await ask(web, "  emma.clarke@EXAMPLE.org ")  # as typed: any case, spaces
    assert answer.status_code == 200
    assert ANSWER in answer.text
    await app.dispatcher.drain()
    [out] = mail.sent[EMMA]
    assert "Here is your link to the staff dashboard." in out.text
    path = httpx.URL(LINK.search(out.text).group(1)).path
    shown = await web.get(path)
    assert "This link is for Emma Clarke." in shown.text
    signed_in = await web.post(path, data={"csrf": csrf_of(shown.text)})
    assert signed_in.status_code == 303
    assert (await web.get("/dashboard/messages")).status_code == 200


@pytest.mark.parametrize(
    "address",
    ["sarah.bennett@example.org", "priya.patel@example.org", "nobody@example.org", "who@example.org"],
)
async def test_families_partners_and_strangers_get_the_same_answer_and_nothing(
    staff_mail, web, app, mail, address
):
    answer = await ask(web, address)
    assert answer.status_code == 200
    assert ANSWER in answer.text
    await app.dispatcher.drain()
    assert sent(mail) == 0


async def test_a_stopped_e_mail_account_gets_nothing(staff_mail, web, app, mail, db):
    with session_scope(db) as session:
        account = session.exec(select(ChannelAccount).where(ChannelAccount.address == EMMA)).one()
        account.active = False
        session.add(account)
    assert ANSWER in (await ask(web, EMMA)).text
    await app.dispatcher.drain()
    assert sent(mail) == 0


@pytest.mark.parametrize("csrf", [None, "", "forged", "a-sign-in-form's"])
async def test_without_the_pages_form_token_it_is_forbidden(staff_mail, web, app, mail, csrf):
    if csrf == "a-sign-in-form's":  # a real token of ours, but of another form
        csrf = csrf_token(signer_for(app.settings), "link:a-nonce")
    data = {"email": EMMA} | ({} if csrf is None else {"csrf": csrf})
    posted = await web.post("/dashboard/mail-link", data=data)
    assert posted.status_code == 403
    await app.dispatcher.drain()
    assert sent(mail) == 0


async def test_requests_are_limited_per_address_and_overall(staff_mail, web, app, mail, clock):
    for _ in range(PER_ADDRESS):
        assert (await ask(web, EMMA)).status_code == 200
    refused = await ask(web, EMMA.upper())
    assert refused.status_code == 429
    assert "Please try again in an hour" in refused.text
    assert (await ask(web, "who@example.org")).status_code == 200  # another address still may
    await app.dispatcher.drain()
    assert len(mail.sent[EMMA]) == PER_ADDRESS
    clock.advance(hours=1)
    assert (await ask(web, EMMA)).status_code == 200
    for number in range(PER_HOUR - 1):
        assert (await ask(web, f"who{number}@example.org")).status_code == 200
    assert (await ask(web, "someone.else@example.org")).status_code == 429


async def test_no_form_where_no_e_mail_channel_runs(staff_mail, settings, db, channel, clock):
    from bot.app import build_app

    plain = build_app(settings, {"test": channel}, db=db, clock=clock)
    transport = httpx.ASGITransport(app=plain.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as web:
        shown = await web.get("/dashboard/")
        assert "E-mail me a sign-in link" not in shown.text
        assert (await web.post("/dashboard/mail-link", data={"email": EMMA})).status_code == 303


async def test_in_arabic_the_page_is_right_to_left_and_the_mail_in_arabic(staff_mail, web, app, mail, db):
    app.settings.default_language = "ar"
    with session_scope(db) as session:
        emma = session.exec(select(Person).where(Person.name == "Emma Clarke")).one()
        emma.language = "ar"
        session.add(emma)
    shown = await web.get("/dashboard/")
    check(shown.text, "ar")
    assert "E-mail me a sign-in link" not in shown.text
    answer = await web.post("/dashboard/mail-link", data={"csrf": csrf_of(shown.text), "email": EMMA})
    assert 'dir="rtl"' in answer.text
    await app.dispatcher.drain()
    [out] = mail.sent[EMMA]
    assert out.rtl
    assert "Here is your link" not in out.text
    assert LINK.search(out.text)
