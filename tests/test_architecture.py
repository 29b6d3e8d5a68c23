"""The layers stay as DESIGN.md draws them (contracts in pyproject.toml, checked by import-linter)."""

from __future__ import annotations

import ast
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


def _handler_sources() -> list[tuple[str, ast.Module]]:
    handlers = Path(__file__).parents[1] / "bot" / "handlers"
    return [(path.name, ast.parse(path.read_text(), str(path))) for path in sorted(handlers.glob("*.py"))]


def _names_session(node: ast.expr) -> bool:
    """`session` or `<anything>.session`."""
    return (isinstance(node, ast.Name) and node.id == "session") or (
        isinstance(node, ast.Attribute) and node.attr == "session"
    )


def test_handlers_change_data_only_through_storage_functions():
    """A handler passes `turn.session` to storage functions and never calls the session itself
    (`add`, `exec`, `get`, `delete`…), nor sets an attribute of anything but the turn: a row it
    was given (`turn.me.language = …`) is changed by a named storage function."""
    found = []
    for name, tree in _handler_sources():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _names_session(node.func.value)
            ):
                found.append(f"{name}:{node.lineno} calls session.{node.func.attr}")
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AugAssign | ast.AnnAssign)
                else []
            )
            for target in targets:
                for part in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(part, ast.Attribute) and not (
                        isinstance(part.value, ast.Name) and part.value.id in {"turn", "self"}
                    ):
                        found.append(f"{name}:{part.lineno} sets {ast.unparse(part)}")
    assert found == []
