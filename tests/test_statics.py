"""Theory, tested: every comparative static in docs/model.md moves the way the literature says.

Each row of ``sim.statics.STATICS`` is measured at both lever values with the same seed, at the
scenario's own lambdas and at a high common lambda (near-rational play). A row fails if the
effect is reversed, or flat: smaller than four Monte Carlo standard errors of the difference.
Rows the literature leaves ambiguous (direction 0) must still move.
"""

from __future__ import annotations

import pytest

from sim.statics import HIGH_LAMBDA, STATICS, Static, measure_static, scenario_for, with_common_lambda

RUNS = 20_000


def _check(static: Static, result: dict[str, float]) -> None:
    margin = 4 * result["se"]
    change = f"{result['low']:.4f} -> {result['high']:.4f}"
    message = f"{static.lever} {static.low} -> {static.high}: {static.measure} {change}"
    if static.direction == 0:
        assert abs(result["difference"]) > margin, "flat: " + message
    else:
        assert static.direction * result["difference"] > margin, "flat or reversed: " + message


@pytest.mark.parametrize("static", STATICS, ids=lambda s: f"{s.scenario}-{s.lever}")
def test_static_at_the_scenarios_lambdas(static):
    _check(static, measure_static(scenario_for(static), static, runs=RUNS, seed=1))


@pytest.mark.parametrize("static", STATICS, ids=lambda s: f"{s.scenario}-{s.lever}")
def test_static_at_a_high_lambda(static):
    scenario = with_common_lambda(scenario_for(static), HIGH_LAMBDA)
    _check(static, measure_static(scenario, static, runs=RUNS, seed=1))
