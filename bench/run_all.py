"""Run every benchmark in turn and print one table of their figures."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench import (
    acks,
    dashboard,
    dispatch,
    email_send,
    fanout,
    inbound,
    memory,
    pacing,
    responsiveness,
    slack_acks,
    telegram_dispatch,
)
from bench._common import Figure, parser, print_figures

BENCHMARKS: dict[str, Callable[..., list[Figure]]] = {
    "fan-out": fanout.run,
    "dispatch": dispatch.run,
    "telegram dispatch": telegram_dispatch.run,
    "pacing": pacing.run,
    "inbound": inbound.run,
    "acks": acks.run,
    "memory": memory.run,
    "responsiveness": responsiveness.run,
    "slack": slack_acks.run,
    "email": email_send.run,
    "dashboard": dashboard.run,
}


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    figures: list[Figure] = []
    for name, run in BENCHMARKS.items():
        start = time.perf_counter()
        print(f"running {name}…", flush=True)
        figures += run(quick=args.quick)
        print(f"  {name} done in {time.perf_counter() - start:.1f} s", flush=True)
    print()
    print(
        f"partnerbot benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{'quick' if args.quick else 'full'} sizes"
    )
    print_figures(figures)


if __name__ == "__main__":
    main()
