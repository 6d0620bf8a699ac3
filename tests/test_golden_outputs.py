"""Seeded outputs do not change: every command in ``tests/golden/commands.txt`` prints, and writes,
exactly what is recorded in ``tests/golden/expected/``.

This is the check that a refactor (issue 11's move into layers) changed no behaviour: text output,
JSON, CSV and Parquet tables (their rows and their metadata) are compared in full. Run
``python tests/test_golden_outputs.py`` to record them again after a change that is *meant* to
alter an output, and say why in the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli.main import main

HERE = Path(__file__).parent / "golden"
EXPECTED = HERE / "expected"
GAMES = Path(__file__).parent / "data" / "games"


def commands() -> list[tuple[str, str]]:
    """The (name, command) pairs of ``commands.txt``."""
    pairs = []
    for line in (HERE / "commands.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            pairs.append((name.strip(), command.strip()))
    return pairs


def describe(path: Path) -> str:
    """A written file as text to compare: tables in full with their metadata, other files as is."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        metadata = {
            key.decode(): value.decode() for key, value in (table.schema.metadata or {}).items() if key != b"pandas"
        }
        schema = table.schema.to_string(show_schema_metadata=False)
        rows = table.to_pandas().to_csv(index=False, float_format="%.17g")
        return f"schema: {schema}\nmetadata: {json.dumps(metadata, sort_keys=True)}\n{rows}"
    data = path.read_bytes()
    try:
        return data.decode()
    except UnicodeDecodeError:
        return f"sha256 {hashlib.sha256(data).hexdigest()}\n"


def record(name: str, command: str, folder: Path) -> dict[str, str]:
    """Run one command in ``folder`` and return what it printed and wrote, by file name."""
    argv = shlex.split(command.replace("{games}", str(GAMES)))[1:]
    out = io.StringIO()
    before = set(folder.rglob("*"))
    cwd = Path.cwd()
    os.chdir(folder)
    width = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        with contextlib.redirect_stdout(out):
            try:
                status = main(argv)
            except SystemExit as stop:
                status = stop.code
    finally:
        os.chdir(cwd)
        if width is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = width
    printed = out.getvalue().replace(str(folder), "{folder}")
    found = {f"{name}.out": f"exit {status or 0}\n{printed}"}
    for path in sorted(set(folder.rglob("*")) - before):
        if path.is_file() and path.name != ".lock":  # holds the writer's process id
            relative = path.relative_to(folder).as_posix().replace("/", "__")
            found[f"{name}.{relative}.txt"] = describe(path).replace(str(folder), "{folder}")
    return found


def run_all(folder: Path) -> dict[str, str]:
    """Every command's outputs, run in order in one folder (later commands read earlier sweeps).

    The optional pygambit is hidden while they run: ``sim solve`` adds the mixed equilibria it
    finds when it is installed, so the outputs would depend on an optional extra.
    """
    found: dict[str, str] = {}
    hidden = sys.modules.get("pygambit", NOT_LOADED)
    sys.modules["pygambit"] = None  # type: ignore[assignment]  # `import pygambit` now raises ImportError
    try:
        for name, command in commands():
            found.update(record(name, command, folder))
    finally:
        if hidden is NOT_LOADED:
            del sys.modules["pygambit"]
        else:
            sys.modules["pygambit"] = hidden
    return found


NOT_LOADED = object()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return run_all(tmp_path_factory.mktemp("golden"))


def test_the_same_files_are_written(outputs: dict[str, str]):
    assert sorted(outputs) == sorted(path.name for path in EXPECTED.iterdir())


@pytest.mark.parametrize("name", sorted(path.name for path in EXPECTED.iterdir()) if EXPECTED.exists() else [])
def test_an_output_is_unchanged(outputs: dict[str, str], name: str):
    assert outputs.get(name) == (EXPECTED / name).read_text()


if __name__ == "__main__":  # record the expected outputs again
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        results = run_all(Path(scratch))
    shutil.rmtree(EXPECTED, ignore_errors=True)
    EXPECTED.mkdir(parents=True)
    for file_name, text in results.items():
        (EXPECTED / file_name).write_text(text)
    print(f"recorded {len(results)} outputs in {EXPECTED}", file=sys.stderr)
