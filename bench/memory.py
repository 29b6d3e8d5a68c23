"""Peak memory: a child process runs the app (build_app, the dispatcher's loop idle) over a database
of one class of 10,000, 50,000 or 100,000 families (spread over zones, quiet hours and
frequencies), fans one highlight out to all of them, then sends it; it reports its ru_maxrss after
each step. The database is built by this (parent) process, so the child's figure is the app's own.
Three children per size: median (min–max)."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
from pathlib import Path

from bench._common import CHANNEL, NOW, Figure, of_runs, parser, populate, print_figures, sqlite_database
from storage.db import make_engine


def _rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _vm_hwm_mb() -> float | None:
    """The kernel's own high-water mark of this process's memory (Linux only), as a cross-check."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    line = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


#: Linux carries a process's RSS over into ru_maxrss of the program it starts (fork, then exec), so the
#: child is started by a small launcher: it then inherits the launcher's ~10 MB, not this process's size.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


async def _child(url: str) -> dict[str, float]:
    """Run in the child: what the app costs, step by step."""
    marks = {"after imports": 0.0}
    from bot.app import build_app
    from bot.messages.fanout import send_highlights
    from bot.settings import Settings
    from bot.translation import TranslationService
    from bot.translation.backends import NoTranslator
    from storage.db import session_scope
    from storage.models import ClassGroup, Person
    from tests.harness import TestChannel

    marks["after imports"] = _rss_mb()
    settings = Settings(database_url=url, timezone="Europe/London", _env_file=None)
    channel = TestChannel()
    app = build_app(settings, {CHANNEL: channel}, translator=NoTranslator())
    running = asyncio.create_task(app.dispatcher.run())
    await asyncio.sleep(0.5)
    marks["app idle"] = _rss_mb()
    with session_scope(app.db) as session:
        author, group = session.get(Person, 1), session.get(ClassGroup, 1)
        assert author is not None
        assert group is not None
        report = await send_highlights(
            session=session,
            translator=TranslationService(db=app.db, translator=NoTranslator()),
            author=author,
            group=group,
            text="Hello",
            now=NOW,
            channels=app.channel_names,
        )
    marks["after fan-out"] = _rss_mb()
    app.dispatcher.wake()
    await app.dispatcher.drain()
    running.cancel()
    sent = sum(len(v) for v in channel.sent.values())
    assert 0 < sent < report.recipients, (sent, report.recipients)  # not those held or in quiet hours
    marks["after sending those due"] = _rss_mb()
    if (hwm := _vm_hwm_mb()) is not None:
        marks["VmHWM cross-check"] = hwm
    return marks


RUNS = 3


def run(*, quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for families in (1_000, 5_000) if quick else (10_000, 50_000, 100_000):
        with sqlite_database() as url:
            db = make_engine(url)
            populate(db, families=families, varied=True)
            db.dispose()
            runs = [_measure_child(url) for _ in range(RUNS)]
        figures += [
            of_runs(
                "memory",
                "sqlite",
                f"peak RSS {name}, {families:,} families",
                [marks[name] for marks in runs],
                "MB",
                "< 200 MB" if name.startswith("after fan-out") else "",
            )
            for name in runs[0]
        ]
    return figures


def _measure_child(url: str) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "bench.memory", "--child", url],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"the measured child failed:\n{done.stderr}")
    marks: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return marks


def main() -> None:
    args = parser(__doc__ or "")
    args.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parsed = args.parse_args()
    if parsed.child:
        print(json.dumps(asyncio.run(_child(parsed.child))))
        return
    print_figures(run(quick=parsed.quick))


if __name__ == "__main__":
    main()
