"""Benchmark: sweep throughput in-process, with 2 local worker processes and on a 2-worker Dask
LocalCluster, for small and large design points; Dask's overhead against local processes; and
peak memory of one design point against its number of runs.

Usage:  python benchmarks/bench_sweep.py [--quick]

Targets (issue 4): 2 workers at least 1.7x one worker on large points; Dask overhead under 10%
on points of 0.1 s or more; peak memory flat in --runs. The Dask cluster is started before the
clock starts (a real cluster already runs); each executor's pool is started inside the timing.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # one core per worker

import argparse  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from sim import __version__, load_scenario  # noqa: E402
from sim.montecarlo import tally_monte_carlo  # noqa: E402
from sim.sweeps import local_dask_cluster, sweep  # noqa: E402

PARAMS = {"russia.resolve_prior": (0.2, 0.9), "us.deploy_cost": (0.1, 2.0)}


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def local_timings(points: int, runs: int) -> tuple[dict[str, float], object]:
    """Seconds for a sweep in-process and on 2 local processes (before any Dask threads exist, so
    workers start by fork, as they do from the command line)."""
    kwargs = dict(params=PARAMS, design="lhs", samples=points, runs=runs, seed=1)
    inline_start = time.perf_counter()
    reference = sweep("coalition_2026", executor="inline", **kwargs)
    seconds = {"inline": time.perf_counter() - inline_start}
    start = time.perf_counter()
    frame = sweep("coalition_2026", executor="processes", workers=2, **kwargs)
    seconds["2 processes"] = time.perf_counter() - start
    assert frame.equals(reference), "executors must agree exactly"
    return seconds, reference


def dask_timing(points: int, runs: int, scheduler: str, reference) -> float:
    kwargs = dict(params=PARAMS, design="lhs", samples=points, runs=runs, seed=1)
    start = time.perf_counter()
    frame = sweep("coalition_2026", executor="dask", scheduler=scheduler, **kwargs)
    seconds = time.perf_counter() - start
    assert frame.equals(reference), "executors must agree exactly"
    return seconds


def report(label: str, points: int, runs: int, seconds: dict[str, float]) -> None:
    print(f"\n{label}: {points} points x {runs} runs ({seconds['inline'] / points:.3f} s per point in-process)")
    for name, value in seconds.items():
        print(
            f"  {name:16s} {value:7.2f} s  {points / value:8.1f} points/s  speed-up {seconds['inline'] / value:4.2f}x"
        )


def peak_memory(runs: int) -> int:
    scenario = load_scenario("coalition_2026")
    tracemalloc.start()
    tally_monte_carlo(scenario, runs, np.random.SeedSequence(1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    args = parser.parse_args()
    print(f"sim {__version__}, {os.cpu_count()} cores")
    small = (64, 200) if args.quick else (400, 200)
    large = (8, 20_000) if args.quick else (64, 20_000)
    small_seconds, small_frame = local_timings(*small)
    large_seconds, large_frame = local_timings(*large)
    with local_dask_cluster(2) as cluster:
        # warm the workers (they import the package on first use), as a running cluster would be
        sweep("coalition_2026", PARAMS, design="lhs", samples=4, runs=10, seed=0, scheduler=cluster.scheduler_address)
        small_seconds["dask, 2 workers"] = dask_timing(*small, cluster.scheduler_address, small_frame)
        large_seconds["dask, 2 workers"] = dask_timing(*large, cluster.scheduler_address, large_frame)
    report("small points", *small, small_seconds)
    report("large points", *large, large_seconds)

    scaling = large_seconds["inline"] / large_seconds["2 processes"]
    overhead = large_seconds["dask, 2 workers"] / large_seconds["2 processes"] - 1
    small_overhead = small_seconds["dask, 2 workers"] / small_seconds["2 processes"] - 1
    print(f"\n2 workers vs 1 on large points: {scaling:.2f}x (target >= 1.7x: {verdict(scaling >= 1.7)})")
    print(f"Dask overhead vs local processes, large points: {overhead:+.1%} (target < 10%: {verdict(overhead < 0.1)})")
    print(f"Dask overhead vs local processes, small points: {small_overhead:+.1%} (no target)")

    print("\npeak memory of one design point (tracemalloc):")
    sizes = (50_000, 250_000, 500_000) if args.quick else (50_000, 250_000, 1_000_000)
    peaks = {runs: peak_memory(runs) for runs in sizes}
    for runs, peak in peaks.items():
        print(f"  {runs:>9,} runs: {peak / 2**20:7.1f} MiB")
    growth = peaks[sizes[-1]] / peaks[sizes[1]]
    print(f"  {sizes[-1]:,} vs {sizes[1]:,} runs: {growth:.2f}x (flat once runs exceed one batch of 250,000)")


if __name__ == "__main__":
    main()
