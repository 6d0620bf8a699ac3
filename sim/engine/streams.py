"""Random numbers by world: one counter-based stream per simulated world.

Every uniform the simulation uses is a pure function of the run's key, the world's number and a
counter (the round and the slot within it), so the numbers a world sees do not depend on how the
worlds are split into batches or threads, or on which engine (the compiled kernel or the numpy
model) plays them. The generator is SplitMix64 (Steele, Lea and Flood 2014): world ``w``'s stream
starts at ``mix(key + (w + 1) * gamma)`` and its ``j``-th number is ``mix(start + (j + 1) * gamma)``,
``gamma`` the golden-ratio constant, ``mix`` SplitMix64's finaliser; the top 53 bits give a double
in [0, 1). SplitMix64 passes BigCrush; random access to any counter is what a parallel kernel needs.

The key comes from the run's seed through ``numpy.random.SeedSequence`` (:func:`stream_key`).

References
----------
Steele, G. L., Lea, D. and Flood, C. H. (2014). Fast splittable pseudorandom number generators.
*OOPSLA 2014*, 453-472.
"""

from __future__ import annotations

import numpy as np

from sim.engine.jit import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
"""SplitMix64's increment: 2**64 divided by the golden ratio, odd."""
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53

TYPES_ROUND = 0
"""Round number whose counters draw the actors' types (rounds 1..T are played; T + 1 is the horizon)."""


def draw_seed() -> int:
    """A fresh seed when none is given: ``SeedSequence``'s own entropy (128 bits from the operating
    system), as numpy recommends, so the seed a run used can be printed and given back to repeat it."""
    return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]


def stream_key(seed_sequence: np.random.SeedSequence) -> int:
    """The 64-bit key of a run's streams, drawn from its ``SeedSequence``.

    Parameters
    ----------
    seed_sequence : numpy.random.SeedSequence
        The run's seed sequence (``SeedSequence(seed)``).

    Returns
    -------
    int
        An unsigned 64-bit integer.
    """
    return int(seed_sequence.generate_state(1, dtype=np.uint64)[0])


def _mix_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser over a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniforms(key: int, worlds: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) for each world (rows) at each counter (columns).

    Parameters
    ----------
    key : int
        The run's key (:func:`stream_key`).
    worlds : numpy.ndarray
        World numbers (global: the same world has the same number in any batch).
    counters : numpy.ndarray
        Counters within each world's stream (:func:`counter`).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(worlds), len(counters))``.
    """
    worlds = np.asarray(worlds, dtype=np.uint64)
    counters = np.asarray(counters, dtype=np.uint64)
    start = _mix_array(np.uint64(key) + (worlds + _ONE) * GAMMA)
    bits = _mix_array(start[:, None] + (counters[None, :] + _ONE) * GAMMA)
    return (bits >> _S11).astype(np.float64) * _UNIT


def counter(round_number: int, slot: int, slots: int) -> int:
    """The counter of one draw: ``round * slots + slot`` (round 0 the types, T + 1 the horizon)."""
    return round_number * slots + slot


def round_counters(round_number: int, slots: int) -> np.ndarray:
    """The counters of every slot of one round."""
    return np.arange(slots, dtype=np.uint64) + np.uint64(round_number * slots)


@njit(cache=True, inline="always")
def world_start(key: np.uint64, world: np.int64) -> np.uint64:
    """The start of one world's stream (compiled; equal to :func:`uniforms`'s)."""
    return _mix(key + (np.uint64(world) + _ONE) * GAMMA)


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def uniform_at(start: np.uint64, count: np.int64) -> float:
    """The uniform at counter ``count`` of the stream that starts at ``start`` (compiled)."""
    bits = _mix(start + (np.uint64(count) + _ONE) * GAMMA)
    return float(bits >> _S11) * _UNIT


__all__ = [
    "GAMMA",
    "TYPES_ROUND",
    "counter",
    "draw_seed",
    "round_counters",
    "stream_key",
    "uniform_at",
    "uniforms",
    "world_start",
]
