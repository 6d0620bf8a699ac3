"""The `sim run`, `sim trace` and `--help` outputs shown in the docs are what `sim` prints today.

Every code block line in README.md and docs/**/*.md that is a plain ``$ sim run`` or ``$ sim trace``
(no pipe, redirection, ``--out`` or continuation line), or ``$ sim --help`` or
``$ sim COMMAND --help``, and is followed by output is run
in-process, and what it prints (standard output, or standard error when it fails) is compared
with the block, line for line. When the model changes, regenerate them:
``python tests/docs/test_docs_console.py --update``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

import pytest

from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PLAIN = re.compile(r"^\$ (sim (?:(?:run|trace) [^|>;\\]*|fit [^>;\\]*|(?:[a-z]+ )?--help))$")
"""``sim run``, ``sim trace``, ``sim fit`` (its formula's ``|`` is quoted) and ``--help``: checked in full."""
REFUSED = re.compile(r"^\$ (sim (?:sweep|validate|solve) [^|>;\\]*)$")
"""Other commands are checked where the docs show them refused: one line of output, an error."""


def blocks(text: str) -> list[list[str]]:
    """The lines of every fenced code block, fences paired in order."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                found.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return found


def shown_outputs() -> list[tuple[Path, str, str]]:
    """(file, command, output shown) for every plain ``sim run``/``sim trace``/``--help`` in a code block."""
    found = []
    for path in FILES:
        for lines in blocks(path.read_text(encoding="utf-8")):
            for i, line in enumerate(lines):
                match = PLAIN.match(line) or REFUSED.match(line)
                if not match or "--out" in line:
                    continue
                following = lines[i + 1 :]
                end = next((k for k, text in enumerate(following) if text.startswith("$ ")), len(following))
                output = "\n".join(following[:end])
                if not PLAIN.match(line) and end != 1:
                    continue  # a result, not a refusal: too slow to run for every docs check
                if output.strip():
                    found.append((path, match.group(1).strip(), output))
    return found


def printed(command: str) -> tuple[int, str]:
    """The exit status, and what the docs show: standard output, or the error when it fails."""
    out, err = io.StringIO(), io.StringIO()
    width = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # argparse wraps its usage line to the terminal: the docs' is 80 wide
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(shlex.split(command)[1:])
            except SystemExit as exit:  # argparse's own errors
                code = int(exit.code or 0)
    finally:
        if width is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = width
    return code, (out if code == 0 else err).getvalue().rstrip("\n")


def test_the_docs_show_sim_output():
    commands = {command for _, command, _ in shown_outputs()}
    assert "sim run coalition_2026 --runs 100000 --seed 7" in commands  # the README's
    assert len(commands) >= 4


@pytest.mark.parametrize(
    ("path", "command", "output"),
    shown_outputs(),
    ids=[f"{path.name}: {command}" for path, command, _ in shown_outputs()],
)
def test_a_documented_output_is_what_sim_prints(path: Path, command: str, output: str):
    _, text = printed(command)
    assert text == output, (
        f"{path.name} shows stale output of {command!r}: python tests/docs/test_docs_console.py --update"
    )


def update() -> None:
    """Rewrite every shown output with what ``sim`` prints now."""
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        for _, command, output in [entry for entry in shown_outputs() if entry[0] == path]:
            _, now = printed(command)
            if now != output:
                text = text.replace(f"$ {command}\n{output}", f"$ {command}\n{now}", 1)
                print(f"{path.relative_to(ROOT)}: {command}")
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        print(__doc__)
