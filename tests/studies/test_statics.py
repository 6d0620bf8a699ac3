"""Theory, tested: every comparative static in docs/explanation/model.md moves the way the literature says.

Each row of ``sim.studies.statics.STATICS`` is measured at both lever values with the same seed, at the
scenario's own lambdas and at a high common lambda (near-rational play). A row fails if the
effect is reversed, or flat: smaller than four Monte Carlo standard errors of the difference.
Rows the literature leaves ambiguous (direction 0) must still move.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.studies.statics import HIGH_LAMBDA, STATICS, Static, measure_static, scenario_for, with_common_lambda

pytestmark = pytest.mark.slow  # the engine at both lever values, at two lambdas: left out by `make test-fast`

RUNS = 20_000
MODEL_DOC = (Path(__file__).resolve().parents[2] / "docs" / "explanation" / "model.md").read_text(encoding="utf-8")


def _check(static: Static, result: dict[str, float]) -> None:
    margin = 4 * result["se"]
    change = f"{result['low']:.4f} -> {result['high']:.4f}"
    message = f"{static.lever} {static.low} -> {static.high}: {static.measure} {change}"
    if static.direction == 0:
        assert abs(result["difference"]) > margin, "flat: " + message
    else:
        assert static.direction * result["difference"] > margin, "flat or reversed: " + message


def _documented(static: Static, result: dict[str, float], column: int) -> None:
    """docs/explanation/model.md's table shows these numbers (``python -m sim.studies.statics`` regenerates it)."""
    shown = f"{result['low']:.3f} → {result['high']:.3f}"
    rows = [line for line in MODEL_DOC.splitlines() if line.startswith(f"| {static.scenario}") and static.lever in line]
    assert rows and any(line.split(" | ")[column] == shown for line in rows), (static.lever, shown)


@pytest.mark.parametrize("static", STATICS, ids=lambda s: f"{s.scenario}-{s.lever}")
def test_static_at_the_scenarios_lambdas(static):
    result = measure_static(scenario_for(static), static, runs=RUNS, seed=1)
    _check(static, result)
    _documented(static, result, 5)


@pytest.mark.parametrize("static", STATICS, ids=lambda s: f"{s.scenario}-{s.lever}")
def test_static_at_a_high_lambda(static):
    scenario = with_common_lambda(scenario_for(static), HIGH_LAMBDA)
    result = measure_static(scenario, static, runs=RUNS, seed=1)
    _check(static, result)
    _documented(static, result, 6)
