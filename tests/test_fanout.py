"""Fan-out streams a class's families in batches: each family exactly once, with its own zone's
quiet hours and its own frequency, whatever the batch size and however the batches fall."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.messages.fanout import Outgoing, send, send_highlights
from bot.translation import TranslationService
from bot.translation.backends import NoTranslator
from storage.db import session_scope
from storage.models import (
    ChannelAccount,
    ClassGroup,
    Delivery,
    DeliveryStatus,
    Frequency,
    Involvement,
    MessageKind,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    School,
    Student,
)
from storage.people import family_batches, family_languages_of_class

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 06:00 in London, 07:00 in Paris, 01:00 in New York

#: (name, language, zone, quiet hours, frequency, children in the class, has an account)
FAMILIES = (
    ("Ana", "es", "Europe/Madrid", (time(22), time(8)), Frequency.IMMEDIATE, 2, True),
    ("Ben", "en", "Europe/London", None, Frequency.IMMEDIATE, 1, True),
    ("Chen", "zh-Hans", "Asia/Shanghai", (time(22), time(7)), Frequency.DAILY, 1, True),
    ("Dana", "ar", "America/New_York", (time(21), time(7)), Frequency.IMMEDIATE, 3, True),
    ("Eli", "fr", "Europe/Paris", (time(22), time(7)), Frequency.WEEKLY, 1, True),
    ("Fay", "vi", "Asia/Ho_Chi_Minh", None, Frequency.IMMEDIATE, 1, False),
    ("Gus", "en", "America/New_York", (time(22), time(6)), Frequency.DAILY, 2, True),
)


@pytest.fixture
def roster(db: Engine) -> dict[str, int]:
    """A class of the families above (some with several children in it), a teacher and one
    family of another class; their person ids by name."""
    with session_scope(db) as session:
        school = School(name="Riverside", timezone="Europe/London", default_language="en")
        session.add(school)
        session.flush()
        assert school.id is not None
        group, other = ClassGroup(school_id=school.id, name="3B"), ClassGroup(school_id=school.id, name="4A")
        teacher = Person(school_id=school.id, name="Emma", role=Role.TEACHER, language="en")
        session.add_all([group, other, teacher])
        session.flush()
        ids = {"Emma": teacher.id}
        for name, language, zone, quiet, frequency, children, linked in (
            *FAMILIES,
            ("Zoe", "en", "Europe/London", None, Frequency.IMMEDIATE, 1, True),
        ):
            parent = Person(
                school_id=school.id,
                name=name,
                role=Role.PARENT,
                language=language,
                timezone=zone,
                quiet_start=quiet[0] if quiet else None,
                quiet_end=quiet[1] if quiet else None,
                frequency=frequency,
            )
            session.add(parent)
            session.flush()
            ids[name] = parent.id
            if linked:
                session.add(ChannelAccount(channel="test", address=name.lower(), person_id=parent.id))
            for child in range(children):
                student = Student(
                    school_id=school.id,
                    class_id=(other if name == "Zoe" else group).id,
                    name=f"{name} child {child}",
                )
                session.add(student)
                session.flush()
                partnership = Partnership(student_id=student.id, goals="")
                session.add(partnership)
                session.flush()
                session.add(
                    PartnershipMember(
                        partnership_id=partnership.id,
                        person_id=parent.id,
                        involvement=Involvement.SUPPORT,
                        relationship="parent",
                    )
                )
    return {name: pid for name, pid in ids.items() if pid is not None}


@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_families_come_once_each_in_batches_of_any_size(
    db: Engine, roster: dict[str, int], size: int
) -> None:
    with Session(db) as session:
        group = session.exec(select(ClassGroup).where(ClassGroup.name == "3B")).one()
        batches = list(family_batches(session=session, class_id=group.id or 0, size=size))
        languages = family_languages_of_class(session=session, class_id=group.id or 0)
    assert all(0 < len(batch) <= size for batch in batches)
    people = [r.person.id for batch in batches for r in batch]
    assert people == sorted(roster[name] for name, *_ in FAMILIES)
    assert languages == ["ar", "en", "es", "fr", "vi", "zh-Hans"]


async def test_a_highlight_makes_one_exact_delivery_per_family(db: Engine, roster: dict[str, int]) -> None:
    with session_scope(db) as session:
        author = session.get(Person, roster["Emma"])
        group = session.exec(select(ClassGroup).where(ClassGroup.name == "3B")).one()
        assert author is not None
        report = await send_highlights(
            session=session,
            translator=TranslationService(db=db, translator=NoTranslator()),
            author=author,
            group=group,
            text="We counted to 100.",
            now=NOW,
            channels={"test"},
        )
    assert (report.recipients, report.unreached) == (len(FAMILIES), 1)
    assert report.languages == ("ar", "en", "es", "fr", "vi", "zh-Hans")
    with Session(db) as session:
        rows = session.exec(select(Delivery).where(Delivery.message_id == report.message_id)).all()
    by_person = {row.person_id: row for row in rows}
    assert len(rows) == len(by_person) == len(FAMILIES)
    names = {pid: name for name, pid in roster.items()}
    got = {
        names[pid]: (row.address, row.language, row.status, row.not_before.replace(tzinfo=UTC))
        for pid, row in by_person.items()
        if pid is not None
    }
    assert got == {
        # 07:00 in Madrid, quiet until 08:00
        "Ana": ("ana", "es", DeliveryStatus.PENDING, datetime(2026, 11, 25, 7, 0, tzinfo=UTC)),
        "Ben": ("ben", "en", DeliveryStatus.PENDING, NOW),
        # 14:00 in Shanghai: not quiet, but kept for the daily digest
        "Chen": ("chen", "zh-Hans", DeliveryStatus.HELD, NOW),
        # 01:00 in New York, quiet until 07:00 (12:00 UTC)
        "Dana": ("dana", "ar", DeliveryStatus.PENDING, datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
        # 07:00 in Paris: quiet hours just ended; weekly digest
        "Eli": ("eli", "fr", DeliveryStatus.HELD, NOW),
        "Fay": ("", "vi", DeliveryStatus.UNREACHED, NOW),
        # 01:00 in New York, quiet until 06:00 (11:00 UTC), daily digest
        "Gus": ("gus", "en", DeliveryStatus.HELD, datetime(2026, 11, 25, 11, 0, tzinfo=UTC)),
    }
    assert by_person[roster["Dana"]].rtl and not by_person[roster["Ben"]].rtl


async def test_batches_given_by_the_caller_are_stored_whole(db: Engine, roster: dict[str, int]) -> None:
    """A caller streaming its own batches (with the languages they read) gets every recipient."""
    with session_scope(db) as session:
        author = session.get(Person, roster["Emma"])
        assert author is not None
        people = [session.get(Person, roster[name]) for name in ("Ana", "Ben", "Chen", "Fay")]
        report = await send(
            session=session,
            translator=TranslationService(db=db, translator=NoTranslator()),
            outgoing=Outgoing(kind=MessageKind.HIGHLIGHT, author=author, language="en", text="Hi"),
            recipients=iter([[p for p in people[:3] if p], [p for p in people[3:] if p]]),
            languages={"es", "en", "zh-Hans", "vi"},
            now=NOW,
            channels={"test"},
        )
    assert (report.recipients, report.unreached) == (4, 1)
    with Session(db) as session:
        stored = session.exec(
            select(Delivery.person_id).where(Delivery.message_id == report.message_id)
        ).all()
    assert sorted(p for p in stored if p is not None) == sorted(
        roster[n] for n in ("Ana", "Ben", "Chen", "Fay")
    )
