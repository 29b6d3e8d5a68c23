"""Telegram ↔ channel-neutral events: pure functions, no network (parsing and escaping live here)."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, InlineKeyboardButtonLimit, MessageLimit

from bot.events import Attachment, Button, Content, Inbound, Outbound, Section, parse_command

_LOGGER = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)
CALLBACK_DATA_LIMIT = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
RLM = "\u200f"

#: Things a person can send that we do not read; in a private chat they still get an answer.
_UNREAD_CONTENT = (
    "sticker",
    "animation",
    "audio",
    "voice",
    "video",
    "video_note",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "story",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedPart:
    """One Bot API call in HTML parse mode: sendPhoto when `photo` is set (`html` is then its caption)."""

    html: str
    photo: Attachment | None = None
    reply_markup: InlineKeyboardMarkup | None = None


def to_inbound(update: Update, *, bot_username: str | None) -> Inbound | None:
    """A Telegram update → Inbound, or None for what is not a person talking to us.

    Edited messages, channel posts, member changes and service messages return None: the
    engine would answer them as if they were new messages.
    """
    if update.callback_query is not None:
        return _from_callback(update.callback_query)
    if update.message is not None:
        return _from_message(update.update_id, update.message, bot_username)
    _LOGGER.debug("update %s ignored: %s", update.update_id, _kind(update))
    return None


def _from_message(update_id: int, message: Message, bot_username: str | None) -> Inbound | None:
    user = message.from_user
    if user is None or user.is_bot:
        _LOGGER.debug("update %s ignored: not from a person", update_id)
        return None
    command, args = parse_command(message.text) if message.text else (None, ())
    if command is not None and not _addressed_to(message.text or "", bot_username):
        _LOGGER.debug("update %s ignored: a command for another bot", update_id)
        return None
    text = message.text or message.caption or ""
    attachment = _attachment(message)
    if not text and attachment is None and not _answerable(message):
        _LOGGER.debug("update %s ignored: nothing to read in chat %s", update_id, message.chat.id)
        return None
    return Inbound(
        channel=CHANNEL,
        address=str(message.chat.id),
        event_id=str(update_id),
        display_name=user.full_name,
        text=text,
        command=command,
        args=args,
        attachment=attachment,
        language_hint=user.language_code,
        sender=None if message.chat.type == "private" else str(user.id),
        reply_to=_replied_to(message),
    )


def _replied_to(message: Message) -> str | None:
    """The id of the message this one replies to, in the same chat (Telegram numbers messages per
    chat, as `send` reports them). A quote from another chat (`external_reply`) names nothing here."""
    replied = message.reply_to_message
    return str(replied.message_id) if replied is not None else None


def _from_callback(query: CallbackQuery) -> Inbound | None:
    """A pressed button; its label becomes the text, as if the person had typed it."""
    message = query.message
    if query.data is None or message is None:
        _LOGGER.debug("callback %s ignored: not from one of our messages", query.id)
        return None
    markup = message.reply_markup if isinstance(message, Message) else None
    rows = markup.inline_keyboard if markup is not None else ()
    labels = [button.text for row in rows for button in row if button.callback_data == query.data]
    return Inbound(
        channel=CHANNEL,
        address=str(message.chat.id),
        event_id=f"cbq:{query.id}",
        display_name=query.from_user.full_name,
        text=labels[0] if labels else "",
        payload=query.data,
        language_hint=query.from_user.language_code,
        sender=None if message.chat.type == "private" else str(query.from_user.id),
    )


def _addressed_to(text: str, bot_username: str | None) -> bool:
    """In groups Telegram writes "/start@somebot"; a command for another bot is not ours."""
    head = text.strip().split(maxsplit=1)[0]
    _, at, name = head.partition("@")
    return not (at and bot_username and name.lower() != bot_username.lower())


def _attachment(message: Message) -> Attachment | None:
    """The largest size of a photo, or an image sent as a file; fetched later by its file_id."""
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return Attachment(
            filename=f"{largest.file_unique_id}.jpg", content_type="image/jpeg", platform_ref=largest.file_id
        )
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return Attachment(
            filename=document.file_name or document.file_unique_id,
            content_type=document.mime_type or "application/octet-stream",
            platform_ref=document.file_id,
        )
    return None


def _answerable(message: Message) -> bool:
    """A sticker or voice note in a private chat deserves "I can only read text"; groups stay quiet."""
    return message.chat.type == ChatType.PRIVATE and any(getattr(message, a, None) for a in _UNREAD_CONTENT)


def _kind(update: Update) -> str:
    return next((key for key in update.to_dict() if key != "update_id"), "empty")


def render(out: Outbound) -> list[RenderedPart]:
    """Outbound → the Bot API calls that show it: its content in HTML (bold heading and labels, the
    title in italics, steps numbered, the original in an expandable quote, the note in italics),
    user text escaped, split to fit between runs of text (never inside a tag), buttons on the last part.

    Raises ValueError for what no call can carry (nothing to send, a button payload over 64 bytes).
    """
    markup = _keyboard(out.buttons)
    runs = _runs(out.content)
    if out.rtl:
        runs = [replace(run, text=_mark_rtl(run.text)) if run.sep else run for run in runs]
    photo = out.attachment
    if photo is not None and not (photo.data or photo.platform_ref):
        photo = None
    if photo is not None and _length(runs) <= CAPTION_LIMIT:
        return [RenderedPart(html=_html(runs), photo=photo, reply_markup=markup)]
    limit = TEXT_LIMIT - len(RLM) if out.rtl else TEXT_LIMIT
    parts = [RenderedPart(html=_html(chunk)) for chunk in _chunks(runs, limit, out.rtl)]
    if photo is not None:
        parts.insert(0, RenderedPart(html="", photo=photo))
    if not parts:
        raise ValueError("an outbound message with no text and no attachment")
    parts[-1] = replace(parts[-1], reply_markup=markup)
    return parts


@dataclass(frozen=True, slots=True)
class _Run:
    """Text under the same tags, after a separator from the run before ("" continues the line);
    `glued` keeps it in the same part as the run after it (a label with what it labels)."""

    tags: tuple[str, ...]
    sep: str
    text: str
    glued: bool = False


def _runs(content: Content) -> list[_Run]:
    """The content as runs of text in Telegram's HTML tags; empty blocks are left out."""
    runs: list[_Run] = []

    def block(text: str, tags: tuple[str, ...] = (), sep: str = "\n\n", glued: bool = False) -> None:
        if text.strip():
            runs.append(_Run(tags, sep, text.strip(), glued))

    block(content.reminder, ("i",))
    if content.urgent:
        runs.append(_Run((), "\n\n", "‼️"))
        runs += [_Run(("b",), "", " " + content.urgent), _Run((), "", " · ")]
        runs.append(_Run(("b",), "", content.heading))
    else:
        block(content.heading, ("b",))
    if content.title:
        block(f"“{content.title}”", ("i",))
    for section in content.sections:
        _section(section, (), block)
    if content.original is not None:
        _section(content.original, ("blockquote expandable",), block)
    block(content.note, ("i",))
    return runs


def _section(section: Section, outer: tuple[str, ...], block: Callable[..., None]) -> None:
    """A label in bold on its own line, then its paragraphs, or its steps as a numbered list."""
    sep = "\n\n"
    if section.label.strip():
        block(section.label, (*outer, "b"), sep, glued=True)
        sep = "\n"
    if section.steps:
        steps = [step for step in section.steps if step.strip()]
        for number, step in enumerate(steps, start=1):
            block(f"{number}. {step.strip()}", outer, sep)
            sep = "\n"
        return
    for paragraph in section.paragraphs:
        block(paragraph, outer, sep)
        sep = "\n\n"


def _chunks(runs: list[_Run], limit: int, rtl: bool) -> list[list[_Run]]:
    """Runs gathered into parts of at most `limit` UTF-16 units of text, cut between runs; a run
    too long for a part of its own is split as plain text (`split_text`), keeping its tags."""
    chunks: list[list[_Run]] = []
    current: list[_Run] = []
    used = 0
    for run in runs:
        cost = utf16_len((run.sep if current else "") + run.text)
        if used + cost <= limit:
            current.append(run)
            used += cost
            continue
        carried: list[_Run] = []
        while current and current[-1].glued:
            carried.insert(0, current.pop())
        if current:
            chunks.append(current)
        current = carried
        used = _length(current)
        if used + utf16_len((run.sep if current else "") + run.text) <= limit:
            current.append(run)
            used = _length(current)
            continue
        if current:  # a label before a paragraph too long for any part: it goes alone
            chunks.append(current)
        pieces = split_text(run.text, limit)
        if rtl:
            pieces = [piece if piece.startswith(RLM) else RLM + piece for piece in pieces]
        chunks += [[replace(run, text=piece)] for piece in pieces[:-1]]
        current, used = [replace(run, text=pieces[-1])], utf16_len(pieces[-1])
    if current:
        chunks.append(current)
    return chunks


def _length(runs: list[_Run]) -> int:
    """The text's length as Telegram counts it (tags are not counted)."""
    return sum(utf16_len(run.sep + run.text) for run in runs) - (utf16_len(runs[0].sep) if runs else 0)


def _html(runs: list[_Run]) -> str:
    """Runs as HTML: a tag opens where a run needs it and closes where the next does not."""
    out: list[str] = []
    opened: tuple[str, ...] = ()
    for index, run in enumerate(runs):
        keep = 0
        while keep < min(len(opened), len(run.tags)) and opened[keep] == run.tags[keep]:
            keep += 1
        out += [f"</{tag.split()[0]}>" for tag in reversed(opened[keep:])]
        if index:
            out.append(run.sep)
        out += [f"<{tag}>" for tag in run.tags[keep:]]
        out.append(escape(run.text))
        opened = run.tags
    out += [f"</{tag.split()[0]}>" for tag in reversed(opened)]
    return "".join(out)


def escape(text: str) -> str:
    """Escape for Telegram's HTML parse mode, where only <, > and & are special in text."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Split into parts of at most `limit` UTF-16 units: at a paragraph, else a line, a space, anywhere.

    Whitespace at each cut is dropped (Telegram trims it anyway); nothing else is lost.
    """
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            parts.append(rest)
            break
        fits = _fitting(rest, limit)
        # The last separator that starts within what fits (it is dropped, so it may stick out).
        cut = next((i for sep in ("\n\n", "\n", " ") if (i := rest.rfind(sep, 1, fits + len(sep))) > 0), fits)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units (at least one, so splitting advances)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return max(index, 1)
    return len(text)


def _mark_rtl(text: str) -> str:
    """Start each line (a Unicode bidi paragraph) with RLM, so a line opening with digits or Latin
    words is still laid out right to left."""
    return "\n".join(RLM + line if line.strip() else line for line in text.strip().split("\n"))


def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button per row: labels in any language stay readable on a narrow phone."""
    if not buttons:
        return None
    for button in buttons:
        size = len(button.payload.encode())
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            raise ValueError(f"button payload is {size} bytes; Telegram allows 1 to {CALLBACK_DATA_LIMIT}")
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.payload)] for b in buttons])
