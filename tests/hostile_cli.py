"""Running ``sim`` as a hostile user would meet it: a child process under a memory limit and a time
limit, in a folder of its own (used by the hostile-input tests and the ``tests/hostile/`` corpus).

A refusal is checked the same way everywhere (:func:`refused`): exit status 2, no traceback, and
nothing written to the folder.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

TIMEOUT = 120
"""Seconds a command may take: a hang is a failure, not a stuck test run (refusals take about 2 s)."""
MEMORY = 2 * 1024**3
"""Bytes of address space a command may use: reading ``/dev/zero`` or enumerating terabytes must
fail the test, not the machine."""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def files_in(folder: Path) -> set[Path]:
    """Every file and folder under ``folder``, relative to it."""
    return {path.relative_to(folder) for path in folder.rglob("*")}


def sim(
    folder: Path, *args: str, stdin: int = subprocess.DEVNULL, memory: bool = True
) -> subprocess.CompletedProcess[str]:
    """``python -m sim ARGS`` in ``folder``, under the time limit and (unless ``memory`` is False: a
    sweep that really simulates needs more address space than that) the memory limit."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=folder,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory if memory else None,
        check=False,
    )


def refused(folder: Path, *args: str, stdin: int = subprocess.DEVNULL, alone: bool = True) -> str:
    """Run ``sim ARGS`` and check it is refused cleanly: exit status 2, no traceback, and (when it
    runs ``alone``, with no other process writing to ``folder``) nothing written. Returns what it
    printed on standard error."""
    before = files_in(folder)
    done = sim(folder, *args, stdin=stdin)
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert not alone or files_in(folder) == before, "a refused command writes nothing"
    return done.stderr
