"""Slack ↔ channel-neutral events: pure functions, no network (parsing and mrkdwn escaping live here).

Payloads are the JSON bodies Bolt hands a listener (the same in Socket Mode and HTTP mode):
an Events API callback, a slash command, a block_actions press.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.events import Attachment, Content, Inbound, Outbound, Section, parse_command

_LOGGER = logging.getLogger(__name__)

CHANNEL = "slack"
#: The slash command the app's manifest declares; `/partnerbot acks 3` is the chat's `/acks 3`.
SLASH_COMMAND = "/partnerbot"
#: The action_id prefix of our buttons, so the one listener for them matches nothing else.
ACTION_PREFIX = "pb:"
#: Limits from slack_sdk's Block Kit models, and Slack's 50 blocks a message.
SECTION_LIMIT = SectionBlock.text_max_length
LABEL_LIMIT = ButtonElement.text_max_length
VALUE_LIMIT = ButtonElement.value_max_length
BUTTONS_PER_BLOCK = ActionsBlock.elements_max_length
MAX_BLOCKS = 50
#: A home tab's view holds at most 100 blocks.
HOME_BLOCKS = 100
#: The notification text beside the blocks (Slack truncates long ones; a preview is enough).
FALLBACK_LIMIT = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedMessage:
    """One chat.postMessage: blocks, and the plain `text` Slack shows in notifications."""

    text: str
    blocks: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """What users.info tells of a Slack user, put on their events."""

    display_name: str | None = None
    language_hint: str | None = None
    verified_email: str | None = None


def escape(text: str) -> str:
    """Escape for Slack's mrkdwn, where &, < and > are control characters (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: A command as the chats write it ("Send /help"), not inside a path or a date ("3/12", "a/b").
_COMMAND_MENTION = re.compile(r"(?<![\w/])/([a-z][a-z0-9_]{1,31})\b")


def as_slack_commands(text: str) -> str:
    """ "/help" → "/partnerbot help": Slack takes any "/word" typed in its message box as a slash
    command of its own, and the app has one, /partnerbot, that carries the chats' commands."""
    return _COMMAND_MENTION.sub(lambda match: f"{SLASH_COMMAND} {match.group(1)}", text)


def _mrkdwn(text: str) -> str:
    """Our text as Slack shows it: its commands spelled the Slack way, then escaped."""
    return escape(as_slack_commands(text))


# -- inbound ------------------------------------------------------------------------------------


def from_message(body: Mapping[str, Any], person: Person | None = None) -> Inbound | None:
    """A message.im event → Inbound; None for what is not a person writing to us in our DM
    (bots, ourselves, edits, deletions and other subtypes, messages in channels)."""
    event = body.get("event") or {}
    user = event.get("user")
    if (
        event.get("type") != "message"
        or event.get("channel_type") != "im"
        or event.get("subtype") not in (None, "file_share")
        or event.get("bot_id")
        or not isinstance(user, str)
        or not body.get("event_id")
    ):
        _LOGGER.debug("event %s ignored", body.get("event_id"))
        return None
    text = str(event.get("text") or "")
    command, args = parse_command(text)
    thread = event.get("thread_ts")
    return make_inbound(
        person,
        address=user,
        event_id=str(body["event_id"]),
        text=text,
        command=command,
        args=args,
        attachment=shared_photo(event.get("files") or []),
        reply_to=str(thread) if thread and thread != event.get("ts") else None,
    )


def shared_photo(files: list[Mapping[str, Any]]) -> Attachment | None:
    """The first image shared with the message, by its private URL (fetched later with the token)."""
    for shared in files:
        url = shared.get("url_private_download") or shared.get("url_private")
        if str(shared.get("mimetype", "")).startswith("image/") and isinstance(url, str):
            return Attachment(
                filename=str(shared.get("name") or shared.get("id") or "photo"),
                content_type=str(shared["mimetype"]),
                platform_ref=url,
            )
    return None


def from_command(body: Mapping[str, Any], person: Person | None = None) -> Inbound | None:
    """`/partnerbot acks 3` → the command Inbound the chats send for `/acks 3`; bare `/partnerbot`
    is `/help`. Keyed on the trigger_id, unique per invocation."""
    user, trigger = body.get("user_id"), body.get("trigger_id")
    if body.get("command") != SLASH_COMMAND or not isinstance(user, str) or not trigger:
        return None
    words = str(body.get("text") or "").strip().lstrip("/") or "help"
    command, args = parse_command("/" + words)
    event_id, trigger = f"cmd:{trigger}", str(trigger)
    if command is None:
        return make_inbound(person, address=user, event_id=event_id, text=words, trigger=trigger)
    return make_inbound(
        person, address=user, event_id=event_id, text="/" + words, command=command, args=args, trigger=trigger
    )


#: Our message shortcuts (the manifest's callback_ids) and the command each one starts.
SHORTCUTS = {"pb:highlights": "highlights", "pb:postcard": "postcard"}


def from_shortcut(body: Mapping[str, Any], person: Person | None = None) -> Inbound | None:
    """A message shortcut of ours on a Slack message → its command, with the message's text
    (Slack's escaping undone) to start the form with. Keyed on the trigger_id."""
    user, trigger = (body.get("user") or {}).get("id"), body.get("trigger_id")
    command = SHORTCUTS.get(str(body.get("callback_id")))
    if body.get("type") != "message_action" or command is None or not isinstance(user, str) or not trigger:
        return None
    text = str((body.get("message") or {}).get("text") or "")
    quoted = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    return make_inbound(
        person,
        address=user,
        event_id=f"sc:{trigger}",
        text=f"/{command}",
        command=command,
        trigger=str(trigger),
        quoted=quoted or None,
    )


def from_action(body: Mapping[str, Any], person: Person | None = None) -> Inbound | None:
    """A pressed button of ours → Inbound with its opaque value as payload and its label as text.
    The presser is the address: the engine checks the value against them."""
    user = (body.get("user") or {}).get("id")
    actions = body.get("actions") or []
    if body.get("type") != "block_actions" or not isinstance(user, str) or len(actions) != 1:
        return None
    action = actions[0]
    value = action.get("value")
    if not str(action.get("action_id", "")).startswith(ACTION_PREFIX) or not isinstance(value, str):
        return None
    label = (action.get("text") or {}).get("text") or ""
    trigger = body.get("trigger_id")
    event_id = f"act:{trigger or action.get('action_ts')}"
    return make_inbound(
        person, address=user, event_id=event_id, text=str(label), payload=value, trigger=trigger or None
    )


def from_home_opened(body: Mapping[str, Any], person: Person | None = None) -> Inbound | None:
    """The App Home tab opened → the chats' `/home` (the summary page, published as the tab's view).
    The Messages tab fires the same event with `tab: messages`: that one asks for nothing."""
    event = body.get("event") or {}
    user = event.get("user")
    if event.get("type") != "app_home_opened" or event.get("tab") != "home" or not isinstance(user, str):
        return None
    if not body.get("event_id"):
        return None
    return make_inbound(person, address=user, event_id=str(body["event_id"]), text="/home", command="home")


def make_inbound(person: Person | None, **fields: Any) -> Inbound:
    person = person or Person()
    return Inbound(
        channel=CHANNEL,
        display_name=person.display_name,
        language_hint=person.language_hint,
        verified_email=person.verified_email,
        **fields,
    )


def person_of(user: Mapping[str, Any]) -> Person:
    """users.info's user → what we keep: the real name, the locale's language, a confirmed e-mail.

    Slack shows the e-mail (with users:read.email) only as the workspace knows it; an
    unconfirmed address (`is_email_confirmed` false) is not taken as proof of who someone is."""
    profile = user.get("profile") or {}
    locale = user.get("locale")
    email = profile.get("email")
    confirmed = email and user.get("is_email_confirmed", True) and not user.get("deleted")
    return Person(
        display_name=profile.get("real_name") or user.get("real_name") or None,
        language_hint=str(locale).split("-", 1)[0].lower() if locale else None,
        verified_email=str(email).strip().lower() if confirmed else None,
    )


# -- outbound -----------------------------------------------------------------------------------


def render(out: Outbound) -> list[RenderedMessage]:
    """Outbound → the chat.postMessage calls that show it in Block Kit: bold heading and labels,
    the title in italics, steps numbered, the original after a divider, the note and reminder as
    context; user text escaped; sections split to 3000 characters; at most 50 blocks a message,
    buttons (an actions block) on the last.

    Raises ValueError for what Slack cannot carry (nothing to show, a button value over 2000).
    """
    blocks = content_blocks(out.content)
    actions = button_blocks(out.buttons)
    if not blocks and not actions:
        raise ValueError("an outbound message with nothing to show")
    messages: list[list[Block]] = []
    for index in range(0, max(len(blocks), 1), MAX_BLOCKS):
        messages.append(blocks[index : index + MAX_BLOCKS])
    if len(messages[-1]) + len(actions) > MAX_BLOCKS:
        messages.append([])
    messages[-1] += actions
    fallback = _fallback(out.content)
    return [
        RenderedMessage(text=fallback, blocks=tuple(block.to_dict() for block in message))
        for message in messages
    ]


def render_home(out: Outbound) -> dict[str, Any]:
    """A home-page Outbound → the App Home view for views.publish: the same blocks as a message,
    at most 100, its buttons last."""
    actions = button_blocks(out.buttons)
    blocks = content_blocks(out.content)[: HOME_BLOCKS - len(actions)] + actions
    return {"type": "home", "blocks": [block.to_dict() for block in blocks]}


def content_blocks(content: Content) -> list[Block]:
    """The content as Block Kit blocks (shared with App Home views); empty parts are left out."""
    blocks: list[Block] = []
    if content.reminder.strip():
        blocks.append(_context(f"_{_mrkdwn(content.reminder.strip())}_"))
    heading = content.heading.strip()
    if content.urgent.strip():
        blocks += _sections(f"‼️ *{_mrkdwn(content.urgent.strip())}* · ", heading, bold=True)
    elif heading:
        blocks += _sections("", heading, bold=True)
    if content.title.strip():
        blocks += _sections("", f"“{content.title.strip()}”", italic=True)
    for section in content.sections:
        blocks += _labelled(section)
    if content.original is not None:
        blocks.append(DividerBlock())
        blocks += _labelled(content.original)
    if content.note.strip():
        blocks.append(_context(_mrkdwn(content.note.strip())))
    return blocks


def button_blocks(buttons: tuple[Any, ...]) -> list[Block]:
    """Buttons as actions blocks of up to 25; labels cut to 75 characters, values kept whole."""
    elements: list[ButtonElement] = []
    for index, button in enumerate(buttons):
        size = len(button.payload)
        if not 1 <= size <= VALUE_LIMIT:
            raise ValueError(f"button value is {size} characters; Slack allows 1 to {VALUE_LIMIT}")
        label = button.label if len(button.label) <= LABEL_LIMIT else button.label[: LABEL_LIMIT - 1] + "…"
        elements.append(
            ButtonElement(
                text=PlainTextObject(text=label, emoji=True),
                action_id=f"{ACTION_PREFIX}{index}",
                value=button.payload,
            )
        )
    return [
        ActionsBlock(elements=elements[i : i + BUTTONS_PER_BLOCK])
        for i in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


def _labelled(section: Section) -> list[Block]:
    """A section: its label in bold on the first line, then paragraphs or numbered steps."""
    steps = [step.strip() for step in section.steps if step.strip()]
    if steps:
        body = "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))
    else:
        body = "\n\n".join(p.strip() for p in section.paragraphs if p.strip())
    label = f"*{_mrkdwn(section.label.strip())}*\n" if section.label.strip() else ""
    if not body:
        return [SectionBlock(text=MarkdownTextObject(text=label.strip()))] if label else []
    return _sections(label, body)


def _sections(prefix: str, text: str, *, bold: bool = False, italic: bool = False) -> list[Block]:
    """Section blocks holding `text` escaped, split to fit 3000 characters; `prefix` (mrkdwn, already
    escaped) opens the first. Bold or italic marks wrap each line (mrkdwn marks do not span lines)."""
    mark = "*" if bold else "_" if italic else ""

    def shown(piece: str) -> str:
        return "\n".join(
            f"{mark}{_mrkdwn(line)}{mark}" if line.strip() else line for line in piece.split("\n")
        )

    blocks: list[Block] = []
    first = prefix
    for piece in split_text(text, SECTION_LIMIT - len(prefix), cost=lambda s: len(shown(s))):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=first + shown(piece))))
        first = ""
    return blocks


def _context(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn[:SECTION_LIMIT])])


def _fallback(content: Content) -> str:
    """A short plain preview for notifications and screen readers, escaped like all mrkdwn."""
    preview = content.headline() or next(iter(content.body()), "") or content.reminder
    preview = " ".join(preview.split())
    if len(preview) > FALLBACK_LIMIT:
        preview = preview[: FALLBACK_LIMIT - 1] + "…"
    return _mrkdwn(preview)


def split_text(text: str, limit: int, *, cost: Callable[[str], int] = len) -> list[str]:
    """Split into pieces whose `cost` (their length once escaped and marked) is at most `limit`:
    at a paragraph, else a line, a space, anywhere. Whitespace at each cut is dropped."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if cost(rest) <= limit:
            parts.append(rest)
            break
        fits = _fitting(rest, limit, cost)
        cut = next((i for sep in ("\n\n", "\n", " ") if (i := rest.rfind(sep, 1, fits)) > 0), fits)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def _fitting(text: str, limit: int, cost: Callable[[str], int]) -> int:
    """The longest prefix of `text` within `limit` (at least one character, so splitting advances)."""
    low, high = 1, len(text)
    while low < high:  # cost grows with the prefix: bisect
        middle = (low + high + 1) // 2
        if cost(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
