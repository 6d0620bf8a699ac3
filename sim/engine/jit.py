"""numba's ``njit`` where numba is installed, and the plain Python function where it is not.

The compiled loops (:mod:`sim.engine.equilibrium.kernels`, :mod:`sim.engine.fused`,
:mod:`sim.engine.streams`) are decorated with :func:`njit`. Without numba (a platform it has no
wheels for) they stay Python functions, and nothing calls them over many states or worlds: the
solver iterates its numpy reference (``RoundGame(compiled=False)``), the engine plays the numpy
model (``engine="numpy"``), and the grid reads and the members' game have numpy twins
(:mod:`sim.engine.equilibrium.numpy_twins`). Same model, same steps; slower (docs/explanation/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

numba: ModuleType | None
try:
    import numba
except ImportError:  # exercised by tests/engine/test_without_numba.py, in a Python without numba
    numba = None

HAVE_NUMBA = numba is not None
"""Whether numba is installed (the compiled solver and engine are used only then)."""


def njit(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``numba.njit(**options)``, or a decorator that leaves the function as it is without numba."""
    if numba is None:
        return lambda function: function
    return numba.njit(**options)


__all__ = ["HAVE_NUMBA", "njit"]
