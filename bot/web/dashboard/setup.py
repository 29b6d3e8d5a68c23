"""A student's partnership set-up on the dashboard (seed 000, steps 1–5): what it is about, its goals
and next review (saved by a POST with the session's CSRF token), each member's answer and
constraints, the equity check, and the record of consents for outside partners. Inviting people
and asking consent happen in chat (/partnership), where the family answers in their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.partnerships import CONSENT_LABELS, PURPOSES, RECORDED_HOW, SHARED, equity
from bot.web.dashboard.links import PREFIX
from bot.web.dashboard.render import field, page
from storage import consents
from storage.dashboard import visible_student
from storage.db import session_scope
from storage.ids import id_of
from storage.partnerships import members, never_reached, partnership_of, set_up
from storage.people import people_by_id

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard, Viewer


def setup_routes(dashboard: Dashboard) -> list[BaseRoute]:
    shown = SetupPage(dashboard)
    return [
        Route("/students/{student_id:int}/set-up", shown.show, methods=["GET"]),
        Route("/students/{student_id:int}/set-up", shown.save, methods=["POST"]),
    ]


@dataclass(frozen=True, slots=True)
class SetupPage:
    dashboard: Dashboard

    async def show(self, request: Request) -> Response:
        return await run_in_threadpool(self._show, request, request.path_params["student_id"])

    def _show(self, request: Request, student_id: int, error: str = "", status: int = 200) -> Response:
        dashboard = self.dashboard
        viewer = dashboard.viewer(request)
        if viewer is None:
            return dashboard.signed_out()
        with session_scope(dashboard.db) as session:
            student = visible_student(session=session, person=viewer.person, student_id=student_id)
            if student is None:
                return dashboard._notice(viewer.speaker, 404, viewer.speaker._("Not found"), "")
            partnership = partnership_of(session=session, student_id=student_id)
            seats = members(session=session, partnership_id=id_of(partnership))
            found = equity(
                seats,
                never_reached(session=session, person_ids=[id_of(m.person) for m in seats]),
                translating=dashboard.settings.translator != "none",
                coordinator_language=viewer.person.language,
            )
            record = consents.history(session=session, student_id=student_id)
            names = people_by_id(
                session=session,
                person_ids=[i for c in record for i in (c.partner_id, c.decided_by, c.recorded_by) if i],
            )
            return page(
                "setup.html",
                speaker=viewer.speaker,
                status=status,
                viewer=viewer,
                student=student,
                partnership=partnership,
                seats=seats,
                equity=found,
                consents=record,
                names={i: p.name for i, p in names.items()},
                PURPOSES=PURPOSES,
                SHARED=SHARED,
                RECORDED_HOW=RECORDED_HOW,
                CONSENT_LABELS=CONSENT_LABELS,
                saved=request.query_params.get("saved") == "1",
                error=error,
            )

    async def save(self, request: Request) -> Response:
        posted = await self.dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, form = posted
        return await run_in_threadpool(self._save, request, viewer, form, request.path_params["student_id"])

    def _save(self, request: Request, viewer: Viewer, form: FormData, student_id: int) -> Response:
        purpose, goals = field(form, "purpose") or "", (field(form, "goals") or "").strip()
        try:
            review = date.fromisoformat(field(form, "review") or "")
        except ValueError:
            review = None
        if purpose not in PURPOSES or not goals or len(goals) > 800 or review is None:
            _ = viewer.speaker._
            error = _("Please choose what it is about, write the goals, and choose a review date.")
            return self._show(request, student_id, error=error, status=400)
        with session_scope(self.dashboard.db) as session:
            if visible_student(session=session, person=viewer.person, student_id=student_id) is None:
                return self.dashboard._notice(viewer.speaker, 404, viewer.speaker._("Not found"), "")
            set_up(
                session=session,
                student_id=student_id,
                coordinator_id=id_of(viewer.person),
                purpose=purpose,
                goals=goals,
                goals_language=viewer.person.language,
                review_date=review,
            )
        return RedirectResponse(f"{PREFIX}/students/{student_id}/set-up?saved=1", status_code=303)
