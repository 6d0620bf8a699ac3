"""How long the ``sim`` command takes to start and finish a short job, each in a fresh interpreter.

    python benchmarks/bench_startup.py              # best of 5, the commands timed in turn
    python benchmarks/bench_startup.py --repeats 9

Times ``sim --help``, ``sim validate`` and ``sim run coalition_2026 --runs 1000 --seed 1`` on a
scenario already solved on disk, with the world-playing kernel compiled ahead of time
(``python -m sim.engine.fused``, built first if missing), against the same run with numba loaded first,
so that the just-in-time kernel plays it (what every run cost before the kernel was compiled ahead):
the baseline is measured in the same run, interleaved, on the same machine. Targets (issue 13):
0.3 s for ``--help`` and ``validate``, 0.6 s for the run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

RUN = ["run", "coalition_2026", "--runs", "1000", "--seed", "1"]
COMMANDS = {
    "sim --help": "from sim.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    "sim validate coalition_2026": "from sim.cli.main import main; main(['validate', 'coalition_2026'])",
    "sim run --runs 1000 (kernel compiled ahead)": f"from sim.cli.main import main; main({RUN!r})",
    "the same, numba loaded first (just in time)": (
        f"import sim.engine.jit as jit; jit.compile_deferred()\nfrom sim.cli.main import main; main({RUN!r})"
    ),
}
TARGETS = {"sim --help": 0.3, "sim validate coalition_2026": 0.3, "sim run --runs 1000 (kernel compiled ahead)": 0.6}


def once(code: str) -> float:
    """Wall time of a fresh interpreter running ``code`` (its output thrown away)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="times each command is timed (best kept)")
    args = parser.parse_args()

    from sim.engine import ahead_of_time, fused

    if ahead_of_time.kernel() is None:
        print("building the kernel ahead of time (about 11 s) ...")
        if ahead_of_time.main(fused._play_worlds) != 0:
            sys.exit("the kernel could not be compiled ahead of time")
    once(COMMANDS["sim run --runs 1000 (kernel compiled ahead)"])  # solves and keeps it on disk, if need be
    times: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for _ in range(args.repeats):  # in turn: a noisy minute slows every command, not just one
        for label, code in COMMANDS.items():
            times[label].append(once(code))
    best = {label: min(values) for label, values in times.items()}
    print(f"best of {args.repeats}, each in a fresh interpreter:")
    for label, seconds in best.items():
        target = TARGETS.get(label)
        note = f"  (target {target:.1f} s: {'met' if seconds < target else 'not met'})" if target else ""
        print(f"  {label:<46} {seconds:6.2f} s{note}")
    ahead = best["sim run --runs 1000 (kernel compiled ahead)"]
    jit = best["the same, numba loaded first (just in time)"]
    print(f"  the kernel compiled ahead saves {jit - ahead:.2f} s a short run ({jit / ahead:.1f}x)")


if __name__ == "__main__":
    main()
