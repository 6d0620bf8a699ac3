"""The world-playing kernel compiled ahead of time, so that a short run need not load numba.

``sim run --runs 1000`` on a scenario solved before spends most of its second in numba's start-up:
importing numba (about 0.15 s), then, at the first compiled call, its typing registries and
``scipy.linalg``, which it imports to look for BLAS (about 0.3 s more). The kernel that plays the
worlds (:func:`sim.engine.fused._play_worlds`) is the only compiled code such a run calls, so it is
compiled once ahead of time, with numba's ``numba.pycc``, into a small extension module kept beside
the solved equilibria (:func:`sim.engine.equilibrium.disk_cache.cache_dir`, folder ``kernel``).
The module needs no numba to load, and :mod:`sim.engine.jit` defers numba until something else calls
compiled code.

It is the same function with the types it is always called with (:data:`ARGUMENTS`), so the worlds
are the same to the last bit (tests/engine/test_ahead_of_time.py). Two differences, neither of which
shows in a short run: a batch is played in one call, not split over threads, and the module is
compiled for the processor family, not for the host's processor as numba's own compilation is. So it
plays batches of up to :data:`MOST_WORLDS` worlds, and only while numba is not loaded.

Built by ``python -m sim.engine.fused`` (``make kernel``; the Makefile's install step runs it too). It
takes about 11 s and needs a C compiler. Its file name hashes the kernel's source, numba's and Python's versions,
so a changed kernel is never loaded from an old build; a missing, damaged or stale build only means
the just-in-time kernel plays. numba marks ``numba.pycc`` as deprecated: where a numba has dropped
it, the build says so and everything runs as before.

References
----------
numba documentation, "Compiling code ahead of time" (``numba.pycc``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.equilibrium.disk_cache import cache_dir

MOST_WORLDS = 50_000
"""Largest batch the compiled-ahead kernel plays. It is used only while numba has not been loaded
(nothing else in the process needed it); a larger batch, or any batch once numba is loaded, goes to
the just-in-time kernel and its threads (about 75 ns a world-round on two cores against 150 on one,
so past about 50,000 worlds of 20 rounds the threads win back numba's 0.45 s)."""

ARGUMENTS = (
    ("i8", 0), ("i8", 0), ("u8", 0), ("i8", 0),  # begin, end, stream key, first world
    ("i8", 0), ("f8", 2), ("i8", 2), ("f8", 3), ("i8", 0), ("i8", 0),  # rounds, tree, grid, g, start rung
    ("f8", 1), ("f8", 1), ("f8", 1), ("f8", 2),  # priors, initial beliefs, weights, audience
    ("f8", 2), ("f8", 2), ("f8", 2), ("f8", 4), ("f8", 2),  # cost, H, flow, outcome values, q
    ("f8", 1), ("f8", 0), ("f8", 0), ("f8", 1), ("f8", 0), ("f8", 0), ("f8", 0),  # a1 .. incident chance
    ("i1", 1), ("i2", 1), ("i1", 1), ("i1", 1), ("f8", 2), ("b1", 2), ("b1", 1), ("b1", 1), ("b1", 1),  # outputs
)  # fmt: skip
"""The type and number of dimensions of each argument :func:`sim.engine.fused.simulate_worlds` passes
the kernel (numba's codes: ``i8`` int64, ``u8`` uint64, ``f8`` float64, ``i1`` int8, ``i2`` int16,
``b1`` bool; arrays C-ordered). It returns the ladder's counts, int64 by round and rung."""

SCALARS = {"i8": (int, np.integer), "u8": (int, np.integer), "f8": (float, np.floating)}
DTYPES = {"i8": np.int64, "u8": np.uint64, "f8": np.float64, "i1": np.int8, "i2": np.int16, "b1": np.bool_}


def signature() -> str:
    """:data:`ARGUMENTS` in numba's notation, e.g. ``i8[:, ::1](i8, f8[:, ::1], ...)``."""

    def spelled(code: str, dimensions: int) -> str:
        return code if dimensions == 0 else f"{code}[{', '.join([':'] * (dimensions - 1) + ['::1'])}]"

    return f"i8[:, ::1]({', '.join(spelled(code, dimensions) for code, dimensions in ARGUMENTS)})"


def fits(arguments: tuple) -> bool:
    """Whether these arguments have the kernel's types. The compiled-ahead module reads an array as
    its signature says without checking (a Fortran-ordered array would be read wrongly, a short one
    past its end), so every call is checked first; what does not fit goes to the just-in-time kernel."""
    if len(arguments) != len(ARGUMENTS):
        return False
    for value, (code, dimensions) in zip(arguments, ARGUMENTS, strict=True):
        if dimensions == 0:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, SCALARS[code]):
                return False
        elif not (
            isinstance(value, np.ndarray)
            and value.dtype == DTYPES[code]
            and value.ndim == dimensions
            and value.flags.c_contiguous
            and value.flags.aligned
        ):
            return False
    return True


MODULE = "fused_ahead"
SOURCES = ("fused.py", "streams.py", "equilibrium/kernels.py", "ahead_of_time.py")
"""The files whose text the kernel is compiled from: any change to them names a new build."""

_LOADED: dict[Path, Callable[..., Any] | None] = {}
_LOCK = threading.Lock()


def build_path() -> Path | None:
    """Where this kernel's build is (or would be) kept; None without a cache folder or numba."""
    folder = cache_dir()
    name = _file_name()
    return None if folder is None or name is None else folder / "kernel" / name


@functools.cache
def _file_name() -> str | None:
    """The build's file name: a hash of the kernel's sources and of numba's and Python's versions."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in SOURCES:
        digest.update((here / name).read_bytes())
    try:
        digest.update(metadata.version("numba").encode())
    except metadata.PackageNotFoundError:
        return None
    digest.update(sys.version.encode())
    return f"{MODULE}_{digest.hexdigest()[:16]}{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"


def kernel() -> Callable[..., Any] | None:
    """The compiled-ahead kernel, or None where it has not been built (or cannot be loaded)."""
    path = build_path()
    if path is None:
        return None
    with _LOCK:
        if path not in _LOADED:
            _LOADED[path] = _load(path)
        return _LOADED[path]


def _load(path: Path) -> Callable[..., Any] | None:
    if not path.is_file():
        return None
    try:
        loader = importlib.machinery.ExtensionFileLoader(MODULE, str(path))
        spec = importlib.util.spec_from_file_location(MODULE, path, loader=loader)
        if spec is None:
            return None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module.play_worlds  # type: ignore[no-any-return]
    except (ImportError, OSError, AttributeError):  # damaged, or built for another platform
        return None


def build(function: Any) -> Path:
    """Compile ``function`` (the kernel, :func:`sim.engine.fused._play_worlds`) ahead of time into
    :func:`build_path` (written whole, then renamed).

    Raises
    ------
    RuntimeError
        Without a cache folder, numba, or ``numba.pycc``.
    """
    path = build_path()
    if path is None:
        raise RuntimeError("no cache folder (SIM_CACHE_DIR=off?) or numba is not installed")
    try:
        from numba.pycc import CC
    except ImportError as error:
        raise RuntimeError(f"this numba cannot compile ahead of time ({error})") from error
    from sim.engine.jit import compile_deferred

    compile_deferred()  # the kernel's callees as numba dispatchers, which pycc compiles into it
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        compiler = CC(MODULE)
        compiler.output_dir = scratch
        compiler.output_file = path.name
        compiler.verbose = False
        compiler.export("play_worlds", signature())(function.py_func)
        compiler.compile()
        os.replace(Path(scratch) / path.name, path)
    for old in path.parent.glob(f"{MODULE}_*"):
        if old != path:
            old.unlink(missing_ok=True)
    with _LOCK:
        _LOADED.pop(path, None)
    return path


def main(function: Any) -> int:
    """``python -m sim.engine.fused``: build the kernel, say where; exit 1 if it cannot."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's notice that pycc is deprecated
            path = build(function)
    except Exception as error:  # any failure only means the just-in-time kernel plays
        print(f"the kernel was not compiled ahead of time: {error}", file=sys.stderr)
        return 1
    print(f"kernel compiled ahead of time: {path}")
    return 0
