"""Roster: a school leader uploads the school's CSV or OneRoster export, sees what an import would
add and every row's problem, and only then imports it.

The preview is the real import run in a transaction that is rolled back, so it can never differ
from what Import then does. The file travels back with the Import button (base64, in the form),
so nothing of it is kept on the server between the two steps, and any process can take the POST.
"""

from __future__ import annotations

import base64
import binascii
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.errors import RosterError
from bot.roster.importer import ImportSummary, import_roster, load_roster
from bot.web.dashboard.render import field, page
from storage.db import session_scope
from storage.models import Role

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard, Viewer

_LOGGER = logging.getLogger(__name__)
#: A school's roster is a few megabytes at most; the Import form carries it back once more.
MAX_FILE = 16 * 1024 * 1024


def roster_routes(dashboard: Dashboard) -> list[BaseRoute]:
    return [Route("/roster", RosterPage(dashboard).roster, methods=["GET", "POST"])]


@dataclass(frozen=True, slots=True)
class RosterPage:
    dashboard: Dashboard

    async def roster(self, request: Request) -> Response:
        """GET: the upload form. POST `action=preview` (a file) or `action=import` (the previewed
        file back): what the import adds and the rows' problems, or the import done."""
        dashboard = self.dashboard
        if request.method == "GET":
            viewer = await run_in_threadpool(dashboard.viewer, request)
            if viewer is None:
                return dashboard.signed_out()
            return self._page(viewer)
        await request.form(max_part_size=2 * MAX_FILE)  # kept by the request for `posted`
        posted = await dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, form = posted
        if viewer.person.role != Role.LEADER:
            return dashboard.not_found(viewer)
        upload = await _upload(form)
        if upload is None:
            return self._page(viewer, problems=[viewer.speaker._("Please choose a .csv or .zip file.")])
        name, data = upload
        commit = field(form, "action") == "import"
        return await run_in_threadpool(self._import, viewer, name, data, commit)

    def _page(self, viewer: Viewer, **context: Any) -> Response:
        if viewer.person.role != Role.LEADER:
            return self.dashboard.not_found(viewer)
        return page("roster.html", speaker=viewer.speaker, viewer=viewer, **context)

    def _import(self, viewer: Viewer, name: str, data: bytes, commit: bool) -> Response:
        """The import, in a transaction kept only when `commit`."""
        with tempfile.TemporaryDirectory(prefix="partnerbot-roster-") as folder:
            path = Path(folder) / f"roster{Path(name).suffix.lower()}"
            path.write_bytes(data)
            try:
                in_file = len(load_roster(path).students)
                with session_scope(self.dashboard.db) as session:
                    summary = import_roster(  # the leader's school exists: no name needed to make one
                        session=session,
                        path=path,
                        settings=self.dashboard.settings,
                        school_name="",
                        now=self.dashboard.clock(),
                    )
                    if not commit:
                        session.rollback()
            except RosterError as exc:
                return self._page(viewer, problems=exc.problems, file_name=name)
        if commit:
            _LOGGER.info("person %s imported a roster: %d invites", viewer.person.id, len(summary.invites))
        return self._page(
            viewer,
            summary=_counts(summary),
            students_already_here=in_file - summary.students,
            imported=commit,
            file_name=name,
            file_data="" if commit else base64.b64encode(data).decode(),
        )


async def _upload(form: FormData) -> tuple[str, bytes] | None:
    """The file's name (.csv or .zip: what the importer reads) and bytes, from the upload or from
    the previewed copy the Import form carries back; None if there is none."""
    chosen, carried = form.get("file"), field(form, "file_data")
    if isinstance(chosen, UploadFile) and chosen.filename:
        name, data = chosen.filename, await chosen.read(MAX_FILE + 1)
    elif carried:
        try:
            name, data = field(form, "file_name") or "", base64.b64decode(carried, validate=True)
        except binascii.Error:
            return None
    else:
        return None
    suffix = Path(name).suffix.lower()
    if suffix not in {".csv", ".zip"} or not data or len(data) > MAX_FILE:
        return None
    return Path(name).name, data


def _counts(summary: ImportSummary) -> dict[str, int]:
    return {
        "classes": summary.classes,
        "students": summary.students,
        "family": summary.family,
        "staff": summary.staff,
        "memberships": summary.memberships,
        "invites": len(summary.invites),
    }
