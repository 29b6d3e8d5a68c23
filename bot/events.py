"""Channel-neutral value objects: what a person sent (Inbound) and what we say back (Outbound, whose
`Content` is the message's structure, rendered natively by each channel at send time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file a person sent or we send: bytes already fetched, or a platform file reference."""

    filename: str
    content_type: str
    data: bytes | None = None
    platform_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """One event from a person on a channel, as every adapter reports it."""

    channel: str
    address: str
    event_id: str
    display_name: str | None = None
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    payload: str | None = None
    attachment: Attachment | None = None
    language_hint: str | None = None
    sender: str | None = None  # in a group chat: the speaker's own address (`address` is the group's)
    reply_to: str | None = None  # the platform's id of our message this answers (a channel with threading)
    verified_email: str | None = None  # the address the platform vouches for (Slack's workspace e-mail)
    trigger: str | None = None  # lets the answer open a form now (Slack's trigger_id, valid 3 s)
    form_values: dict[str, str] | None = None  # a submitted form's answers, by field name
    quoted: str | None = None  # a message brought into a command (a Slack shortcut): its form starts so
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    """A choice; `payload` is an opaque string the adapter hands back when it is pressed."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A part of a message: an optional label ("What to try:"), then paragraphs or a list of steps."""

    label: str = ""
    paragraphs: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()

    def to_plain(self) -> str:
        """The label on its own line, then the paragraphs (a blank line apart) or one step a line."""
        body = "\n".join(self.steps) if self.steps else "\n\n".join(self.paragraphs)
        return f"{self.label}\n{body}" if self.label else body

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "paragraphs": list(self.paragraphs), "steps": list(self.steps)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Section:
        return cls(
            label=data.get("label", ""),
            paragraphs=tuple(data.get("paragraphs", ())),
            steps=tuple(data.get("steps", ())),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    """One question of a form: free text (`multiline` for a paragraph), a choice of `options`
    (label, value), or with `checkbox` a yes/no box whose label is the option's, or with `photo`
    a photo to add (it comes back as the Inbound's attachment); `initial`: the text already
    written in it (the person changes or keeps it)."""

    name: str
    label: str
    multiline: bool = False
    max_length: int = 3000
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()
    checkbox: bool = False
    photo: bool = False
    initial: str = ""

    def to_json(self) -> dict[str, Any]:
        return (
            {
                "name": self.name,
                "label": self.label,
                "multiline": self.multiline,
                "max_length": self.max_length,
                "required": self.required,
                "options": [list(option) for option in self.options],
                "checkbox": self.checkbox,
            }
            | ({"initial": self.initial} if self.initial else {})
            | ({"photo": True} if self.photo else {})
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FormField:
        return cls(
            name=data["name"],
            label=data["label"],
            multiline=data.get("multiline", False),
            max_length=data.get("max_length", 3000),
            required=data.get("required", True),
            options=tuple((label, value) for label, value in data.get("options", ())),
            checkbox=data.get("checkbox", False),
            photo=data.get("photo", False),
            initial=data.get("initial", ""),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """A form to fill in at once (Slack's modal), opened with the `trigger` of the event it answers.
    Its answers come back as an Inbound with `payload` and `form_values`. `blank` is said (already
    translated) beside a required field left empty."""

    payload: str
    trigger: str
    title: str
    submit: str
    blank: str
    fields: tuple[FormField, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "trigger": self.trigger,
            "title": self.title,
            "submit": self.submit,
            "blank": self.blank,
            "fields": [f.to_json() for f in self.fields],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Form:
        return cls(
            payload=data["payload"],
            trigger=data["trigger"],
            title=data["title"],
            submit=data["submit"],
            blank=data["blank"],
            fields=tuple(FormField.from_json(f) for f in data["fields"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Content:
    """What a message is, in the recipient's language, not yet in any markup: each channel renders
    it natively (Telegram HTML, the console's plain text). Every field is already translated.

    `urgent` and `reminder` are the translated words ("Urgent", "Reminder:") when they apply;
    `original` is the original's words beside a translation (for staff); `answers` is the id of
    the message this one answers (for channels that thread or write a subject); `home` marks the
    person's summary page, shown in place of the last one where the channel has such a page
    (Slack's App Home) and sent as a message elsewhere; `form` is a form to open instead (only
    in answer to an event that came with a trigger)."""

    heading: str = ""
    urgent: str = ""
    reminder: str = ""
    title: str = ""
    sections: tuple[Section, ...] = ()
    original: Section | None = None
    note: str = ""
    answers: int | None = None
    home: bool = False
    form: Form | None = None

    @classmethod
    def plain(cls, text: str) -> Content:
        """A plain reply: one paragraph."""
        return cls(sections=(Section(paragraphs=(text,)),))

    def headline(self) -> str:
        """The heading, marked when urgent."""
        return f"‼️ {self.urgent} · {self.heading}" if self.urgent else self.heading

    def body(self) -> list[str]:
        """The plain blocks under the heading: title, sections, original, note."""
        blocks = [f"“{self.title}”"] if self.title else []
        blocks += [section.to_plain() for section in self.sections]
        if self.original is not None:
            blocks.append(self.original.to_plain())
        if self.note:
            blocks.append(f"({self.note})")
        return blocks

    def to_plain(self) -> str:
        """The whole message as plain text, blocks a blank line apart (the console shows this)."""
        blocks = [self.reminder, self.headline(), *self.body()]
        return "\n\n".join(block for block in blocks if block)

    def to_json(self) -> dict[str, Any]:
        """For the outbox's JSON column."""
        return (
            {
                "heading": self.heading,
                "urgent": self.urgent,
                "reminder": self.reminder,
                "title": self.title,
                "sections": [section.to_json() for section in self.sections],
                "original": self.original.to_json() if self.original is not None else None,
                "note": self.note,
                "answers": self.answers,
            }
            | ({"home": True} if self.home else {})
            | ({"form": self.form.to_json()} if self.form else {})
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Content:
        original = data.get("original")
        return cls(
            heading=data.get("heading", ""),
            urgent=data.get("urgent", ""),
            reminder=data.get("reminder", ""),
            title=data.get("title", ""),
            sections=tuple(Section.from_json(s) for s in data.get("sections", ())),
            original=Section.from_json(original) if original else None,
            note=data.get("note", ""),
            answers=data.get("answers"),
            home=bool(data.get("home", False)),
            form=Form.from_json(data["form"]) if data.get("form") else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbound:
    """One message to one chat, already in the recipient's language."""

    content: Content
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    urgent: bool = False
    rtl: bool = False
    #: The recipient's language ("" when unknown), for a channel that labels it (an e-mail's `lang`).
    language: str = ""
    #: The stored message this delivers, for a channel that threads by it (an e-mail's References).
    message_id: int | None = None

    @property
    def text(self) -> str:
        """The message as plain text."""
        return self.content.to_plain()


def parse_command(text: str) -> tuple[str | None, tuple[str, ...]]:
    """Split "/start abc" into ("start", ("abc",)); text not starting with "/" has no command.

    Telegram appends the bot name in groups ("/start@partnerbot"); that suffix is dropped.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None, ()
    head, *rest = stripped[1:].split()
    name = head.split("@", 1)[0].lower()
    if not name.isascii() or not name.replace("_", "").isalnum():
        return None, ()
    return name, tuple(rest)
