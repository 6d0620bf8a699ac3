"""Benchmark: solving a crisis (sim.equilibrium.solve_crisis) with the compiled fixed-point map
against the same solver iterating the numpy reference map, measured in this run.

Usage:  python benchmarks/bench_solver.py [--scenario coalition_2026] [--grid 9] [--repeats 2]

Both solvers run the same iterations and reach the same fixed points (tests/test_equilibrium.py
checks the two maps agree at every call); only the map's implementation differs. The compiled
kernels are compiled (or loaded from numba's cache) before timing.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # one core

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from sim import __version__, load_scenario  # noqa: E402
from sim.equilibrium import RoundGame, solve_crisis  # noqa: E402


def numpy_map(self, sub, continuation, posteriors, lam, audience):
    """The fixed-point map through the numpy pass (RoundGame._backward), the reference."""
    n = len(sub["incident"])
    ev = self._backward(1, sub, continuation, posteriors, lam, audience)
    return np.concatenate([p.reshape(n, -1) for p in ev["posteriors"]], axis=1)


def timed(scenario, grid: int, repeats: int) -> tuple[float, float]:
    """Fastest wall time of ``repeats`` solves, and the solution's residual."""
    best, residual = float("inf"), 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        solution = solve_crisis(scenario, grid)
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
    solve_crisis(load_scenario(args.scenario, {"rounds": 1}), 3)  # compile or load the kernels
    compiled, residual = timed(scenario, args.grid, args.repeats)
    print(f"compiled map : {compiled:7.2f} s  (residual {residual:.2g})")
    compiled_map = RoundGame._posterior_map
    RoundGame._posterior_map = numpy_map  # type: ignore[method-assign]
    try:
        reference, residual = timed(scenario, args.grid, args.repeats)
    finally:
        RoundGame._posterior_map = compiled_map  # type: ignore[method-assign]
    print(f"numpy map    : {reference:7.2f} s  (residual {residual:.2g})")
    print(f"speed-up     : {reference / compiled:7.2f}x")


if __name__ == "__main__":
    main()
