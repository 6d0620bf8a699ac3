"""Cached calls into the engine, shared by several pages.

``st.cache_data`` keys on the arguments, so each function takes hashable text and numbers (the
scenario as JSON) and rebuilds the Scenario inside: going back to a setting already run is
instant.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import streamlit as st

import sim
from sim.model import CrisisModel
from sim.results import Results
from sim.scenario import Scenario
from sim.trace import trace_run

MAX_CACHED_RESULTS = 32


@st.cache_resource(show_spinner=False)
def _results_store() -> tuple[OrderedDict[tuple[str, int, int], Results], threading.Lock]:
    """Results shared by every session, newest last. A hand-made cache because ``st.cache_data``
    would replay the progress bar drawn inside the computation on every later hit."""
    return OrderedDict(), threading.Lock()


def simulate(scenario_json: str, runs: int, seed: int, progress: Callable[[float, int], None] | None = None) -> Results:
    """Monte Carlo of one scenario, cached on the scenario's JSON, runs and seed (never mutate the result)."""
    store, lock = _results_store()
    key = (scenario_json, runs, seed)
    with lock:
        if key in store:
            store.move_to_end(key)
            return store[key]
    results = sim.run_monte_carlo(Scenario.model_validate_json(scenario_json), runs=runs, seed=seed, progress=progress)
    with lock:
        store[key] = results
        while len(store) > MAX_CACHED_RESULTS:
            store.popitem(last=False)
    return results


def simulate_with_progress(scenario_json: str, runs: int, seed: int) -> Results:
    """:func:`simulate` with a progress bar while it runs (nothing is shown on a cache hit)."""
    slot = st.empty()

    def report(done: float, total: int) -> None:
        slot.progress(min(1.0, done / total), text=f"Simulating {total:,} crises… {int(done):,} done")

    results = simulate(scenario_json, runs, seed, progress=report)
    slot.empty()
    return results


@st.cache_data(show_spinner=False, max_entries=8)
def per_run_file(scenario_json: str, runs: int, seed: int, suffix: str) -> bytes:
    """The per-run table as CSV or Parquet bytes, written by ``Results.save`` (Parquet keeps provenance)."""
    results = simulate(scenario_json, runs, seed)
    with tempfile.TemporaryDirectory() as folder:
        return results.save(Path(folder) / f"runs{suffix}").read_bytes()


@st.cache_resource(show_spinner=False, max_entries=64)
def traced_run(scenario_json: str, seed: int) -> CrisisModel:
    """One world played with every decision recorded (shared, never mutated: a resource, not data)."""
    return trace_run(Scenario.model_validate_json(scenario_json), seed)
