"""The pages behind the links in mails. A GET only shows (mail scanners such as Safe Links open
every link before the person does); a POST, from the page's one button, acts: it hands the
button's payload to the sink as if it had been pressed in a chat."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.channels.base import InboundSink, WebEndpoint
from bot.channels.email.links import PREFIX, UNSUBSCRIBE_PAYLOAD, Links, event_id
from bot.channels.email.render import CHANNEL, one_line
from bot.events import Inbound, parse_command
from bot.i18n import LANGUAGES, Speaker, normalise_language
from bot.web.signing import BadToken, ExpiredToken

_LOGGER = logging.getLogger(__name__)

#: The token is in the URL: no page of ours may pass it on, be kept, or be indexed.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def button_endpoint(links: Links, sink: Callable[[], InboundSink | None]) -> WebEndpoint:
    """GET and POST /e/{token}. `sink()` is the channel's sink while it runs (None before)."""

    async def endpoint(request: Request) -> Response:
        _log(request)
        token = request.path_params.get("token", "")
        try:
            press = links.press(token)
        except BadToken as exc:
            return _refused(request, exc)
        speaker = Speaker(normalise_language(press.language))
        if request.method != "POST":
            return _page(speaker, press.label, speaker._("To confirm, press the button."), button=press.label)
        command, args = parse_command(press.payload)
        inbound = Inbound(
            channel=CHANNEL,
            address=press.address,
            event_id=event_id(token),
            text=press.payload if command else press.label,
            command=command,
            args=args,
            payload=None if command else press.payload,
            language_hint=press.language,
        )
        new = await _hand_over(inbound, sink())
        if new is None:
            return _page(speaker, press.label, _sorry(speaker), status=503)
        if not new:
            return _page(speaker, press.label, speaker._("This was already done. Thank you!"))
        return _page(speaker, press.label, speaker._("Done. Thank you! You can close this page."))

    return endpoint


def unsubscribe_endpoint(links: Links, sink: Callable[[], InboundSink | None]) -> WebEndpoint:
    """GET and POST /e/u/{token}: the List-Unsubscribe link. A mail app's one-click POST (RFC 8058,
    body "List-Unsubscribe=One-Click") or the page's button stops e-mail to that address; a GET asks.
    Unsubscribing twice is the same as once."""

    async def endpoint(request: Request) -> Response:
        _log(request)
        token = request.path_params.get("token", "")
        try:
            address, language = links.unsubscriber(token)
        except BadToken as exc:
            return _refused(request, exc)
        speaker = Speaker(normalise_language(language))
        heading = speaker._("Stop e-mails")
        if request.method != "POST":
            question = speaker._("Do you want to stop getting e-mails from the school?")
            return _page(speaker, heading, question, button=heading)
        inbound = Inbound(
            channel=CHANNEL,
            address=address,
            event_id="u:" + event_id(token),
            payload=UNSUBSCRIBE_PAYLOAD,
            language_hint=language,
        )
        if await _hand_over(inbound, sink()) is None:
            return _page(speaker, heading, _sorry(speaker), status=503)
        return _page(speaker, heading, speaker._("Done. The school will not send you e-mails any more."))

    return endpoint


async def _hand_over(inbound: Inbound, sink: InboundSink | None) -> bool | None:
    """True once the sink recorded the event, False if it had before, None if it could not."""
    if sink is None:
        return None
    try:
        return await sink(inbound) is not False
    except Exception:
        _LOGGER.exception("e-mail link event %s not recorded", inbound.event_id)
        return None


def _log(request: Request) -> None:
    """Who opened a link, and when (a scanner or a person): never the token, which acts for them."""
    _LOGGER.info(
        "e-mail link %s %s at %s by %s",
        request.method,
        "unsubscribe" if request.url.path.startswith(f"{PREFIX}/u/") else "button",
        datetime.now(UTC).isoformat(timespec="seconds"),
        one_line(request.headers.get("user-agent", "unknown"))[:200],
    )


def _refused(request: Request, exc: BadToken) -> Response:
    speaker = Speaker(_accepted(request))
    if isinstance(exc, ExpiredToken):
        return _page(speaker, speaker._("This link is too old."), _newest(speaker), status=410)
    return _page(speaker, speaker._("This link does not work."), _newest(speaker), status=400)


def _sorry(speaker: Speaker) -> str:
    return speaker._("Sorry, something went wrong. Please try again in a few minutes.")


def _newest(speaker: Speaker) -> str:
    return speaker._("Please use the link in the newest e-mail from the school.")


def _accepted(request: Request) -> str:
    """The first of the browser's languages we speak (for a page whose link names none)."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip()
        if tag and tag != "*" and (code := normalise_language(tag, default="")) in LANGUAGES:
            return code
    return "en"


def _page(
    speaker: Speaker, heading: str, text: str, *, button: str | None = None, status: int = 200
) -> HTMLResponse:
    body = _template().render(
        lang=speaker.language,
        dir="rtl" if speaker.is_rtl else "ltr",
        heading=heading,
        text=text,
        button=button,
    )
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


@functools.cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.channels.email"), autoescape=select_autoescape(default=True)
    )
    return environment.get_template("page.html")
