"""The counter-based random streams (sim/engine/streams.py): compiled and numpy draws agree, and the
numbers are uniform and independent across worlds and counters (chi-square and correlation tests
at stated tolerances, fixed keys)."""

from __future__ import annotations

import numba
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from sim.engine.streams import stream_key, uniform_at, uniforms, world_start


@numba.njit
def compiled_draws(key: np.uint64, worlds: np.ndarray, counters: np.ndarray) -> np.ndarray:
    out = np.empty((len(worlds), len(counters)))
    for i in range(len(worlds)):
        start = world_start(key, worlds[i])
        for j in range(len(counters)):
            out[i, j] = uniform_at(start, counters[j])
    return out


@settings(deadline=None)  # the first example compiles the kernel
@given(
    key=st.integers(0, 2**64 - 1),
    worlds=st.lists(st.integers(0, 2**40), min_size=1, max_size=20),
    counters=st.lists(st.integers(0, 10_000), min_size=1, max_size=20),
)
def test_compiled_and_numpy_draws_are_the_same_numbers(key: int, worlds: list[int], counters: list[int]) -> None:
    w, c = np.array(worlds, dtype=np.int64), np.array(counters, dtype=np.int64)
    np.testing.assert_array_equal(compiled_draws(np.uint64(key), w, c), uniforms(key, w, c))


def test_draws_are_uniform_in_each_slot_and_world_range() -> None:
    draws = uniforms(stream_key(np.random.SeedSequence(1)), np.arange(100_000), np.arange(12))
    assert draws.min() >= 0.0 and draws.max() < 1.0
    for column in draws.T:  # 20 equal bins, 100,000 draws: chi-square at the 0.001 level
        assert chisquare(np.bincount((column * 20).astype(int), minlength=20)).pvalue > 1e-3


def test_draws_are_uncorrelated_across_counters_and_neighbouring_worlds() -> None:
    draws = uniforms(stream_key(np.random.SeedSequence(2)), np.arange(200_000), np.arange(8))
    correlation = np.corrcoef(draws.T)
    off = correlation[~np.eye(8, dtype=bool)]
    assert np.abs(off).max() < 0.012  # 5 standard errors of a correlation from 200,000 pairs
    neighbours = np.corrcoef(draws[:-1, 0], draws[1:, 0])[0, 1]
    assert abs(neighbours) < 0.012
    # Pairs of consecutive draws fill the unit square evenly (10 x 10 cells).
    cells = (draws[:, 0] * 10).astype(int) * 10 + (draws[:, 1] * 10).astype(int)
    assert chisquare(np.bincount(cells, minlength=100)).pvalue > 1e-3


def test_different_seeds_give_different_keys_and_streams() -> None:
    keys = {stream_key(np.random.SeedSequence(seed)) for seed in range(1_000)}
    assert len(keys) == 1_000
    a = uniforms(stream_key(np.random.SeedSequence(1)), np.arange(1000), np.arange(3))
    b = uniforms(stream_key(np.random.SeedSequence(2)), np.arange(1000), np.arange(3))
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.1
