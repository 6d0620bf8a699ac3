"""Solved equilibria kept on disk, so a second ``sim run`` of a scenario does not solve it again.

One uncompressed ``.npz`` file per scenario and grid holds the grid rounds a
:class:`~sim.engine.equilibrium.solver.CrisisEquilibrium` has solved (``solved``: a
:class:`~sim.engine.equilibrium.states.RoundSolution` per round, or nothing for round 1, which is
solved on the grid only when asked for). The file's name is a hash of everything the solution
depends on: the scenario (its :func:`~sim.engine.equilibrium.grid_identity.grid_hash`, so a
scenario that differs only in its starting beliefs reads the same file), the grid, the version of
``sim`` and the source of the solver (``sim/engine/equilibrium/*.py`` and ``sim/domain/payoffs.py``),
so a changed solver never reads a stale file.

It is off unless turned on (:data:`ENABLED`): the command line turns it on for the commands that
solve one scenario (``run``, ``trace``, ``solve``, ``inspect``), where a second call then skips the solve. A sweep
solves a new scenario at every design point, which a 60 MB file each would only slow down.

The folder is ``$SIM_CACHE_DIR`` if set (``off`` turns the cache off), else ``deterrence-sim`` in
``$XDG_CACHE_HOME`` (``~/.cache`` by default), created when first written. Files are written
atomically, and the least recently used beyond :data:`MAX_FILES` are deleted. The cache is only
ever a shortcut: a file that is missing, corrupt or unreadable, or a folder that cannot be
written, means the scenario is solved as if there were no cache, never an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from sim._version import __version__
from sim.domain.files import write_atomically
from sim.domain.scenario import Scenario
from sim.engine.equilibrium.grid_identity import grid_hash
from sim.engine.equilibrium.policy_tree import PolicyTree
from sim.engine.equilibrium.states import RoundSolution, States

MAX_FILES = 16
"""Solved equilibria kept; the least recently used beyond this are deleted (a 20-round scenario's
file is about 60 MB)."""

ENABLED = False
"""Whether :func:`~sim.engine.equilibrium.solver.equilibrium_for` reads and writes the cache (module docstring)."""

PREFIX = "equilibrium-"
TREE_SUFFIX = "-tree.npz"
"""The policy tree (:mod:`~sim.engine.equilibrium.policy_tree`) is kept beside the solution, in
``<key>-tree.npz``: a second run then solves nothing at all."""
_UNREADABLE = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile)
"""What reading a damaged or foreign file can raise: each means "not cached"."""


def cache_dir() -> Path | None:
    """The folder of the cache, or None when ``SIM_CACHE_DIR=off`` (or no home folder is known)."""
    chosen = os.environ.get("SIM_CACHE_DIR", "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        return Path(base) / "deterrence-sim" if base else Path.home() / ".cache" / "deterrence-sim"
    except RuntimeError:  # no home folder to be found
        return None


@functools.cache
def solver_source_hash() -> str:
    """SHA-256 of the solver's source: every ``sim/engine/equilibrium/*.py`` and ``sim/domain/payoffs.py``."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in [*sorted(here.glob("*.py")), here.parent.parent / "domain" / "payoffs.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_key(scenario: Scenario, grid_points: int, suffix: str = ".npz") -> str:
    """The name of a file, without folder or suffix: a hash of all its content depends on.

    The grid solution depends on the scenario's :func:`~sim.engine.equilibrium.grid_identity.grid_hash`
    (scenarios that differ only in their starting beliefs, start rung or names share one file); the
    policy tree (:data:`TREE_SUFFIX`) on the whole scenario.
    """
    scenario_hash = scenario.sha256() if suffix == TREE_SUFFIX else grid_hash(scenario)
    parts = (scenario_hash, str(grid_points), __version__, solver_source_hash())
    return PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


def cache_path(scenario: Scenario, grid_points: int, suffix: str = ".npz") -> Path | None:
    """The file the scenario's solution on this grid is kept in (None if the cache is off); with
    :data:`TREE_SUFFIX`, the file of its policy tree."""
    folder = cache_dir()
    return None if folder is None else folder / f"{cache_key(scenario, grid_points, suffix)}{suffix}"


def load(scenario: Scenario, grid_points: int) -> list[RoundSolution | None] | None:
    """The grid rounds saved for the scenario and grid, or None if there are none that can be read.

    Parameters
    ----------
    scenario : Scenario
        The scenario solved.
    grid_points : int
        Grid points per belief.

    Returns
    -------
    list of RoundSolution or None, or None
        Round ``t``'s solution at index ``t - 1`` (None where it was not solved), as
        :attr:`CrisisEquilibrium.solved`; None on a miss or any problem with the file.
    """
    path = cache_path(scenario, grid_points)
    if path is None or not path.is_file():
        return None
    states = 4 * grid_points**3
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["horizon"]) != scenario.rounds:
                return None
            solved = [_read_round(data, t, states) for t in range(1, scenario.rounds + 1)]
    except _UNREADABLE:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return solved


def save(scenario: Scenario, grid_points: int, solved: list[RoundSolution | None]) -> None:
    """Keep the solved grid rounds on disk (atomically); any problem writing them is ignored.

    Parameters
    ----------
    scenario : Scenario
        The scenario solved.
    grid_points : int
        Grid points per belief.
    solved : list of RoundSolution or None
        Each round's grid solution, None for the rounds not solved (kept None).
    """
    path = cache_path(scenario, grid_points)
    if path is None:
        return
    arrays: dict[str, Any] = {"horizon": np.array(len(solved))}
    for t, solution in enumerate(solved, start=1):
        if solution is not None:
            arrays.update(_round_arrays(t, solution))
    try:
        write_atomically(path, lambda temporary: np.savez(temporary, **arrays))
        _prune(path.parent)
    except OSError:
        return


def _round_arrays(t: int, solution: RoundSolution) -> dict[str, np.ndarray]:
    """One round's fields as named arrays: ``r{t}.{field}``, the posteriors as ``r{t}.posteriors.{i}``."""
    arrays = {}
    for spec in fields(RoundSolution):
        value = getattr(solution, spec.name)
        if spec.name == "posteriors":
            arrays.update({f"r{t}.posteriors.{i}": np.asarray(p) for i, p in enumerate(value)})
        else:
            arrays[f"r{t}.{spec.name}"] = np.asarray(value)
    return arrays


def _read_round(data: np.lib.npyio.NpzFile, t: int, states: int) -> RoundSolution | None:
    """Round ``t``'s solution from the file, or None if it was not solved.

    Raises
    ------
    KeyError, ValueError
        If a field is missing or the arrays are not one row per grid state.
    """
    if f"r{t}.values" not in data.files:
        return None
    values: dict[str, Any] = {}
    for spec in fields(RoundSolution):
        if spec.name == "posteriors":
            count = sum(name.startswith(f"r{t}.posteriors.") for name in data.files)
            values["posteriors"] = [data[f"r{t}.posteriors.{i}"] for i in range(count)]
        elif spec.name == "residual":
            values["residual"] = float(data[f"r{t}.residual"])
        else:
            values[spec.name] = data[f"r{t}.{spec.name}"]
    if len(values["values"]) != states or any(len(p) != states for p in values["posteriors"]):
        raise ValueError(f"round {t}: not one row per grid state")
    return RoundSolution(**values)


def load_tree(scenario: Scenario, grid_points: int) -> PolicyTree | None:
    """The policy tree saved beside the scenario's solution, or None (a miss or any problem)."""
    path = cache_path(scenario, grid_points, TREE_SUFFIX)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return PolicyTree(
                depth=int(data["depth"]),
                rows=data["rows"],
                child=data["child"],
                states=States(data["beliefs"], data["incident"], data["pledged"]),
                level=data["level"],
            )
    except _UNREADABLE:
        return None


def save_tree(scenario: Scenario, grid_points: int, tree: PolicyTree) -> None:
    """Keep the policy tree beside the scenario's solution (atomically); problems are ignored."""
    path = cache_path(scenario, grid_points, TREE_SUFFIX)
    if path is None:
        return
    arrays: dict[str, Any] = {
        "depth": np.array(tree.depth),
        "rows": tree.rows,
        "child": tree.child,
        "beliefs": tree.states.beliefs,
        "incident": tree.states.incident,
        "pledged": tree.states.pledged,
        "level": tree.level,
    }
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda temporary: np.savez(temporary, **arrays))


def _prune(folder: Path) -> None:
    """Delete the least recently used solutions beyond :data:`MAX_FILES` (and ignore any that vanish)."""
    kept = []
    for path in folder.glob(f"{PREFIX}*.npz"):
        try:
            kept.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(kept, reverse=True)[MAX_FILES:]:
        path.unlink(missing_ok=True)
