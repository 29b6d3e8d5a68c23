"""Data rights on the dashboard: a school leader finds a person and downloads everything about them
as a zip, and reads the audit log (who did what, about whom, when), which records that it was read.
Other staff get a 404 and no menu link; a form without its CSRF token is refused."""

from __future__ import annotations

import io
import json
import re
import zipfile

from sqlmodel import select

from bot.i18n import Speaker, isolate
from storage import audit
from storage.audit import Action
from storage.db import session_scope
from storage.ids import id_of
from storage.models import AuditEntry, Message, MessageKind, MessagePhoto, Person, Role, School, utcnow
from storage.people import find_people
from storage.school import add_person
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_accessibility import check


def _person(db, name: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(db) as session:
        return id_of(find_people(session=session, name=name)[0])


def _entries(session, action: Action) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action.value)).all())


async def test_a_leader_downloads_everything_about_a_person(people, others, web, db, session):
    await sign_in(web, others["Grace"])
    found = await web.get("/dashboard/people", params={"q": "amina"})
    assert found.status_code == 200
    amina = _person(db, "Amina Haddad")
    assert "<bdi>Amina Haddad</bdi>" in found.text and "Emma" not in found.text.split("<table")[1]
    assert f'action="/dashboard/people/{amina}/export"' in found.text
    got = await web.post(f"/dashboard/people/{amina}/export", data={"csrf": csrf_of(found.text)})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == f'attachment; filename="export-{amina}.zip"'
    assert got.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert {"export.json", "export.html"} <= set(archive.namelist())
    tables = json.loads(archive.read("export.json"))["tables"]
    assert tables["person"][0]["name"] == "Amina Haddad"
    assert {a["person_id"] for a in tables["channelaccount"]} == {amina}
    assert "Amina Haddad" in archive.read("export.html").decode()
    [entry] = _entries(session, Action.EXPORTED)
    grace = _person(db, "Grace Hall")
    assert (entry.actor_id, entry.subject_id, entry.via) == (grace, amina, "dashboard")


async def test_the_audit_log_shows_the_export_and_sign_ins_and_is_itself_audited(
    people, others, web, db, session
):
    await sign_in(web, others["Grace"])
    listed = await web.get("/dashboard/people")
    amina = _person(db, "Amina Haddad")
    await web.post(f"/dashboard/people/{amina}/export", data={"csrf": csrf_of(listed.text)})
    shown = await web.get("/dashboard/audit")
    assert shown.status_code == 200
    rows = re.findall(r"<tr>" + r"<td>(.*?)</td>" * 5 + "</tr>", shown.text)
    grace = isolate("Grace Hall")
    [exported] = _entries(session, Action.EXPORTED)
    when = Speaker("en", "UTC").datetime(exported.at, "medium")  # Grace's zone: her chat set none
    assert (when, grace, "Downloaded everything about a person", isolate("Amina Haddad"), "Dashboard") in rows
    assert any(r[1:3] == (grace, "Signed in") for r in rows)
    assert "message" not in shown.text.split("<table")[1].lower()  # no bodies, only what was done
    assert len(_entries(session, Action.VIEWED_AUDIT)) == 1
    again = await web.get("/dashboard/audit")
    assert "Read the audit log" in again.text


async def test_the_audit_log_is_paged_by_100(people, others, web, db):
    await sign_in(web, others["Grace"])
    with session_scope(db) as session:
        grace = id_of(find_people(session=session, name="Grace Hall")[0])
        for _ in range(150):
            audit.record(
                session=session, action=Action.VIEWED_PARTNERSHIP, at=utcnow(), actor_id=grace, via="chat"
            )
    first = await web.get("/dashboard/audit")
    assert first.text.count("<tr><td>") == 100
    assert 'href="/dashboard/audit?page=2" rel="next"' in first.text
    second = await web.get("/dashboard/audit", params={"page": "2"})
    assert second.text.count("<tr><td>") > 50  # the rest, and the sign-ins and views before them
    assert 'href="/dashboard/audit?page=1" rel="prev"' in second.text


async def test_other_staff_and_a_missing_csrf_token_are_refused(people, others, web, db, session):
    amina = _person(db, "Amina Haddad")
    assert (await web.get("/dashboard/audit")).status_code == 401  # families have no dashboard session
    assert (await web.post(f"/dashboard/people/{amina}/export", data={})).status_code == 403
    await sign_in(web, people["Emma"])
    messages = await web.get("/dashboard/messages")
    assert 'href="/dashboard/people"' not in messages.text and 'href="/dashboard/audit"' not in messages.text
    assert (await web.get("/dashboard/people")).status_code == 404
    assert (await web.get("/dashboard/audit")).status_code == 404
    refused = await web.post(f"/dashboard/people/{amina}/export", data={"csrf": csrf_of(messages.text)})
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    await sign_in(web, others["Grace"])
    menu = (await web.get("/dashboard/messages")).text
    assert 'href="/dashboard/people"' in menu and 'href="/dashboard/audit"' in menu
    assert (await web.post(f"/dashboard/people/{amina}/export", data={})).status_code == 403
    unknown = await web.post("/dashboard/people/999999/export", data={"csrf": csrf_of(menu)})
    assert unknown.status_code == 404
    assert _entries(session, Action.EXPORTED) == []


async def test_the_pages_have_the_accessibility_basics(people, others, web, db):
    await sign_in(web, others["Grace"])
    for language in ["en", "ar"]:
        with session_scope(db) as session:
            grace = session.get(Person, _person(db, "Grace Hall"))
            grace.language = language
        for path in ["/dashboard/people", "/dashboard/people?q=nobody", "/dashboard/audit"]:
            got = await web.get(path)
            assert got.status_code == 200, path
            check(got.text, language)


async def test_the_zip_holds_the_persons_photos(people, others, web, db):
    amina = _person(db, "Amina Haddad")
    with session_scope(db) as session:
        written = Message(author_id=amina, kind=MessageKind.POSTCARD_FROM_HOME, text="-", language="ar")
        session.add(written)
        session.flush()
        session.add(
            MessagePhoto(
                message_id=id_of(written), filename="stairs.jpg", content_type="image/jpeg", data=b"JPEG"
            )
        )
    await sign_in(web, others["Grace"])
    listed = await web.get("/dashboard/people", params={"q": "Amina Haddad"})
    got = await web.post(f"/dashboard/people/{amina}/export", data={"csrf": csrf_of(listed.text)})
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    [photo] = [name for name in archive.namelist() if name.startswith("photos/")]
    assert photo.endswith("stairs.jpg") and archive.read(photo) == b"JPEG"


async def test_a_leader_sees_and_exports_only_their_own_schools_people(people, others, web, db, session):
    with session_scope(db) as writing:
        hillside = School(name="Hillside")
        writing.add(hillside)
        writing.flush()
        zed = add_person(
            session=writing, person=Person(school_id=id_of(hillside), name="Zed Stone", role=Role.LEADER)
        )
        zed_id = id_of(zed)
        audit.record(session=writing, action=Action.EXPORTED, at=utcnow(), actor_id=zed_id, subject_id=zed_id)
    await sign_in(web, others["Grace"])
    searched = await web.get("/dashboard/people", params={"q": "zed"})
    assert "Zed Stone" not in searched.text and "No one has that name." in searched.text
    refused = await web.post(f"/dashboard/people/{zed_id}/export", data={"csrf": csrf_of(searched.text)})
    assert refused.status_code == 404
    shown = await web.get("/dashboard/audit")
    assert "Zed Stone" not in shown.text and "Downloaded everything" not in shown.text
