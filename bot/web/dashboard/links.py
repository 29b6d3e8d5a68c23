"""One-time sign-in links to the dashboard, bound to one staff member, and the cookies of a session.

A link carries the person, a random nonce (its use is recorded, so it works once) and its expiry by
the app's clock; the signature also refuses it by real time after as long. Sessions are random
tokens: the cookie holds the token signed, the database only its SHA-256, so ending a session in
the database ends it for good.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import Speaker
from bot.settings import Settings
from bot.web.signing import BadToken, ExpiredToken, Signer

PREFIX = "/dashboard"
LINK_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)
COOKIE = "partnerbot_dashboard"
#: How long the sign-in page's "E-mail me a sign-in link" form may be sent after it was shown.
FORM_TTL = timedelta(minutes=30)
_LINK, _SESSION, _CSRF = "dashboard-sign-in", "dashboard-session", "dashboard-csrf"
_MAIL_FORM = "dashboard-mail-form"


class LinkExpired(BadToken):
    """The link is ours, for this person, but too old: they can ask for a new one."""

    def __init__(self, person_id: int | None) -> None:
        super().__init__(_LINK)
        self.person_id = person_id


@dataclass(frozen=True, slots=True)
class SignInLink:
    person_id: int
    nonce: str


def base_url(settings: Settings) -> str:
    """Where people reach the web app: PARTNERBOT_PUBLIC_URL, else the address it listens on."""
    return (settings.public_url or f"http://{settings.web_host}:{settings.web_port}").rstrip("/")


def sign_in_url(*, settings: Settings, signer: Signer, person_id: int, now: datetime) -> str:
    """A link that signs `person_id` in once, within LINK_TTL of `now`."""
    token = signer.dumps(
        _LINK, {"p": person_id, "n": secrets.token_urlsafe(16), "u": (now + LINK_TTL).timestamp()}
    )
    return f"{base_url(settings)}{PREFIX}/sign-in/{token}"


def link_message(speaker: Speaker, link: str) -> str:
    """The words a sign-in link comes with, in chat (/dashboard) or by e-mail."""
    return speaker._(
        "Here is your link to the staff dashboard. It is only for you and works once, "
        "in the next {minutes} minutes:\n{link}"
    ).format(minutes=int(LINK_TTL.total_seconds() // 60), link=link)


def read_link(*, signer: Signer, token: str, now: datetime) -> SignInLink:
    """The link's person and nonce; BadToken if it is not ours, LinkExpired if it is too old."""
    try:
        data = signer.loads(_LINK, token, max_age_s=int(LINK_TTL.total_seconds()))
    except ExpiredToken as exc:
        raise LinkExpired(None) from exc
    if not isinstance(data, dict) or not {"p", "n", "u"} <= data.keys():
        raise BadToken(_LINK)
    if now.timestamp() >= float(data["u"]):
        raise LinkExpired(int(data["p"]))
    return SignInLink(person_id=int(data["p"]), nonce=str(data["n"]))


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_cookie(signer: Signer, token: str) -> str:
    return signer.dumps(_SESSION, token)


def read_session_cookie(signer: Signer, cookie: str) -> str | None:
    """The session token in a cookie, or None if the cookie is not ours or is too old."""
    try:
        token = signer.loads(_SESSION, cookie, max_age_s=int(SESSION_TTL.total_seconds()))
    except BadToken:
        return None
    return token if isinstance(token, str) else None


def csrf_token(signer: Signer, bound_to: str) -> str:
    """A form's CSRF token, bound to a session (its token's hash) or a sign-in link (its nonce)."""
    return signer.dumps(_CSRF, bound_to)


def csrf_ok(signer: Signer, token: str | None, bound_to: str) -> bool:
    if not token:
        return False
    try:
        return bool(signer.loads(_CSRF, token, max_age_s=int(SESSION_TTL.total_seconds())) == bound_to)
    except BadToken:
        return False


def mail_form_token(signer: Signer) -> str:
    """The CSRF token of the signed-out page's e-mail form: there is no session to bind it to, so
    it is signed and expires (a page of ours shown within FORM_TTL)."""
    return signer.dumps(_MAIL_FORM, secrets.token_urlsafe(8))


def mail_form_ok(signer: Signer, token: str | None) -> bool:
    if not token:
        return False
    try:
        signer.loads(_MAIL_FORM, token, max_age_s=int(FORM_TTL.total_seconds()))
    except BadToken:
        return False
    return True


def secure_cookies(settings: Settings) -> bool:
    """Cookies are Secure when people reach the app over TLS."""
    return (settings.public_url or "").startswith("https://")
