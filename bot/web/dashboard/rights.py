"""Each person's data rights on the dashboard, for school leaders only: find a person of the school
and download everything held about them (a subject access request answered in one click), and read
the audit log of who exported, erased, viewed or signed in.

Both are a 404 for other staff, like the roster page. The export is a POST (CSRF) since it is
recorded in the audit log; the zip is built in a temporary folder that is gone once it is sent.
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.i18n import N_, isolate
from bot.rights.export import export_person
from bot.web.dashboard.render import HEADERS, page
from storage import audit
from storage.audit import Action
from storage.db import session_scope
from storage.ids import id_of
from storage.models import Role
from storage.people import get_person, people_by_id, school_people

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard, Viewer

_LOGGER = logging.getLogger(__name__)
#: Audit entries on one page.
PER_PAGE = 100
#: People listed at most on the People page: a search narrows it down.
MAX_PEOPLE = 200

ACTION_LABELS: dict[str, str] = {
    Action.EXPORTED: N_("Downloaded everything about a person"),
    Action.ERASED: N_("Erased a person"),
    Action.VIEWED_PARTNERSHIP: N_("Opened a student's page"),
    Action.CHANGED_CONSENT: N_("Changed a consent"),
    Action.USED_OVERRIDE: N_("Used the child-protection override"),
    Action.SIGNED_IN: N_("Signed in"),
    Action.VIEWED_AUDIT: N_("Read the audit log"),
}
VIA_LABELS = {
    "cli": N_("Command line"),
    "dashboard": N_("Dashboard"),
    "chat": N_("Chat"),
}


def rights_routes(dashboard: Dashboard) -> list[BaseRoute]:
    pages = RightsPages(dashboard)
    return [
        Route("/people", pages.people, methods=["GET"]),
        Route("/people/{person_id:int}/export", pages.export, methods=["POST"]),
        Route("/audit", pages.audit_log, methods=["GET"]),
    ]


@dataclass(frozen=True, slots=True)
class RightsPages:
    dashboard: Dashboard

    async def people(self, request: Request) -> Response:
        return await run_in_threadpool(self._people, request, request.query_params.get("q", ""))

    def _people(self, request: Request, query: str) -> Response:
        """The school's people whose name contains `query`, each with an Export button."""
        viewer = self.dashboard.viewer(request)
        if viewer is None:
            return self.dashboard.signed_out()
        if viewer.person.role != Role.LEADER:
            return self.dashboard.not_found(viewer)
        with session_scope(self.dashboard.db) as session:
            found = school_people(
                session=session, school_id=viewer.person.school_id, name=query, limit=MAX_PEOPLE + 1
            )
        return page(
            "people.html",
            speaker=viewer.speaker,
            viewer=viewer,
            query=query,
            people=found[:MAX_PEOPLE],
            more=len(found) > MAX_PEOPLE,
        )

    async def export(self, request: Request) -> Response:
        """A zip of export.json, export.html (in the leader's language) and the person's photos."""
        posted = await self.dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, _ = posted
        return await run_in_threadpool(self._export, viewer, request.path_params["person_id"])

    def _export(self, viewer: Viewer, person_id: int) -> Response:
        if viewer.person.role != Role.LEADER:
            return self.dashboard.not_found(viewer)
        with (
            tempfile.TemporaryDirectory(prefix="partnerbot-export-") as folder,
            session_scope(self.dashboard.db) as session,
        ):
            person = get_person(session=session, person_id=person_id)
            if person is None or person.school_id != viewer.person.school_id:
                return self.dashboard.not_found(viewer)
            written = export_person(
                session=session,
                person_id=person_id,
                folder=Path(folder) / "export",
                reader=viewer.speaker,
                at=self.dashboard.clock(),
                actor_id=id_of(viewer.person),
                via="dashboard",
            )
            data = _zipped(written.folder)
        _LOGGER.info("person %s downloaded the export of person %s", viewer.person.id, person_id)
        return Response(
            data,
            media_type="application/zip",
            headers={
                **HEADERS,
                "Content-Disposition": f'attachment; filename="export-{person_id}.zip"',
            },
        )

    async def audit_log(self, request: Request) -> Response:
        number = request.query_params.get("page", "1")
        return await run_in_threadpool(
            self._audit, request, int(number) if number.isdecimal() and int(number) > 0 else 1
        )

    def _audit(self, request: Request, number: int) -> Response:
        """The newest entries about the leader's school, PER_PAGE at a time, with names in place of
        ids; reading it is recorded."""
        viewer = self.dashboard.viewer(request)
        if viewer is None:
            return self.dashboard.signed_out()
        if viewer.person.role != Role.LEADER:
            return self.dashboard.not_found(viewer)
        speaker = viewer.speaker
        with session_scope(self.dashboard.db) as session:
            audit.record(
                session=session,
                action=Action.VIEWED_AUDIT,
                at=self.dashboard.clock(),
                actor_id=id_of(viewer.person),
                via="dashboard",
            )
            found = audit.entries(
                session=session,
                school_id=viewer.person.school_id,
                limit=PER_PAGE + 1,
                offset=(number - 1) * PER_PAGE,
            )
            ids = {i for e in found[:PER_PAGE] for i in (e.actor_id, e.subject_id) if i is not None}
            names = {i: p.name for i, p in people_by_id(session=session, person_ids=sorted(ids)).items()}
        rows = [
            {
                "who": isolate(names.get(e.actor_id, f"#{e.actor_id}"))
                if e.actor_id is not None
                else speaker._("Command line"),
                "what": speaker._(label) if (label := ACTION_LABELS.get(e.action)) else e.action,
                "whom": isolate(names.get(e.subject_id, f"#{e.subject_id}")) if e.subject_id else "",
                "when": speaker.datetime(e.at, "medium") if e.at else "",
                "via": speaker._(via) if (via := VIA_LABELS.get(e.via)) else e.via,
            }
            for e in found[:PER_PAGE]
        ]
        return page(
            "audit.html",
            speaker=speaker,
            viewer=viewer,
            rows=rows,
            page_number=number,
            more=len(found) > PER_PAGE,
        )


def _zipped(folder: Path) -> bytes:
    """Every file under `folder`, by its path inside it, as a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
