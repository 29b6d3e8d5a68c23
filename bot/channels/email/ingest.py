"""A mail that came in → Inbound, or nothing: pure functions, no network (parsing lives here).

One path for every way mail arrives (IMAP, the inbound SMTP listener): a reply's new text, its
quoted history and signature cut off; a photo it carries; the message it answers (In-Reply-To,
one of our Message-IDs). A hard bounce (a DSN) becomes a "bounced" event naming the mail that
bounced; auto-replies and out-of-office answers become nothing. A reply to a per-thread address
(`reply+<token>@domain`) from another sender than the one it was sent to is held: logged, not
taken as that person's.
"""

from __future__ import annotations

import email
import email.policy
import functools
import hashlib
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]
from mailparser_reply.constants import MAIL_LANGUAGES  # type: ignore[import-untyped]

from bot.channels.email.render import CHANNEL, is_address
from bot.events import Attachment, Inbound

_LOGGER = logging.getLogger(__name__)

#: What a bounce hands the sink: the engine marks the mail it names unreached.
BOUNCED = "bounced"
#: A mail larger than this is not read (the inbound SMTP listener refuses it with 552).
MAX_MAIL_BYTES = 20 * 1024 * 1024
#: A photo larger than this is left out (the text still counts).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"})
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|réponse automatique|"
    r"respuesta automática|absence|fuera de la oficina|tự động trả lời|رد تلقائي|自动回复)",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"<(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>", re.IGNORECASE)
_QUOTED_HTML = re.compile(
    r"<blockquote\b.*|<div[^>]*\b(gmail_quote|OutlookMessageHeader|divRplyFwdMsg|yahoo_quoted)\b.*",
    re.IGNORECASE | re.DOTALL,
)


def _outlook_header(names: str) -> str:
    """Outlook's block of quoted headers ("From: … Sent: …"), two or more of `names`, as
    mail-parser-reply writes it for its own languages."""
    return rf"((?:(?:^|\n|\n(?:> ?)*)[* ]*(?:{names}):[ *]*(?:\s{{,2}}).*){{2,}}(?:\n.*){{,1}})"


#: Reply headers of mail apps in the languages families use that mail-parser-reply lacks
#: ("Vào … đã viết:", "في … كتب …:"; Outlook's "Từ:/Đã gửi:", "من:/تم الإرسال:").
_MORE_LANGUAGES = {
    "vi": {
        "wrote_header": r"^((?:> ?)*Vào\s(?:.+?\s?.+?)\s?đã viết:)$",
        "from_header": _outlook_header("Từ|Đã gửi|Gửi|Đến|Chủ đề|Ngày|Cc"),
        "disclaimers": [],
        "signatures": ["Trân trọng", "Thân ái", "Cảm ơn,"],
        "sent_from": "Gửi từ iPhone của tôi|Được gửi từ",
    },
    "ar": {
        "wrote_header": r"^((?:> ?)*\u200f?في\s(?:.+?\s?.+?)\s?(?:كتب|بواسطة)\s?(?:.+?\s?.+?):\u200f?)$",
        "from_header": _outlook_header("من|تم الإرسال|إلى|الموضوع|التاريخ|نسخة"),
        "disclaimers": [],
        "signatures": ["مع التحية", "مع خالص التحية", "شكرًا،"],
        "sent_from": "أُرسلت من|تم الإرسال من",
    },
}
_MORE_LANGUAGES["es-more"] = {  # its own Spanish header wants two spaces before "escribió"
    "wrote_header": r"^((?:> ?)*El\s(?:.+?\s?.+?)\s?escribió:)$",
    "from_header": _outlook_header("De|Enviado|Para|Asunto|Fecha|CC"),
    "disclaimers": [],
    "signatures": ["Saludos", "Un saludo", "Atentamente"],
    "sent_from": "Enviado desde mi",
}
_LANGUAGES = ("en", "es", "es-more", "fr", "zh", "vi", "ar")
_MIME_LINE = re.compile(r"^(--\S+|Content-[\w-]+:.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Arrived:
    """A mail as it came: its bytes, and the envelope's recipients when the transport knows them."""

    data: bytes
    recipients: tuple[str, ...] = ()


#: `(token, sender)` → True if the reply token was made for this sender, False if for another, None
#: if it is not one of ours.
ReplyTokenCheck = Callable[[str, str], "bool | None"]


def read(mail: Arrived, *, reply_sender: ReplyTokenCheck | None = None) -> Inbound | None:
    """The event a mail is, or None for one that is nothing to us (an auto-reply, a delayed-delivery
    notice, a reply held because its sender is not the one it was sent to, unreadable bytes).

    `reply_sender(token, sender)`: True if a reply token was made for this sender, False if it was
    made for another, None if it is not one of ours. Given (the channel's mails carry reply
    addresses), a mail that is not a reply to its sender's own reply address is held."""
    if len(mail.data) > MAX_MAIL_BYTES:
        _LOGGER.warning("mail of %s bytes not read: over %s", len(mail.data), MAX_MAIL_BYTES)
        return None
    try:
        message = email.message_from_bytes(mail.data, policy=email.policy.default)
        return _read(message, mail, reply_sender)
    except Exception:  # untrusted bytes: the parser may fail in any way; one mail must not stop the rest
        _LOGGER.exception("mail %s could not be read; skipped", _digest(mail.data))
        return None


def _read(message: Message, mail: Arrived, reply_sender: ReplyTokenCheck | None) -> Inbound | None:
    assert isinstance(message, EmailMessage)  # noqa: S101 - email.policy.default makes these
    event_id = "m:" + (_ids(message.get("Message-ID", "")) or [_digest(mail.data)])[0]
    if message.get_content_type() == "multipart/report":
        return _bounce(message, event_id)
    if _automatic(message):
        _LOGGER.info("mail %s ignored: an automatic reply", event_id)
        return None
    name, sender = parseaddr(str(message.get("From", "")))
    sender = sender.strip().lower()
    if not is_address(sender):
        _LOGGER.info("mail %s ignored: no sender address", event_id)
        return None
    if reply_sender is not None and not _sent_to_sender(message, mail, sender, reply_sender):
        _LOGGER.warning("mail %s held: not sent to a reply address of its sender", event_id)
        return None
    answers = _ids(message.get("In-Reply-To", ""))
    text = _new_text(message)
    photo = _photo(message)
    if not text and photo is None:
        _LOGGER.info("mail %s ignored: nothing new in it", event_id)
        return None
    return Inbound(
        channel=CHANNEL,
        address=sender,
        event_id=event_id,
        display_name=name or None,
        text=text,
        attachment=photo,
        language_hint=str(message.get("Content-Language", "")).split(",")[0].strip() or None,
        reply_to=answers[0] if answers else None,
    )


def _ids(value: object) -> list[str]:
    """The Message-IDs in a header (In-Reply-To may carry several, or junk around one)."""
    return _MESSAGE_ID.findall(str(value))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _automatic(message: EmailMessage) -> bool:
    """An auto-reply or out-of-office (RFC 3834 Auto-Submitted, the headers Exchange and others set,
    or a subject such as "Automatic reply:")."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if submitted and submitted != "no":
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response")):
        return True
    if str(message.get("Precedence", "")).strip().lower() in {"auto_reply", "bulk", "junk", "list"}:
        return True
    if str(message.get("X-Auto-Response-Suppress", "")).strip():
        return False  # the sender asks not to be auto-answered: it is a person's mail
    return bool(_AUTO_SUBJECT.match(str(message.get("Subject", ""))))


def _sent_to_sender(message: EmailMessage, mail: Arrived, sender: str, reply_sender: ReplyTokenCheck) -> bool:
    """True only when the mail went to a per-thread reply address made for its sender. A mail with
    no token of ours proves nothing about its From (which anyone can write), so it is held too:
    answering it could send our mail to whoever was named there."""
    recipients = [*mail.recipients]
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        recipients += [address for _, address in getaddresses([str(v) for v in message.get_all(header, [])])]
    for address in recipients:
        local, _, _ = address.partition("@")
        if local.lower().startswith("reply+"):
            verdict = reply_sender(local[len("reply+") :], sender)
            if verdict is not None:
                return verdict
    return False


def _bounce(message: EmailMessage, event_id: str) -> Inbound | None:
    """A delivery status notification (RFC 3464): a permanent failure names the recipient and the
    mail that bounced; a delay or a success is nothing to act on."""
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        return None
    status = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status is None:
        return None
    fields = _status_fields(status)
    action = fields.get("action", "").lower()
    code = fields.get("status", "")
    recipient = fields.get("final-recipient", "").rpartition(";")[2].strip().lower()
    if action != "failed" or not code.startswith("5") or not is_address(recipient):
        _LOGGER.info("mail %s ignored: a delivery report, not a hard bounce", event_id)
        return None
    returned = _returned_message_id(message)
    if returned is None:
        _LOGGER.info("mail %s ignored: a bounce that names none of our mails", event_id)
        return None
    return Inbound(channel=CHANNEL, address=recipient, event_id=event_id, payload=BOUNCED, reply_to=returned)


def _status_fields(part: Message) -> dict[str, str]:
    """The per-recipient fields of a message/delivery-status part (the first recipient's)."""
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else [payload]
    fields: dict[str, str] = {}
    for block in blocks:
        items = block.items() if isinstance(block, Message) else _header_lines(str(block))
        for key, value in items:
            fields.setdefault(key.lower(), str(value).strip())
    return fields


def _header_lines(text: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in text.splitlines()) if v]


def _returned_message_id(message: EmailMessage) -> str | None:
    """Our Message-ID in the returned mail or its headers (message/rfc822, text/rfc822-headers)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            if isinstance(inner, Message) and (found := _ids(inner.get("Message-ID", ""))):
                return found[0]
        elif kind in ("text/rfc822-headers", "message/rfc822-headers"):
            headers = email.message_from_string(_text_of(part), policy=email.policy.default)
            if found := _ids(headers.get("Message-ID", "")):
                return found[0]
    return None


def _new_text(message: EmailMessage) -> str:
    """What the person wrote this time: the plain part (else the HTML part as text) without the
    quoted history, signature or "Sent from my phone"."""
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",)) if plain is None else None
    if plain is not None:
        text = _text_of(plain)
    elif rich is not None:
        text = _html_to_text(_QUOTED_HTML.sub("", _text_of(rich)))
    elif isinstance(payload := message.get_payload(), str):  # a multipart with no usable boundary
        text = "\n".join(line for line in payload.splitlines() if not _MIME_LINE.match(line.strip()))
    else:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    replies = _parser().read(text).replies
    latest = replies[0].body if replies else text  # body: without signature and disclaimer
    return str(latest).strip()


def _text_of(part: Message) -> str:
    """A text part's words, whatever its charset says (an unknown or wrong one as best it can)."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeDecodeError, KeyError, AttributeError):
        pass
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return raw.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace")


def _html_to_text(markup: str) -> str:
    text = _BLOCK_END.sub("\n", markup)
    return html.unescape(_TAGS.sub("", text))


def _photo(message: EmailMessage) -> Attachment | None:
    """The first photo attached (or inline), if it is not too large."""
    for part in message.walk():
        if part.get_content_type() not in _PHOTO_TYPES or part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        if len(data) > MAX_PHOTO_BYTES:
            _LOGGER.info("a photo of %s bytes left out: over %s", len(data), MAX_PHOTO_BYTES)
            continue
        return Attachment(
            filename=part.get_filename() or "photo", content_type=part.get_content_type(), data=data
        )
    return None


@functools.cache
def _parser() -> EmailReplyParser:
    """mail-parser-reply for the families' languages; Vietnamese and Arabic patterns are added to
    its table (it has no other way to take a language), once, when the first mail is read."""
    for language, patterns in _MORE_LANGUAGES.items():
        MAIL_LANGUAGES.setdefault(language, patterns)
    return EmailReplyParser(languages=list(_LANGUAGES))
