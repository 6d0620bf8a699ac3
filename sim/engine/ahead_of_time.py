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
are the same to the last bit (tests/engine/test_ahead_of_time.py). It differs from the just-in-time
kernel in three ways, none of which changes a number: a batch is played in one call, not split over
threads, holding the GIL; it is compiled for the processor family, not for the host's processor as
numba's own compilation is; and with numba's default error model, under which a division by zero
would raise rather than give infinity (the kernel's one division, in Bayes' rule, is guarded). So it
plays only a run's first :data:`MOST_WORLDS` worlds, and only while numba is not loaded.

Built by ``python -m sim.engine.fused`` (``make kernel``; the Makefile's install step runs it too).
It takes about 11 s and needs a C compiler. Its file name hashes the kernel's sources
(:func:`sources`) and numba's, numpy's and Python's versions, so a changed kernel is never loaded
from an old build; a missing, damaged or stale build only means the just-in-time kernel plays.
numba marks ``numba.pycc`` as pending deprecation: where a numba has dropped it, the build says so
and everything runs as before.

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

from sim.engine import jit
from sim.engine.equilibrium.disk_cache import cache_dir

MOST_WORLDS = 500_000
"""How many of a run's first worlds the compiled-ahead kernel may play (:func:`kernel_for`), and only while
numba has not been loaded (nothing else in the process needed it). Later worlds, and every world once
numba is loaded, go to the just-in-time kernel and its threads. One thread of either kernel plays a
world-round in about the same time (42 and 40 ms for 100,000 worlds of ``coalition_2026``, best of 7,
timed in turn; the compiled-ahead one is built for the processor family, not the host), and two
threads halve it, saving some 45 ns a world-round, so loading numba (0.45 to 0.6 s) pays for itself
only past about 10 million world-rounds, some 2 million worlds of ``coalition_2026`` (4.4 rounds
each); 500,000 stays clear of that for longer crises too."""

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

SCALARS = {"i8": (int, np.int64), "u8": (int, np.uint64), "f8": (float, np.float64)}
RANGES = {"i8": (-(2**63), 2**63), "u8": (0, 2**64)}
OUTPUTS = 9
"""The last arguments are the arrays the kernel writes each world's results into."""
DTYPES = {"i8": np.int64, "u8": np.uint64, "f8": np.float64, "i1": np.int8, "i2": np.int16, "b1": np.bool_}


def signature() -> str:
    """:data:`ARGUMENTS` in numba's notation, e.g. ``i8[:, ::1](i8, f8[:, ::1], ...)``."""

    def spelled(code: str, dimensions: int) -> str:
        return code if dimensions == 0 else f"{code}[{', '.join([':'] * (dimensions - 1) + ['::1'])}]"

    return f"i8[:, ::1]({', '.join(spelled(code, dimensions) for code, dimensions in ARGUMENTS)})"


def fits(arguments: tuple) -> bool:
    """Whether these arguments have exactly the kernel's types (:data:`ARGUMENTS`). The compiled-ahead
    module converts what it is given without checking: an array is read as its signature says (a
    Fortran-ordered one with the wrong strides), a float32 number is widened where the just-in-time
    kernel would compute in float32, a read-only output is written. So every call is checked first,
    and what does not fit goes to the just-in-time kernel. Lengths are not checked: neither kernel
    checks its indices, and :func:`sim.engine.fused.kernel_inputs` makes every array."""
    if len(arguments) != len(ARGUMENTS):
        return False
    outputs = len(arguments) - OUTPUTS
    for position, (value, (code, dimensions)) in enumerate(zip(arguments, ARGUMENTS, strict=True)):
        if dimensions == 0:
            low, high = RANGES.get(code, (None, None))
            if type(value) not in SCALARS[code] or (low is not None and not low <= value < high):
                return False
        elif not (
            type(value) is np.ndarray
            and value.dtype == DTYPES[code]
            and value.ndim == dimensions
            and value.flags.c_contiguous
            and value.flags.aligned
            and (position < outputs or value.flags.writeable)
        ):
            return False
    return True


MODULE = "fused_ahead"
KEPT_BUILDS = 4
"""Builds kept in the folder (the newest): checkouts, Pythons or numbas that share a cache folder
each find their own."""

_LOADED: dict[Path, Callable[..., Any]] = {}
_LOCK = threading.Lock()


def sources() -> list[Path]:
    """The files the kernel is compiled from: every module of :mod:`sim.engine` (the kernel, the
    functions it calls, the constants it reads) and :mod:`sim.domain.ladder` (the rungs' and outcomes'
    codes). Any change to them names a new build, so an old one is never loaded."""
    engine = Path(__file__).resolve().parent
    return [*sorted(engine.rglob("*.py")), engine.parent / "domain" / "ladder.py"]


def build_path() -> Path | None:
    """Where this kernel's build is (or would be) kept; None without a cache folder or numba."""
    folder = cache_dir()
    name = _file_name()
    return None if folder is None or name is None else folder / "kernel" / name


@functools.cache
def _file_name() -> str | None:
    """The build's file name: a hash of :func:`sources` and of numba's, numpy's and Python's versions."""
    digest = hashlib.sha256()
    try:
        for path in sources():
            digest.update(path.read_bytes())
        digest.update(metadata.version("numba").encode())
    except (OSError, metadata.PackageNotFoundError):  # sources not at hand, or no numba
        return None
    digest.update(np.__version__.encode())
    digest.update(sys.version.encode())
    return f"{MODULE}_{digest.hexdigest()[:16]}{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"


def kernel() -> Callable[..., Any] | None:
    """The compiled-ahead kernel, or None where it has not been built (or cannot be loaded). A build
    made while the process runs is found at the next call."""
    path = build_path()
    if path is None:
        return None
    with _LOCK:
        found = _LOADED.get(path)
        if found is None:
            found = _load(path)
            if found is not None:
                _LOADED[path] = found
        return found


def kernel_for(first: int, n: int) -> Callable[..., Any] | None:
    """The compiled-ahead kernel if it plays worlds ``first .. first + n - 1`` of a run (it is built,
    numba is not loaded, and they are among the run's first :data:`MOST_WORLDS`), else None."""
    return kernel() if first + n <= MOST_WORLDS and jit.numba is None else None


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
    builds = sorted(path.parent.glob(f"{MODULE}_*"), key=lambda old: old.stat().st_mtime, reverse=True)
    for old in builds[KEPT_BUILDS:]:
        old.unlink(missing_ok=True)
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
