"""numba's ``njit`` where numba works, and the plain Python function where it does not; numba itself
imported only when compiled code is first needed.

The compiled loops (:mod:`sim.engine.equilibrium.kernels`, :mod:`sim.engine.fused`,
:mod:`sim.engine.streams`) are decorated with :func:`njit`. Without numba (a platform it has no
wheels for, or a numba that cannot be imported, e.g. beside a numpy newer than it supports) they
stay Python functions, and nothing calls them over many states or worlds: the solver iterates its
numpy reference (``RoundGame(compiled=False)``), the engine plays the numpy model
(``engine="numpy"``), and the grid reads and the members' game have numpy twins
(:mod:`sim.engine.equilibrium.numpy_twins`). Same model, same steps; slower
(docs/explanation/performance.md). Callers ask :func:`numba_works` when they choose a path.

Importing numba costs about 0.15 s and its first compiled call about 0.3 s more (its typing
registries, and ``scipy.linalg``, which it imports to look for BLAS). A command that finds its
equilibrium on disk and plays its worlds with the kernel compiled ahead of time
(:mod:`sim.engine.ahead_of_time`) needs none of that, so the decorated functions wait: until compiled
code is needed, each is a :class:`Deferred`. The first call of any of them (or :func:`numba_works`)
imports numba, makes every deferred function a numba dispatcher and puts the dispatchers where the
deferred functions were (every ``sim`` module's names), so that later calls go straight to numba;
compiled code that calls a function still deferred also works, since numba reads the dispatcher's
type through the :class:`Deferred` (its attributes are the dispatcher's).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
"""Whether numba is installed (found without importing it). Whether it also imports, and so whether
the compiled solver and engine are used, is :func:`numba_works`."""


class Deferred:
    """A function that numba compiles (with these ``options``) once compiled code is first needed.

    Calling it, or reading an attribute numba's dispatchers have (``py_func``, ``signatures``), makes
    every deferred function a dispatcher first (:func:`compile_deferred`). Where numba cannot be
    imported, it calls the plain function."""

    def __init__(self, function: Callable[..., Any], options: dict[str, Any]) -> None:
        self.function = function
        self.options = options
        self.dispatcher: Any = None
        self.__name__ = function.__name__
        self.__qualname__ = function.__qualname__
        self.__module__ = function.__module__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the dispatcher (made first, with every other deferred function's, if need be)."""
        return (self.dispatcher or compile_deferred(self))(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher or compile_deferred(self), name)


_DEFERRED: list[Deferred] = []
_LOCK = threading.Lock()
numba: ModuleType | None = None
"""numba, once imported (:func:`compile_deferred`)."""
_BROKEN: list[str] = []
"""Why numba could not be imported, once tried and failed."""


def njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(**options)``, deferred until compiled code is needed; without numba, a decorator
    that leaves the function as it is."""
    if not HAVE_NUMBA or _BROKEN:
        return lambda function: function
    if numba is not None:
        return numba.njit(**options)

    def defer(function: Callable[..., Any]) -> Any:
        deferred = Deferred(function, options)
        with _LOCK:
            if numba is not None:  # compiled meanwhile, by another thread
                return numba.njit(**options)(function)
            if _BROKEN:
                return function
            _DEFERRED.append(deferred)
        return deferred

    return defer


def numba_works() -> bool:
    """Whether the compiled solver and engine can be used: numba is installed and imports (imported
    here, once, if it has not been; about 0.15 s)."""
    if numba is not None:
        return True
    if not HAVE_NUMBA or _BROKEN:
        return False
    compile_deferred()
    return numba is not None


def compile_deferred(wanted: Deferred | None = None) -> Any:
    """Import numba, make every deferred function a dispatcher and put each where its deferred
    function was in the ``sim`` modules loaded; return ``wanted``'s dispatcher (or None).

    Where numba is installed but cannot be imported, every deferred function becomes its plain
    Python function instead (and :func:`numba_works` says so), as where numba is not installed."""
    global numba
    with _LOCK:
        if numba is None and not _BROKEN:
            loaded: ModuleType | None
            try:
                loaded = importlib.import_module("numba")
            except ImportError as error:  # e.g. "Numba needs NumPy 2.3 or less"
                _BROKEN.append(str(error))
                loaded = None
            for deferred in _DEFERRED:
                function = deferred.function
                deferred.dispatcher = function if loaded is None else loaded.njit(**deferred.options)(function)
            for module in list(sys.modules.values()):
                if module is not None and getattr(module, "__name__", "").startswith("sim."):
                    for name, value in list(vars(module).items()):
                        if isinstance(value, Deferred) and value.dispatcher is not None:
                            setattr(module, name, value.dispatcher)
            _DEFERRED.clear()
            numba = loaded
    return None if wanted is None else wanted.dispatcher


__all__ = ["HAVE_NUMBA", "Deferred", "compile_deferred", "njit", "numba_works"]
