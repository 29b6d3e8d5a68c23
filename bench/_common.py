"""What the benchmarks share: throw-away databases, a fast bulk roster, timing and the figures table."""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as daytime
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, make_url, text
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.events import Content
from bot.messages.fanout import send_highlights
from storage.db import make_engine, session_scope, upgrade
from storage.models import (
    ChannelAccount,
    ClassGroup,
    Delivery,
    DeliveryStatus,
    Frequency,
    Involvement,
    Message,
    MessageKind,
    Partnership,
    PartnershipMember,
    Person,
    Role,
    School,
    Student,
    utcnow,
)

#: partnerbot's languages (bot.i18n.LANGUAGES); recipients are spread evenly over them.
LANGUAGES = ("en", "es", "ar", "zh-Hans", "vi", "fr")
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:54329/"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHANNEL = "test"

#: (zone, quiet hours, frequency) a varied roster's parents are spread over: at NOW some are in
#: their quiet hours, some get a digest, so fan-out works out each zone's and each rhythm's rows.
VARIETY = (
    ("Europe/London", None, None, Frequency.IMMEDIATE),
    ("Europe/Madrid", daytime(22), daytime(8), Frequency.IMMEDIATE),
    ("America/New_York", daytime(21), daytime(7), Frequency.IMMEDIATE),
    ("Asia/Shanghai", daytime(22), daytime(7), Frequency.DAILY),
    ("Africa/Cairo", None, None, Frequency.WEEKLY),
    ("Asia/Ho_Chi_Minh", daytime(21), daytime(6), Frequency.IMMEDIATE),
    ("America/Los_Angeles", None, None, Frequency.DAILY),
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One printed measurement; `target` is the issue's aim, for the reader (never asserted)."""

    bench: str
    database: str
    metric: str
    value: float
    unit: str
    target: str = ""
    spread: tuple[float, float] | None = None  # (min, max) of the runs `value` is the median of

    def line(self) -> str:
        places = 2 if self.unit == "×" else 1
        value = f"{self.value:>12,.{places}f}"
        runs = f"({self.spread[0]:,.{places}f}–{self.spread[1]:,.{places}f})" if self.spread else ""
        return (
            f"{self.bench:<9} {self.database:<10} {self.metric:<44} {value} {runs:<22} {self.unit:<6} "
            f"{self.target}"
        )


def of_runs(
    bench: str, database: str, metric: str, samples: Sequence[float], unit: str, target: str = ""
) -> Figure:
    """The median of several runs' `samples`, printed with their min and max."""
    return Figure(bench, database, metric, median(samples), unit, target, (min(samples), max(samples)))


def header() -> str:
    return f"{'bench':<9} {'database':<10} {'metric':<44} {'value':>12} {'(min–max)':<22} {'unit':<6} target"


def print_figures(figures: Sequence[Figure]) -> None:
    print(header())
    for figure in figures:
        print(figure.line())


def parser(description: str) -> argparse.ArgumentParser:
    """The command line every benchmark takes."""
    args = argparse.ArgumentParser(description=description)
    args.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few seconds")
    return args


def postgres_server_url() -> str | None:
    """PARTNERBOT_BENCH_POSTGRES_URL (or the default local server) if it answers, else None."""
    url = os.environ.get("PARTNERBOT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    probe = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        return None
    finally:
        probe.dispose()
    return url


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    """A migrated SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        _migrate(url)
        yield url


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A migrated database of this process's own on the server, dropped afterwards."""
    name = f"bench_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def databases(*, postgres: bool = True) -> Iterator[tuple[str, contextlib.AbstractContextManager[str]]]:
    """("sqlite", its database) and, when the server answers, ("postgresql", its database)."""
    yield "sqlite", sqlite_database()
    server = postgres_server_url() if postgres else None
    if server is None:
        if postgres:
            print("PostgreSQL not reachable (set PARTNERBOT_BENCH_POSTGRES_URL): skipped")
        return
    yield "postgresql", postgres_database(server)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@dataclass(frozen=True, slots=True)
class Roster:
    """What `populate` made: ids are assigned in order from 1 (the database starts empty)."""

    school_id: int
    class_ids: tuple[int, ...]
    teacher_id: int
    parent_ids: tuple[int, ...]
    teacher_address: str


def populate(
    db: Engine,
    *,
    families: int,
    classes: int = 1,
    with_accounts: bool = True,
    channel: str = CHANNEL,
    address: str = "parent-{pid}",
    varied: bool = False,
) -> Roster:
    """A school with one teacher (linked on `channel`) and `families` families spread over
    `classes` classes: one student, one partnership, one parent (languages round-robin) each, and
    each parent's chat account on `channel`, its address `address` formatted with the person id
    (Telegram needs numeric chat ids). `varied`: parents spread over VARIETY's zones, quiet hours
    and frequencies (else all in London, straight away). Bulk Core inserts, so 50,000 take seconds."""
    created = NOW
    class_ids = tuple(range(1, classes + 1))
    teacher_id = 1
    parent_ids = tuple(range(2, families + 2))
    people = [
        _person(teacher_id, "Emma Clarke", Role.TEACHER, "en", created),
        *(
            _person(pid, f"Parent {pid:06d}", Role.PARENT, LANGUAGES[i % len(LANGUAGES)], created)
            | (_varied(i) if varied else {})
            for i, pid in enumerate(parent_ids)
        ),
    ]
    students = [
        {"id": i + 1, "school_id": 1, "class_id": class_ids[i % classes], "name": f"Student {i + 1:06d}"}
        for i in range(families)
    ]
    partnerships = [
        {"id": i + 1, "student_id": i + 1, "goals": "", "coordinator_id": teacher_id} for i in range(families)
    ]
    members = [
        {
            "id": i + 1,
            "partnership_id": i + 1,
            "person_id": pid,
            "involvement": Involvement.SUPPORT.value,
            "relationship": "parent",
            "key_contact": True,
        }
        for i, pid in enumerate(parent_ids)
    ]
    accounts = [_account(1, teacher_id, channel, "teacher", created)]
    if with_accounts:
        accounts += [
            _account(i + 2, pid, channel, address.format(pid=pid), created)
            for i, pid in enumerate(parent_ids)
        ]
    with db.begin() as connection:
        connection.execute(
            insert(School.__table__),  # type: ignore[attr-defined]
            [{"id": 1, "name": "Bench School", "timezone": "Europe/London", "default_language": "en"}],
        )
        connection.execute(
            insert(ClassGroup.__table__),  # type: ignore[attr-defined]
            [{"id": cid, "school_id": 1, "name": f"Class {cid}"} for cid in class_ids],
        )
        for model, rows in (
            (Person, people),
            (Student, students),
            (Partnership, partnerships),
            (PartnershipMember, members),
            (ChannelAccount, accounts),
        ):
            for chunk in _chunks(rows, 5_000):
                connection.execute(insert(model.__table__), chunk)  # type: ignore[union-attr]
        if db.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in (
                "school",
                "classgroup",
                "person",
                "student",
                "partnership",
                "partnershipmember",
                "channelaccount",
            ):
                latest = f"SELECT max(id) FROM {table}"  # noqa: S608 - our own table names
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({latest}))")
                )
    return Roster(
        school_id=1,
        class_ids=class_ids,
        teacher_id=teacher_id,
        parent_ids=parent_ids,
        teacher_address="teacher",
    )


def queue_pending(db: Engine, chats: Sequence[tuple[int | None, str]], *, channel: str = CHANNEL) -> None:
    """One message from the teacher and a pending delivery of it to each (person id, chat address),
    in this order; account id = person id, as `populate` makes them (a group chat has neither)."""
    message = {
        "id": 1,
        "school_id": 1,
        "kind": MessageKind.HIGHLIGHT.value,
        "author_id": 1,
        "text": "Hello",
        "language": "en",
        "details": {},
        "urgent": False,
        "created_at": NOW,
    }
    rows = [
        {
            "message_id": 1,
            "person_id": pid,
            "account_id": pid,
            "channel": channel,
            "address": address,
            "language": "en",
            "content": Content.plain("Hello from school").to_json(),
            "buttons": [] if pid is None else [{"label": "Got it", "payload": "ack:1"}],
            "rtl": False,
            "urgent": False,
            "with_photo": False,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "created_at": NOW,
            "not_before": NOW,
        }
        for pid, address in chats
    ]
    with db.begin() as connection:
        connection.execute(insert(Message.__table__), [message])  # type: ignore[attr-defined]
        connection.execute(insert(Delivery.__table__), rows)  # type: ignore[attr-defined]


def _person(pid: int, name: str, role: Role, language: str, created: datetime) -> dict[str, object]:
    return {
        "id": pid,
        "school_id": 1,
        "name": name,
        "role": role.value,
        "language": language,
        "timezone": "Europe/London",
        "frequency": Frequency.IMMEDIATE.value,
        "created_at": created,
    }


def _varied(i: int) -> dict[str, object]:
    zone, start, end, frequency = VARIETY[i % len(VARIETY)]
    return {"timezone": zone, "quiet_start": start, "quiet_end": end, "frequency": frequency.value}


def _account(aid: int, pid: int, channel: str, address: str, created: datetime) -> dict[str, object]:
    return {
        "id": aid,
        "channel": channel,
        "address": address,
        "person_id": pid,
        "preferred": True,
        "active": True,
        "linked_at": created,
        "created_at": created,
    }


def _chunks(rows: list[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def timed(call: Callable[[], object]) -> float:
    """Seconds `call` took."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (0.5 → median) of `samples`, nearest-rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


async def teacher_highlight(app: App, teacher_id: int, text: str) -> None:
    """The teacher's highlight to the first class, as her turn sends it; the dispatcher is woken."""
    with session_scope(app.db) as session:
        author, group = session.get(Person, teacher_id), session.get(ClassGroup, 1)
        assert author is not None
        assert group is not None
        await send_highlights(
            session=session,
            translator=app.translation,
            author=author,
            group=group,
            text=text,
            now=utcnow(),
            channels=app.channel_names,
        )
    app.dispatcher.wake()
