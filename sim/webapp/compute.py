"""Cached calls into the engine, shared by several pages.

``st.cache_data`` keys on the arguments, so each function takes hashable text and numbers (the
scenario as JSON) and rebuilds the Scenario inside: going back to a setting already run is
instant.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

import streamlit as st

import sim
from sim.domain.scenario import Scenario
from sim.engine.model import CrisisModel
from sim.runs.results import Results
from sim.runs.trace import trace_run

MAX_CACHED_RESULTS = 32

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The ``size`` entries most recently put or read, safe to share between sessions' threads.

    For caches that ``st.cache_data`` cannot be: keep one in ``st.cache_resource``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def get(self, key: K) -> V | None:
        """The entry (now the most recent), or None."""
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` as the most recent entry, forgetting the oldest beyond ``size``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _results_store() -> Recent[tuple[str, int, int], Results]:
    """Results shared by every session. A hand-made cache because ``st.cache_data`` would replay
    the progress bar drawn inside the computation on every later hit."""
    return Recent(MAX_CACHED_RESULTS)


def simulate(scenario_json: str, runs: int, seed: int, progress: Callable[[float, int], None] | None = None) -> Results:
    """Monte Carlo of one scenario, cached on the scenario's JSON, runs and seed (never mutate the result)."""
    store, key = _results_store(), (scenario_json, runs, seed)
    results = store.get(key)
    if results is None:
        scenario = Scenario.model_validate_json(scenario_json)
        results = sim.run_monte_carlo(scenario, runs=runs, seed=seed, progress=progress)
        store.put(key, results)
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
