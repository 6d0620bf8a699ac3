"""numba's reference counts stay out of the compiled loops (docs/explanation/performance.md,
"Reference counts").

numba counts an array's references atomically each time a function inlined into a loop is handed
it, an array is unpacked from a tuple into a name of its own, a view is made, or a branch picks one
of two arrays. In the world-playing kernel those counts were 41% of its time, and in the solver's
fixed-point map about a third of a solve's (and both solver threads fought over the same counters).
These tests compile each hot kernel afresh (numba's cached code cannot be inspected) and count the
``NRT_incref`` calls in its LLVM IR: at most one per array argument, taken on entry, and none
inside its loops (at most: a later numba may prune more). Structural checks, not timings; each
fails on the code before the change (58 against 23, 96 against 24).
"""

from __future__ import annotations

import pytest

numba = pytest.importorskip("numba")
if numba.config.DISABLE_JIT:  # njit gives the plain function: nothing compiled to inspect
    pytest.skip("NUMBA_DISABLE_JIT is set", allow_module_level=True)

from numba.core import types  # noqa: E402

from sim.domain.scenario import load_scenario  # noqa: E402
from sim.engine import ahead_of_time, fused  # noqa: E402
from sim.engine.equilibrium import kernels  # noqa: E402
from sim.engine.equilibrium.solver import solve_crisis  # noqa: E402
from sim.engine.jit import compile_deferred  # noqa: E402


def increments(function, signature, **options) -> int:
    """``NRT_incref`` calls in the LLVM IR of ``function`` compiled afresh for ``signature``."""
    fresh = numba.njit(**options)(function.py_func)
    fresh.compile(signature)
    return fresh.inspect_llvm(signature).count("call void @NRT_incref")


def arrays_in(signature: tuple) -> int:
    """Array arguments in a numba signature, counting those inside tuples."""
    count = 0
    for kind in signature:
        if isinstance(kind, types.BaseTuple):
            count += arrays_in(tuple(kind.types))
        elif isinstance(kind, types.Array):
            count += 1
    return count


def test_the_world_playing_kernel_counts_references_only_on_entry() -> None:
    compile_deferred()  # the kernel's callees as dispatchers, as numba compiles them into it
    signature = numba.core.sigutils.normalize_signature(ahead_of_time.signature())[0]
    arrays = sum(dimensions > 0 for _, dimensions in ahead_of_time.ARGUMENTS)
    found = increments(fused._play_worlds, signature, nogil=True, error_model="numpy")
    assert found <= arrays, (
        f"the kernel's IR counts references {found} times, at most {arrays} expected (one per array argument): "
        "a helper inlined into the loop is handed an array, or a branch picks one"
    )


def test_the_solvers_damped_iteration_counts_references_only_on_entry() -> None:
    solve_crisis(load_scenario("classroom_chicken", {"rounds": 2}))  # compiles the kernels: their signatures
    signature = kernels._damped_kernel.signatures[0]  # the types every solve hands it
    arrays = arrays_in(signature)
    found = increments(kernels._damped_kernel, signature, nogil=True, error_model="numpy")
    assert found <= arrays, (
        f"the damped iteration's IR counts references {found} times, at most {arrays} expected (one per array "
        "argument): the inlined map unpacks a tuple of arrays into names, makes a view or returns early"
    )
