"""What game theory says the actors should do: build, solve and exchange games.

- :class:`NormalFormGame` (from payoff arrays) and :class:`ExtensiveFormGame` (a tree of
  :class:`Node`), :func:`crisis_game`, the one-round crisis game of a scenario, and
  :func:`crisis_tree`, its whole multi-round game;
- :func:`solve`: Nash equilibria (all pure ones; all equilibria of nondegenerate 2-player
  games), subgame-perfect equilibria by backward induction (ties reported, never hidden), and
  the logit quantal response equilibrium at a lambda or along its path;
- :func:`read_game` / :func:`write_game`: Gambit's .efg and .nfg formats and a TOML format.

Example::

    from sim.game import NormalFormGame, solve
    chicken = NormalFormGame.from_arrays([[0, -1], [1, -10]], [[0, 1], [-1, -10]],
                                         strategies=[["swerve", "dare"]] * 2)
    solve(chicken, qre_lambda=2.0).to_json()
"""

from sim.game.crisis import crisis_game, crisis_tree, modal_types
from sim.game.io import parse_game, read_game, write_game
from sim.game.nash import Equilibrium, NashResult, nash_equilibria, pure_nash, support_enumeration
from sim.game.normal import GameError, NormalFormGame
from sim.game.qre import QREResult, logit_qre, qre_path
from sim.game.solve import Solution, describe, solve
from sim.game.spe import SubgamePerfect, backward_induction, outcome_distribution, subgame_perfect_equilibria
from sim.game.tree import ExtensiveFormGame, Infoset, Node

__all__ = [
    "Equilibrium",
    "ExtensiveFormGame",
    "GameError",
    "Infoset",
    "NashResult",
    "Node",
    "NormalFormGame",
    "QREResult",
    "Solution",
    "SubgamePerfect",
    "backward_induction",
    "crisis_game",
    "crisis_tree",
    "describe",
    "logit_qre",
    "modal_types",
    "nash_equilibria",
    "outcome_distribution",
    "parse_game",
    "pure_nash",
    "qre_path",
    "read_game",
    "solve",
    "subgame_perfect_equilibria",
    "support_enumeration",
    "write_game",
]
