"""The "E-mail me a sign-in link" form on the signed-out page, where an e-mail channel runs: a
staff member types their address and gets the same one-time link /dashboard sends, queued in the
outbox to their e-mail account (the dispatcher sends it; this page never speaks SMTP).

The page answers the same words whether or not the address is a staff member's, and logs only
ids, so it tells nobody who works at the school. Requests are limited per address and overall,
counted whether or not the address is known (so a refusal says nothing about it either).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.events import Content
from bot.i18n import Speaker
from bot.web.dashboard import links
from bot.web.dashboard.links import PREFIX
from bot.web.dashboard.render import field as form_field
from storage.accounts import staff_email_account
from storage.db import session_scope
from storage.ids import id_of
from storage.models import MessageKind
from storage.outbox import DeliveryDraft, MessageDraft, queue_message

if TYPE_CHECKING:
    from bot.web.dashboard.pages import Dashboard

_LOGGER = logging.getLogger(__name__)
#: The channel the links go out on.
CHANNEL = "email"
#: Requests an hour for one address, and for all addresses together, in one process.
PER_ADDRESS = 3
PER_HOUR = 30
_WINDOW = timedelta(hours=1)
#: No e-mail address is longer (RFC 5321).
_LONGEST = 254


def mail_link_routes(dashboard: Dashboard) -> list[BaseRoute]:
    pages = MailLinkPages(dashboard)
    return [Route("/mail-link", pages.post, methods=["POST"])]


@dataclass(slots=True)
class Limits:
    """Requests in the last hour, overall and per address. Checked on the event loop (one thread);
    bounded: once PER_HOUR is reached nothing more is recorded."""

    overall: deque[datetime] = field(default_factory=deque)
    by_address: dict[str, deque[datetime]] = field(default_factory=dict)

    def allow(self, address: str, now: datetime) -> bool:
        since = now - _WINDOW
        for times in (self.overall, *self.by_address.values()):
            while times and times[0] <= since:
                times.popleft()
        self.by_address = {key: times for key, times in self.by_address.items() if times}
        mine = self.by_address.get(address, deque())
        if len(self.overall) >= PER_HOUR or len(mine) >= PER_ADDRESS:
            return False
        self.overall.append(now)
        mine.append(now)
        self.by_address[address] = mine
        return True


@dataclass(frozen=True, slots=True)
class MailLinkPages:
    dashboard: Dashboard
    limits: Limits = field(default_factory=Limits)

    async def post(self, request: Request) -> Response:
        dashboard = self.dashboard
        speaker = dashboard._default
        if CHANNEL not in dashboard.channels:
            return RedirectResponse(f"{PREFIX}/", status_code=303)
        form = await request.form()
        if not links.mail_form_ok(dashboard.signer, form_field(form, "csrf")):
            return dashboard._forbidden(speaker)
        address = (form_field(form, "email") or "").strip().lower()
        if "@" not in address or len(address) > _LONGEST:
            return RedirectResponse(f"{PREFIX}/", status_code=303)
        _ = speaker._
        if not self.limits.allow(address, dashboard.clock()):
            _LOGGER.info("e-mailed sign-in links: limit reached")
            return dashboard._notice(
                speaker,
                429,
                _("Please wait a little"),
                _(
                    "Too many links were asked for. "
                    "Please try again in an hour, or send /dashboard to partnerbot."
                ),
            )
        person_id = await run_in_threadpool(self._queue, address)
        if person_id is None:
            _LOGGER.info("a sign-in link was asked for an address of no staff member")
        else:
            dashboard.wake()
            _LOGGER.info("person %s asked for a sign-in link by e-mail", person_id)
        minutes = int(links.LINK_TTL.total_seconds() // 60)
        return dashboard._notice(
            speaker,
            200,
            _("Check your e-mail"),
            _(
                "If this address belongs to school staff, a link to sign in is on its way. "
                "It works once, in the next {minutes} minutes."
            ).format(minutes=minutes),
        )

    def _queue(self, address: str) -> int | None:
        """The link queued to the staff member's e-mail account, in their language; their id, or
        None if the address is no staff member's."""
        dashboard = self.dashboard
        now = dashboard.clock()
        with session_scope(dashboard.db) as session:
            found = staff_email_account(session=session, address=address)
            if found is None:
                return None
            account, person = found
            speaker = Speaker(person.language, person.timezone)
            link = links.sign_in_url(
                settings=dashboard.settings, signer=dashboard.signer, person_id=id_of(person), now=now
            )
            text = links.link_message(speaker, link)
            draft = DeliveryDraft(
                account_id=account.id,
                person_id=person.id,
                channel=account.channel,
                address=account.address,
                language=person.language,
                content=Content.plain(text).to_json(),
                rtl=speaker.is_rtl,
            )
            message = MessageDraft(
                kind=MessageKind.REPLY, text=text, language=person.language, school_id=person.school_id
            )
            queue_message(session=session, message=message, drafts=[draft], now=now)
            return id_of(person)
