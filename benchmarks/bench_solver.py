"""Benchmark: solving a crisis (sim.engine.equilibrium.solve_crisis) with the compiled kernels against
the same solver in numpy (``compiled=False``: the reference map and a vectorised damped
iteration over all states), measured in this run.

Usage:  python benchmarks/bench_solver.py [--scenario coalition_2026] [--grid 9] [--repeats 2]

Both take the same steps and reach the same fixed points (tests/engine/test_equilibrium.py checks it);
only the implementation differs. A solve here is what a run needs before it simulates: the grid
for rounds T..2 and round 1 at the scenario's prior beliefs (``CrisisEquilibrium.value``). The
kernels are compiled (or loaded from numba's cache) before timing. The issue's target: at most
2 s for coalition_2026's 20 rounds.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # one core

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

from sim import __version__, load_scenario  # noqa: E402
from sim.engine.equilibrium import solve_crisis  # noqa: E402


def timed(scenario, grid: int, repeats: int, compiled: bool = True) -> tuple[float, float]:
    """Fastest wall time of ``repeats`` solves, and the solution's residual (the grid's worst state)."""
    best, residual = float("inf"), 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        solution = solve_crisis(scenario, grid, compiled=compiled)
        solution.value()  # round 1, where it is played
        best = min(best, time.perf_counter() - start)
        residual = solution.residual
    return best, residual


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="coalition_2026")
    parser.add_argument("--grid", type=int, default=9)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    print(f"sim {__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"{args.scenario}: {scenario.rounds} rounds, {args.grid}-point grid, best of {args.repeats}")
    solve_crisis(load_scenario(args.scenario, {"rounds": 2}), 3).value()  # compile or load the kernels
    compiled, residual = timed(scenario, args.grid, args.repeats)
    print(f"compiled     : {compiled:7.2f} s  (residual {residual:.2g})")
    reference, residual = timed(scenario, args.grid, args.repeats, compiled=False)
    print(f"numpy        : {reference:7.2f} s  (residual {residual:.2g})")
    print(f"speed-up     : {reference / compiled:7.2f}x")


if __name__ == "__main__":
    main()
