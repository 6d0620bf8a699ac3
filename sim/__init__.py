"""Deterrence and escalation simulator: Russia, a UK-France-led coalition and the United States.

Quick start::

    import sim
    scenario = sim.load_scenario("coalition_2026")
    results = sim.run_monte_carlo(scenario, runs=100_000, seed=7)
    results.summary()      # outcome probabilities with 95% intervals, mean rounds, payoffs
    results.to_frame()     # one row per run (pandas)
    sim.sweep(scenario, params={"russia.resolve_prior": (0.2, 0.9)}, design="lhs",
              samples=200, runs=5000, seed=1)   # one row per design point

The names below are imported on first use (PEP 562), so that ``import sim.domain.scenario`` (or
the ``sim`` command's parser) does not load the engine, pandas and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim._version import __version__

if TYPE_CHECKING:
    from sim.domain.ladder import ACTIONS, ACTORS, OUTCOMES, RUNGS
    from sim.domain.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario
    from sim.engine.model import CrisisModel
    from sim.estimation import calibrate, fit, fit_qre
    from sim.runs.montecarlo import run_monte_carlo
    from sim.runs.results import Results
    from sim.studies.sweeps import read_sweep, sweep

_SOURCES: dict[str, str] = {
    "ACTIONS": "sim.domain.ladder",
    "ACTORS": "sim.domain.ladder",
    "OUTCOMES": "sim.domain.ladder",
    "RUNGS": "sim.domain.ladder",
    "CrisisModel": "sim.engine.model",
    "Results": "sim.runs.results",
    "Scenario": "sim.domain.scenario",
    "ScenarioError": "sim.domain.scenario",
    "builtin_scenarios": "sim.domain.scenario",
    "calibrate": "sim.estimation",
    "fit": "sim.estimation",
    "fit_qre": "sim.estimation",
    "load_scenario": "sim.domain.scenario",
    "read_sweep": "sim.studies.sweeps",
    "run_monte_carlo": "sim.runs.montecarlo",
    "sweep": "sim.studies.sweeps",
}
"""Each public name and the module it is imported from on first use."""

__all__ = [
    "ACTIONS",
    "ACTORS",
    "OUTCOMES",
    "RUNGS",
    "CrisisModel",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "builtin_scenarios",
    "calibrate",
    "fit",
    "fit_qre",
    "load_scenario",
    "read_sweep",
    "run_monte_carlo",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the public ones not yet imported included."""
    return sorted({*globals(), *__all__})
