"""How each kind of message reads to one recipient, in their language, with the buttons they get.

Families get the translation with the original one tap away (Show original); staff get the
translation with the original beside it. The result is a `Content`, not markup: each channel
renders (and escapes) it natively at send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from bot.events import Button, Content, Section
from bot.i18n import N_, Speaker
from storage.models import MessageKind

OUTCOMES = {
    "well": N_("Went well"),
    "mixed": N_("Mixed"),
    "not_yet": N_("Not yet"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """A message's translatable fields in one language (or the original, when not translated)."""

    language: str
    text: str
    title: str = ""
    why: str = ""
    translated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What a message is about, the same for every recipient."""

    message_id: int
    kind: MessageKind
    author_name: str
    about: str = ""  # a student's or a class's name
    relationship: str | None = None  # the author's, for messages from home
    outcome: str | None = None
    strategy: str = ""  # the title of the postcard a message from home answers
    urgent: bool = False
    answers_id: int | None = None  # the message this one answers
    held_on: date | None = None  # the meeting's day, for meeting notes


def _heading(speaker: Speaker, ctx: Context) -> str:
    _, fill = speaker._, speaker.fill
    if ctx.kind == MessageKind.HIGHLIGHT:
        return fill(
            _("Learning highlights for {group} from {author}"), group=ctx.about, author=ctx.author_name
        )
    if ctx.kind == MessageKind.POSTCARD_TO_HOME:
        return fill(
            _("Something to try at home, for {student}, from {author}"),
            student=ctx.about,
            author=ctx.author_name,
        )
    if ctx.kind == MessageKind.POSTCARD_FROM_HOME:
        author = (
            fill(
                _("{name} ({relationship} of {student})"),
                name=ctx.author_name,
                relationship=speaker.relationship(ctx.relationship),
                student=ctx.about,
            )
            if ctx.relationship
            else ctx.author_name
        )
        return fill(_("Something we tried at home, from {author}"), author=author)
    if ctx.kind == MessageKind.MEETING_NOTES and ctx.held_on is not None:
        return fill(
            _("Notes from the meeting about {student} on {date}, from {author}"),
            student=ctx.about,
            date=format_date(ctx.held_on, "long", locale=speaker.locale),
            author=ctx.author_name,
        )
    return fill(_("Message from {author}"), author=ctx.author_name)


def _sections(speaker: Speaker, ctx: Context, version: Version) -> tuple[Section, ...]:
    _ = speaker._
    if ctx.kind == MessageKind.POSTCARD_TO_HOME:
        # The steps were asked for "one per line".
        sections = [Section(label=_("What to try:"), steps=tuple(version.text.split("\n")))]
        if version.why:
            sections.append(Section(label=_("Why it helps:"), paragraphs=(version.why,)))
        return tuple(sections)
    paragraphs = []
    if ctx.kind == MessageKind.POSTCARD_FROM_HOME:
        if version.title or ctx.strategy:
            paragraphs.append(_("Strategy: {title}").format(title=version.title or ctx.strategy))
        if ctx.outcome:
            paragraphs.append(_("How it went: {outcome}").format(outcome=_(OUTCOMES[ctx.outcome])))
    paragraphs.append(version.text)
    return (Section(paragraphs=tuple(paragraphs)),)


def _content(speaker: Speaker, ctx: Context, version: Version, **rest: Any) -> Content:
    """What every recipient's message has: heading, the postcard's title, its sections."""
    return Content(
        heading=_heading(speaker, ctx),
        urgent=speaker._("Urgent") if ctx.urgent else "",
        title=version.title if ctx.kind == MessageKind.POSTCARD_TO_HOME else "",
        sections=_sections(speaker, ctx, version),
        answers=ctx.answers_id,
        **rest,
    )


def _note(speaker: Speaker, original_language: str, version: Version) -> str:
    if version.language == original_language and original_language != speaker.language:
        return speaker._(
            "This message was written in {language}. Automatic translation is not available, "
            "so here is the original."
        ).format(language=speaker.language_name_here(original_language))
    if version.translated:
        return speaker._("Translated automatically from {language}.").format(
            language=speaker.language_name_here(original_language)
        )
    return ""


def render_for_family(
    speaker: Speaker, ctx: Context, version: Version, original_language: str
) -> tuple[Content, list[Button]]:
    """The message and its buttons for a parent or carer."""
    _ = speaker._
    content = _content(speaker, ctx, version, note=_note(speaker, original_language, version))
    buttons = [Button(label=_("Got it"), payload=f"ack:{ctx.message_id}")]
    if ctx.kind == MessageKind.POSTCARD_TO_HOME:
        buttons += [
            Button(label=_("We tried it"), payload=f"tried:{ctx.message_id}"),
            Button(label=_("Ask a question"), payload=f"ask:{ctx.message_id}"),
        ]
    elif ctx.kind == MessageKind.REPLY:
        buttons.append(Button(label=_("Reply"), payload=f"ask:{ctx.message_id}"))
    if version.translated:
        buttons.append(Button(label=_("Show original"), payload=f"orig:{ctx.message_id}"))
    return content, buttons


def render_for_staff(
    speaker: Speaker, ctx: Context, version: Version, original: Version
) -> tuple[Content, list[Button]]:
    """The message and its buttons for school staff and outside partners: the original always beside."""
    _ = speaker._
    if version.translated:
        content = _content(speaker, ctx, version, original=original_section(speaker, original))
    else:
        content = _content(speaker, ctx, version, note=_note(speaker, original.language, version))
    buttons = [
        Button(label=_("Got it"), payload=f"ack:{ctx.message_id}"),
        Button(label=_("Reply"), payload=f"ask:{ctx.message_id}"),
    ]
    return content, buttons


def original_section(speaker: Speaker, original: Version) -> Section:
    """The original's own words, labelled with its language."""
    words = [f"“{original.title}”" if original.title else "", original.text, original.why]
    return Section(
        label=speaker._("Original ({language}):").format(
            language=speaker.language_name_here(original.language)
        ),
        paragraphs=tuple(w for w in words if w),
    )


def render_original(speaker: Speaker, original: Version) -> str:
    """The original's own words as plain text, for Show original and a review's own words."""
    return original_section(speaker, original).to_plain()
