"""Who may use the dashboard, role by role: school staff only. Families and outside partners (an
agency's worker, a therapist) are refused a link, a forged link and a session alike, on every page."""

from __future__ import annotations

import httpx
import pytest

from bot.web.dashboard import links
from bot.web.dashboard.links import sign_in_url
from bot.web.signing import signer_for
from storage.dashboard import start_session
from storage.db import session_scope
from storage.ids import id_of
from storage.models import Person, Role
from storage.school import add_person, first_school

PAGES = (
    "/dashboard/messages",
    "/dashboard/students",
    "/dashboard/inbox",
    "/dashboard/compose",
    "/dashboard/reach",
)


def _person(db, role: Role) -> int:  # type: ignore[no-untyped-def]
    with session_scope(db) as session:
        school_id = id_of(first_school(session=session))
        return id_of(
            add_person(session=session, person=Person(school_id=school_id, name="Robin Lee", role=role))
        )


def _session_cookie(app, db, clock, person_id: int) -> str:  # type: ignore[no-untyped-def]
    """A live session for `person_id`, as if they had signed in (before their role changed)."""
    token = links.new_session_token()
    with session_scope(db) as session:
        start_session(
            session=session,
            person_id=person_id,
            token_hash=links.token_hash(token),
            now=clock(),
            until=clock() + links.SESSION_TTL,
        )
    return links.session_cookie(signer_for(app.settings), token)


@pytest.mark.parametrize("role", list(Role))
async def test_only_staff_open_the_dashboard(people, app, web, db, clock, role):
    person_id = _person(db, role)
    link = sign_in_url(
        settings=app.settings, signer=signer_for(app.settings), person_id=person_id, now=clock()
    )
    shown = await web.get(httpx.URL(link).path)
    web.cookies.set(links.COOKIE, _session_cookie(app, db, clock, person_id), path=links.PREFIX)
    opened = {path: (await web.get(path)).status_code for path in PAGES}
    if role.is_staff:
        assert shown.status_code == 200
        assert "Sign in</button>" in shown.text
        assert opened == dict.fromkeys(PAGES, 200)
    else:
        assert shown.status_code == 403
        assert "Sign in</button>" not in shown.text
        assert opened == dict.fromkeys(PAGES, 401)
