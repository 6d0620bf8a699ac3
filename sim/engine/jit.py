"""numba's ``njit`` where numba is installed, and the plain Python function where it is not; numba
itself imported only when a compiled function is first called.

The compiled loops (:mod:`sim.engine.equilibrium.kernels`, :mod:`sim.engine.fused`,
:mod:`sim.engine.streams`) are decorated with :func:`njit`. Without numba (a platform it has no
wheels for) they stay Python functions, and nothing calls them over many states or worlds: the
solver iterates its numpy reference (``RoundGame(compiled=False)``), the engine plays the numpy
model (``engine="numpy"``), and the grid reads and the members' game have numpy twins
(:mod:`sim.engine.equilibrium.numpy_twins`). Same model, same steps; slower (docs/explanation/performance.md).

Importing numba costs about 0.15 s and its first compiled call about 0.3 s more (its typing
registries, and ``scipy.linalg``, which it imports to look for BLAS). A command that finds its
equilibrium on disk and plays its worlds with the kernel compiled ahead of time
(:mod:`sim.engine.ahead_of_time`) needs none of that, so the decorated functions wait: until one is
called, each is a :class:`Deferred`. The first call of any of them imports numba, makes every
deferred function a numba dispatcher and puts the dispatchers where the deferred functions were
(every ``sim`` module's names), so that compiled code calling compiled code finds dispatchers, as
numba needs; later calls go straight to the dispatcher.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

HAVE_NUMBA = importlib.util.find_spec("numba") is not None and sys.modules.get("numba", True) is not None
"""Whether numba is installed (the compiled solver and engine are used only then). A ``None`` in
``sys.modules`` (how a test hides an installed package) counts as not installed."""


class Deferred:
    """A function that numba compiles (with these ``options``) once any deferred function is called.

    Calling it, or reading an attribute numba's dispatchers have (``py_func``, ``signatures``), makes
    every deferred function a dispatcher first (:func:`compile_deferred`)."""

    def __init__(self, function: Callable[..., Any], options: dict[str, Any]) -> None:
        self.function = function
        self.options = options
        self.dispatcher: Any = None
        self.__name__ = function.__name__
        self.__qualname__ = function.__qualname__
        self.__module__ = function.__module__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def __call__(self, *args: Any) -> Any:
        """Call the dispatcher (made first, with every other deferred function's, if need be)."""
        return (self.dispatcher or compile_deferred(self))(*args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher or compile_deferred(self), name)


_DEFERRED: list[Deferred] = []
_LOCK = threading.Lock()
numba: ModuleType | None = None
"""numba, once imported (:func:`compile_deferred`)."""


def njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(**options)``, deferred until a compiled function is called; without numba, a
    decorator that leaves the function as it is."""
    if not HAVE_NUMBA:
        return lambda function: function
    if numba is not None:
        return numba.njit(**options)

    def defer(function: Callable[..., Any]) -> Any:
        deferred = Deferred(function, options)
        with _LOCK:
            if numba is not None:  # compiled meanwhile, by another thread
                return numba.njit(**options)(function)
            _DEFERRED.append(deferred)
        return deferred

    return defer


def compile_deferred(wanted: Deferred | None = None) -> Any:
    """Import numba, make every deferred function a dispatcher and put each where its deferred
    function was in the ``sim`` modules loaded; return ``wanted``'s dispatcher (or None)."""
    global numba
    with _LOCK:
        if numba is None:
            import numba as loaded

            for deferred in _DEFERRED:
                deferred.dispatcher = loaded.njit(**deferred.options)(deferred.function)
            for module in list(sys.modules.values()):
                if module is not None and getattr(module, "__name__", "").startswith("sim."):
                    for name, value in list(vars(module).items()):
                        if isinstance(value, Deferred) and value.dispatcher is not None:
                            setattr(module, name, value.dispatcher)
            _DEFERRED.clear()
            numba = loaded
    return None if wanted is None else wanted.dispatcher


__all__ = ["HAVE_NUMBA", "Deferred", "compile_deferred", "njit"]
