"""Benchmark: how long the app takes to show the default page, cold and warm.

Usage:  python benchmarks/bench_app.py [--repeats 5] [--runs 10000]

Drives ``app.py`` headless with ``streamlit.testing.v1.AppTest`` (the script runs exactly as
under ``streamlit run``; only the browser's drawing is left out). Three figures, each the best of
``--repeats``:

- *cold*: a new session with an empty results cache, so the Monte Carlo runs (imports are
  already done, as on a server that has served one page);
- *warm*: a new session whose setting was run before (the cache answers);
- *engine*: ``run_monte_carlo`` alone with the same scenario, runs and seed, the baseline the
  page's overhead is measured against in the same process.

Target (issue 5): a 10,000-run Monte Carlo of the default scenario shows its charts within about
a second.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

import sim

APP = Path(__file__).resolve().parents[1] / "app.py"


def render_seconds(runs: int, seed: int) -> float:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"runs": str(runs), "seed": str(seed)})
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the app failed: {at.exception[0].value}")
    if not any(chart.key == "outcome_chart" for chart in at.get("plotly_chart")):
        raise SystemExit("the outcome chart is missing")
    return elapsed


def clear_results_cache() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest's notes about running without a server

    render_seconds(200, 0)  # imports and first-run setup, not measured
    cold, warm = [], []
    for repeat in range(args.repeats):
        seed = 1_000 + repeat  # a setting never run before
        clear_results_cache()
        cold.append(render_seconds(args.runs, seed))
        warm.append(render_seconds(args.runs, seed))
    engine = []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        sim.run_monte_carlo("coalition_2026", runs=args.runs, seed=1_000 + repeat)
        engine.append(time.perf_counter() - start)

    print(f"deterrence-sim {sim.__version__}: default page, {args.runs:,} runs of coalition_2026")
    print(f"best of {args.repeats}")
    print(f"  engine alone (run_monte_carlo):  {min(engine):6.3f} s")
    print(f"  page, cold cache (runs + draws): {min(cold):6.3f} s  ({min(cold) / min(engine):.2f}x the engine)")
    print(f"  page, warm cache (draws only):   {min(warm):6.3f} s  ({min(warm) / min(cold):.2f}x cold)")


if __name__ == "__main__":
    main()
