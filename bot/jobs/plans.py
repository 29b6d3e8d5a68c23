"""The communication plan goes to every member of a partnership, in their language, when all have
answered how they want to be involved or when its time has come; and again whenever it changes.

Read, translate, write, in that order (SQLite has one writer; a translation takes a while). A plan
is claimed once by its hash, so two processes, or a job run twice, send it once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.i18n import Speaker
from bot.messages.fanout import notify
from bot.messages.render import Version, render_original
from bot.partnerships import PlanData, PlanMember, render_plan
from bot.translation import TranslationService
from storage.accounts import reachable_accounts
from storage.db import session_scope
from storage.ids import id_of
from storage.models import Partnership, Person
from storage.partnerships import get_student, members, plan_sent, set_up_partnerships
from storage.people import get_person
from storage.reminders import claim_once


@dataclass(frozen=True, slots=True)
class _Due:
    partnership_id: int
    plan: PlanData
    readers: tuple[Person, ...]


def plan_of(
    *, session: Session, partnership: Partnership, channels: Collection[str]
) -> tuple[PlanData, list[Person]]:
    """The partnership's plan as it stands, and its members (who read it)."""
    seats = members(session=session, partnership_id=id_of(partnership))
    accounts = reachable_accounts(
        session=session, person_ids=[id_of(m.person) for m in seats], channels=channels
    )
    student = get_student(session=session, student_id=partnership.student_id)
    coordinator = (
        get_person(session=session, person_id=partnership.coordinator_id)
        if partnership.coordinator_id
        else None
    )
    plan = PlanData(
        student=student.name if student else "",
        purpose=partnership.purpose or "",
        goals=partnership.goals,
        goals_language=partnership.goals_language or "en",
        coordinator=coordinator.name if coordinator else "",
        review_date=partnership.review_date,
        members=tuple(
            PlanMember(
                name=m.person.name,
                relationship=m.seat.relationship,
                involvement=m.seat.involvement,
                frequency=m.person.frequency,
                channel=(a.channel if (a := accounts.get(id_of(m.person))) and a.configured else None),
                key_contact=m.seat.key_contact,
            )
            for m in seats
        ),
    )
    return plan, [m.person for m in seats]


def _due(session: Session, now: datetime, channels: Collection[str]) -> list[_Due]:
    due = []
    for partnership in set_up_partnerships(session=session):
        seats = members(session=session, partnership_id=id_of(partnership))
        invited = [m for m in seats if m.seat.invited_at is not None]
        answered = bool(invited) and all(m.seat.answered_at is not None for m in invited)
        time_up = partnership.plan_due_at is not None and partnership.plan_due_at <= now
        if not (answered or time_up or partnership.plan_sent_at is not None):
            continue
        plan, readers = plan_of(session=session, partnership=partnership, channels=channels)
        if plan.hash != partnership.plan_hash:
            due.append(_Due(id_of(partnership), plan, tuple(readers)))
    return due


async def goals_in(speaker: Speaker, translator: TranslationService, plan: PlanData) -> str:
    """The goals in the reader's language, or the original marked as such."""
    if not plan.goals or plan.goals_language == speaker.language:
        return plan.goals
    done = (await translator.translate(plan.goals, source=plan.goals_language, targets=[speaker.language]))[
        speaker.language
    ]
    if done.translated:
        return done.text
    return render_original(speaker, Version(language=plan.goals_language, text=plan.goals))


async def send_plans(
    *, db: Engine, translator: TranslationService, now: datetime, channels: Collection[str]
) -> int:
    """Send each plan that is due or changed to each of its members; returns how many were sent."""
    with session_scope(db) as session:
        due = _due(session, now, channels)
    texts: dict[tuple[int, int], str] = {}
    for item in due:
        for reader in item.readers:
            speaker = Speaker(reader.language, reader.timezone)
            goals = await goals_in(speaker, translator, item.plan)
            texts[item.partnership_id, id_of(reader)] = render_plan(speaker, item.plan, goals)
    sent = 0
    with session_scope(db) as session:
        for item in due:
            if not claim_once(session=session, key=f"plan:{item.partnership_id}:{item.plan.hash}", at=now):
                continue
            for reader in item.readers:
                notify(
                    session=session,
                    person=reader,
                    text=texts[item.partnership_id, id_of(reader)],
                    now=now,
                    channels=channels,
                    details={"plan": item.partnership_id},
                )
                sent += 1
            plan_sent(session=session, partnership_id=item.partnership_id, plan_hash=item.plan.hash, at=now)
    return sent
