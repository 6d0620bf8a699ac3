"""Benchmark: the compiled kernel against three baselines, measured in one run on one scenario.

Usage:  python benchmarks/bench_engine.py [--scenario coalition_2026] [--runs 100000 1000000]
                                          [--baseline-runs 300] [--repeats 3]

The scenario's equilibrium is solved first (timed once); every engine below then reads the same
policies and the same random numbers, so all of them play the same worlds:

1. ``mesa.batch_run``: one-world Mesa models, one per run, as Mesa runs a model (the numpy model
   with N = 1);
2. a plain scalar Python loop: the compiled kernel's own code, run by the interpreter
   (``NUMBA_DISABLE_JIT=1`` in a child process), the honest "same logic, no vectorising";
3. the numpy model (``engine="numpy"``): a round in all worlds at once, array by array;
4. the compiled kernel (``engine="compiled"``) on one thread and on two.

Rates are world-rounds per second (a world-round is one world playing one round: runs times the
mean rounds played), per core for the one-thread kernel. The memory floor is the time to write each
world's results (35 bytes) at the machine's copy bandwidth, measured here with a 256 MB copy; the
kernel keeps a world's state in registers and reads its policies from tables that stay in cache,
so the results are all it must move. Peak memory of a 1,000,000-run ``run_monte_carlo`` is
measured in a child process: what the run allocates at most (tracemalloc, after the solve), and the
process's maximum resident set, which the solve sets.

Targets (issue 13): at least 10M world-rounds per second per core on coalition_2026 at 100k-1M
runs, near 2x that on 2 cores; peak memory flat in runs and under 300 MB for 1M runs.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # the kernel's threads are ours; no BLAS threads beside them

import argparse  # noqa: E402
import inspect  # noqa: E402
import pickle  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import mesa  # noqa: E402
import numpy as np  # noqa: E402
from timing import best_of  # noqa: E402

from sim import __version__, load_scenario, run_monte_carlo  # noqa: E402
from sim.engine.equilibrium import GRID_POINTS, equilibrium_for, solve_crisis, threads  # noqa: E402
from sim.engine.fused import kernel_inputs, simulate_worlds  # noqa: E402
from sim.engine.model import CrisisModel  # noqa: E402
from sim.engine.streams import stream_key  # noqa: E402

RESULT_BYTES = 1 + 2 + 1 + 1 + 3 * 8 + 3 + 3
"""What the kernel writes per world: outcome, rounds, highest and final rung, three payoffs, three
types, and three flags."""

PLAIN_LOOP = """
import pickle, sys, time
import numpy as np
from sim.engine.fused import WorldBatch, _outputs, _play_worlds
np.seterr(all="ignore")  # SplitMix64 wraps around on purpose
inputs, key, runs, rounds = pickle.load(open(sys.argv[1], "rb"))
batch = WorldBatch.empty(runs, rounds)
start = time.perf_counter()
_play_worlds(0, runs, np.uint64(key), 0, *inputs, *_outputs(batch))
seconds = time.perf_counter() - start
print(seconds, int(batch.rounds_played.sum()), int(batch.outcome.sum()))
"""

PEAK_MEMORY = """
import resource, sys, tracemalloc
import sim
scenario = sim.load_scenario(sys.argv[1])
sim.run_monte_carlo(scenario, 1_000, seed=1)  # the solve, the policy tree and the kernel's tables
tracemalloc.start()
results = sim.run_monte_carlo(scenario, int(sys.argv[2]), seed=1)
peak = tracemalloc.get_traced_memory()[1]
try:  # this process's own high-water mark: Linux keeps ru_maxrss across exec, so it would be the parent's
    with open("/proc/self/status") as status:
        resident = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except OSError:
    resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(peak / 2**20, resident)
"""


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


def one_world_models(scenario, runs: int) -> int:
    """World-rounds of ``runs`` one-world models played in a loop (what batch_run runs)."""
    total = 0
    for seed in range(runs):
        model = CrisisModel(scenario, n_worlds=1, seed=seed).run()
        total += int(model.rounds_played[0])
        model.release()
    return total


def plain_loop(scenario, runs: int) -> tuple[float, int]:
    """The kernel's code run by the Python interpreter in a child process: (seconds, world-rounds)."""
    equilibrium = equilibrium_for(scenario)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inputs.pickle"
        path.write_bytes(pickle.dumps((kernel_inputs(equilibrium), 1, runs, scenario.rounds)))
        env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
        out = subprocess.run(
            [sys.executable, "-c", PLAIN_LOOP, str(path)], env=env, capture_output=True, text=True, check=True
        )
    seconds, world_rounds, _ = out.stdout.split()
    return float(seconds), int(world_rounds)


def copy_bandwidth() -> float:
    """Bytes per second moved by a 256 MB copy (read and write), best of 3."""
    source = np.ones(32 * 1024 * 1024)
    target = np.empty_like(source)
    seconds = best_of(3, lambda: np.copyto(target, source))
    return 2 * source.nbytes / seconds


def peak_memory(scenario_name: str, runs: int) -> tuple[float, float]:
    """In a child process: the peak of what ``run_monte_carlo(runs)`` allocates (MB, tracemalloc,
    which numpy reports to), after the solve; and the process's maximum resident set (MB)."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, scenario_name, str(runs)], capture_output=True, text=True, check=True
    )
    run, resident = out.stdout.split()
    return float(run), float(resident)


def line(label: str, runs: int, world_rounds: int, seconds: float, cores: int = 1, note: str = "") -> float:
    rate = world_rounds / seconds
    print(
        f"{label:34s} {runs:>9,} runs {seconds:8.3f} s  {seconds / world_rounds * 1e9:9.1f} ns/world-round  "
        f"{rate / 1e6:8.3f} M world-rounds/s ({rate / cores / 1e6:.3f} M per core){note}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="coalition_2026")
    parser.add_argument("--runs", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--baseline-runs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child process")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    solve_crisis(load_scenario(args.scenario, {"rounds": 2})).value()  # load the compiled kernels first
    solve = best_of(1, lambda: solve_crisis(scenario).value())
    equilibrium = equilibrium_for(scenario)
    tree = equilibrium.policy_tree()
    simulate_worlds(equilibrium, 0, 0, 1_000)  # compile (or load) the kernel
    print(f"sim {__version__}, mesa {mesa.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    print(
        f"scenario {args.scenario}: {scenario.rounds} rounds; equilibrium solve {solve:.3f} s ({GRID_POINTS}-point "
        f"grid); policy tree: rounds 1-{tree.depth} exact at {tree.nodes} states"
    )
    print()

    print(f"baselines, {args.baseline_runs} runs (rates per world-round: the same model, the same policies):")
    key = stream_key(np.random.SeedSequence(1))
    batch = best_of(1, lambda: mesa_batch_run(scenario, args.baseline_runs)) if hasattr(mesa, "batch_run") else None
    loop_world_rounds = one_world_models(scenario, args.baseline_runs)
    models = best_of(1, lambda: one_world_models(scenario, args.baseline_runs))
    plain_seconds, plain_world_rounds = plain_loop(scenario, args.baseline_runs)
    rates = {}
    if batch is not None:
        rates["mesa.batch_run"] = line(
            "mesa.batch_run, 1 world per model", args.baseline_runs, loop_world_rounds, batch
        )
    rates["one-world models"] = line("loop of one-world Mesa models", args.baseline_runs, loop_world_rounds, models)
    rates["plain Python loop"] = line("plain scalar Python loop", args.baseline_runs, plain_world_rounds, plain_seconds)
    print()

    bandwidth = copy_bandwidth()
    for runs in args.runs:
        print(f"{runs:,} runs:")
        numpy_seconds = best_of(1, lambda runs=runs: run_monte_carlo(scenario, runs, seed=1, engine="numpy"))
        results = run_monte_carlo(scenario, runs, seed=1)
        world_rounds = int(results.rounds_played.sum())
        numpy_rate = line("numpy model (engine='numpy')", runs, world_rounds, numpy_seconds)
        timings = {}
        for count in (1, 2):
            threads.SOLVER_THREADS = count
            timings[count] = best_of(args.repeats, lambda runs=runs: simulate_worlds(equilibrium, key, 0, runs))
        threads.SOLVER_THREADS = 2
        one = line("compiled kernel, 1 thread", runs, world_rounds, timings[1], 1, f"  best of {args.repeats}")
        two = line("compiled kernel, 2 threads", runs, world_rounds, timings[2], 2, f"  best of {args.repeats}")
        full = best_of(args.repeats, lambda runs=runs: run_monte_carlo(scenario, runs, seed=1))
        line("run_monte_carlo (kernel + Results)", runs, world_rounds, full, 2)
        floor = RESULT_BYTES * runs / bandwidth
        print(
            f"  1 thread: {one / numpy_rate:.1f}x the numpy model, "
            + ", ".join(f"{one / rate:,.0f}x {name}" for name, rate in rates.items())
            + f"; 2 threads: {two / one:.2f}x 1 thread"
        )
        print(
            f"  memory floor: {RESULT_BYTES} bytes per world at {bandwidth / 1e9:.1f} GB/s = "
            f"{floor / world_rounds * 1e9:.2f} ns/world-round; the kernel is {timings[1] / floor:.0f}x above it "
            f"(compute-bound: {timings[1] / world_rounds * 1e9:.0f} ns of arithmetic, draws and branches a round)"
        )
        verdict = "met" if one >= 10e6 else "NOT met"
        print(f"  target >= 10M world-rounds/s per core: {one / 1e6:.1f}M, {verdict}")
        print()

    if not args.no_memory:
        for runs in (100_000, 1_000_000):
            run, resident = peak_memory(args.scenario, runs)
            print(
                f"peak memory, {runs:>9,} runs: the run allocates {run:6.1f} MB at most (target < 300 MB for 1M runs); "
                f"the process's resident peak, the solve included, {resident:.0f} MB"
            )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n(benchmark took {time.perf_counter() - start:.0f} s)")
