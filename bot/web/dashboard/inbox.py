"""The Inbox: what families sent a staff member that they have not read yet, to mark read or to
answer. An answer goes out as a chat Reply does: through the outbox, to the family, translated
into their language (bot.messages.fanout.send)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.messages.fanout import Outgoing, send
from bot.web.dashboard.links import PREFIX
from bot.web.dashboard.render import field, page
from storage.dashboard import inbox, inbox_message
from storage.db import session_scope
from storage.ids import id_of
from storage.messages import acknowledge
from storage.models import MessageKind
from storage.people import get_person

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard

#: The channel recorded on a Got it given on the dashboard.
CHANNEL = "dashboard"


def inbox_routes(dashboard: Dashboard) -> list[BaseRoute]:
    pages = InboxPages(dashboard)
    return [
        Route("/inbox", pages.show, methods=["GET"]),
        Route("/inbox/{message_id:int}/read", pages.read, methods=["POST"]),
        Route("/inbox/{message_id:int}/reply", pages.reply, methods=["POST"]),
    ]


@dataclass(frozen=True, slots=True)
class InboxPages:
    dashboard: Dashboard

    async def show(self, request: Request) -> Response:
        return await run_in_threadpool(self._show, request)

    def _show(self, request: Request) -> Response:
        dashboard = self.dashboard
        viewer = dashboard.viewer(request)
        if viewer is None:
            return dashboard.signed_out()
        with session_scope(dashboard.db) as session:
            items = inbox(session=session, person=viewer.person, language=viewer.person.language)
        sent = request.query_params.get("sent") == "1"
        return page("inbox.html", speaker=viewer.speaker, viewer=viewer, items=items, sent=sent)

    async def read(self, request: Request) -> Response:
        """Mark read: a Got it on the person's own delivery of it (as in chat)."""
        dashboard, message_id = self.dashboard, request.path_params["message_id"]
        posted = await dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, _ = posted

        def mark() -> bool:
            with session_scope(dashboard.db) as session:
                if inbox_message(session=session, person=viewer.person, message_id=message_id) is None:
                    return False
                acknowledge(
                    session=session,
                    message_id=message_id,
                    person_id=id_of(viewer.person),
                    at=dashboard.clock(),
                    channel=CHANNEL,
                )
                return True

        if not await run_in_threadpool(mark):
            return dashboard.not_found(viewer)
        return RedirectResponse(f"{PREFIX}/inbox", status_code=303)

    async def reply(self, request: Request) -> Response:
        """Answer the family, in any language; the message is then read."""
        dashboard, message_id = self.dashboard, request.path_params["message_id"]
        posted = await dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, form = posted
        text = (field(form, "text") or "").strip()
        me, now = viewer.person, dashboard.clock()
        with session_scope(dashboard.db) as session:
            message = inbox_message(session=session, person=me, message_id=message_id)
            author = get_person(session=session, person_id=message.author_id or 0) if message else None
            if message is None or author is None:
                return dashboard.not_found(viewer)
            if not text:
                return RedirectResponse(f"{PREFIX}/inbox#message-{message_id}", status_code=303)
            language = await dashboard.translator.detect(text, fallback=me.language)
            outgoing = Outgoing(
                kind=MessageKind.REPLY,
                author=me,
                language=language,
                text=text,
                about=message.details.get("about", ""),
                student_id=message.student_id,
                class_id=message.class_id,
                answers_id=message.id,
                keep=(me.name,),
            )
            await send(
                session=session,
                translator=dashboard.translator,
                outgoing=outgoing,
                recipients=[author],
                now=now,
                channels=dashboard.channels,
            )
            acknowledge(session=session, message_id=message_id, person_id=id_of(me), at=now, channel=CHANNEL)
        dashboard.wake()
        return RedirectResponse(f"{PREFIX}/inbox?sent=1", status_code=303)
