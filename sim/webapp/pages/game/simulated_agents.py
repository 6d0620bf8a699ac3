"""What the simulated agents do, in the Game page's words: round 1 of the solved crisis and the beliefs
over the rounds come from :mod:`sim.engine.inspect`; this module names the decision points and lays
round 1 out as a table.

Round 1 is :meth:`CrisisEquilibrium.solve_at` at the scenario's initial public state (``played``) and
at the beliefs the one-round game assumes (``with_game_beliefs``: every type known, Russia's prior if
its resolve is private). Both come from the same solved equilibrium: its policies are defined at any
public beliefs, so the second costs no new solve.
"""

from __future__ import annotations

import pandas as pd

from sim.engine.inspect import (
    MOVERS_BEFORE,
    Point,
    RoundOne,
)
from sim.webapp.pages.game.wording import NAME
from sim.webapp.style import ACTOR_SHORT, type_words, verb, words


def point_label(point: Point) -> str:
    """``US, if the coalition deploys, Russia uses force and the coalition resists``."""
    actor, before = point
    label = ACTOR_SHORT[actor]
    if not before:
        return f"{label}, first move"
    said = [
        f"{NAME[mover]} {'uses force' if (mover, action) == ('russia', 'deploy') else verb(action)[1]}"
        for mover, action in zip(MOVERS_BEFORE, before, strict=False)
    ]
    return f"{label}, if " + (said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}")


def round_one_table(agents: RoundOne) -> pd.DataFrame:
    """Round 1 of the whole crisis as the agents play it: one row per decision point, type and move, with
    its probability and what it is worth this round, for the rest of the crisis and in all."""
    rows = []
    for point in agents.points:
        for resolute in (False, True):
            choice = agents.choice(*point, resolute)
            assert choice is not None
            for action in choice.actions:
                rows.append(
                    {
                        "decision": point_label(point),
                        "type": type_words(resolute),
                        "move": words(action),
                        "probability": choice.probability[action],
                        "this round": choice.now(action),
                        "rest of the crisis": choice.later[action],
                        "in all": choice.utility[action],
                    }
                )
    return pd.DataFrame(rows)
