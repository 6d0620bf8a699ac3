"""pygambit 16 and 17 behind one small interface (the optional ``gambit`` extra).

pygambit 17 (a beta at the time of writing) changed how a table game is built and read: tables
come from ``StrategicGame.from_arrays``, players and strategies are addressed by their labels,
and a profile is read player by player as ``{strategy label: probability}``. pygambit 16 built
tables with ``Game.from_arrays`` and indexed profiles by strategy objects. These helpers accept
either, so the optional comparisons with Gambit keep working across the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def table_game(gbt: Any, payoffs: Sequence[Any]) -> Any:
    """A pygambit strategic game from one payoff array per player."""
    builder = getattr(gbt, "StrategicGame", None) or gbt.Game
    return builder.from_arrays(*payoffs)


def _strategies(game: Any, player: Any) -> list[Any]:
    if isinstance(player, str):  # pygambit 17: labels
        return list(game.get_strategies(player))
    return list(player.strategies)


def profile_arrays(game: Any, profile: Any) -> list[np.ndarray]:
    """A pygambit mixed-strategy profile as one probability array per player, in strategy order."""
    arrays = []
    for player in game.players:
        if isinstance(player, str):
            chances = profile[player]  # {strategy label: probability}
            arrays.append(np.array([float(chances[label]) for label in _strategies(game, player)]))
        else:
            arrays.append(np.array([float(profile[strategy]) for strategy in player.strategies]))
    return arrays


def pure_payoffs(game: Any, profile: Sequence[int]) -> list[float]:
    """Each player's payoff at a pure profile (strategy indices, one per player)."""
    players = list(game.players)
    if players and isinstance(players[0], str):
        contingency = {p: _strategies(game, p)[i] for p, i in zip(players, profile, strict=True)}
        vector = game.get_payoffs(contingency)
        return [float(vector[p]) for p in players]
    outcome = game[tuple(profile)]
    return [float(outcome[p]) for p in players]
