"""Reach: how well messages get through — Got it rates over the last weeks and by class, language
and channel, drawn as server-side SVG beside the tables that carry the figures; the families
never reached; and which channel families are on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from babel.dates import format_date, format_skeleton
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.handlers.choices import CHANNEL_NAMES
from bot.i18n import Speaker
from bot.web.dashboard.render import page
from storage.db import session_scope
from storage.reach import reach

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard

WEEKS = 8
#: Families never reached listed by name (all are counted): a page of 1,000 names helps nobody.
NEVER_SHOWN = 100


def reach_routes(dashboard: Dashboard) -> list[BaseRoute]:
    return [Route("/reach", ReachPage(dashboard).show, methods=["GET"])]


@dataclass(frozen=True, slots=True)
class ReachPage:
    dashboard: Dashboard

    async def show(self, request: Request) -> Response:
        return await run_in_threadpool(self._show, request)

    def _show(self, request: Request) -> Response:
        dashboard = self.dashboard
        viewer = dashboard.viewer(request)
        if viewer is None:
            return dashboard.signed_out()
        since = dashboard.clock() - timedelta(weeks=WEEKS)
        with session_scope(dashboard.db) as session:
            found = reach(session=session, person=viewer.person, since=since, never_shown=NEVER_SHOWN)
        speaker, _ = viewer.speaker, viewer.speaker._
        tables = [
            (
                _("Week by week"),
                _("Week"),
                [
                    (_("Week of {date}").format(date=format_date(week, "medium", locale=speaker.locale)), r)
                    for week, r in found.by_week
                ],
            ),
            (_("By class"), _("Class"), [(r.label, r) for r in found.by_class]),
            (
                _("By language"),
                _("Language"),
                [(speaker.language_name_here(r.label), r) for r in found.by_language],
            ),
            (
                _("By channel"),
                _("Reached on"),
                [(channel_name(speaker, r.label), r) for r in found.by_channel],
            ),
        ]
        on_channel = [(channel_name(speaker, channel), count) for channel, count in found.on_channel]
        return page(
            "reach.html",
            speaker=speaker,
            viewer=viewer,
            reach=found,
            tables=tables,
            on_channel=on_channel,
            weeks=WEEKS,
            week_labels=[format_skeleton("MMMd", week, locale=speaker.locale) for week, _ in found.by_week],
        )


def channel_name(speaker: Speaker, channel: str) -> str:
    """A channel as people call it; none at all is said plainly."""
    if not channel:
        return speaker._("No way to reach them")
    return speaker._(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel
