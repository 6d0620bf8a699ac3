"""The hostile-input corpus, ``tests/hostile/`` (issue 10): every case of ``cases.toml`` is a command
a user could type with the folder's files, and ``sim`` must refuse it cleanly: exit status 2, no
traceback, nothing written, and the message that names the file (or option) and the field.

Each case runs in a fresh copy of the folder, in a child process under a memory and a time limit
(:mod:`hostile_cli`), so a case that hangs or reads without end fails the test, not the machine.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hostile_cli import refused

import sim.domain.limits

CORPUS = Path(__file__).parent / "hostile"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))["case"]
LIMITS = {name: f"{getattr(sim.domain.limits, name):,}" for name in dir(sim.domain.limits) if name.startswith("MAX_")}
"""``{MAX_...}`` in a case's texts: the limit as the messages write it."""


def test_the_corpus_is_well_formed() -> None:
    """Every case has an id, a command and what it must say; ids are unique; every file of the
    folder is used by some case (a file no case runs proves nothing)."""
    assert len(CASES) >= 30
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "ids are unique"
    for case in CASES:
        assert set(case) == {"id", "args", "says"}, case
        assert case["args"] and case["says"], case
    used = {arg.split("/")[0] for case in CASES for arg in case["args"]}
    used |= {"deep_600.toml", "cycle_b.toml"}  # read through `extends` only
    files = {path.name for path in CORPUS.iterdir()} - {"cases.toml", "README.md"}
    assert files <= used, f"files no case uses: {sorted(files - used)}"


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_a_hostile_case_is_refused_as_the_corpus_says(tmp_path: Path, case: dict[str, Any]) -> None:
    folder = tmp_path / "hostile"
    shutil.copytree(CORPUS, folder)
    message = refused(folder, *case["args"])
    for text in case["says"]:
        assert text.format_map(LIMITS) in message, message
