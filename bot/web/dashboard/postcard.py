"""Compose a postcard, "Something to try at home", for a class or one student's family: the same
fields and limits as the chat's /postcard, a preview of what the family reads in each of its
languages, and sent by the same engine call (bot.messages.fanout.send) as the chat's Send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.i18n import Speaker
from bot.messages.fanout import Outgoing, family_previews, send
from bot.web.dashboard.links import PREFIX
from bot.web.dashboard.render import field, page
from storage.db import session_scope
from storage.ids import id_of
from storage.models import MessageKind, Person
from storage.people import Contact, classes_for_staff, families_of_class, family_of, students_of

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.web.dashboard.pages import Dashboard, Viewer

#: The chat's limits (bot.handlers.postcards asks with take_text: 120 for the title, else 1,500).
LIMITS = {"title": 120, "steps": 1500, "why": 1500}


def postcard_routes(dashboard: Dashboard) -> list[BaseRoute]:
    return [Route("/compose/postcard", PostcardPage(dashboard).postcard, methods=["GET", "POST"])]


@dataclass(frozen=True, slots=True)
class Target:
    """Who a postcard goes to: a whole class or one student's family, as the chat offers them."""

    key: str  # "class:ID" or "student:ID"
    label: str
    about: str  # the class's or the student's name
    is_class: bool
    id: int


@dataclass(frozen=True, slots=True)
class PostcardPage:
    dashboard: Dashboard

    async def postcard(self, request: Request) -> Response:
        """GET: the form. POST `action` preview (the form again with each language's postcard) or
        send (stored for every family member, then the messages page)."""
        dashboard = self.dashboard
        if request.method == "GET":
            viewer = await run_in_threadpool(dashboard.viewer, request)
            if viewer is None:
                return dashboard.signed_out()
            return await run_in_threadpool(self._form, viewer, {}, "")
        posted = await dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, form = posted
        return await self._posted(viewer, form)

    def _targets(self, viewer: Viewer) -> list[Target]:
        with session_scope(self.dashboard.db) as session:
            _ = viewer.speaker._
            classes = classes_for_staff(session=session, person=viewer.person)
            students = students_of(session=session, person_id=id_of(viewer.person))
            return [
                Target(
                    f"class:{g.id}", _("Whole class: {group}").format(group=g.name), g.name, True, id_of(g)
                )
                for g in classes
            ] + [Target(f"student:{s.id}", s.name, s.name, False, id_of(s)) for s in students]

    def _form(self, viewer: Viewer, values: dict[str, str], problem: str, **more: Any) -> Response:
        return page(
            "postcard.html",
            speaker=viewer.speaker,
            viewer=viewer,
            targets=self._targets(viewer),
            values=values,
            problem=problem,
            **more,
        )

    async def _posted(self, viewer: Viewer, form: FormData) -> Response:
        dashboard, _ = self.dashboard, viewer.speaker._
        values = {name: (field(form, name) or "").strip() for name in ("target", *LIMITS)}
        targets = await run_in_threadpool(self._targets, viewer)
        target = next((t for t in targets if t.key == values["target"]), None)
        if target is None:
            return dashboard.not_found(viewer)
        for name, limit in LIMITS.items():
            if not values[name]:
                return self._form(viewer, values, _("Please fill in every part of the postcard."))
            if len(values[name]) > limit:
                problem = _("That is long for a phone screen: please keep it under {limit} characters.")
                return self._form(viewer, values, problem.format(limit=limit))
        about = target.about
        outgoing = Outgoing(
            kind=MessageKind.POSTCARD_TO_HOME,
            author=viewer.person,
            language=viewer.person.language,
            text=values["steps"],
            title=values["title"],
            why=values["why"],
            about=about,
            class_id=target.id if target.is_class else None,
            student_id=None if target.is_class else target.id,
            keep=(viewer.person.name, about),
        )
        if field(form, "action") == "send":
            return await self._send(outgoing, target)
        recipients = await run_in_threadpool(self._recipients, target)
        languages = sorted({r.language for r in recipients})
        previews = await family_previews(
            translator=dashboard.translator, outgoing=outgoing, languages=languages
        )
        return self._form(
            viewer,
            values,
            "",
            previews=previews,
            rtl={language: Speaker(language).is_rtl for language in languages},
            families=len(recipients),
            languages=", ".join(sorted(viewer.speaker.language_name_here(x) for x in languages)),
        )

    def _recipients(self, target: Target) -> Sequence[Person | Contact]:
        with session_scope(self.dashboard.db) as session:
            return _family(session, target)

    async def _send(self, outgoing: Outgoing, target: Target) -> Response:
        dashboard = self.dashboard
        with session_scope(dashboard.db) as session:
            report = await send(
                session=session,
                translator=dashboard.translator,
                outgoing=outgoing,
                recipients=await run_in_threadpool(_family, session, target),
                now=dashboard.clock(),
                channels=dashboard.channels,
            )
        dashboard.wake()
        return RedirectResponse(f"{PREFIX}/messages#message-{report.message_id}", status_code=303)


def _family(session: Session, target: Target) -> Sequence[Person | Contact]:
    """The family members a postcard to `target` goes to, as the chat's /postcard picks them."""
    if target.is_class:
        return [r.person for r in families_of_class(session=session, class_id=target.id)]
    return family_of(session=session, student_id=target.id)
