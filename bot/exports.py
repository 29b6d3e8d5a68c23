"""Files partnerbot writes for staff. Each may hold names and join codes, so it is its owner's alone
(0600, folders 0700); and a CSV cell that a spreadsheet would run as a formula is written as text,
since names come from outside (OWASP: CSV injection)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

#: A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class RowWriter(Protocol):
    def writerow(self, row: Iterable[object]) -> None: ...


def as_text(value: object) -> str:
    """The cell as a spreadsheet shows it, never runs it: a leading ' makes a formula plain text."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class _SafeWriter:
    def __init__(self, writer: RowWriter) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([as_text(cell) for cell in row])


@contextmanager
def private_csv(path: Path) -> Iterator[RowWriter]:
    """A CSV file only its owner can read, whose every cell is safe to open in a spreadsheet."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
    with open(descriptor, "w", newline="", encoding="utf-8") as file:
        yield _SafeWriter(csv.writer(file))


def private_folder(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with open(descriptor, "wb") as file:
        file.write(data)
