"""Pages as HTML: Jinja2 templates (autoescaped) in the reader's language and direction, with the
headers every dashboard page carries."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from bot.handlers.choices import CHANNEL_NAMES, FREQUENCY_LABELS, INVOLVEMENT_LABELS
from bot.i18n import N_, Speaker
from bot.messages.render import OUTCOMES
from bot.web.dashboard.links import PREFIX
from storage.models import MessageKind, Role

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

ROLE_LABELS = {
    Role.PARENT: N_("Parent or carer"),
    Role.STUDENT: N_("Student"),
    Role.TEACHER: N_("Teacher"),
    Role.SUPPORT_STAFF: N_("Support staff"),
    Role.LEADER: N_("School leader"),
    Role.EXTERNAL: N_("Outside partner"),
}
KIND_LABELS = {
    MessageKind.HIGHLIGHT: N_("Class highlights"),
    MessageKind.POSTCARD_TO_HOME: N_("Something to try at home"),
    MessageKind.POSTCARD_FROM_HOME: N_("Something we tried at home"),
    MessageKind.REPLY: N_("A question or an answer"),
    MessageKind.MEETING_NOTES: N_("Meeting notes"),
}
#: The four statuses of storage.dashboard as staff read them ("delivered" and "pending" are both
#: still waiting for a Got it).
STATUS_LABELS = {
    "acknowledged": N_("Got it"),
    "delivered": N_("Not read yet"),
    "pending": N_("Not read yet"),
    "unreached": N_("Can't be reached"),
}

#: The sign-in link is in the address bar: no Referer may carry it elsewhere. Nothing is cached
#: (a shared school laptop), nothing runs but our own files.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        prefix=PREFIX,
        ROLE_LABELS=ROLE_LABELS,
        KIND_LABELS=KIND_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        CHANNEL_NAMES=CHANNEL_NAMES,
        FREQUENCY_LABELS=FREQUENCY_LABELS,
        INVOLVEMENT_LABELS=INVOLVEMENT_LABELS,
        OUTCOMES=OUTCOMES,
    )
    return env


def page(template: str, *, speaker: Speaker, status: int = 200, **context: Any) -> HTMLResponse:
    """`template` rendered for `speaker`: their gettext, dates in their zone, `lang` and `dir`."""
    html = (
        _environment()
        .get_template(template)
        .render(
            _=speaker._,
            ngettext=speaker.ngettext,
            speaker=speaker,
            format_date=lambda day: format_date(day, "long", locale=speaker.locale),
            percent=lambda share: format_percent(share, locale=speaker.locale),
            lang=speaker.language,
            dir="rtl" if speaker.is_rtl else "ltr",
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def field(form: FormData, name: str) -> str | None:
    """A text field of a posted form (None if absent, or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else None
