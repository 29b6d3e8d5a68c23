"""A row's id is never silently 0: an unsaved row or an empty reference fails, naming the table."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from storage.ids import MissingId, id_of
from storage.models import Delivery, Person, School


def test_an_unsaved_row_has_no_id_and_says_which_table():
    with pytest.raises(MissingId, match="Person has no id"):
        id_of(Person(school_id=1, name="Amina"))


def test_an_empty_reference_says_which_table_and_column():
    with pytest.raises(MissingId, match=r"Delivery\.person_id is None"):
        id_of(Delivery(message_id=1, language="en", text="Hello"), "person_id")


def test_a_flushed_row_has_its_id(session: Session):
    school = School(name="School")
    session.add(school)
    session.flush()
    person = Person(school_id=id_of(school), name="Amina")
    session.add(person)
    session.flush()

    assert id_of(person) == person.id
    assert id_of(person, "school_id") == school.id
