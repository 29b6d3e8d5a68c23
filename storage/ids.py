"""The id of a stored row, which is never silently 0.

SQLModel tables declare `id: int | None` because a new row has none until it is flushed; a
row that was flushed or loaded always has one. So a None id is a bug: it must fail here,
naming the table, rather than become 0 and address a row that does not exist.
"""

from __future__ import annotations

from typing import Protocol


class Row(Protocol):
    """A stored row, or a projection of one (a named tuple with its id)."""

    @property
    def id(self) -> int | None: ...


class MissingId(LookupError):
    """A row has no id where one is required (it was never flushed, or a reference is empty)."""


def id_of(row: Row, field: str = "id") -> int:
    """`row.id` (or the id `row.<field>` refers to), raising `MissingId` when it is None."""
    value = getattr(row, field)
    if not isinstance(value, int):
        table = type(row).__name__
        raise MissingId(
            f"{table} has no id: it was never flushed"
            if field == "id"
            else f"{table}.{field} is {value!r}, an id is required"
        )
    return value
