"""Deterrence and escalation simulator: Russia, a UK-France-led coalition and the United States.

Quick start::

    import sim
    scenario = sim.load_scenario("coalition_2026")
    results = sim.run_monte_carlo(scenario, runs=100_000, seed=7)
    results.summary()      # outcome probabilities with 95% intervals, mean rounds, payoffs
    results.to_frame()     # one row per run (pandas)
"""

__version__ = "0.1.0"

from sim.ladder import ACTIONS, ACTORS, OUTCOMES, RUNGS  # noqa: E402
from sim.model import CrisisModel  # noqa: E402
from sim.montecarlo import run_monte_carlo  # noqa: E402
from sim.results import Results  # noqa: E402
from sim.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario  # noqa: E402

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
    "load_scenario",
    "run_monte_carlo",
]
