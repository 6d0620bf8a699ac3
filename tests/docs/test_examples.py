"""The example notebooks in docs/tutorials/examples run top to bottom, as a researcher would run them.

Each code cell is executed in order in one namespace (what "Run all" does in Jupyter, without a
kernel to install), with matplotlib drawing off screen. Notebooks are kept without outputs, so
nothing shown in them can go stale.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "docs" / "tutorials" / "examples").glob("*.ipynb"))


def run_notebook(path: Path) -> dict:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__main__"}
    for number, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{path.name} cell {number}", "exec"), namespace)
    return namespace


def test_there_is_an_example_notebook():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_a_notebook_is_kept_without_outputs(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_first_analysis_runs_and_tells_the_story_it_claims(monkeypatch):
    """The notebook runs; its sweep shows what its text says: deterrence holds less often the
    likelier Russia is resolute (first and last points apart beyond both 95% intervals)."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = run_notebook(next(path for path in EXAMPLES if path.name == "first_analysis.ipynb"))
    frame = namespace["frame"]
    assert len(frame) == 5 and frame.attrs["seed"] == 1
    first, last = frame.iloc[0], frame.iloc[-1]
    assert first["ci_low_deterrence_holds"] > last["ci_high_deterrence_holds"]
    assert namespace["summary"]["seed"] == 7
