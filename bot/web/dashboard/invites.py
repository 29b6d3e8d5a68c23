"""Printable invites: a sheet with one card per family member of a class who has not joined yet,
in that person's language: their name, their child's, the one-time join code and a QR code of the
channel's join link (Telegram: one tap opens the bot holding the code). Codes are made only by
the POST (a GET must not mint codes) and shown only on the sheet: the database keeps their hash."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import MakesJoinLinks
from bot.i18n import Speaker, isolate
from bot.roster.invites import IssuedInvite, issue_invites
from bot.web.dashboard.reach import channel_name
from bot.web.dashboard.render import field, page
from storage.dashboard import families_to_invite
from storage.db import session_scope
from storage.ids import id_of
from storage.models import ClassGroup, Person
from storage.people import classes_for_staff

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard, Viewer

_LOGGER = logging.getLogger(__name__)


def invites_routes(dashboard: Dashboard) -> list[BaseRoute]:
    return [Route("/invites", InvitesPage(dashboard).invites, methods=["GET", "POST"])]


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """One invite as printed, in its reader's language."""

    language: str
    rtl: bool
    greeting: str
    why: str
    scan: str  # "" when no channel makes join links
    other_ways: str
    code: str
    qr: Markup  # inline SVG


@dataclass(frozen=True, slots=True)
class InvitesPage:
    dashboard: Dashboard

    async def invites(self, request: Request) -> Response:
        """GET: choose a class. POST (a class): new codes for its families not yet joined, as cards."""
        dashboard = self.dashboard
        if request.method == "GET":
            viewer = await run_in_threadpool(dashboard.viewer, request)
            if viewer is None:
                return dashboard.signed_out()
            return await run_in_threadpool(self._form, viewer)
        posted = await dashboard.posted(request)
        if isinstance(posted, Response):
            return posted
        viewer, form = posted
        chosen = field(form, "class_id") or ""
        made = await run_in_threadpool(self._issue, viewer, int(chosen) if chosen.isdecimal() else 0)
        if made is None:
            return dashboard.not_found(viewer)
        group, invites = made
        links = await _join_links(dashboard.join_links, [i.code for i, _ in invites])
        cards = [_card(invite, students, links) for invite, students in invites]
        _LOGGER.info("person %s made %d invites for class %s", viewer.person.id, len(cards), group.id)
        return page("invites.html", speaker=viewer.speaker, viewer=viewer, group=group, cards=cards)

    def _form(self, viewer: Viewer) -> Response:
        with session_scope(self.dashboard.db) as session:
            classes = classes_for_staff(session=session, person=viewer.person)
        return page("invites.html", speaker=viewer.speaker, viewer=viewer, classes=classes, cards=None)

    def _issue(
        self, viewer: Viewer, class_id: int
    ) -> tuple[ClassGroup, list[tuple[IssuedInvite, str]]] | None:
        """A class `viewer` works with and a new invite per family member not yet joined (with
        their children's names); None if the class is not theirs."""
        with session_scope(self.dashboard.db) as session:
            mine = {id_of(c): c for c in classes_for_staff(session=session, person=viewer.person)}
            if class_id not in mine:
                return None
            students: dict[int, list[str]] = {}
            people: dict[int, Person] = {}
            for person, student in families_to_invite(session=session, class_id=class_id):
                students.setdefault(id_of(person), []).append(student)
                people[id_of(person)] = person
            issued = issue_invites(
                session=session,
                people=list(people.values()),
                now=self.dashboard.clock(),
                ttl=self.dashboard.settings.invite_ttl,
            )
            return mine[class_id], [(i, ", ".join(students[id_of(i.person)])) for i in issued]


async def _join_links(channels: Mapping[str, MakesJoinLinks], codes: list[str]) -> dict[str, tuple[str, str]]:
    """Each code's join link of the first channel that makes them: code → (channel, link)."""
    for name, channel in sorted(channels.items()):
        return {code: (name, await channel.join_link(code)) for code in codes}
    return {}


def _card(invite: IssuedInvite, students: str, links: dict[str, tuple[str, str]]) -> Card:
    speaker = Speaker(invite.person.language, invite.person.timezone)
    channel, link = links.get(invite.code, ("", ""))
    qr = segno.make(link or invite.code, error="m")
    svg = qr.svg_inline(scale=4, title=speaker._("Join code {code}").format(code=invite.code))
    _ = speaker._
    return Card(
        language=speaker.language,
        rtl=speaker.is_rtl,
        greeting=_("Hello {name}!").format(name=isolate(invite.person.name)),
        why=_("The school would like to keep in touch with you about {child}.").format(
            child=isolate(students)
        ),
        scan=_("Scan the code with your phone to open {channel}.").format(
            channel=channel_name(speaker, channel)
        )
        if channel
        else "",
        other_ways=_("Or send this code to partnerbot, by e-mail or in any chat:"),
        code=invite.code,
        qr=Markup(svg),  # noqa: S704  # segno's own SVG: no text of ours but the escaped title
    )
