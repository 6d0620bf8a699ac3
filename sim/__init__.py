"""Deterrence and escalation simulator: Russia, a UK-France-led coalition and the United States.

Quick start::

    import sim
    scenario = sim.load_scenario("coalition_2026")
    results = sim.run_monte_carlo(scenario, runs=100_000, seed=7)
    results.summary()      # outcome probabilities with 95% intervals, mean rounds, payoffs
    results.to_frame()     # one row per run (pandas)
    sim.sweep(scenario, params={"russia.resolve_prior": (0.2, 0.9)}, design="lhs",
              samples=200, runs=5000, seed=1)   # one row per design point
"""

from sim._version import __version__
from sim.domain.ladder import ACTIONS, ACTORS, OUTCOMES, RUNGS
from sim.domain.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario
from sim.engine.model import CrisisModel
from sim.estimation import calibrate, fit, fit_qre
from sim.runs.montecarlo import run_monte_carlo
from sim.runs.results import Results
from sim.studies.sweeps import read_sweep, sweep

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
