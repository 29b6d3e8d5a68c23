"""The layers stay as DESIGN.md draws them (contracts in pyproject.toml, checked by import-linter)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def test_import_contracts_are_kept():
    lint_imports = shutil.which("lint-imports") or str(
        Path(__file__).parents[1] / ".venv" / "bin" / "lint-imports"
    )
    result = subprocess.run(  # noqa: S603 - a dev tool of ours
        [lint_imports, "--no-cache"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
