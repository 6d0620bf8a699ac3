"""Tests stand alone: none imports from another test module or from ``conftest`` (fixtures reach
tests through pytest). Shared helpers live in modules of their own, imported by name:
``apptest``, ``hostile_cli``, ``hand_scenarios``, ``strategies`` (issue 11). The test modules sit in
folders that mirror ``sim/`` (tests/domain, tests/engine, ...); the helpers stay at the top of tests/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
MODULES = sorted(TESTS.rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names


@pytest.mark.parametrize("path", MODULES, ids=[path.relative_to(TESTS).as_posix() for path in MODULES])
def test_no_test_imports_another_test_or_conftest(path: Path) -> None:
    wrong = {
        name for name in imported(path) if name == "conftest" or name.startswith(("tests.", "test_")) or name == "tests"
    }
    assert not wrong, f"{path.relative_to(TESTS)} imports {sorted(wrong)}: move what it needs into a helper module"
