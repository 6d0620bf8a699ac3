"""Nash equilibria of games in normal form.

* :func:`pure_nash` lists every pure-strategy equilibrium of an N-player game by comparing, for
  each player at once, its payoff array with the maximum along its own axis.
* :func:`support_enumeration` lists every equilibrium of a nondegenerate two-player game by solving
  the indifference equations on each pair of equal-sized supports (Nisan et al. 2007, *Algorithmic
  Game Theory*, ch. 3; the same method as nashpy), and says whether the game is degenerate, in
  which case the list may be incomplete.
* :func:`nash_equilibria` picks the method by the number of players and says how complete the
  answer is: mixed equilibria of games with three or more players need the optional ``pygambit``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.domain.limits import MAX_PURE_EQUILIBRIA, MAX_SUPPORT_PAIRS
from sim.game.gambit_api import profile_arrays, table_game
from sim.game.normal import GameError, NormalFormGame
from sim.game.tree import ExtensiveFormGame, describe_count

TOLERANCE = 1e-9  # on probabilities; on payoffs it is scaled by the game's largest payoff


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """A mixed profile (one probability vector per player) and each player's expected payoff there."""

    profile: tuple[np.ndarray, ...]
    payoffs: np.ndarray

    @property
    def is_pure(self) -> bool:
        """Whether every player puts all its probability (within ``TOLERANCE``) on one pure strategy."""
        return all(np.isclose(p.max(), 1.0, rtol=0.0, atol=TOLERANCE) for p in self.profile)

    def support(self, player: int) -> tuple[int, ...]:
        """The pure strategies the player uses with positive probability."""
        return tuple(int(k) for k in np.flatnonzero(self.profile[player] > TOLERANCE))

    def supports(self) -> tuple[tuple[int, ...], ...]:
        """Every player's support (:meth:`support`), in player order."""
        return tuple(self.support(player) for player in range(len(self.profile)))

    def is_close(self, other: Equilibrium, tol: float = TOLERANCE) -> bool:
        """Whether ``other`` is the same profile, every probability within ``tol``.

        Parameters
        ----------
        other : Equilibrium
            An equilibrium of the same game.
        tol : float, optional
            The largest difference allowed in any probability.

        Returns
        -------
        bool
        """
        return all(np.allclose(p, q, rtol=0.0, atol=tol) for p, q in zip(self.profile, other.profile))


@dataclass(frozen=True)
class NashResult:
    """Equilibria found, how (``method``), whether the list is known to hold them all (``complete``),
    whether the game is degenerate, and a sentence for the reader (``note``)."""

    equilibria: list[Equilibrium]
    method: str
    complete: bool
    degenerate: bool
    note: str = ""


# ---------------------------------------------------------------------------------- helpers


def payoff_tolerance(game: NormalFormGame) -> float:
    """1e-9 times the payoff scale, so a game and its rescaling are treated alike."""
    return TOLERANCE * max(1.0, float(np.abs(game.payoffs).max()))


def make_equilibrium(game: NormalFormGame, profile: Sequence[np.ndarray]) -> Equilibrium:
    """Clean round-off (tiny or negative probabilities become 0, then renormalise) and attach payoffs."""
    cleaned = []
    for p in profile:
        q = np.where(np.asarray(p, dtype=float) > TOLERANCE, p, 0.0)
        cleaned.append(q / q.sum())
    vectors = tuple(cleaned)
    for p in vectors:
        p.setflags(write=False)
    payoffs = game.expected_payoffs(vectors)
    payoffs.setflags(write=False)
    return Equilibrium(vectors, payoffs)


def sort_key(equilibrium: Equilibrium) -> tuple:
    """Pure equilibria first, then by supports, then by probabilities: a stable, readable order."""
    supports = equilibrium.supports()
    size = sum(len(s) for s in supports)
    probabilities = tuple(round(float(x), 9) for p in equilibrium.profile for x in p)
    return size, supports, probabilities


def unique_sorted(equilibria: Iterable[Equilibrium]) -> list[Equilibrium]:
    """Drop equilibria within 1e-9 of one already kept, then sort with :func:`sort_key`.

    Two profiles that close have the same supports (entries up to 1e-9 are cleaned to 0), so a
    candidate is compared only with the kept ones of its supports, all at once. Comparing every
    pair one by one took minutes: the degenerate normal form of a chain of six moves yields
    thousands of candidates."""
    kept: list[Equilibrium] = []
    groups: dict[tuple[tuple[int, ...], ...], list[np.ndarray]] = {}
    for candidate in equilibria:
        flat = np.concatenate(candidate.profile)
        group = groups.setdefault(candidate.supports(), [])
        if group and np.any(np.max(np.abs(np.stack(group) - flat), axis=1) <= TOLERANCE):
            continue
        group.append(flat)
        kept.append(candidate)
    return sorted(kept, key=sort_key)


def as_normal_form(game: NormalFormGame | ExtensiveFormGame) -> NormalFormGame:
    """The game itself if it is in normal form, else the tree's (unreduced) normal form.

    Raises
    ------
    GameError
        If the tree's normal form is too large to build (:meth:`ExtensiveFormGame.to_normal_form`).
    """
    return game.to_normal_form() if isinstance(game, ExtensiveFormGame) else game


# ---------------------------------------------------------------------------------- pure


def pure_nash(game: NormalFormGame, limit: int = MAX_PURE_EQUILIBRIA) -> list[Equilibrium]:
    """Every pure-strategy Nash equilibrium, in lexicographic order of the strategy indices (the
    first ``limit`` of them: :func:`count_pure_nash` says how many there are).

    A profile is an equilibrium when each player's payoff there equals the maximum over its own
    axis (ties, within the payoff tolerance, count as best responses)."""
    stable = _pure_stable(game)
    return [_pure_equilibrium(game, index) for index in np.argwhere(stable)[:limit]]


def count_pure_nash(game: NormalFormGame) -> int:
    """How many pure-strategy Nash equilibria the game has (:func:`pure_nash` lists at most ``limit``)."""
    return int(np.count_nonzero(_pure_stable(game)))


def _pure_stable(game: NormalFormGame) -> np.ndarray:
    """True at each profile where every player plays a best response."""
    tol = payoff_tolerance(game)
    stable = np.ones(game.shape, dtype=bool)
    for i in range(game.n_players):
        table = game.payoffs[i]
        stable &= table >= table.max(axis=i, keepdims=True) - tol
    return stable


def _pure_equilibrium(game: NormalFormGame, index: Sequence[int]) -> Equilibrium:
    """A pure profile as an equilibrium; its payoffs are read from the table (no sum over the
    whole table, as a mixed profile needs)."""
    vectors = tuple(game.pure_profile(index))
    for p in vectors:
        p.setflags(write=False)
    payoffs = np.array(game.payoffs[(slice(None), *(int(k) for k in index))], dtype=np.float64)  # type: ignore[index, arg-type]
    payoffs.setflags(write=False)
    return Equilibrium(vectors, payoffs)


def _pure_result(game: NormalFormGame, note: str, degenerate: bool) -> NashResult:
    """The pure equilibria as a result, saying so when there are more than ``MAX_PURE_EQUILIBRIA``."""
    equilibria = pure_nash(game)
    total = count_pure_nash(game) if len(equilibria) == MAX_PURE_EQUILIBRIA else len(equilibria)
    if total > len(equilibria):
        listed = f"{total:,} pure equilibria: only the first {len(equilibria):,} are listed"
        note = f"{note}; {listed}" if note else listed
    return NashResult(equilibria, "pure enumeration", False, degenerate, note)


# ---------------------------------------------------------------------------------- two players


def indifferent_mix(matrix: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """Solve ``matrix @ p = u 1`` with ``sum(p) = 1`` for ``(p, u)``.

    ``matrix`` is the chooser's opponent's payoffs restricted to the two supports (rows: the
    opponent's support, columns: the chooser's). Returns the probabilities (``None`` when the
    system has no solution) and whether the system is singular, in which case a solution is one
    point of a continuum."""
    k = matrix.shape[1]
    system = np.zeros((matrix.shape[0] + 1, k + 1))
    system[:-1, :k] = matrix
    system[:-1, k] = -1.0
    system[-1, :k] = 1.0
    rhs = np.zeros(matrix.shape[0] + 1)
    rhs[-1] = 1.0
    solution, _, rank, _ = np.linalg.lstsq(system, rhs, rcond=None)
    scale = max(1.0, float(np.abs(matrix).max()))
    if np.abs(system @ solution - rhs).max() > TOLERANCE * scale:
        return None, rank < k + 1
    return solution[:k], rank < k + 1


def extended(size: int, support: Sequence[int], values: np.ndarray) -> np.ndarray:
    """A mix over a support written out over all ``size`` strategies, zero off the support.

    Parameters
    ----------
    size : int
        The number of the player's pure strategies.
    support : sequence of int
        The strategies the mix uses.
    values : numpy.ndarray
        Their probabilities, in the order of ``support``.

    Returns
    -------
    numpy.ndarray
        The probability vector of length ``size``.
    """
    vector = np.zeros(size)
    vector[list(support)] = values
    return vector


def has_extra_best_responses(values: np.ndarray, support_size: int, tol: float) -> bool:
    """Whether more pure strategies than ``support_size`` attain the maximum of ``values``."""
    return int(np.count_nonzero(values >= values.max() - tol)) > support_size


def pure_strategies_degenerate(game: NormalFormGame) -> bool:
    """A pure strategy (support of size 1) with two or more pure best responses makes a game degenerate."""
    tol = payoff_tolerance(game)
    A, B = game.payoffs
    rows = any(has_extra_best_responses(B[i], 1, tol) for i in range(A.shape[0]))
    columns = any(has_extra_best_responses(A[:, j], 1, tol) for j in range(A.shape[1]))
    return rows or columns


def equilibrium_degenerate(game: NormalFormGame, equilibrium: Equilibrium) -> bool:
    """Evidence of degeneracy: a player has more pure best responses to the other's mix than the
    other's support size."""
    tol = payoff_tolerance(game)
    x, y = equilibrium.profile
    A, B = game.payoffs
    return has_extra_best_responses(A @ y, len(equilibrium.support(1)), tol) or has_extra_best_responses(
        x @ B, len(equilibrium.support(0)), tol
    )


def support_candidate(
    game: NormalFormGame, rows: tuple[int, ...], columns: tuple[int, ...]
) -> tuple[Equilibrium | None, bool]:
    """The equilibrium on one pair of supports, if any, and whether a singular system hints at a continuum.

    Each player's mix is checked as soon as it is solved (a probability vector, against which the
    other player has no better pure strategy outside its support), so most supports are rejected
    after one small solve."""
    A, B = game.payoffs
    tol = payoff_tolerance(game)
    y, singular_y = best_response_mix(A, rows, columns, tol)
    if y is None:
        return None, False
    x, singular_x = best_response_mix(B.T, columns, rows, tol)
    if x is None:
        return None, False
    return make_equilibrium(game, (x, y)), singular_x or singular_y


def best_response_mix(
    payoffs: np.ndarray, own: tuple[int, ...], other: tuple[int, ...], tol: float
) -> tuple[np.ndarray | None, bool]:
    """A mix over ``other`` that leaves the owner of ``payoffs`` (rows: its strategies) indifferent
    across ``own`` and no better off anywhere else; ``None`` if there is none. Also whether the
    indifference system is singular."""
    part, singular = indifferent_mix(payoffs[np.ix_(own, other)])
    if part is None or part.min() < -TOLERANCE:
        return None, singular
    mix = extended(payoffs.shape[1], other, part)
    values = payoffs @ mix
    if values.max() > values[list(own)].min() + tol:
        return None, singular
    return mix, singular


def support_enumeration(game: NormalFormGame) -> tuple[list[Equilibrium], bool]:
    """All Nash equilibria of a nondegenerate two-player game, and whether the game is degenerate.

    For each pair of supports of equal size k, solve the indifference equations (each player's
    mix makes the other indifferent across the other's support) and keep solutions that are
    probability vectors with no profitable pure deviation. In a nondegenerate game (no mixed
    strategy with support of size k has more than k pure best responses) every equilibrium has
    supports of equal size and is isolated, so the list is complete (Nisan et al. 2007, ch. 3).

    Degenerate games: equilibria may come in continua, and some equilibria only live on supports
    of unequal size, so the list may miss some; it still holds only true equilibria (for a
    continuum, typically some points of it). Degeneracy is detected for every pure strategy, for
    every equilibrium found, and whenever a support system is singular but yields an equilibrium;
    a degenerate game can still go undetected, so ``False`` means "no evidence found".
    """
    if game.n_players != 2:
        raise GameError(f"support enumeration needs two players, not {game.n_players}")
    m, n = game.shape
    found: list[Equilibrium] = []
    degenerate = pure_strategies_degenerate(game)
    for k in range(1, min(m, n) + 1):
        for rows in itertools.combinations(range(m), k):
            for columns in itertools.combinations(range(n), k):
                equilibrium, singular = support_candidate(game, rows, columns)
                if equilibrium is not None:
                    found.append(equilibrium)
                    degenerate = degenerate or singular or equilibrium_degenerate(game, equilibrium)
    return unique_sorted(found), degenerate


# ---------------------------------------------------------------------------------- dispatcher


def gambit_equilibria(game: NormalFormGame) -> list[Equilibrium] | None:
    """Mixed equilibria from pygambit's global Newton method (Govindan and Wilson 2003), when
    pygambit is installed and works; ``None`` otherwise. Only equilibria that pass our own regret
    check are kept."""
    try:
        import pygambit
    except ImportError:
        return None
    try:
        arrays = [np.asarray(game.payoffs[i]).tolist() for i in range(game.n_players)]
        gambit_game = table_game(pygambit, arrays)
        result = pygambit.nash.gnm_solve(gambit_game)
        profiles = [profile_arrays(gambit_game, eq) for eq in result.equilibria]
    except Exception:  # an optional extra with a changing API: never let it break the solver
        return None
    tol = max(1e-7, payoff_tolerance(game))
    return [make_equilibrium(game, profile) for profile in profiles if game.regret(profile) <= tol]


def support_pairs(game: NormalFormGame) -> int:
    """How many pairs of equal-sized supports support enumeration would try."""
    m, n = game.shape
    return sum(math.comb(m, k) * math.comb(n, k) for k in range(1, min(m, n) + 1))


def nash_equilibria(game: NormalFormGame | ExtensiveFormGame) -> NashResult:
    """Nash equilibria, with the method chosen by the number of players (trees are solved in normal form).

    * one player: its optimal pure strategies (any mix of them is optimal too);
    * two players: support enumeration, complete unless the game is degenerate (or too large:
      beyond ``MAX_SUPPORT_PAIRS`` pairs of supports, pure equilibria only);
    * more players: pure equilibria only (plus whatever pygambit's global Newton method finds,
      if installed); never complete.
    """
    game = as_normal_form(game)
    if game.n_players == 1:
        equilibria = pure_nash(game)
        several = len(equilibria) > 1
        note = "any mix of these optimal strategies is optimal too" if several else ""
        total = count_pure_nash(game) if len(equilibria) == MAX_PURE_EQUILIBRIA else len(equilibria)
        if total > len(equilibria):
            note = f"{total:,} optimal strategies: only the first {len(equilibria):,} are listed; {note}"
        return NashResult(equilibria, "optimisation", total == len(equilibria), several, note)
    if game.n_players == 2 and support_pairs(game) > MAX_SUPPORT_PAIRS:
        note = (
            f"{describe_count(support_pairs(game))} support pairs are too many to enumerate; "
            "only pure-strategy equilibria are listed"
        )
        return _pure_result(game, note, pure_strategies_degenerate(game))
    if game.n_players == 2:
        equilibria, degenerate = support_enumeration(game)
        note = (
            "degenerate game: equilibria may form continua and support enumeration of equal sizes "
            "can miss some; the list holds only verified equilibria"
            if degenerate
            else ""
        )
        return NashResult(equilibria, "support enumeration", not degenerate, degenerate, note)
    return many_player_result(game)


def many_player_result(game: NormalFormGame) -> NashResult:
    """Pure equilibria of an N-player game, plus pygambit's mixed ones when it is installed."""
    pure = pure_nash(game)
    mixed = gambit_equilibria(game)
    if mixed is None:
        note = (
            f"{game.n_players}-player game: only pure-strategy equilibria are listed; mixed equilibria "
            "need the optional pygambit extra"
        )
        return _pure_result(game, note, False)
    note = f"{game.n_players}-player game: all pure equilibria, and mixed ones found by pygambit's gnm (not all)"
    return NashResult(unique_sorted([*pure, *mixed]), "pure enumeration + pygambit gnm", False, False, note)
