"""Flow and Turn: the shape of every conversation (after PTB's ConversationHandler, state in the DB)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.events import Button, Content, Inbound, Outbound
from bot.i18n import GENDERED_LANGUAGES, Speaker, gender_of
from bot.settings import Settings
from storage.ids import id_of
from storage.models import ChannelAccount, Person
from storage.people import relationships_of

if TYPE_CHECKING:
    from bot.translation import TranslationService
    from storage.db import Session


@dataclass(frozen=True, slots=True)
class Goto:
    """Move to `state` of another flow."""

    flow: str
    state: str


#: A step returns the next state of its own flow, a Goto, or None when the conversation ends.
StepResult = str | Goto | None
Step = Callable[["Turn"], Awaitable[StepResult]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    name: str
    states: Mapping[str, Step]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A slash command or an any-time button: a step that starts `flow`, or an aside that keeps
    the current question open (so /help in the middle of a question does not lose it)."""

    step: Step
    flow: str | None = None
    keeps_state: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Entries:
    """How people reach one handler module: its flow (questions over several turns), its slash
    commands, and its buttons that work at any time, by payload prefix ("ack:42"). Each module
    declares its own; bot/handlers/registry.py lists the modules."""

    flow: Flow | None = None
    commands: Mapping[str, Command] = field(default_factory=dict)
    actions: Mapping[str, Command] = field(default_factory=dict)


def speaker_for(*, session: Session, person: Person) -> Speaker:
    """Speaks to `person` in their language and zone, as a woman or a man where their language
    says "you" differently and the roster tells us (a mother, a father); neutral otherwise. The
    roster is only read for those languages."""
    gender = (
        gender_of(relationships_of(session=session, person_id=id_of(person)))
        if person.language in GENDERED_LANGUAGES
        else None
    )
    return Speaker(person.language, person.timezone, gender)


@dataclass(slots=True, kw_only=True)
class Turn:
    """One inbound event being handled: who spoke, in what state, and what we say back."""

    inbound: Inbound
    session: Session
    settings: Settings
    account: ChannelAccount
    person: Person | None
    speaker: Speaker
    now: datetime
    translator: TranslationService
    #: The channels this installation runs: only accounts on them can be reached.
    channels: frozenset[str]
    data: dict[str, Any] = field(default_factory=dict)
    replies: list[Outbound] = field(default_factory=list)
    #: The people whose home page (Slack's App Home) this turn changed: shown again soon.
    homes_changed: set[int] = field(default_factory=set)

    @property
    def me(self) -> Person:
        """The linked person speaking; every flow past joining has one."""
        if self.person is None:
            raise RuntimeError("this step needs a linked person")
        return self.person

    def _(self, message: str) -> str:
        return self.speaker._(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.speaker.ngettext(singular, plural, n)

    def reply(self, text: str, buttons: Sequence[Button] = ()) -> None:
        self.replies.append(
            Outbound(content=Content.plain(text), buttons=tuple(buttons), rtl=self.speaker.is_rtl)
        )

    @property
    def text(self) -> str:
        return self.inbound.text.strip()

    def pick(self, buttons: Sequence[Button]) -> str | None:
        """Like `choice`, but asks again (with the same buttons) when nothing valid was chosen."""
        chosen = self.choice(buttons)
        if chosen is None:
            self.reply(self._("Please choose one of the options below."), buttons)
        return chosen

    def choice(self, buttons: Sequence[Button]) -> str | None:
        """The payload chosen among `buttons`: a pressed button, or typed text equal to a label.

        A payload that is not one of `buttons` (old, forged, or from another question) is None.
        """
        payloads = {b.payload for b in buttons}
        if self.inbound.payload is not None:
            return self.inbound.payload if self.inbound.payload in payloads else None
        typed = self.text.casefold()
        return next((b.payload for b in buttons if typed and b.label.casefold() == typed), None)
