"""Real-looking mails as families' mail apps send them: replies with quoted history (Gmail, Outlook,
Apple Mail, in the families' languages), HTML-only mail, other charsets, broken MIME, bounces and
auto-replies. Each is the bytes a server would hand over."""

from __future__ import annotations

import base64
from email.utils import formataddr, parseaddr

OURS = "<a1b2c3d4e5.partnerbot@riverside.example>"
FAMILY = "carlos.garcia@example.org"


def mail(
    body: str,
    *,
    sender: str = f"Carlos García <{FAMILY}>",
    to: str = "Riverside Primary <office@riverside.example>",
    subject: str = "Re: Something to try at home",
    headers: str = "",
    content_type: str = 'text/plain; charset="utf-8"',
    encoding: str = "8bit",
    message_id: str = "<CAF=reply.1@mail.gmail.com>",
    charset: str = "utf-8",
    in_reply_to: str = OURS,
) -> bytes:
    sender, to = (formataddr(parseaddr(a), charset="utf-8") for a in (sender, to))  # RFC 2047 names
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"In-Reply-To: {in_reply_to}\r\n"
        f"References: <partnerbot.message.7@riverside.example> {in_reply_to}\r\n"
        f"Date: Thu, 03 Dec 2026 10:02:11 +0000\r\nMIME-Version: 1.0\r\n{headers}"
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body.replace("\n", "\r\n").encode(charset)


GMAIL_EN = mail(
    """We tried it last night and she loved it!

On Thu, 3 Dec 2026 at 09:30, Riverside Primary <office@riverside.example>
wrote:

> Something to try at home, for Sofía, from Ms Lee
>
> What to try:
> 1. Pick a book
"""
)

GMAIL_VI = mail(
    """Cháu rất thích đọc sách cùng bố mẹ.

Vào Th 5, 3 thg 12, 2026 vào lúc 09:30 Riverside Primary <
office@riverside.example> đã viết:

> Một việc để thử ở nhà
> 1. Chọn một cuốn sách
""",
    sender=f"Nguyễn Văn An <{FAMILY}>",
)

OUTLOOK_EN = mail(
    """Thanks, we will try it on Saturday.

________________________________
From: Riverside Primary <office@riverside.example>
Sent: Thursday, December 3, 2026 9:30 AM
To: Carlos García <carlos.garcia@example.org>
Subject: Something to try at home

Something to try at home, for Sofía, from Ms Lee
"""
)

OUTLOOK_VI = mail(
    """Cảm ơn cô, tối nay chúng tôi sẽ thử.

________________________________
Từ: Riverside Primary <office@riverside.example>
Đã gửi: Thứ Năm, 3 tháng 12, 2026 9:30 SA
Đến: An <carlos.garcia@example.org>
Chủ đề: Một việc để thử ở nhà

Một việc để thử ở nhà
"""
)

APPLE_ES = mail(
    """Lo probamos y funcionó muy bien.

Enviado desde mi iPhone

> El 3 dic 2026, a las 9:30, Riverside Primary <office@riverside.example> escribió:
>
> Algo para probar en casa
"""
)

GMAIL_AR = mail(
    """جربنا القراءة معًا وكانت رائعة.

في الخميس، 3 ديسمبر 2026 في 9:30 ص، كتب Riverside Primary <office@riverside.example>:

> نشاط للبيت
""",
    sender=f"Amina Haddad <{FAMILY}>",
)

HTML_ONLY = mail(
    """<html><body><div dir="ltr">We read <b>two</b> books &amp; sang a song.<br>Thank you!</div>
<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Riverside Primary<br><b>Sent:</b> Thursday</div>
<div>Something to try at home, for Sofía</div></body></html>
""",
    content_type='text/html; charset="utf-8"',
)

LATIN_1 = mail(
    "Très bien, merci ! Nous avons essayé à la maison.\n",
    content_type='text/plain; charset="iso-8859-1"',
    charset="iso-8859-1",
)

WRONG_CHARSET = mail("Très bien, merci !\n", content_type='text/plain; charset="utf-8"', charset="iso-8859-1")

UNKNOWN_CHARSET = mail("Very good\n", content_type='text/plain; charset="x-no-such-charset"')

BROKEN_MIME = (
    f"From: {FAMILY}\r\nTo: office@riverside.example\r\nSubject: Re: hi\r\nMessage-ID: <broken.1@x>\r\n"
    f"In-Reply-To: {OURS}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
    "--nowhere\r\nContent-Type: text/plain\r\n\r\nIt went well.\r\n--nowhere"
).encode()

AUTO_REPLY = mail(
    "I am out of the office until Monday.\n",
    subject="Automatic reply: Something to try at home",
    headers="Auto-Submitted: auto-replied\r\n",
)

OUT_OF_OFFICE_SUBJECT = mail("Back on Monday.\n", subject="Out of Office: Something to try at home")


def with_photo(photo: bytes, *, size_note: str = "") -> bytes:
    """A Gmail-style reply with a photo attached (multipart/mixed)."""
    encoded = base64.encodebytes(photo).decode().replace("\n", "\r\n")
    body = (
        '--outer\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n'
        f"Here is Sofía reading{size_note}.\r\n\r\nOn Thu, 3 Dec 2026 at 09:30, Riverside wrote:\r\n> old\r\n"
        '--outer\r\nContent-Type: image/jpeg; name="reading.jpg"\r\n'
        'Content-Disposition: attachment; filename="reading.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{encoded}--outer--\r\n"
    )
    head = mail("", content_type='multipart/mixed; boundary="outer"', encoding="7bit")
    return head + body.encode()


def bounce(action: str = "failed", status: str = "5.1.1", message_id: str = OURS) -> bytes:
    """A Postfix-style delivery status notification for a mail of ours to FAMILY."""
    return (
        "From: MAILER-DAEMON@relay.riverside.example (Mail Delivery System)\r\n"
        "To: office@riverside.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <20261203.bounce.1@relay.riverside.example>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; relay.riverside.example\r\n\r\n"
        f"Final-Recipient: rfc822; {FAMILY}\r\nOriginal-Recipient: rfc822;{FAMILY}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <carlos.garcia@example.org>: User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Riverside Primary <office@riverside.example>\r\nTo: {FAMILY}\r\n"
        f"Subject: Learning highlights\r\nMessage-ID: {message_id}\r\n"
        "--B--\r\n"
    ).encode()
