"""Sending what people write — highlights, postcards, replies — to everyone concerned.

One message, translated once per language (the translation service caches), then one
delivery per recipient in their language on their reachable account, bulk-inserted.

Every function here takes `channels`, the names of the channels this installation runs (the
composition root's mapping). An account on any other channel (an e-mail address from the
roster, with no e-mail channel set up) is never a destination while the person has one that
works; when it is all they have, their delivery is recorded as unreached at once ("channel not
configured"), so /acks and reports show them unreached and no nudge or reminder goes there.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlmodel import Session

from bot.delivery.rhythm import quiet_until
from bot.events import Attachment, Content
from bot.i18n import Speaker
from bot.messages.render import Context, Version, render_for_family, render_for_staff
from bot.translation import TranslationService
from storage.accounts import Destination, active_accounts, reachable_accounts
from storage.classchats import class_chats, school_language
from storage.ids import id_of
from storage.messages import add_photo, save_translations
from storage.models import ChannelAccount, ClassGroup, Delivery, Frequency, Message, MessageKind, Person, Role
from storage.outbox import NOT_CONFIGURED, DeliveryDraft, MessageDraft, add_deliveries, add_message
from storage.people import Contact, family_batches, family_languages_of_class, people_by_id
from storage.reports import reminded_since, waiting_deliveries

_FAMILY = frozenset({Role.PARENT, Role.STUDENT})


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """What an author wants to say, in their own language."""

    kind: MessageKind
    author: Person
    language: str
    text: str
    title: str = ""
    why: str = ""
    about: str = ""  # the student's or the class's name, for the header
    relationship: str | None = None
    outcome: str | None = None
    strategy: str = ""
    class_id: int | None = None
    student_id: int | None = None
    answers_id: int | None = None
    held_on: date | None = None  # a meeting's, for its notes
    urgent: bool = False
    photo: Attachment | None = None
    keep: tuple[str, ...] = ()  # names that must never be translated
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendReport:
    message_id: int
    recipients: int
    unreached: int
    languages: tuple[str, ...]


async def _versions(
    translator: TranslationService, outgoing: Outgoing, targets: Sequence[str]
) -> tuple[dict[str, Version], dict[str, str]]:
    """Each target language's version and the backend that made it; a message that could not be
    translated whole stays in the original (half-translated postcards confuse more than help)."""
    fields = {name: getattr(outgoing, name) for name in ("text", "title", "why") if getattr(outgoing, name)}
    done = {
        name: await translator.translate(
            value, source=outgoing.language, targets=targets, protect=outgoing.keep
        )
        for name, value in fields.items()
    }
    versions, backends = {}, {}
    for target in targets:
        parts = {name: done[name][target] for name in fields}
        translated = all(p.translated for p in parts.values()) and target != outgoing.language
        versions[target] = Version(
            language=target if translated else outgoing.language,
            translated=translated,
            **{name: (p.text if translated else fields[name]) for name, p in parts.items()},
        )
        backends[target] = parts["text"].backend
    return versions, backends


async def family_previews(
    *, translator: TranslationService, outgoing: Outgoing, languages: Sequence[str]
) -> dict[str, Content]:
    """What a family reading each of `languages` will see of `outgoing`, before it is sent (the
    dashboard's Compose preview): translated and rendered as `send` does it."""
    versions, _ = await _versions(translator, outgoing, languages)
    ctx = Context(
        message_id=0,
        kind=outgoing.kind,
        author_name=outgoing.author.name,
        about=outgoing.about,
        urgent=outgoing.urgent,
    )
    return {
        language: render_for_family(Speaker(language), ctx, versions[language], outgoing.language)[0]
        for language in languages
    }


async def send(
    *,
    session: Session,
    translator: TranslationService,
    outgoing: Outgoing,
    recipients: Sequence[Person | Contact] | Iterable[Sequence[Person | Contact]],
    now: datetime,
    channels: Collection[str],
    chats: Sequence[ChannelAccount] = (),
    chat_language: str = "en",
    languages: Collection[str] | None = None,
) -> SendReport:
    """Store the message, its translations and one delivery per recipient (and per group chat,
    in `chat_language`, without personal buttons); nothing is sent here (the dispatcher does
    that), so a failure rolls the whole message back.

    `recipients` is a list of people, or, for a big class, batches of them read as they are
    stored (with `languages`, all they read): memory stays the same for 1,000 or 100,000."""
    few = False
    if languages is None:
        people = cast("Sequence[Person | Contact]", recipients)
        recipients, languages = [people], {p.language for p in people}
        few = len(people) + len(chats) <= FEW
    batches = cast("Iterable[Sequence[Person | Contact]]", recipients)
    languages = tuple(sorted({*languages} | ({chat_language} if chats else set())))
    versions, backends = await _versions(translator, outgoing, languages)
    store = functools.partial(
        _store,
        session=session,
        outgoing=outgoing,
        batches=batches,
        versions=versions,
        backends=backends,
        languages=languages,
        now=now,
        channels=channels,
        chats=chats,
        chat_language=chat_language,
    )
    return store() if few else await asyncio.to_thread(store)


#: Up to this many deliveries are stored on the event loop: a reply to a teacher or two takes
#: less than a millisecond to store, and handing it to a thread cost more (on a busy machine, a
#: wait of several for the thread to run).
FEW = 20


def _store(
    *,
    session: Session,
    outgoing: Outgoing,
    batches: Iterable[Sequence[Person | Contact]],
    versions: dict[str, Version],
    backends: dict[str, str],
    languages: tuple[str, ...],
    now: datetime,
    channels: Collection[str],
    chats: Sequence[ChannelAccount],
    chat_language: str,
) -> SendReport:
    """The message, its translations and its deliveries, in the turn's transaction. Run in a
    thread unless they are FEW: rendering and inserting for a whole school takes a second the
    event loop must not lose (the turn waits for it, and nothing else uses its session meanwhile)."""
    original = Version(language=outgoing.language, text=outgoing.text, title=outgoing.title, why=outgoing.why)
    message_id = add_message(
        session=session,
        message=MessageDraft(
            school_id=outgoing.author.school_id,
            kind=outgoing.kind,
            author_id=outgoing.author.id,
            class_id=outgoing.class_id,
            student_id=outgoing.student_id,
            answers_id=outgoing.answers_id,
            text=outgoing.text,
            language=outgoing.language,
            urgent=outgoing.urgent,
            details={
                "title": outgoing.title,
                "why": outgoing.why,
                "outcome": outgoing.outcome,
                "about": outgoing.about,
                "relationship": outgoing.relationship,
                "strategy": outgoing.strategy,
                **outgoing.details,
            },
        ),
    )
    save_translations(
        session=session,
        message_id=message_id,
        texts={lang: (_joined(v), backends[lang]) for lang, v in versions.items() if v.translated},
    )
    if outgoing.photo is not None and outgoing.photo.data is not None:
        add_photo(
            session=session,
            message_id=message_id,
            filename=outgoing.photo.filename,
            content_type=outgoing.photo.content_type,
            data=outgoing.photo.data,
        )
    ctx = Context(
        message_id=message_id,
        kind=outgoing.kind,
        author_name=outgoing.author.name,
        about=outgoing.about,
        relationship=outgoing.relationship,
        outcome=outgoing.outcome,
        strategy=outgoing.strategy,
        urgent=outgoing.urgent,
        answers_id=outgoing.answers_id,
        held_on=outgoing.held_on,
    )

    @functools.cache
    def rendered(
        language: str, zone: str, family: bool
    ) -> tuple[dict[str, Any], tuple[tuple[str, str], ...], bool]:
        """Content (as stored), buttons and direction, the same for everyone of a language, zone and
        side: made once each, not once per recipient (rendering was a fifth of a class's fan-out)."""
        speaker = Speaker(language, zone)
        if family:
            content, buttons = render_for_family(speaker, ctx, versions[language], outgoing.language)
        else:
            content, buttons = render_for_staff(speaker, ctx, versions[language], original)
        return content.to_json(), tuple((b.label, b.payload) for b in buttons), speaker.is_rtl

    @functools.cache
    def quiet(zone: str, start: time | None, end: time | None) -> datetime | None:
        return None if outgoing.urgent else quiet_until(now, zone=zone, start=start, end=end)

    holdable = not outgoing.urgent and outgoing.kind != MessageKind.REPLY
    recipients = unreached = 0
    for batch in _batches(batches):
        accounts = reachable_accounts(
            session=session, person_ids=[id_of(p) for p in batch], channels=channels
        )
        drafts = []
        for person in batch:
            content, buttons, rtl = rendered(person.language, person.timezone, person.role in _FAMILY)
            drafts.append(
                DeliveryDraft(
                    not_before=quiet(person.timezone, person.quiet_start, person.quiet_end),
                    held=holdable and person.frequency != Frequency.IMMEDIATE,
                    person_id=person.id,
                    **_to(accounts.get(id_of(person))),
                    language=person.language,
                    content=content,
                    buttons=buttons,
                    rtl=rtl,
                )
            )
        recipients += len(drafts)
        unreached += sum(1 for d in drafts if d.why_unreached)
        _insert(session, message_id, drafts, now, outgoing)
    if chats:
        chat_speaker = Speaker(chat_language)
        chat_content, _ = render_for_family(
            chat_speaker, ctx, versions.get(chat_language, original), outgoing.language
        )
        chat_json = chat_content.to_json()
        chat_drafts = [
            DeliveryDraft(
                person_id=None,
                account_id=chat.id,
                channel=chat.channel,
                address=chat.address,
                unreached=None if chat.channel in channels else NOT_CONFIGURED,
                language=chat_language,
                content=chat_json,
                rtl=chat_speaker.is_rtl,
            )
            for chat in chats
        ]
        _insert(session, message_id, chat_drafts, now, outgoing)
    return SendReport(message_id=message_id, recipients=recipients, unreached=unreached, languages=languages)


#: Deliveries built and inserted at a time: big enough that the per-statement cost vanishes,
#: small enough that a fan-out's memory does not grow with the class.
BATCH = 2_000


def _batches(batches: Iterable[Sequence[Person | Contact]]) -> Iterator[Sequence[Person | Contact]]:
    """The recipients again, at most BATCH at a time (a caller's one list of a whole school too)."""
    for batch in batches:
        for start in range(0, len(batch), BATCH):
            yield batch[start : start + BATCH]


def _insert(
    session: Session, message_id: int, drafts: Sequence[DeliveryDraft], now: datetime, outgoing: Outgoing
) -> None:
    add_deliveries(
        session=session,
        message_id=message_id,
        drafts=drafts,
        now=now,
        urgent=outgoing.urgent,
        reply=outgoing.kind == MessageKind.REPLY,
        with_photo=outgoing.photo is not None,
    )


def _to(account: Destination | None) -> dict[str, Any]:
    """A draft's destination fields: the account, unreached if there is none or nothing runs its channel."""
    if account is None:
        return {"account_id": None, "channel": "", "address": ""}
    return {
        "account_id": account.id,
        "channel": account.channel,
        "address": account.address,
        "unreached": None if account.configured else NOT_CONFIGURED,
    }


def _joined(version: Version) -> str:
    return "\n\n".join(part for part in (version.title, version.text, version.why) if part)


async def send_highlights(
    *,
    session: Session,
    translator: TranslationService,
    author: Person,
    group: ClassGroup,
    text: str,
    now: datetime,
    channels: Collection[str],
    urgent: bool = False,
) -> SendReport:
    """A class's learning highlights to every family of the class, each in their own language,
    the families streamed in batches as their deliveries are stored."""
    class_id = id_of(group)
    languages = await asyncio.to_thread(family_languages_of_class, session=session, class_id=class_id)
    outgoing = Outgoing(
        kind=MessageKind.HIGHLIGHT,
        author=author,
        language=author.language,
        text=text,
        about=group.name,
        class_id=group.id,
        urgent=urgent,
        keep=(author.name, group.name),
    )
    families = family_batches(session=session, class_id=class_id, size=BATCH)
    return await send(
        session=session,
        translator=translator,
        outgoing=outgoing,
        recipients=([r.person for r in batch] for batch in families),
        languages=languages,
        now=now,
        channels=channels,
        chats=class_chats(session=session, class_id=class_id),
        chat_language=school_language(session=session, school_id=author.school_id),
    )


#: How long after a reminder a person is not reminded of the same message again by a nudge.
NUDGE_COOLDOWN = timedelta(hours=24)


def nudge(
    *,
    session: Session,
    message: Message,
    now: datetime,
    channels: Collection[str],
    cooldown: timedelta = NUDGE_COOLDOWN,
) -> int:
    """Remind everyone who received `message` but has not said "Got it" (staff pressed Nudge), but
    nobody reminded of it within `cooldown`: pressing Nudge four times sends one round."""
    recent = reminded_since(session=session, message_id=id_of(message), since=now - cooldown)
    waiting = waiting_deliveries(session=session, message_id=id_of(message))
    return remind(
        session=session,
        deliveries=[d for d in waiting if d.person_id not in recent],
        now=now,
        channels=channels,
    )


def next_nudge_at(
    *, session: Session, message: Message, now: datetime, cooldown: timedelta = NUDGE_COOLDOWN
) -> datetime | None:
    """When a nudge of `message` would remind someone again who is waiting but was reminded lately."""
    recent = reminded_since(session=session, message_id=id_of(message), since=now - cooldown)
    waiting = {d.person_id for d in waiting_deliveries(session=session, message_id=id_of(message))}
    return min((at + cooldown for person, at in recent.items() if person in waiting), default=None)


def remind(
    *,
    session: Session,
    deliveries: Sequence[Delivery],
    now: datetime,
    channels: Collection[str],
    elsewhere: bool = False,
) -> int:
    """Send each delivery again, marked as a reminder in its language, with the same buttons (so
    "Got it" acknowledges the original), after the person's quiet hours. `elsewhere`: on another
    of the person's accounts than the one it went to, skipping people who have none. Only
    accounts on `channels` count. Accounts come in one query for all (a nudge to a class of
    10,000 made one per person)."""
    person_ids = [id_of(d, "person_id") for d in deliveries]
    people = people_by_id(session=session, person_ids=person_ids)
    accounts = active_accounts(session=session, person_ids=person_ids, channels=channels)
    by_message: dict[int, list[DeliveryDraft]] = {}
    for delivery in deliveries:
        person = people[id_of(delivery, "person_id")]
        account = next(
            (a for a in accounts.get(id_of(person), []) if not elsewhere or a.id != delivery.account_id),
            None,
        )
        if elsewhere and account is None:
            continue
        by_message.setdefault(delivery.message_id, []).append(
            DeliveryDraft(
                not_before=quiet_until(
                    now, zone=person.timezone, start=person.quiet_start, end=person.quiet_end
                ),
                person_id=delivery.person_id,
                **_to(account),
                language=delivery.language,
                content=replace(
                    Content.from_json(delivery.content), reminder=Speaker(delivery.language)._("Reminder:")
                ).to_json(),
                buttons=tuple((b["label"], b["payload"]) for b in delivery.buttons),
                rtl=delivery.rtl,
            )
        )
    for message_id, drafts in by_message.items():
        original = session.get(Message, message_id)
        if original is None:
            continue
        reminder_id = add_message(
            session=session,
            message=MessageDraft(
                school_id=original.school_id,
                kind=MessageKind.UPDATE,
                author_id=original.author_id,
                answers_id=original.id,
                text=original.text,
                language=original.language,
                details={"reminder": True},
            ),
        )
        add_deliveries(session=session, message_id=reminder_id, drafts=drafts, now=now)
    return sum(len(drafts) for drafts in by_message.values())


def notify(
    *,
    session: Session,
    person: Person,
    text: str | Content,
    now: datetime,
    channels: Collection[str],
    buttons: Sequence[tuple[str, str]] = (),
    details: dict[str, Any] | None = None,
) -> Message:
    """A message from partnerbot itself (a prompt, a question, a summary) to one person, already in
    their language, on their reachable account, after their quiet hours. A plain `text` is a
    message of one paragraph."""
    content = Content.plain(text) if isinstance(text, str) else text
    message = MessageDraft(
        school_id=person.school_id,
        kind=MessageKind.UPDATE,
        text=content.to_plain(),
        language=person.language,
        details=details or {},
    )
    message_id = add_message(session=session, message=message)
    account = reachable_accounts(session=session, person_ids=[id_of(person)], channels=channels).get(
        id_of(person)
    )
    draft = DeliveryDraft(
        person_id=person.id,
        **_to(account),
        language=person.language,
        content=content.to_json(),
        buttons=tuple(buttons),
        rtl=Speaker(person.language).is_rtl,
        not_before=quiet_until(now, zone=person.timezone, start=person.quiet_start, end=person.quiet_end),
    )
    add_deliveries(session=session, message_id=message_id, drafts=[draft], now=now)
    return Message(id=message_id, **asdict(message))
