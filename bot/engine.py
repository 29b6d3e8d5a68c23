"""The conversation engine: record → identify → load state → route → save → queue replies.

Each event is stored before it is acted on and handled once per (channel, platform id).
One catch-all boundary per event: whatever a handler raises, the person gets an apology in
their language, the error is logged with the event id, and the event row keeps what was sent.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from bot.events import Attachment, Inbound, Outbound
from bot.handlers import groups, join, replies
from bot.handlers.flow import Command, Goto, StepResult, Turn, speaker_for
from bot.handlers.registry import ACTIONS, COMMANDS, FLOWS
from bot.i18n import Speaker, normalise_language
from bot.settings import Settings
from bot.translation import TranslationService
from storage.accounts import account_and_person, find_account, get_or_create_account
from storage.conversations import load_state, store_state
from storage.db import session_scope
from storage.ids import id_of
from storage.inbound import (
    claim_unhandled,
    mark_handled,
    record_dead_letter,
    record_inbound,
    release_inbound,
)
from storage.models import ChannelAccount, MessageKind, Person, utcnow
from storage.outbox import DeliveryDraft, MessageDraft, queue_message

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Unhandled events claimed at a time when replaying.
REPLAY_BATCH = 100


class _HandledElsewhere(Exception):
    """A peer handled the event first (this process's lease on it ran out): this turn is a repeat."""


_KEEP = {"\n", "\t"}


def clean_text(text: str) -> str:
    """Drop control and format characters a person did not mean to send (keeping RTL marks)."""
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in {"Cc", "Cs", "Co"}
    ).strip()


def _storable(value: str) -> str:
    """A string from outside, fit for any database: no NUL (PostgreSQL refuses it in text), no lone
    surrogate (not encodable as UTF-8), no non-character. Anything else is left as it came."""
    return "".join(ch for ch in value if not _unstorable(ord(ch)))


def _unstorable(code: int) -> bool:
    """NUL, a surrogate, or a non-character (U+FDD0..U+FDEF, and U+xFFFE/U+xFFFF of every plane)."""
    return code == 0 or 0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def storable(inbound: Inbound) -> Inbound:
    """The event with every string cleaned by `_storable`, at the one door every channel uses: a
    name with a NUL or a lone surrogate must not make recording fail for ever (the platform would
    resend the event, and everyone after it would wait)."""
    changes: dict[str, Any] = {}
    for f in fields(inbound):
        value = getattr(inbound, f.name)
        if isinstance(value, str) and (clean := _storable(value)) != value:
            changes[f.name] = clean
    if any(_storable(arg) != arg for arg in inbound.args):
        changes["args"] = tuple(_storable(arg) for arg in inbound.args)
    return replace(inbound, **changes) if changes else inbound


def _to_payload(inbound: Inbound) -> dict[str, Any]:
    """The event as JSON values, field by field (`asdict` deep-copied every string of every event)."""
    data = {f.name: getattr(inbound, f.name) for f in fields(inbound)}
    if inbound.attachment is not None:  # a photo's bytes are kept with its message, not copied here
        data["attachment"] = asdict(replace(inbound.attachment, data=None))
    data["received_at"] = inbound.received_at.isoformat()
    return data


def _from_payload(payload: dict[str, Any]) -> Inbound:
    fields = dict(payload)
    fields["received_at"] = datetime.fromisoformat(fields["received_at"])
    fields["args"] = tuple(fields.get("args") or ())
    if fields.get("attachment"):
        fields["attachment"] = Attachment(**fields["attachment"])
    return Inbound(**fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class Handled:
    """What a handled turn leaves for its caller to do at once: open its `forms` through the
    channel (a trigger lasts seconds: they do not wait in the outbox behind a chat's pace, and a
    form no longer openable is not worth keeping), and show again the home pages of the people
    in `homes_changed`."""

    forms: tuple[Outbound, ...] = ()
    homes_changed: frozenset[int] = frozenset()


class Engine:
    """Turns inbound events into state changes and outbox rows. Knows no platform."""

    def __init__(
        self,
        *,
        db: DbEngine,
        settings: Settings,
        clock: Clock = utcnow,
        translator: TranslationService,
        channels: frozenset[str],
        commands: Mapping[str, Command] = COMMANDS,
    ) -> None:
        """`channels`: the names of the channels this installation runs (what a handler may
        send to; an account on any other is unreached)."""
        self._db = db
        self._channels = channels
        self._translator = translator
        self._settings = settings
        self._clock = clock
        self._commands = commands
        self._lease = timedelta(seconds=settings.inbound_lease_s)

    def record(self, inbound: Inbound) -> int | None:
        """Store the event before anything acts on it; None if it was seen before (not handled again)."""
        with session_scope(self._db) as session:
            event_id = record_inbound(
                session=session,
                channel=inbound.channel,
                platform_event_id=inbound.event_id,
                address=inbound.address,
                payload=_to_payload(inbound),
                claimed_until=self._clock() + self._lease,
            )
        if event_id is None:
            _LOGGER.info("duplicate event %s/%s ignored", inbound.channel, inbound.event_id)
        return event_id

    def dead_letter(self, inbound: Inbound, error: str) -> None:
        """Set aside an event the database will not record (Intake: a poison event)."""
        with session_scope(self._db) as session:
            record_dead_letter(
                session=session,
                channel=inbound.channel,
                platform_event_id=inbound.event_id,
                address=inbound.address,
                error=error,
            )

    def release(self, event_ids: list[int]) -> None:
        """Hand back recorded events this process will not handle (it is stopping): replayable now."""
        with session_scope(self._db) as session:
            release_inbound(session=session, event_ids=event_ids)

    async def process(self, event_id: int, inbound: Inbound) -> Handled:
        """Handle an event recorded as `event_id`; returns what the caller does at once: see Handled."""
        with Session(self._db, expire_on_commit=False) as session:
            return await self._process(session, event_id, inbound)

    async def handle(self, inbound: Inbound) -> bool:
        """Record and handle one event at once; False if it was seen before."""
        inbound = storable(inbound)
        event_id = self.record(inbound)
        if event_id is None:
            return False
        await self.process(event_id, inbound)
        return True

    async def replay_unhandled(self) -> int:
        """Handle the events recorded but never handled by a process that is gone (no live
        process holds their lease), each claimed first so that no peer handles it too; returns
        how many. Run at start and periodically."""
        replayed = 0
        while True:
            with Session(self._db, expire_on_commit=False) as session:
                claimed = claim_unhandled(
                    session=session, now=self._clock(), lease=self._lease, limit=REPLAY_BATCH
                )
            for event in claimed:
                _LOGGER.info("replaying unhandled event %s", event.id)
                await self.process(id_of(event), _from_payload(event.payload))
            replayed += len(claimed)
            if len(claimed) < REPLAY_BATCH:
                return replayed

    async def _process(self, session: Session, event_id: int, inbound: Inbound) -> Handled:
        """Two transactions in one session: the event's account first, then the turn, marked
        handled with it. The turn writes nothing before it translates (SQLite allows one writer: the
        translation cache is another)."""
        inbound = replace(inbound, text=clean_text(inbound.text))
        account, person = account_and_person(
            session=session,
            channel=inbound.channel,
            address=inbound.address,
            display_name=inbound.display_name,
        )
        session.commit()
        try:
            handled = await self._handle_in(session, event_id, inbound, account, person)
            session.commit()
        except _HandledElsewhere:
            session.rollback()
            _LOGGER.warning("event %s was handled by another process first; this turn is undone", event_id)
        except Exception as exc:
            session.rollback()
            _LOGGER.exception("event %s from %s failed", event_id, inbound.channel)
            self._apologise(event_id, inbound, type(exc).__name__)
        else:
            return handled
        return Handled()

    async def _handle_in(
        self,
        session: Session,
        event_id: int,
        inbound: Inbound,
        account: ChannelAccount,
        person: Person | None,
    ) -> Handled:
        """The turn; `person` is who `account` is linked to, and in a group the sender speaks."""
        now = self._clock()
        if inbound.sender:
            speaker = find_account(session=session, channel=inbound.channel, address=inbound.sender)
            person = session.get(Person, speaker.person_id) if speaker and speaker.person_id else None
        current = load_state(session=session, account_id=id_of(account))
        state = current if person else None  # an unlinked account's leftover state is only cleared
        turn = self._turn(session, inbound, account, person, now, dict(state.data) if state else {})
        flow_name, result = await self._route(
            turn, state.flow if state else None, state.state if state else None
        )
        if isinstance(result, Goto):
            flow_name, result = result.flow, result.state
        store_state(
            session=session,
            current=current,
            account_id=id_of(account),
            flow=flow_name if result is not None else None,
            state=None if result is None else str(result),
            data=turn.data,
            at=now,
        )
        self._queue_replies(session, turn)
        if not mark_handled(session=session, event_id=event_id, at=now):
            raise _HandledElsewhere
        return Handled(
            forms=tuple(out for out in turn.replies if out.content.form is not None),
            homes_changed=frozenset(turn.homes_changed),
        )

    async def _route(
        self, turn: Turn, flow_name: str | None, state: str | None
    ) -> tuple[str | None, StepResult]:
        inbound = turn.inbound
        if inbound.sender is not None:  # a group chat: only /linkclass is for us
            return None, await groups.on_group(turn)
        if turn.person is None:
            return None, await join.on_unlinked(turn)
        if not inbound.text and inbound.payload is None and inbound.attachment is None:
            turn.reply(turn._("Sorry, I can only read text messages and button presses here."))
            return flow_name, state
        if inbound.command is not None:
            if inbound.command not in self._commands:
                turn.reply(
                    turn._(
                        "Sorry, I do not know the command /{command}. Send /help to see what you can do."
                    ).format(command=inbound.command[:32])
                )
                return flow_name, state
            return await self._run(self._commands[inbound.command], turn, flow_name, state)
        action = ACTIONS.get((inbound.payload or "").partition(":")[0])
        if action is not None:
            return await self._run(action, turn, flow_name, state)
        flow = FLOWS.get(flow_name or "")
        step = flow.states.get(state or "") if flow else None
        if flow is None or step is None:
            if inbound.payload is not None:
                turn.reply(turn._("That button is no longer active. Send /help to see what you can do."))
                return None, None
            return None, await replies.on_free_text(turn)
        return flow.name, await step(turn)

    @staticmethod
    async def _run(
        command: Command, turn: Turn, flow_name: str | None, state: str | None
    ) -> tuple[str | None, StepResult]:
        result = await command.step(turn)
        return (flow_name, state) if command.keeps_state else (command.flow, result)

    def _turn(
        self,
        session: Session,
        inbound: Inbound,
        account: ChannelAccount,
        person: Person | None,
        now: datetime,
        data: dict[str, Any],
    ) -> Turn:
        return Turn(
            inbound=inbound,
            session=session,
            settings=self._settings,
            account=account,
            person=person,
            speaker=self._speaker(session, person, inbound),
            now=now,
            translator=self._translator,
            channels=self._channels,
            data=data,
        )

    def _speaker(self, session: Session, person: Person | None, inbound: Inbound) -> Speaker:
        if person is not None:
            return speaker_for(session=session, person=person)
        language = normalise_language(inbound.language_hint, self._settings.default_language)
        return Speaker(language, self._settings.timezone)

    @staticmethod
    def _queue_replies(session: Session, turn: Turn) -> None:
        """What a handler said back to the speaker becomes reply messages on the same account
        (but for forms: `process` returns them, to be opened at once)."""
        account: ChannelAccount = turn.account
        for out in turn.replies:
            if out.content.form is not None:
                continue
            draft = DeliveryDraft(
                account_id=account.id,
                person_id=account.person_id,
                channel=account.channel,
                address=account.address,
                language=turn.speaker.language,
                content=out.content.to_json(),
                buttons=tuple((b.label, b.payload) for b in out.buttons),
                rtl=out.rtl,
            )
            message = MessageDraft(
                kind=MessageKind.REPLY,
                text=out.text,
                language=turn.speaker.language,
                school_id=turn.person.school_id if turn.person else None,
            )
            queue_message(session=session, message=message, drafts=[draft], now=turn.now)

    def _apologise(self, event_id: int, inbound: Inbound, error: str) -> None:
        """After a failed event: keep the event, note the error, and tell the person."""
        try:
            with session_scope(self._db) as session:
                now = self._clock()
                if not mark_handled(session=session, event_id=event_id, at=now, error=error):
                    return  # a peer handled it: the person has their answer
                account = get_or_create_account(
                    session=session, channel=inbound.channel, address=inbound.address
                )
                person = session.get(Person, account.person_id) if account.person_id else None
                turn = self._turn(session, inbound, account, person, now, {})
                turn.reply(
                    turn._(
                        "Sorry, something went wrong on our side. Your message is saved; "
                        "please try again in a moment."
                    )
                )
                self._queue_replies(session, turn)
        except Exception:
            _LOGGER.exception("could not record the failure of event %s", event_id)
