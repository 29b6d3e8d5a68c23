"""The dashboard's routes: sign-in by link (a GET shows a button, only the POST signs in: link
scanners open every link), sign-out, the messages page with Nudge, and a student's partnership.

Every page is limited to what the signed-in staff member may see (storage.dashboard decides);
a page they may not see is a 404, so changing an id in the address learns nothing. Every POST
carries a CSRF token bound to the session (or, for signing in, to the link; the signed-out page's
"E-mail me a sign-in link" form, which has neither, a signed token that expires); without it: 403.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.channels.base import MakesJoinLinks
from bot.i18n import Speaker
from bot.messages.fanout import nudge
from bot.settings import Settings
from bot.translation import TranslationService
from bot.web.dashboard import links
from bot.web.dashboard.compose import compose_routes
from bot.web.dashboard.inbox import inbox_routes
from bot.web.dashboard.invites import invites_routes
from bot.web.dashboard.links import COOKIE, PREFIX, SESSION_TTL
from bot.web.dashboard.mail_link import CHANNEL as MAIL_CHANNEL
from bot.web.dashboard.mail_link import mail_link_routes
from bot.web.dashboard.postcard import postcard_routes
from bot.web.dashboard.reach import reach_routes
from bot.web.dashboard.render import HEADERS, STATIC_DIR, field, page
from bot.web.dashboard.rights import rights_routes
from bot.web.dashboard.roster import roster_routes
from bot.web.dashboard.setup import setup_routes
from bot.web.signing import BadToken, Signer
from storage import audit
from storage.audit import Action
from storage.dashboard import (
    end_session,
    message_overviews,
    partnership_plan,
    photo_for,
    signed_in_person,
    start_session,
    use_sign_in_link,
    visible_student,
    visible_students,
)
from storage.db import session_scope
from storage.ids import id_of
from storage.models import Person
from storage.people import get_person
from storage.reports import ack_summaries, visible_messages

_LOGGER = logging.getLogger(__name__)
#: Recipients on one page of a message: a highlight to a whole school has thousands.
PER_PAGE = 200
#: The filter a recipient's status falls under on a message's page.
_SHOWN = {
    "acknowledged": "acknowledged",
    "delivered": "waiting",
    "pending": "waiting",
    "unreached": "unreached",
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in staff member of a request, and the CSRF token their forms carry."""

    person: Person
    token_hash: str
    csrf: str

    @property
    def speaker(self) -> Speaker:
        return Speaker(self.person.language, self.person.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dashboard:
    """The pages, given what they need from the composition root."""

    settings: Settings
    db: Engine
    signer: Signer
    clock: Callable[[], datetime]
    channels: frozenset[str]
    wake: Callable[[], None]
    translator: TranslationService
    #: The channels that make join links (a printed invite's QR code opens one), by name.
    join_links: Mapping[str, MakesJoinLinks]

    def routes(self) -> list[BaseRoute]:
        return [
            Mount(
                PREFIX,
                routes=[
                    Route("/", self.home, methods=["GET"]),
                    Route("/sign-in/{token}", self.sign_in, methods=["GET", "POST"]),
                    Route("/sign-out", self.sign_out, methods=["POST"]),
                    *mail_link_routes(self),
                    Route("/messages", self.messages, methods=["GET"]),
                    Route("/messages/{message_id:int}", self.message, methods=["GET"]),
                    Route("/messages/{message_id:int}/nudge", self.nudge, methods=["POST"]),
                    *inbox_routes(self),
                    *compose_routes(self),
                    *postcard_routes(self),
                    *reach_routes(self),
                    *setup_routes(self),
                    *roster_routes(self),
                    *invites_routes(self),
                    *rights_routes(self),
                    Route("/students", self.students, methods=["GET"]),
                    Route("/students/{student_id:int}", self.partnership, methods=["GET"]),
                    Route("/students/{student_id:int}/photos/{message_id:int}", self.photo, methods=["GET"]),
                    Mount("/static", StaticFiles(directory=STATIC_DIR)),
                ],
            )
        ]

    @property
    def _default(self) -> Speaker:
        return Speaker(self.settings.default_language, self.settings.timezone)

    def _notice(self, speaker: Speaker, status: int, title: str, text: str) -> Response:
        return page("notice.html", speaker=speaker, status=status, title=title, text=text, viewer=None)

    def viewer(self, request: Request) -> Viewer | None:
        """The request's signed-in staff member (in a thread: it reads the database)."""
        token = links.read_session_cookie(self.signer, request.cookies.get(COOKIE, ""))
        if token is None:
            return None
        hashed = links.token_hash(token)
        with session_scope(self.db) as session:
            person = signed_in_person(session=session, token_hash=hashed, now=self.clock())
        if person is None or not person.role.is_staff:
            return None
        return Viewer(person, hashed, links.csrf_token(self.signer, hashed))

    def signed_out(self) -> Response:
        """How to sign in; where e-mail runs, also a form to have the link e-mailed."""
        _ = self._default._
        mailed = MAIL_CHANNEL in self.channels
        return page(
            "signed_out.html",
            speaker=self._default,
            status=401,
            viewer=None,
            title=_("Please sign in"),
            text=_(
                "To open the staff dashboard, send /dashboard to partnerbot. You will get a link to sign in."
            ),
            mail_csrf=links.mail_form_token(self.signer) if mailed else None,
        )

    async def home(self, request: Request) -> Response:
        viewer = await run_in_threadpool(self.viewer, request)
        if viewer is None:
            return self.signed_out()
        return RedirectResponse(f"{PREFIX}/messages", status_code=303)

    async def sign_in(self, request: Request) -> Response:
        """GET: who the link is for and a Sign in button. POST (with the form's CSRF token): use the
        link once, start a session, set its cookie."""
        form = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(self._sign_in, request.path_params["token"], form)

    def _sign_in(self, token: str, form: FormData | None) -> Response:
        now = self.clock()
        try:
            link = links.read_link(signer=self.signer, token=token, now=now)
        except links.LinkExpired as exc:
            return self._expired(exc.person_id)
        except BadToken:
            _ = self._default._
            return self._notice(
                self._default,
                404,
                _("This link does not work"),
                _("Send /dashboard to partnerbot to get a new link."),
            )
        with session_scope(self.db) as session:
            person = get_person(session=session, person_id=link.person_id)
            if person is None or not person.role.is_staff:
                _ = self._default._
                return self._notice(
                    self._default,
                    403,
                    _("This link does not work"),
                    _("Sorry, only school staff can do that. Send /help to see what you can do."),
                )
            speaker = Speaker(person.language, person.timezone)
            bound = f"link:{link.nonce}"
            if form is None:
                return page(
                    "sign_in.html",
                    speaker=speaker,
                    viewer=None,
                    name=person.name,
                    csrf=links.csrf_token(self.signer, bound),
                )
            if not links.csrf_ok(self.signer, field(form, "csrf"), bound):
                return self._forbidden(speaker)
            if not use_sign_in_link(session=session, nonce=link.nonce, at=now):
                return self._notice(
                    speaker,
                    410,
                    speaker._("This link has already been used"),
                    speaker._("Each link works once. Send /dashboard to partnerbot to get a new link."),
                )
            session_token = links.new_session_token()
            start_session(
                session=session,
                person_id=id_of(person),
                token_hash=links.token_hash(session_token),
                now=now,
                until=now + SESSION_TTL,
            )
            _LOGGER.info("person %s signed in to the dashboard", person.id)
        response = RedirectResponse(f"{PREFIX}/messages", status_code=303)
        response.set_cookie(
            COOKIE,
            links.session_cookie(self.signer, session_token),
            max_age=int(SESSION_TTL.total_seconds()),
            path=PREFIX,
            secure=links.secure_cookies(self.settings),
            httponly=True,
            samesite="lax",
        )
        return response

    def _expired(self, person_id: int | None) -> Response:
        speaker = self._default
        if person_id is not None:
            with session_scope(self.db) as session:
                person = get_person(session=session, person_id=person_id)
            if person is not None:
                speaker = Speaker(person.language, person.timezone)
        minutes = int(links.LINK_TTL.total_seconds() // 60)
        return self._notice(
            speaker,
            410,
            speaker._("This link has expired"),
            speaker._(
                "For your safety, a sign-in link works for {minutes} minutes only. "
                "Send /dashboard to partnerbot to get a new link."
            ).format(minutes=minutes),
        )

    def _forbidden(self, speaker: Speaker) -> Response:
        return self._notice(
            speaker,
            403,
            speaker._("This form has expired"),
            speaker._("Please go back, reload the page and try again."),
        )

    async def posted(self, request: Request) -> tuple[Viewer, FormData] | Response:
        """The viewer of a POST whose CSRF token is theirs, and the form; else the 403 page."""
        form = await request.form()
        viewer = await run_in_threadpool(self.viewer, request)
        if viewer is None:
            return self._forbidden(self._default)
        if not links.csrf_ok(self.signer, field(form, "csrf"), viewer.token_hash):
            return self._forbidden(viewer.speaker)
        return viewer, form

    async def sign_out(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, _ = posted

        def end() -> None:
            with session_scope(self.db) as session:
                end_session(session=session, token_hash=viewer.token_hash, at=self.clock())

        await run_in_threadpool(end)
        _ = viewer.speaker._
        response = self._notice(
            viewer.speaker,
            200,
            _("You are signed out"),
            _("To sign in again, send /dashboard to partnerbot."),
        )
        response.delete_cookie(COOKIE, path=PREFIX, secure=links.secure_cookies(self.settings), httponly=True)
        return response

    async def messages(self, request: Request) -> Response:
        nudged = request.query_params.get("nudged", "")
        return await run_in_threadpool(self._messages, request, int(nudged) if nudged.isdecimal() else None)

    def _messages(self, request: Request, nudged: int | None) -> Response:
        viewer = self.viewer(request)
        if viewer is None:
            return self.signed_out()
        with session_scope(self.db) as session:
            overviews = message_overviews(session=session, person=viewer.person, channels=list(self.channels))
        return page(
            "messages.html", speaker=viewer.speaker, viewer=viewer, overviews=overviews, nudged=nudged
        )

    async def message(self, request: Request) -> Response:
        return await run_in_threadpool(self._message, request, request.path_params["message_id"])

    def _message(self, request: Request, message_id: int) -> Response:
        """One message's recipients, person by person, PER_PAGE at a time, optionally only those of
        one status (`?show=waiting`: who has not read it yet)."""
        show = request.query_params.get("show", "")
        page_number = request.query_params.get("page", "1")
        number = int(page_number) if page_number.isdecimal() and int(page_number) > 0 else 1
        viewer = self.viewer(request)
        if viewer is None:
            return self.signed_out()
        with session_scope(self.db) as session:
            found = message_overviews(
                session=session, person=viewer.person, channels=list(self.channels), message_id=message_id
            )
            if not found:
                return self.not_found(viewer)
            summary = ack_summaries(session=session, message_ids=[message_id], channels=self.channels)
        shown = [r for r in summary[message_id].recipients if not show or _SHOWN[r.status] == show]
        start = (number - 1) * PER_PAGE
        return page(
            "message.html",
            speaker=viewer.speaker,
            viewer=viewer,
            o=found[0],
            recipients=shown[start : start + PER_PAGE],
            show=show if show in _SHOWN.values() else "",
            page_number=number,
            pages=max(1, -(-len(shown) // PER_PAGE)),
        )

    def not_found(self, viewer: Viewer) -> Response:
        _ = viewer.speaker._
        return self._notice(
            viewer.speaker, 404, _("Not found"), _("This page does not exist, or it is not one you can see.")
        )

    async def nudge(self, request: Request) -> Response:
        """Nudge: the same reminder as the chat's Nudge button, to those who have not said Got it."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, _ = posted
        message_id: int = request.path_params["message_id"]

        def remind() -> int | None:
            with session_scope(self.db) as session:
                found = visible_messages(
                    session=session, person=viewer.person, limit=1, message_id=message_id
                )
                if not found:
                    return None
                cooldown = timedelta(hours=self.settings.nudge_cooldown_hours)
                return nudge(
                    session=session,
                    message=found[0],
                    now=self.clock(),
                    channels=self.channels,
                    cooldown=cooldown,
                )

        count = await run_in_threadpool(remind)
        if count is None:
            return self.not_found(viewer)
        if count:
            self.wake()
        _LOGGER.info("person %s nudged %d about message %s", viewer.person.id, count, message_id)
        return RedirectResponse(f"{PREFIX}/messages?nudged={count}#message-{message_id}", status_code=303)

    async def students(self, request: Request) -> Response:
        return await run_in_threadpool(self._students, request)

    def _students(self, request: Request) -> Response:
        viewer = self.viewer(request)
        if viewer is None:
            return self.signed_out()
        with session_scope(self.db) as session:
            students = visible_students(session=session, person=viewer.person)
        return page("students.html", speaker=viewer.speaker, viewer=viewer, students=students)

    async def partnership(self, request: Request) -> Response:
        return await run_in_threadpool(self._partnership, request, request.path_params["student_id"])

    def _partnership(self, request: Request, student_id: int) -> Response:
        viewer = self.viewer(request)
        if viewer is None:
            return self.signed_out()
        with session_scope(self.db) as session:
            student = visible_student(session=session, person=viewer.person, student_id=student_id)
            if student is None:
                return self.not_found(viewer)
            plan = partnership_plan(session=session, student=student, language=viewer.person.language)
            audit.record(
                session=session,
                action=Action.VIEWED_PARTNERSHIP,
                at=self.clock(),
                actor_id=id_of(viewer.person),
                target=f"student:{student_id}",
                via="dashboard",
            )
        return page("partnership.html", speaker=viewer.speaker, viewer=viewer, plan=plan)

    async def photo(self, request: Request) -> Response:
        return await run_in_threadpool(
            self._photo, request, request.path_params["student_id"], request.path_params["message_id"]
        )

    def _photo(self, request: Request, student_id: int, message_id: int) -> Response:
        viewer = self.viewer(request)
        if viewer is None:
            return self.signed_out()
        with session_scope(self.db) as session:
            visible = visible_student(session=session, person=viewer.person, student_id=student_id)
            found = visible and photo_for(session=session, message_id=message_id, student_id=student_id)
            if not found:
                return self.not_found(viewer)
            return Response(found.data, media_type=found.content_type, headers=HEADERS)


def make_dashboard(
    *,
    settings: Settings,
    db: Engine,
    signer: Signer,
    clock: Callable[[], datetime],
    channels: frozenset[str],
    wake: Callable[[], None],
    translator: TranslationService,
    join_links: Mapping[str, MakesJoinLinks],
) -> list[BaseRoute]:
    """The dashboard's routes, mounted under /dashboard in the web app."""
    return Dashboard(
        settings=settings,
        db=db,
        signer=signer,
        clock=clock,
        channels=channels,
        wake=wake,
        translator=translator,
        join_links=join_links,
    ).routes()
