"""Signed, expiring tokens for links and cookies (itsdangerous). One key signs them all; each use has
its own purpose (a salt), so a token made for one use is refused by every other."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.settings import Settings

log = logging.getLogger(__name__)


class BadToken(Exception):
    """The token was not made by us for this purpose, or it was altered."""


class ExpiredToken(BadToken):
    """The token is ours but older than its purpose allows."""


class Signer:
    """Makes and checks tokens: `dumps(purpose, data)`, `loads(purpose, token, max_age_s)`."""

    def __init__(self, key: str) -> None:
        self._key = key

    def dumps(self, purpose: str, data: Any) -> str:
        return str(URLSafeTimedSerializer(self._key, salt=purpose).dumps(data))

    def mac(self, purpose: str, text: str) -> str:
        """A short signature of `text` in lower-case hex (64 bits): for a token that must survive a
        change of case, such as an e-mail address's local part."""
        key = hmac.new(self._key.encode(), purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]

    def loads(self, purpose: str, token: str, *, max_age_s: int) -> Any:
        """The data, if `token` is ours, for `purpose`, unaltered and younger than `max_age_s`."""
        try:
            return URLSafeTimedSerializer(self._key, salt=purpose).loads(token, max_age=max_age_s)
        except SignatureExpired as exc:
            raise ExpiredToken(purpose) from exc
        except BadSignature as exc:
            raise BadToken(purpose) from exc


def signer_for(settings: Settings) -> Signer:
    """The school's signer: PARTNERBOT_SECRET_KEY, else a key made once and kept in its file (0600)."""
    if settings.secret_key is not None:
        return Signer(settings.secret_key.get_secret_value())
    return Signer(_kept_key(Path(settings.secret_key_file)))


def _kept_key(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    log.info("made a signing key and kept it in %s", path)
    return key
