"""Benchmark: the vectorised N-world engine against the same model run one world at a time.

Usage:  python benchmarks/bench_engine.py [--runs 100000] [--baseline-runs 300] [--scenario coalition_2026]

First the scenario's equilibrium is solved (sim.engine.equilibrium.solve_crisis, timed once, target
<= 2 s for coalition_2026's 20 rounds); every simulation after that looks its policies up.
Both engines are measured in this process on the same scenario. The baseline runs one-world models the
way Mesa's ``batch_run`` runs a model (``batch_run`` itself where the installed Mesa has it; Mesa 4
drops it) and, for reference, in a plain Python loop. Targets (issue 2): at least 100x, and
100,000 runs of 20 rounds of coalition_2026 in under one second on one core.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # one core, as the target says

import argparse  # noqa: E402
import inspect  # noqa: E402
import platform  # noqa: E402

import mesa  # noqa: E402
import numpy as np  # noqa: E402
from timing import best_of  # noqa: E402

from sim import __version__, load_scenario, run_monte_carlo  # noqa: E402
from sim.engine.equilibrium import GRID_POINTS, solve_crisis  # noqa: E402
from sim.engine.model import CrisisModel  # noqa: E402
from sim.runs.montecarlo import run_one_world_at_a_time  # noqa: E402


def mesa_batch_run(scenario, runs: int) -> None:
    """``runs`` one-world models through batch_run, each with its own seed.

    Mesa >= 3.4 takes the seeds as ``rng=[...]`` (and deprecates ``iterations``); older Mesa
    takes them as a swept model parameter.
    """
    parameters = {"scenario": [scenario], "n_worlds": 1}
    options = {"number_processes": 1, "max_steps": scenario.rounds, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        mesa.batch_run(CrisisModel, parameters=parameters, rng=list(range(runs)), **options)
    else:
        mesa.batch_run(CrisisModel, parameters={**parameters, "seed": range(runs)}, iterations=1, **options)


def report(label: str, runs: int, seconds: float, note: str = "") -> None:
    print(f"{label:18s}: {runs:>8,} runs in {seconds:7.3f} s  ->  {runs / seconds:12,.0f} runs/s{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="coalition_2026")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--baseline-runs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    solve_crisis(load_scenario(args.scenario, {"rounds": 2})).value()  # compile the numba kernels first
    solved = solve_crisis(scenario)
    solve = best_of(1, lambda: solve_crisis(scenario).value())  # the grid, and round 1 where it is played
    run_monte_carlo(scenario, 1_000, seed=0)  # warm up imports and caches (the equilibrium is cached)

    results = run_monte_carlo(scenario, args.runs, seed=1)
    vectorised = best_of(args.repeats, lambda: run_monte_carlo(scenario, args.runs, seed=1))
    loop = best_of(1, lambda: run_one_world_at_a_time(scenario, args.baseline_runs, seed=1))
    has_batch_run = hasattr(mesa, "batch_run")
    batch = best_of(1, lambda: mesa_batch_run(scenario, args.baseline_runs)) if has_batch_run else None

    baseline_name, baseline = (
        ("mesa.batch_run, one world per model", batch) if batch else ("loop of one-world models", loop)
    )
    vectorised_rate = args.runs / vectorised
    print(f"sim {__version__}, mesa {mesa.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    print(f"scenario {args.scenario}: {scenario.rounds} rounds, mean rounds played {results.rounds_played.mean():.1f}")
    print(
        f"equilibrium solve : {solve:7.3f} s ({GRID_POINTS}-point belief grid, {scenario.rounds} rounds, "
        f"largest fixed-point residual {solved.residual:.1e}; target <= 2 s: {'met' if solve <= 2 else 'NOT met'})"
    )
    report("vectorised engine", args.runs, vectorised, f" (best of {args.repeats})")
    report("plain loop, N=1", args.baseline_runs, loop)
    if batch is not None:
        report("mesa.batch_run", args.baseline_runs, batch)
    ratio = vectorised_rate / (args.baseline_runs / baseline)
    print(f"speed-up over {baseline_name}: {ratio:,.0f}x (target >= 100x: {'met' if ratio >= 100 else 'NOT met'})")
    if args.runs == 100_000 and scenario.rounds == 20:
        verdict = "met" if vectorised < 1.0 else "NOT met"
        print(f"100,000 runs x 20 rounds: {vectorised:.3f} s (target < 1 s on one core: {verdict})")


if __name__ == "__main__":
    main()
