"""Compose: a class's learning highlights written on the page, checked as the chat checks them, with
a preview of what a family sees in each of the class's languages before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.handlers.highlights import MAX_LENGTH
from bot.i18n import Speaker
from bot.messages.fanout import Outgoing, family_previews, send_highlights
from bot.web.dashboard.links import PREFIX
from bot.web.dashboard.render import field, page
from storage.db import session_scope
from storage.models import ClassGroup, MessageKind
from storage.people import classes_for_staff, families_of_class

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard, Viewer


def compose_routes(dashboard: Dashboard) -> list[BaseRoute]:
    pages = ComposePages(dashboard)
    return [Route("/compose", pages.compose, methods=["GET", "POST"])]


@dataclass(frozen=True, slots=True)
class ComposePages:
    dashboard: Dashboard

    async def compose(self, request: Request) -> Response:
        """GET: the form. POST: `action` preview (the form again, with what each language will
        read), send or urgent (sent like the chat's Send, then the messages page)."""
        dashboard = self.dashboard
        if request.method == "GET":
            viewer = await run_in_threadpool(dashboard.viewer, request)
            if viewer is None:
                return dashboard.signed_out()
            return await run_in_threadpool(self._form, viewer, None, "", "")
        posted = await dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, form = posted
        return await self._posted(viewer, form)

    def _classes(self, viewer: Viewer) -> list[ClassGroup]:
        with session_scope(self.dashboard.db) as session:
            return classes_for_staff(session=session, person=viewer.person)

    def _form(self, viewer: Viewer, chosen: int | None, text: str, problem: str, **more: Any) -> Response:
        return page(
            "compose.html",
            speaker=viewer.speaker,
            viewer=viewer,
            classes=self._classes(viewer),
            chosen=chosen,
            text=text,
            problem=problem,
            **more,
        )

    async def _posted(self, viewer: Viewer, form: FormData) -> Response:
        dashboard, _ = self.dashboard, viewer.speaker._
        text = (field(form, "text") or "").strip()
        raw = field(form, "class_id") or ""
        group = next((g for g in await run_in_threadpool(self._classes, viewer) if str(g.id) == raw), None)
        if group is None:
            return dashboard.not_found(viewer)
        if not text:
            return self._form(viewer, group.id, text, _("Please write the highlights as a text message."))
        if len(text) > MAX_LENGTH:
            problem = _("That is long for a phone screen: please keep it under {limit} characters.")
            return self._form(viewer, group.id, text, problem.format(limit=MAX_LENGTH))
        action = field(form, "action")
        if action in {"send", "urgent"}:
            return await self._send(viewer, group, text, urgent=action == "urgent")
        with session_scope(dashboard.db) as session:
            families = families_of_class(session=session, class_id=group.id or 0)
        languages = sorted({r.person.language for r in families})
        outgoing = Outgoing(
            kind=MessageKind.HIGHLIGHT,
            author=viewer.person,
            language=viewer.person.language,
            text=text,
            about=group.name,
            class_id=group.id,
            keep=(viewer.person.name, group.name),
        )
        previews = await family_previews(
            translator=dashboard.translator, outgoing=outgoing, languages=languages
        )
        rtl = {language: Speaker(language).is_rtl for language in languages}
        names = ", ".join(sorted(viewer.speaker.language_name_here(language) for language in languages))
        return self._form(
            viewer, group.id, text, "", previews=previews, rtl=rtl, families=len(families), languages=names
        )

    async def _send(self, viewer: Viewer, group: ClassGroup, text: str, *, urgent: bool) -> Response:
        dashboard = self.dashboard
        with session_scope(dashboard.db) as session:
            report = await send_highlights(
                session=session,
                translator=dashboard.translator,
                author=viewer.person,
                group=group,
                text=text,
                now=dashboard.clock(),
                channels=dashboard.channels,
                urgent=urgent,
            )
        dashboard.wake()
        return RedirectResponse(f"{PREFIX}/messages#message-{report.message_id}", status_code=303)
