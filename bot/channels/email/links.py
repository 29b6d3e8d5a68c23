"""Buttons as signed links: a token binds one recipient, one message, one choice and the language
of the page it opens; nothing else is needed (or trusted) to act on it."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from bot.web.signing import BadToken, Signer

#: The web app's path under which the e-mail links' pages are served.
PREFIX = "/e"
BUTTON = "email-button"
#: A link in a mail works this long (a family may open a highlight weeks later).
BUTTON_MAX_AGE_S = 30 * 24 * 3600
UNSUBSCRIBE = "email-unsubscribe"
#: An unsubscribe link works as long as an old mail may be found in an inbox (RFC 8058 asks long).
UNSUBSCRIBE_MAX_AGE_S = 400 * 24 * 3600
#: What an unsubscribe hands the sink: the engine stops e-mail to that address.
UNSUBSCRIBE_PAYLOAD = "unsubscribe"
REPLY = "email-reply"
#: A link whose payload is a slash command sends that command (the footer's "Settings").
SETTINGS = "/settings"
_DAY_S = 24 * 3600
#: A local part may have at most 64 characters (RFC 5321).
_LOCAL_PART_LIMIT = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class Press:
    """What one button link stands for."""

    address: str  # the mailbox the mail went to
    message_id: int | None  # the stored message it came with
    payload: str  # the button's payload, handed back as if pressed
    label: str  # the button's words, in the recipient's language
    language: str  # of the page


class Links:
    """Makes and reads the links of the mails: `PARTNERBOT_PUBLIC_URL/e/<token>`."""

    def __init__(
        self,
        *,
        public_url: str,
        signer: Signer,
        max_age_s: int = BUTTON_MAX_AGE_S,
        unsubscribe_max_age_s: int = UNSUBSCRIBE_MAX_AGE_S,
    ) -> None:
        self._base = public_url.rstrip("/") + PREFIX
        self._signer = signer
        self._max_age_s = max_age_s
        self._unsubscribe_max_age_s = unsubscribe_max_age_s

    def __repr__(self) -> str:
        return f"Links({self._base!r})"

    def button(self, press: Press) -> str:
        data = [press.address, press.message_id, press.payload, press.label, press.language]
        return f"{self._base}/{self._signer.dumps(BUTTON, data)}"

    def press(self, token: str) -> Press:
        """The press a token stands for; raises BadToken (or its ExpiredToken) for any other."""
        data: Any = self._signer.loads(BUTTON, token, max_age_s=self._max_age_s)
        if not (isinstance(data, list) and len(data) == 5):
            raise BadToken(BUTTON)
        address, message_id, payload, label, language = data
        if not (isinstance(message_id, int | None) and all(isinstance(v, str) for v in (address, payload))):
            raise BadToken(BUTTON)
        return Press(
            address=address, message_id=message_id, payload=payload, label=str(label), language=str(language)
        )

    def unsubscribe(self, address: str, language: str) -> str:
        """The one-click unsubscribe link of `address` (List-Unsubscribe, RFC 8058)."""
        return f"{self._base}/u/{self._signer.dumps(UNSUBSCRIBE, [address, language])}"

    def unsubscriber(self, token: str) -> tuple[str, str]:
        """The address and page language an unsubscribe token stands for; raises BadToken."""
        data: Any = self._signer.loads(UNSUBSCRIBE, token, max_age_s=self._unsubscribe_max_age_s)
        if not (isinstance(data, list) and len(data) == 2 and all(isinstance(v, str) for v in data)):
            raise BadToken(UNSUBSCRIBE)
        return data[0], data[1]

    def reply_address(self, address: str, domain: str) -> str | None:
        """`reply+<token>@domain`: replies to it are known to come from whom the mail went to. The
        token is a digest of the address, the day it was made and their signature, all lower-case
        hex: mail clients and people change the case of an address, so it is read in any case."""
        signed = f"{_digest(address)}{int(time.time() // _DAY_S):05x}"
        local = f"reply+{signed}{self._signer.mac(REPLY, signed)}"
        return f"{local}@{domain}" if len(local) <= _LOCAL_PART_LIMIT else None

    def reply_sender(self, token: str, sender: str) -> bool | None:
        """Whether a reply token was made for `sender` (False: for someone else); None if it is not
        one of ours at all, or too old (then it proves nothing either way)."""
        lower = token.strip().lower()
        signed, mac = lower[:13], lower[13:]
        if len(lower) != 29 or not hmac.compare_digest(mac, self._signer.mac(REPLY, signed)):
            return self._older_reply_sender(token, sender)
        if time.time() // _DAY_S - int(signed[8:], 16) > self._unsubscribe_max_age_s // _DAY_S:
            return None
        return signed[:8] == _digest(sender)

    def _older_reply_sender(self, token: str, sender: str) -> bool | None:
        """A token of the mails sent before tokens were case-free (itsdangerous, in its case)."""
        try:
            data: Any = self._signer.loads(REPLY, token, max_age_s=self._unsubscribe_max_age_s)
        except BadToken:
            return None
        return bool(data == _digest(sender))


def _digest(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:8]


def event_id(token: str) -> str:
    """The same for every press of one link, so a second press is recognised as one already done;
    a digest, so the token (which acts for the family) is never stored."""
    return "e:" + hashlib.sha256(token.encode()).hexdigest()[:40]
