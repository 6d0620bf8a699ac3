"""numba is imported only when a compiled function is first called (sim.engine.jit): importing the
engine loads none of it, and the first call puts numba's dispatchers where the deferred functions
were, so compiled code calling compiled code finds dispatchers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

FIRST_CALL = """
import json, sys
import sim.engine.fused as fused, sim.engine.streams as streams, sim.runs.montecarlo
import sim.engine.equilibrium.round_game as round_game
before = sorted(m for m in ("numba", "llvmlite", "scipy") if m in sys.modules)
deferred = type(fused._play_worlds).__name__
results = sim.runs.montecarlo.run_monte_carlo("classroom_chicken", 200, seed=1)
print(json.dumps({
    "before": before,
    "deferred": deferred,
    "after": type(fused._play_worlds).__name__,
    "callee": type(fused.uniform_at).__name__,
    "same_callee": fused.uniform_at is streams.uniform_at,
    "imported_name": type(round_game._cohesion_kernel).__name__,
    "runs": int(results.outcome.size),
}))
"""


def test_numba_waits_for_the_first_compiled_call_then_every_name_is_a_dispatcher(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CALL],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SIM_CACHE_DIR": str(tmp_path)},  # no kernel built ahead of time here
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["before"] == [], "importing the engine imports no numba"
    assert got["deferred"] == "Deferred"
    assert got["after"] == got["callee"] == got["imported_name"] == "CPUDispatcher"
    assert got["same_callee"] and got["runs"] == 200
