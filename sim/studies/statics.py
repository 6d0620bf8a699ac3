"""Comparative statics the deterrence literature predicts, as data: the model is tested against them.

Each :class:`Static` names a lever (a scenario field), two values, the measure that theory says
moves, the direction and the source. :func:`measure_static` solves and simulates the scenario at
both values; ``tests/studies/test_statics.py`` fails if an effect is flat (within four Monte Carlo
standard errors) or reversed, at the scenario's own lambdas and at a high common lambda, and
``docs/explanation/model.md`` prints the same table (``python -m sim.studies.statics`` regenerates it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.domain.ladder import LIMITED_WAR, OUTCOMES
from sim.domain.scenario import Scenario, with_overrides
from sim.runs.montecarlo import run_monte_carlo


@dataclass(frozen=True)
class Static:
    """One prediction: raising ``lever`` from ``low`` to ``high`` moves ``measure`` in ``direction``."""

    lever: str
    low: float
    high: float
    measure: str
    direction: int  # +1 up, -1 down, 0 the literature is ambiguous (only "not flat" is tested)
    theory: str
    source: str
    scenario: str = "coalition_2026"
    base: tuple[tuple[str, Any], ...] = ()  # fixed overrides that isolate the mechanism


MEASURES = {
    "deterrence_holds": "P(deterrence holds)",
    "coalition_backs_down": "P(coalition backs down)",
    "war": "P(limited clash or major war)",
    "force_used": "P(force is used: a strike or a clash)",
}

STATICS: tuple[Static, ...] = (
    Static(
        "coalition.audience_cost",
        0.0,
        3.0,
        "war",
        -1,
        "a costlier retreat makes the coalition's stand credible, so Russia strikes less",
        "Fearon 1994",
    ),
    Static(
        "coalition.resolve_prior",
        0.1,
        0.9,
        "coalition_backs_down",
        -1,
        "a resolute coalition concedes less, before and after a strike",
        "Zagare and Kilgour 2000",
    ),
    Static(
        "coalition.believed_resolve",
        0.1,
        0.9,
        "deterrence_holds",
        +1,
        "Russia strikes less against a coalition it believes resolute",
        "Zagare and Kilgour 2000; Powell 1990",
    ),
    Static(
        "russia.resolve_prior",
        0.1,
        0.9,
        "deterrence_holds",
        -1,
        "a challenger that prefers war to backing down is harder to deter",
        "Powell 1990",
    ),
    Static(
        "russia.backstop_effect",
        0.0,
        -8.0,
        "force_used",
        -1,
        "the costlier a clash with a US that joins, the less Russia strikes",
        "Quackenbush 2006",
        "us_backstop",
    ),
    Static(
        "coalition.tripwire_cost",
        0.0,
        10.0,
        "force_used",
        -1,
        "a tripwire ties hands: conceding with troops killed costs more, so Russia, expecting resistance, strikes less",
        "Fearon 1997",
    ),
    Static(
        "escalation.tripwire",
        0.0,
        0.45,
        "force_used",
        -1,
        "troops on the ground make a strike riskier for the striker: a tripwire deters",
        "Schelling 1966; Reiter and Poast 2021",
        "korea_1953_tripwire",
        (("us.resolve_prior", 0.0),),
    ),
    Static(
        "us.resolve_prior",
        0.0,
        0.7,
        "force_used",
        -1,
        "a backstop the challenger believes likely deters it",
        "Quackenbush 2006",
        "korea_1953_tripwire",
        (("escalation.tripwire", 0.0),),
    ),
    Static(
        "accident.standoff",
        0.0,
        0.1,
        "war",
        +1,
        "risk left to chance turns standoffs into clashes, even as the shared risk restrains",
        "Schelling 1960, 1966",
    ),
    Static(
        "discount",
        0.8,
        1.0,
        "war",
        0,
        "patience weighs the future: holding out, a reputation and the audience costs to come all count more",
        "Fudenberg and Tirole 1991, ch. 9",
    ),
)

STATICS_ROUNDS = 10
"""The horizon of the tested table: each scenario with 10 rounds, so the test runs in minutes."""

HIGH_LAMBDA = 8.0
"""The common lambda of the near-rational check (utility gaps of a few utils give odds of e^16)."""


def measures(results: Any) -> dict[str, tuple[float, float]]:
    """Each measure's estimate and Monte Carlo standard error from a run's results."""
    probabilities = results.probabilities()
    n = results.runs
    values = {outcome: probabilities[outcome] for outcome in OUTCOMES}
    values["war"] = probabilities["limited_clash"] + probabilities["major_war"]
    values["force_used"] = float((results.max_rung >= LIMITED_WAR).mean())
    return {key: (value, math.sqrt(max(value * (1 - value), 1e-12) / n)) for key, value in values.items()}


def with_common_lambda(scenario: Scenario, lam: float) -> Scenario:
    """Every logit actor at one lambda (doctrines and best responses are left as they are)."""
    changes = {f"{key}.lambda": lam for key in ("coalition", "russia", "us") if scenario.actor(key).rule == "logit"}
    return with_overrides(scenario, changes)


def measure_static(scenario: Scenario, static: Static, runs: int = 20_000, seed: int = 1) -> dict[str, float]:
    """The static's measure at both lever values, the difference and its standard error."""
    low = measures(run_monte_carlo(with_overrides(scenario, {static.lever: static.low}), runs=runs, seed=seed))
    high = measures(run_monte_carlo(with_overrides(scenario, {static.lever: static.high}), runs=runs, seed=seed))
    (a, se_a), (b, se_b) = low[static.measure], high[static.measure]
    return {"low": a, "high": b, "difference": b - a, "se": math.sqrt(se_a**2 + se_b**2)}


def scenario_for(static: Static) -> Scenario:
    """The scenario a static is measured on, at the tested horizon :data:`STATICS_ROUNDS`."""
    from sim.domain.scenario import load_scenario

    return load_scenario(static.scenario, {"rounds": STATICS_ROUNDS, **dict(static.base)})


def table(runs: int = 20_000, seed: int = 1) -> list[dict[str, Any]]:
    """Every static at its scenario's lambdas and at :data:`HIGH_LAMBDA`, as rows."""
    rows = []
    for static in STATICS:
        scenario = scenario_for(static)
        default = measure_static(scenario, static, runs, seed)
        high = measure_static(with_common_lambda(scenario, HIGH_LAMBDA), static, runs, seed)
        rows.append({"static": static, "default": default, "high_lambda": high})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table as docs/explanation/model.md prints it."""
    lines = [
        "| scenario | lever | from → to | measure | theory says | at the scenario's λ | at λ = 8 for all | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s: Static = row["static"]
        arrow = {1: "up", -1: "down", 0: "ambiguous"}[s.direction]
        fixed = "".join(f" ({key} = {value:g})" for key, value in s.base)
        cells = [f"{r['low']:.3f} → {r['high']:.3f}" for r in (row["default"], row["high_lambda"])]
        lines.append(
            f"| {s.scenario}{fixed} | `{s.lever}` | {s.low:g} → {s.high:g} | {MEASURES[s.measure]} "
            f"| {arrow}: {s.theory} | {cells[0]} | {cells[1]} | {s.source} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - regenerates the table in docs/explanation/model.md
    print(markdown(table()))
