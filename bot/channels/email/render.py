"""Outbound → a multipart e-mail: pure functions, no network (escaping and header safety live here).

The mail is multipart/alternative: a plain-text part, and a simple HTML part (one column, large
type, `lang` and `dir`) that reads well with images off; a photo goes inline beside the HTML
(multipart/related, by Content-ID). Every header value is one line: a name or a subject with a
line break in it cannot add a header.
"""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup, escape

from bot.events import Content, Outbound, Section

CHANNEL = "email"
RLM = "\u200f"
#: Subjects longer than this are cut (a phone shows about 40 characters of one anyway).
SUBJECT_LIMIT = 150
#: A recipient as a relay takes it in RCPT TO: one "@", nothing that would end the command.
#: CRLF lines; headers are folded where we encode them (RFC 2047 words, at 76), else left whole:
#: a signed link or a References list has no space to fold at, and refolding moved it to a line of
#: its own, which some readers take with the leading space.
_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
_ADDRESS = re.compile(r"[^\s<>@\"(),;:\\]+@[^\s<>@\"(),;:\\]+\.[^\s<>@\"(),;:\\]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A button as a link (its label, and the page it opens)."""

    label: str
    url: str
    #: A footer link in small type ("Stop e-mails"), not a button.
    quiet: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """What a mail carries besides its content: who sends it to whom, its own id, and its links."""

    sender_name: str
    sender_address: str
    to: str
    domain: str  # of Message-IDs and thread anchors
    message_id: str  # "<…@domain>", unique per mail
    date: datetime
    links: tuple[Link, ...] = ()
    unsubscribe_url: str | None = None
    reply_to: str | None = None  # a per-thread reply address


def is_address(address: str) -> bool:
    """Whether `address` is one mailbox a relay can take (no spaces, line breaks or brackets)."""
    return _ADDRESS.fullmatch(address) is not None


def new_message_id(domain: str) -> str:
    """A Message-ID of our own, unique per mail (the provider id an e-mail reply names); short, so
    the header is never folded."""
    return f"<{secrets.token_hex(10)}.partnerbot@{domain}>"


def thread_anchor(message_id: int, domain: str) -> str:
    """The id every mail about one stored message refers to, so mail apps show them as one
    conversation. It is never a mail's own Message-ID: a reminder of a message is a mail of its
    own, and a mail app hides a second mail with a Message-ID it has seen."""
    return f"<partnerbot.message.{message_id}@{domain}>"


def one_line(text: str) -> str:
    """`text` with every line break and control character as a space, runs of spaces as one."""
    cleaned = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in text)
    return " ".join(cleaned.split())


def subject(content: Content) -> str:
    """The subject in the recipient's language: the (urgent, reminder) heading and the title, else
    the message's first line."""
    line = one_line(" ".join(part for part in (content.reminder, content.headline()) if part))
    if content.title:
        line = f"{line}: “{one_line(content.title)}”" if line else one_line(content.title)
    if not line:
        line = one_line(next((b for b in content.to_plain().split("\n") if b.strip()), ""))
    return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1].rstrip() + "…"


def render(out: Outbound, envelope: Envelope) -> bytes:
    """The mail that shows `out`, with its threading headers, as the relay takes it (CRLF lines).

    Built with the email package's compat32 classes: its newer policy API parses and refolds every
    header and took four times as long (a 10,000-family highlight is 10,000 mails). Every header
    value is ours or passed through `one_line`; names and subjects are RFC 2047-encoded.

    Raises ValueError for a recipient that is not one mailbox.
    """
    if not is_address(envelope.to):
        raise ValueError("not an e-mail address")
    photo = out.attachment if out.attachment is not None and out.attachment.data else None
    cid = make_msgid(idstring="photo", domain=envelope.domain) if photo is not None else None
    mail = MIMEMultipart("alternative")
    name = one_line(envelope.sender_name)
    mail["From"] = formataddr((name, envelope.sender_address), charset="utf-8")
    mail["To"] = envelope.to
    mail["Subject"] = Header(subject(out.content), "utf-8", header_name="Subject").encode(maxlinelen=76)
    mail["Date"] = format_datetime(envelope.date)
    mail["Message-ID"] = envelope.message_id
    if envelope.reply_to and is_address(envelope.reply_to):
        mail["Reply-To"] = formataddr((name, envelope.reply_to), charset="utf-8")
    _thread(mail, out, envelope.domain)
    # Outlook and Exchange: no out-of-office answers to these.
    mail["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    if envelope.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{one_line(envelope.unsubscribe_url)}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    if out.language:
        mail["Content-Language"] = one_line(out.language)
    mail.attach(MIMEText(plain_text(out, envelope.links), "plain", "utf-8"))
    page = MIMEText(html(out, envelope.links, photo_cid=cid[1:-1] if cid else None), "html", "utf-8")
    if photo is None or photo.data is None or cid is None:
        mail.attach(page)
    else:
        related = MIMEMultipart("related")
        related.attach(page)
        maintype, _, subtype = photo.content_type.partition("/")
        image = (
            MIMEImage(photo.data, subtype or "jpeg") if maintype == "image" else MIMEApplication(photo.data)
        )
        image["Content-ID"] = cid
        image.add_header("Content-Disposition", "inline", filename=one_line(photo.filename) or "photo")
        related.attach(image)
        mail.attach(related)
    return mail.as_bytes(policy=_WIRE)


def _thread(mail: Message, out: Outbound, domain: str) -> None:
    """In-Reply-To the message this one answers; References to it and to this message's own
    anchor, so the replies to this one join the same conversation."""
    answers = out.content.answers
    anchors = [thread_anchor(m, domain) for m in (answers, out.message_id) if m is not None]
    if answers is not None:
        mail["In-Reply-To"] = anchors[0]
    if anchors:
        mail["References"] = " ".join(dict.fromkeys(anchors))


def plain_text(out: Outbound, links: tuple[Link, ...] = ()) -> str:
    """The text part: the message as plain text (steps numbered), then each link on its own line
    under its label. Right-to-left lines start with a right-to-left mark, so a line opening with a
    digit still reads right to left."""
    content = out.content
    blocks = [content.reminder, content.headline(), f"“{content.title}”" if content.title else ""]
    blocks += [_plain(section) for section in content.sections]
    blocks += [_plain(content.original) if content.original is not None else ""]
    blocks += [f"({content.note})" if content.note else ""]
    blocks += [f"{link.label}:\n{link.url}" for link in links]
    text = "\n\n".join(block.strip() for block in blocks if block.strip())
    if out.rtl:
        text = "\n".join(RLM + line if line.strip() else line for line in text.split("\n"))
    return text + "\n"


def _plain(section: Section) -> str:
    steps = [step.strip() for step in section.steps if step.strip()]
    body = "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)) or "\n\n".join(section.paragraphs)
    return f"{section.label}\n{body}" if section.label.strip() else body


def html(out: Outbound, links: tuple[Link, ...] = (), *, photo_cid: str | None = None) -> str:
    """The HTML part: one column, large type, user text escaped (Jinja2 autoescape)."""
    rtl = out.rtl
    return (
        _template()
        .render(
            content=out.content,
            subject=subject(out.content),
            lang=out.language or "und",
            dir="rtl" if rtl else "ltr",
            align="right" if rtl else "left",
            start="right" if rtl else "left",
            links=links,
            photo_cid=photo_cid,
            photo_alt=one_line(out.content.title or out.content.heading),
        )
        .strip()
        + "\n"
    )


@functools.cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.channels.email"),
        autoescape=select_autoescape(default=True),
        keep_trailing_newline=True,
    )
    environment.filters["lines"] = _lines
    return environment.get_template("mail.html")


def _lines(text: str) -> Markup:
    """A paragraph's own line breaks as <br>, the text escaped."""
    return Markup("<br>\n").join(escape(line) for line in text.split("\n"))
