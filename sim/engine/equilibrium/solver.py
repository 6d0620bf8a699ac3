"""The whole crisis: backward induction over the rounds on the belief grid, the solved equilibrium, and
its cache (one solve per scenario and grid, shared by the model, the app and the game export)."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.domain.ladder import ACTORS
from sim.domain.scenario import Scenario
from sim.engine.equilibrium import disk_cache, numpy_twins
from sim.engine.equilibrium.features import feature_rows, split_features
from sim.engine.equilibrium.grid_identity import grid_hash
from sim.engine.equilibrium.kernels import ContinuationTable, _interpolate_rows
from sim.engine.equilibrium.round_game import RoundGame
from sim.engine.equilibrium.settings import GRID_POINTS
from sim.engine.equilibrium.states import RoundSolution, States
from sim.engine.jit import numba_works

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

    from sim.engine.equilibrium.policy_tree import PolicyTree


def grid_states(grid_points: int) -> States:
    """Every grid state, in the order (iota, kappa, b_c, b_r, b_u)."""
    axis = np.linspace(0.0, 1.0, grid_points)
    iota, kappa, bc, br, bu = np.meshgrid((0, 1), (0, 1), axis, axis, axis, indexing="ij")
    beliefs = np.stack([bc.ravel(), br.ravel(), bu.ravel()], axis=1)
    return States(beliefs, iota.ravel().astype(np.int8), kappa.ravel().astype(np.int8))


@dataclass(eq=False)
class GridSolution:
    """The grid rounds of a solved crisis and what is read from them, shared by every scenario with the
    same grid (:mod:`~sim.engine.equilibrium.grid_identity`: scenarios that differ only in the beliefs
    they start from, where they start, or their names).

    Attributes
    ----------
    rounds : list of RoundSolution or None
        Round ``t``'s solution at :func:`grid_states` at index ``t - 1``; None for round 1 until
        something asks for it.
    features : list of ndarray or None
        Round ``t``'s policies as feature rows (:meth:`CrisisEquilibrium.features`), made on first use.
    table : ndarray or None
        Every round's feature rows in one array (rounds + 1, states, columns), as the compiled
        engine reads them (:func:`sim.engine.fused.kernel_inputs`); made on first use.
    game : RoundGame or None
        The round game the grid was solved with, shared by the crises on this grid (it reads no
        field a scenario on the grid may change); None until a crisis on the grid makes one.
    """

    rounds: list[RoundSolution | None]
    features: list[np.ndarray | None] = field(init=False)
    table: np.ndarray | None = None
    game: RoundGame | None = None

    def __post_init__(self) -> None:
        # Sized now, not on first use: app sessions in threads read one shared solution.
        self.features = [None] * len(self.rounds)


@dataclass
class CrisisEquilibrium:
    """The solved crisis: every round's policies on the belief grid, and how to read them anywhere.

    ``rounds[t - 1]`` is round ``t``'s :class:`RoundSolution` at :func:`grid_states`. Round 1 is
    played at one public state only (the scenario's prior beliefs: nothing has happened yet), so
    :func:`solve_crisis` solves the grid for rounds ``T, ..., 2`` and round 1 exactly where it is
    played (:meth:`solve_at`); round 1's grid solution is solved the first time something asks for
    it (:attr:`rounds`, :meth:`features`). The grid rounds are a :class:`GridSolution`, which
    :func:`equilibrium_for` shares between scenarios whose grids are the same.
    """

    scenario: Scenario
    grid_points: int
    grid: GridSolution
    game: RoundGame
    _tree: PolicyTree | None = field(default=None, repr=False)

    @property
    def solved(self) -> list[RoundSolution | None]:
        """The grid rounds solved so far (:attr:`GridSolution.rounds`): None for round 1 until asked for."""
        return self.grid.rounds

    @property
    def horizon(self) -> int:
        """The number of rounds, T (the scenario's ``rounds``)."""
        return len(self.solved)

    @property
    def rounds(self) -> list[RoundSolution]:
        """Every round's solution on the grid (round 1's solved now if it was not yet)."""
        return [self.grid_round(t) for t in range(1, self.horizon + 1)]

    @property
    def residual(self) -> float:
        """The largest fixed-point residual over the grid rounds solved (rounds 2 to T, and round 1
        once solved on the grid)."""
        return max((solution.residual for solution in self.solved if solution is not None), default=0.0)

    def grid_round(self, round_number: int) -> RoundSolution:
        """Round ``t``'s solution on the grid, solved on first use for round 1 (warm-started from
        round 2's, as the backward induction does for every other round)."""
        solution = self.solved[round_number - 1]
        if solution is None:
            later = self.solved[round_number] if round_number < self.horizon else None
            warm = None if later is None else [p.copy() for p in later.posteriors]
            states = grid_states(self.grid_points)
            solution = self.game.solve(round_number, states, self.continuation(round_number), warm)
            self.solved[round_number - 1] = solution
        return solution

    def continuation(self, round_number: int) -> ContinuationTable | None:
        """The values the decisions of round ``t`` look forward to (None in the last round)."""
        if round_number >= self.horizon:
            return None
        return _continuation_table(self.grid_round(round_number + 1), self.grid_points)

    def solve_at(self, round_number: int, states: States) -> RoundSolution:
        """The round's equilibrium solved afresh at exact states (early rounds, the trace, the Game page).

        The fixed point starts from the posteriors interpolated off the grid solution of this round,
        or for round 1 off round 2's (the start the grid solve uses: round 1's own grid may or may
        not have been solved, and the start must not depend on that); the states a warm start
        leaves unsolved follow the homotopy (:meth:`RoundGame.solve`). Round 1 of a one-round
        crisis starts cold, by homotopy.
        """
        source = round_number
        if round_number == 1:
            source = 2 if self.horizon > 1 else 0
        warm = None
        if source:
            grid = policies_at(self, source, states)["posteriors"]
            warm = [grid[:, :2].copy(), grid[:, 2:4].copy(), grid[:, 4:].reshape(-1, 2, 3).copy()]
        with _one_blas_thread():
            return self.game.solve(round_number, states, self.continuation(round_number), warm)

    def policy_tree(self) -> PolicyTree:
        """The early rounds solved exactly at every reachable public state (read from the disk
        cache or built on first use, :func:`_plant_trees`): the engine reads rounds ``1..depth``
        from it and the later rounds from the grid."""
        if self._tree is None:
            _plant_trees([self])
        tree = self._tree
        assert tree is not None  # planted just above
        return tree

    def policy_rows(self, round_number: int, nodes: np.ndarray, states: States) -> np.ndarray:
        """Round ``t``'s feature rows at these states: the policy tree's row where ``nodes`` names one,
        the grid read by interpolation where it is -1 (past the tree, or a branch it left out).

        The numpy model (by each world's node) and the exact outcome enumeration (by each state's
        node, :meth:`PolicyTree.nodes_at`) read their policies here, as the compiled kernel does."""
        inside = nodes >= 0
        rows = self.policy_tree().rows[np.maximum(nodes, 0)]
        if not inside.all():
            outside = np.flatnonzero(~inside)
            picked = States(states.beliefs[outside], states.incident[outside], states.pledged[outside])
            rows[outside] = interpolated_rows(self, round_number, picked)
        return rows

    def initial_state(self) -> States:
        """The one public state round 1 is played at: the scenario's initial beliefs about each
        actor, an incident flag set when the scenario starts on the ``incident`` rung, and no pledge."""
        s = self.scenario
        beliefs = np.array([[s.actor(key).initial_belief for key in ACTORS]])
        return States(beliefs, np.array([int(s.start_rung == "incident")], np.int8), np.zeros(1, np.int8))

    def value(self) -> np.ndarray:
        """Each actor's expected value of the whole crisis at the start (actor, type)."""
        return self.solve_at(1, self.initial_state()).values[0]

    def features(self, round_number: int) -> np.ndarray:
        """Round ``t``'s policies as one row per grid state, for interpolation by the engine.

        Columns: coalition (type, 3), russia (c, type, 3), us (c, type, 3), resist (c, type, 2),
        join (c, type, 2), member stay chances, collapse.
        """
        kept = self.grid.features
        features = kept[round_number - 1]
        if features is None:
            features = feature_rows(self.grid_round(round_number))
            kept[round_number - 1] = features
        return features


def policies_at(equilibrium: CrisisEquilibrium, round_number: int, states: States) -> dict[str, np.ndarray]:
    """Round ``t``'s policies at any states, interpolated from the grid (the engine's lookup).

    Returns ``coalition`` (n, type, 3), ``russia`` and ``us`` (n, c, type, 3), ``resist`` and
    ``join`` (n, c, type, 2), ``stay`` (n, members) and ``collapse`` (n,).
    """
    return split_features(interpolated_rows(equilibrium, round_number, states))


def interpolated_rows(equilibrium: CrisisEquilibrium, round_number: int, states: States) -> np.ndarray:
    """Round ``t``'s feature rows (:func:`~sim.engine.equilibrium.features.feature_rows`) at any
    states, read from the grid by trilinear interpolation."""
    table = equilibrium.features(round_number)
    flags = (states.incident.astype(np.int64) * 2 + states.pledged.astype(np.int64)).astype(np.int64)
    read = _interpolate_rows if numba_works() else numpy_twins.interpolate_rows
    return read(table, equilibrium.grid_points, np.ascontiguousarray(states.beliefs, dtype=float), flags)


_CACHE: dict[tuple[str, int], CrisisEquilibrium] = {}
_CACHE_SIZE = 8
_GRIDS: weakref.WeakValueDictionary[tuple[str, int], GridSolution] = weakref.WeakValueDictionary()
"""The grid solutions of the equilibria alive, by :func:`~sim.engine.equilibrium.grid_identity.grid_hash`:
a scenario whose grid is one of them shares it instead of solving again (held only while some
equilibrium holds it, so sharing costs no memory)."""
_LOCK = threading.Lock()
"""Guards :data:`_CACHE`, :data:`_GRIDS` and :data:`_SOLVING` (the app's sessions run in threads)."""
_SOLVING: dict[tuple[str, int], threading.Lock] = {}
"""One lock per grid being made: a second session asking for the same grid waits for it instead of
solving it too (two students moving the same prior slider)."""


def equilibrium_for(scenario: Scenario, grid_points: int = GRID_POINTS) -> CrisisEquilibrium:
    """The scenario's solved equilibrium, solved once and kept (the last few scenarios, by hash).

    The grid rounds are solved once for every scenario with the same grid
    (:mod:`~sim.engine.equilibrium.grid_identity`): a scenario that differs from one solved before
    only in its starting beliefs, its start rung or its names reads that solution and solves only
    what is played from its own start (round 1 and the policy tree). Where the disk cache is on
    (:mod:`~sim.engine.equilibrium.disk_cache`), the grid is kept on disk too, and read from there
    if solved before. Safe to call from several threads: a grid is made by one of them, the others wait.
    """
    key = (scenario.sha256(), grid_points)
    with _LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    shared = (grid_hash(scenario), grid_points)  # hashed only on a miss: a run asks on every call
    with _LOCK:
        making = _SOLVING.setdefault(shared, threading.Lock())
    with making:
        with _LOCK:
            found = _CACHE.get(key)
            grid = _GRIDS.get(shared)
        if found is None:
            found = _equilibrium(scenario, grid_points, grid)
            with _LOCK:
                if len(_CACHE) >= _CACHE_SIZE:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[key] = found
                _GRIDS[shared] = found.grid
    with _LOCK:
        _SOLVING.pop(shared, None)  # a thread still waiting holds the lock itself; the grid is kept by then
    return found


def equilibria_for(scenarios: Sequence[Scenario], grid_points: int = GRID_POINTS) -> list[CrisisEquilibrium]:
    """The solved equilibria of several scenarios (:func:`equilibrium_for` each), with the policy
    trees of those that share a grid built together (:func:`~sim.engine.equilibrium.policy_tree.build_policy_trees`).

    A sweep of the starting beliefs gives its points to this, a few at a time
    (:data:`~sim.engine.equilibrium.policy_tree.TOGETHER`): they share one grid solve, and the
    set-up of each round of their trees is paid once. Each tree is the one
    :meth:`CrisisEquilibrium.policy_tree` would build alone, to the last bit. Every equilibrium
    asked for is held until returned, so give it a few scenarios that share a grid
    (:func:`~sim.engine.equilibrium.grid_identity.grid_hash`), not many that do not.

    Parameters
    ----------
    scenarios : sequence of Scenario
        The scenarios, typically the points of a sweep that differ only in where they start.
    grid_points : int
        Grid points per belief.

    Returns
    -------
    list of CrisisEquilibrium
        One per scenario, in order, each with its policy tree built.
    """
    equilibria = [equilibrium_for(scenario, grid_points) for scenario in scenarios]
    _plant_trees(equilibria)
    return equilibria


def _plant_trees(equilibria: Sequence[CrisisEquilibrium]) -> None:
    """Give each equilibrium without one its policy tree: read from the disk cache where it is on
    and holds it, else built, those on one grid together (and then kept on disk)."""
    waiting: dict[int, dict[int, CrisisEquilibrium]] = {}  # by grid, then by equilibrium: once each
    for equilibrium in equilibria:
        if equilibrium._tree is None and disk_cache.ENABLED:
            equilibrium._tree = disk_cache.load_tree(equilibrium.scenario, equilibrium.grid_points)
        if equilibrium._tree is None:
            waiting.setdefault(id(equilibrium.grid), {})[id(equilibrium)] = equilibrium
    from sim.engine.equilibrium.policy_tree import build_policy_trees  # it reads this module

    for group in waiting.values():
        built = list(group.values())
        for equilibrium, tree in zip(built, build_policy_trees(built), strict=True):
            equilibrium._tree = tree
            if disk_cache.ENABLED:
                disk_cache.save_tree(equilibrium.scenario, equilibrium.grid_points, tree)


def _equilibrium(scenario: Scenario, grid_points: int, grid: GridSolution | None) -> CrisisEquilibrium:
    """A new equilibrium of the scenario on ``grid`` if shared, else read from disk, else solved now."""
    if grid is None and disk_cache.ENABLED:
        solved = disk_cache.load(scenario, grid_points)
        grid = None if solved is None else GridSolution(solved)
    if grid is not None:
        if grid.game is None:
            grid.game = RoundGame(scenario)
        return CrisisEquilibrium(scenario, grid_points, grid, grid.game)
    equilibrium = solve_crisis(scenario, grid_points)
    if disk_cache.ENABLED:
        disk_cache.save(scenario, grid_points, equilibrium.solved)
    return equilibrium


def solve_crisis(scenario: Scenario, grid_points: int = GRID_POINTS, compiled: bool | None = None) -> CrisisEquilibrium:
    """Solve the whole crisis by backward induction over rounds on a belief grid (module docstring):
    rounds ``T, ..., 2`` on the grid; round 1, played at the prior beliefs only, is solved where it
    is played (:meth:`CrisisEquilibrium.solve_at`), and on the grid only if asked for.

    ``compiled=False`` iterates the numpy reference of the fixed-point map instead of the compiled
    kernels: the same steps and fixed points (to the solver's tolerance), for checks and benchmarks;
    it is the default without numba (:mod:`sim.engine.jit`).

    Raises
    ------
    ValueError
        If ``grid_points`` is less than 2.

    References
    ----------
    McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for extensive form games.
    *Experimental Economics* 1, 9-41.
    Fudenberg, D. and Tirole, J. (1991). *Game Theory*, ch. 8. MIT Press.
    Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic quantal response
    equilibrium correspondence. *Games and Economic Behavior* 51, 243-263.
    """
    if grid_points < 2:
        raise ValueError("grid_points must be at least 2")
    game = RoundGame(scenario, compiled=compiled)
    states = grid_states(grid_points)
    solved: list[RoundSolution | None] = [None] * scenario.rounds
    continuation: ContinuationTable | None = None
    warm: list[np.ndarray] | None = None
    with _one_blas_thread():
        for round_number in range(scenario.rounds, 1, -1):
            solution = game.solve(round_number, states, continuation, warm)
            warm = solution.posteriors
            solved[round_number - 1] = solution
            continuation = _continuation_table(solution, grid_points)
    return CrisisEquilibrium(scenario, grid_points, GridSolution(solved, game=game), game)


def _one_blas_thread() -> AbstractContextManager[object]:
    """BLAS (OpenBLAS) limited to one thread while solving: the solver's kernels already call LAPACK
    from :data:`~sim.engine.equilibrium.threads.SOLVER_THREADS` Python threads, and BLAS threads of
    their own on top would oversubscribe the cores."""
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The process's thread pools, found once: finding them reads the loaded libraries' list
    (about 3 ms), which a sweep's small design points, three solves each, paid every time.

    Both BLAS libraries are loaded first: numpy's, and SciPy's, which numba's ``np.linalg`` calls
    in the compiled Newton steps use (loaded by their first call otherwise, after the pools were
    found). threadpoolctl is imported on first use."""
    import scipy.linalg.cython_lapack  # noqa: F401  # loads SciPy's OpenBLAS, for the controller to see
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _continuation_table(solution: RoundSolution, g: int) -> ContinuationTable:
    """A grid round's values as the table the round before it reads."""
    return ContinuationTable(solution.values.reshape(2, 2, g, g, g, 3, 2), g)
