"""Benchmark: strategic estimation on war1800, and its bootstrap on one and two processes.

Usage:  python benchmarks/bench_fit.py [--replicates 500] [--workers 2]

Measured in this run, side by side:

* the war1800 fit (``egame12``, probit, agent error; the R package's example), target under 1 s;
* the same fit with the log-likelihood's gradient and Hessian taken one point at a time (a plain
  loop over the ``2k`` and ``2k(k+1)`` shifted coefficient vectors), the baseline the batched
  finite differences of :mod:`sim.estimation.problem` replace;
* ``--replicates`` bootstrap refits on one process and on ``--workers`` processes, target 500 in
  under 60 s on 2 cores; the two must give the same numbers (checked here).
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402
from timing import best_of  # noqa: E402

from sim import __version__  # noqa: E402
from sim.estimation import bootstrap, fit  # noqa: E402
from sim.estimation import problem as problem_module  # noqa: E402

WAR = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"


def one_point_at_a_time(function):
    """A batched function evaluated one row at a time: the plain-loop baseline."""
    return lambda points: np.array([function(point[None, :])[0] for point in points])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"sim {__version__}, Python {platform.python_version()}, {os.cpu_count()} cores")

    batched = best_of(5, lambda: fit("egame12", "war1800", WAR))
    gradient, hessian = problem_module.gradient, problem_module.hessian
    with (
        mock.patch.object(problem_module, "gradient", lambda f, x: gradient(one_point_at_a_time(f), x)),
        mock.patch("sim.estimation.likelihood.hessian", lambda f, x: hessian(one_point_at_a_time(f), x)),
    ):
        looped = best_of(3, lambda: fit("egame12", "war1800", WAR))
    print(f"war1800 fit: {batched:.3f} s (target < 1 s); one point at a time: {looped:.3f} s "
          f"({looped / batched:.1f}x slower)")  # fmt: skip

    result = fit("egame12", "war1800", WAR)
    start = time.perf_counter()
    single = bootstrap(result, args.replicates, seed=1, workers=1).bootstrap
    one = time.perf_counter() - start
    result = fit("egame12", "war1800", WAR)
    start = time.perf_counter()
    parallel = bootstrap(result, args.replicates, seed=1, workers=args.workers).bootstrap
    many = time.perf_counter() - start
    assert single is not None and parallel is not None
    same = np.array_equal(single["draws"], parallel["draws"])
    print(f"bootstrap, {args.replicates} replicates: 1 process {one:.1f} s; {args.workers} processes {many:.1f} s "
          f"({one / many:.2f}x); same numbers: {same} (target < 60 s on 2 cores)")  # fmt: skip


if __name__ == "__main__":
    main()
