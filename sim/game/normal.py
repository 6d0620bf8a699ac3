"""Games in normal (strategic) form: players, their pure strategies, and a payoff array.

``payoffs[i][s_1, ..., s_n]`` is player i's payoff when each player j plays pure strategy s_j,
so a game with n players has a payoff array of shape ``(n, m_1, ..., m_n)``. A mixed profile is a
list with one probability vector per player.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


class GameError(ValueError):
    """A game that cannot be used: says where (a file and line, when read from one) and why."""


@dataclass(frozen=True, eq=False)
class NormalFormGame:
    """A finite game in normal form."""

    players: tuple[str, ...]
    strategies: tuple[tuple[str, ...], ...]
    payoffs: np.ndarray = field(repr=False)
    title: str = ""

    def __post_init__(self) -> None:
        payoffs = np.asarray(self.payoffs, dtype=float)
        object.__setattr__(self, "payoffs", payoffs)
        object.__setattr__(self, "players", tuple(self.players))
        object.__setattr__(self, "strategies", tuple(tuple(labels) for labels in self.strategies))
        n = len(self.players)
        if n < 1:
            raise GameError("a game needs at least one player")
        if len(self.strategies) != n:
            raise GameError(f"{n} players but strategy labels for {len(self.strategies)}")
        expected = (n, *(len(labels) for labels in self.strategies))
        if payoffs.shape != expected:
            raise GameError(f"payoff array has shape {payoffs.shape}, expected {expected}")
        if any(len(labels) == 0 for labels in self.strategies):
            raise GameError("every player needs at least one strategy")
        if not np.all(np.isfinite(payoffs)):
            raise GameError("payoffs must be finite numbers")

    @classmethod
    def from_arrays(
        cls,
        *payoff_arrays: np.ndarray,
        players: Sequence[str] | None = None,
        strategies: Sequence[Sequence[str]] | None = None,
        title: str = "",
    ) -> NormalFormGame:
        """A game from one payoff array per player, e.g. ``from_arrays(A, B)`` for a bimatrix game."""
        stacked = np.stack([np.asarray(array, dtype=float) for array in payoff_arrays])
        n = stacked.shape[0]
        players = tuple(players) if players is not None else tuple(f"Player {i + 1}" for i in range(n))
        if strategies is None:
            strategies = [tuple(str(k + 1) for k in range(size)) for size in stacked.shape[1:]]
        return cls(players, tuple(tuple(s) for s in strategies), stacked, title)

    @property
    def n_players(self) -> int:
        """The number of players."""
        return len(self.players)

    @property
    def shape(self) -> tuple[int, ...]:
        """The number of pure strategies of each player: the payoff array's shape without its first axis."""
        return self.payoffs.shape[1:]

    def pure_profile(self, choice: Sequence[int]) -> list[np.ndarray]:
        """One-hot vectors, each its own array (a row of ``np.eye`` would keep the whole matrix alive)."""
        vectors = []
        for size, k in zip(self.shape, choice, strict=True):
            vector = np.zeros(size)
            vector[k] = 1.0
            vectors.append(vector)
        return vectors

    def strategy_values(self, profile: Sequence[np.ndarray]) -> list[np.ndarray]:
        """For each player, the expected payoff of each of its pure strategies against the others' mix."""
        values = []
        for i in range(self.n_players):
            table = self.payoffs[i]
            for j in reversed(range(self.n_players)):  # contract the others' axes, last first
                if j != i:
                    table = np.tensordot(table, profile[j], axes=([j], [0]))
            values.append(np.asarray(table, dtype=float))
        return values

    def expected_payoffs(self, profile: Sequence[np.ndarray]) -> np.ndarray:
        """Each player's expected payoff under a mixed profile."""
        return np.array([values @ profile[i] for i, values in enumerate(self.strategy_values(profile))])

    def regret(self, profile: Sequence[np.ndarray]) -> float:
        """The most any player could gain by deviating to a pure strategy (0 at a Nash equilibrium)."""
        values = self.strategy_values(profile)
        return float(max(v.max() - v @ profile[i] for i, v in enumerate(values)))
