"""The whole multi-round crisis solved as an agent logit quantal response equilibrium.

The crisis is a finite dynamic game of incomplete information: each actor knows its own type
(resolute or not), every move is public, and everyone shares one public belief about each
actor's type, updated by Bayes' rule. Because types are independent and strategies depend only
on an actor's own type and the public history, the public beliefs ``b = (b_c, b_r, b_u)`` with
the incident flag ``iota`` and the US's pledge flag ``kappa`` summarise the history (the state).

**Method** (docs/explanation/model.md, section 7). Backward induction over rounds ``t = T, ..., 2`` on a grid
of public beliefs: for every grid state the round is solved as a fixed point, because a move
changes the beliefs the rest of the crisis starts from (the posterior depends on both types'
policies) and those beliefs change what the rest of the crisis is worth (the continuation
values, read from round ``t + 1``'s solution by trilinear interpolation at the posterior). Each
round's fixed point is found on the principal branch: the rationality of every actor is raised
from a small fraction of its value to its full value, each step started from the last (a
homotopy in lambda, as McKelvey and Palfrey 1998 and Turocy 2005 follow the branch from
lambda = 0), with damped fixed-point iteration at every step. Round 1 is played at the prior
beliefs only, so it is solved exactly there (:meth:`CrisisEquilibrium.solve_at`), its grid
solution on demand. The large-lambda limit of the agent
QRE approaches a sequential equilibrium; ``best_response`` is that limit, taken at
``BEST_RESPONSE_LAMBDA``.

**Numerical error.** Two sources: the fixed-point residual (reported in
:attr:`CrisisEquilibrium.residual`) and the interpolation between grid points. Exported to
Gambit's format (``sim solve --export-efg``), the same game solved exactly over its history
tree agrees with the simulated outcomes to within 0.01 (tests/engine/test_equilibrium_exact.py); refining the
grid changes the outcome shares by less than that (docs/explanation/performance.md gives figures).

References: McKelvey and Palfrey (1998), *Experimental Economics* 1:9-41 (agent QRE); Fudenberg
and Tirole (1991), *Game Theory*, ch. 8 (public-belief states of multi-stage games with
observed actions); Fearon (1994), APSR 88(3) (audience costs); Schelling (1966) (the threat
that leaves something to chance).
"""

from __future__ import annotations

from sim.engine.equilibrium.round_game import RoundGame
from sim.engine.equilibrium.settings import BEST_RESPONSE_LAMBDA, GRID_POINTS
from sim.engine.equilibrium.solver import (
    CrisisEquilibrium,
    GridSolution,
    equilibria_for,
    equilibrium_for,
    grid_states,
    policies_at,
    solve_crisis,
)
from sim.engine.equilibrium.states import CONCEDE, JOIN, RESPONSES, RoundSolution, States, bayes, log_bayes, rationality

__all__ = [
    "BEST_RESPONSE_LAMBDA",
    "CONCEDE",
    "GRID_POINTS",
    "JOIN",
    "RESPONSES",
    "CrisisEquilibrium",
    "GridSolution",
    "RoundGame",
    "RoundSolution",
    "States",
    "bayes",
    "equilibria_for",
    "equilibrium_for",
    "grid_states",
    "log_bayes",
    "policies_at",
    "rationality",
    "solve_crisis",
]
