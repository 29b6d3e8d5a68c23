"""Who an invite is for: one person, a student's family, or every family in a class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.errors import NotFound
from storage.ids import id_of
from storage.invites import create_invite
from storage.models import Person
from storage.people import family_of, find_class, find_people, find_students, students_in_class


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    person: Person
    code: str
    expires_at: datetime


def invite_targets(
    *, session: Session, person: str | None, family: str | None, klass: str | None
) -> list[Person]:
    """Resolve exactly one of person / family (student name) / class name to people."""
    if person:
        people = find_people(session=session, name=person)
        if len(people) != 1:
            raise NotFound(f"{len(people)} people match {person!r}; use the full name")
        return people
    if family:
        students = find_students(session=session, name=family)
        if len(students) != 1:
            raise NotFound(f"{len(students)} students match {family!r}; use the full name")
        return family_of(session=session, student_id=id_of(students[0]))
    if klass:
        group = find_class(session=session, name=klass)
        if group is None:
            raise NotFound(f"no class called {klass!r}")
        seen: dict[int, Person] = {}
        for student in students_in_class(session=session, class_id=id_of(group)):
            for parent in family_of(session=session, student_id=id_of(student)):
                seen.setdefault(id_of(parent), parent)
        return list(seen.values())
    raise NotFound("say who the invite is for: --person, --family or --class")


def issue_invites(
    *, session: Session, people: list[Person], now: datetime, ttl: timedelta
) -> list[IssuedInvite]:
    return [
        IssuedInvite(
            person, create_invite(session=session, person_id=id_of(person), now=now, ttl=ttl), now + ttl
        )
        for person in people
    ]
