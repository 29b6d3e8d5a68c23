"""How each kind of message reads to one recipient, in their language, with the buttons they get.

Families get the translation with the original one tap away (Show original); staff get the
translation with the original beside it. Texts are plain: each adapter escapes for its markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Button
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


def _header(speaker: Speaker, ctx: Context) -> str:
    _ = speaker._
    if ctx.kind == MessageKind.HIGHLIGHT:
        header = _("Learning highlights for {group} from {author}").format(
            group=ctx.about, author=ctx.author_name
        )
    elif ctx.kind == MessageKind.POSTCARD_TO_HOME:
        header = _("Something to try at home, for {student}, from {author}").format(
            student=ctx.about, author=ctx.author_name
        )
    elif ctx.kind == MessageKind.POSTCARD_FROM_HOME:
        author = (
            _("{name} ({relationship} of {student})").format(
                name=ctx.author_name, relationship=ctx.relationship, student=ctx.about
            )
            if ctx.relationship
            else ctx.author_name
        )
        header = _("Something we tried at home, from {author}").format(author=author)
    else:
        header = _("Message from {author}").format(author=ctx.author_name)
    return ("‼️ " + _("Urgent") + " · " + header) if ctx.urgent else header


def _body(speaker: Speaker, ctx: Context, version: Version) -> str:
    _ = speaker._
    parts = []
    if ctx.kind == MessageKind.POSTCARD_TO_HOME:
        parts += [f"“{version.title}”", _("What to try:") + "\n" + version.text]
        if version.why:
            parts.append(_("Why it helps:") + "\n" + version.why)
    elif ctx.kind == MessageKind.POSTCARD_FROM_HOME:
        if version.title or ctx.strategy:
            parts.append(_("Strategy: {title}").format(title=version.title or ctx.strategy))
        if ctx.outcome:
            parts.append(_("How it went: {outcome}").format(outcome=_(OUTCOMES[ctx.outcome])))
        parts.append(version.text)
    else:
        parts.append(version.text)
    return "\n\n".join(parts)


def _note(speaker: Speaker, original_language: str, version: Version) -> str | None:
    if version.language == original_language and original_language != speaker.language:
        return speaker._(
            "This message was written in {language}. Automatic translation is not available, "
            "so here is the original."
        ).format(language=speaker.language_name_here(original_language))
    if version.translated:
        return speaker._("Translated automatically from {language}.").format(
            language=speaker.language_name_here(original_language)
        )
    return None


def render_for_family(
    speaker: Speaker, ctx: Context, version: Version, original_language: str
) -> tuple[str, list[Button]]:
    """Text and buttons for a parent or carer."""
    _ = speaker._
    parts = [_header(speaker, ctx), _body(speaker, ctx, version)]
    note = _note(speaker, original_language, version)
    if note:
        parts.append(f"({note})")
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
    return "\n\n".join(parts), buttons


def render_for_staff(
    speaker: Speaker, ctx: Context, version: Version, original: Version
) -> tuple[str, list[Button]]:
    """Text and buttons for school staff and outside partners: the original always beside."""
    _ = speaker._
    parts = [_header(speaker, ctx), _body(speaker, ctx, version)]
    if version.translated:
        parts.append(render_original(speaker, original))
    else:
        note = _note(speaker, original.language, version)
        if note:
            parts.append(f"({note})")
    buttons = [
        Button(label=_("Got it"), payload=f"ack:{ctx.message_id}"),
        Button(label=_("Reply"), payload=f"ask:{ctx.message_id}"),
    ]
    return "\n\n".join(parts), buttons


def render_original(speaker: Speaker, original: Version) -> str:
    """The original's own words, for Show original and beside a translation for staff."""
    words = [f"“{original.title}”" if original.title else "", original.text, original.why]
    return (
        speaker._("Original ({language}):").format(language=speaker.language_name_here(original.language))
        + "\n"
        + "\n\n".join(w for w in words if w)
    )
