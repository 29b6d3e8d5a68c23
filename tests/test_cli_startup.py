"""`partnerbot --help` answers at once: the command line loads no chat library, database or server."""

from __future__ import annotations

import subprocess
import sys

HEAVY = {
    "telegram",
    "alembic",
    "uvicorn",
    "starlette",
    "sqlalchemy",
    "sqlmodel",
    "segno",
    "slack_bolt",
    "httpx",
}

_PROBE = """
import sys
from typer.testing import CliRunner
from bot.__main__ import cli
result = CliRunner().invoke(cli, ["--help"])
assert result.exit_code == 0, result.output
print(result.output)
print("LOADED", " ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_help_imports_no_platform_library_database_or_web_server():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)  # noqa: S603
    loaded = set(done.stdout.rsplit("LOADED", 1)[1].split())
    assert "run" in done.stdout and "invite" in done.stdout
    assert loaded & HEAVY == set()
