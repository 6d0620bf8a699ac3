"""A round's policies as one row of numbers per public state: the layout the engine reads.

:meth:`~sim.engine.equilibrium.solver.CrisisEquilibrium.features` keeps each grid round in it, the
policy tree (:mod:`~sim.engine.equilibrium.policy_tree`) each node, and the compiled engine
(:mod:`sim.engine.fused`) reads columns of it by position.
"""

from __future__ import annotations

import numpy as np

from sim.engine.equilibrium.states import RoundSolution

POSTERIOR_WIDTH = 10
"""Posteriors stored per grid state after the policies: after c (2), after Russia's threat (2), after u (6)."""

FEATURE_SLICES = {
    "coalition": slice(0, 6),
    "russia": slice(6, 18),
    "us": slice(18, 30),
    "resist": slice(30, 38),
    "join": slice(38, 46),
}


def feature_rows(solution: RoundSolution) -> np.ndarray:
    """A round solution's policies as one row per state: the layout of
    :meth:`~sim.engine.equilibrium.solver.CrisisEquilibrium.features`, which :func:`split_features` reads back."""
    n = len(solution.collapse)
    return np.concatenate(
        [
            solution.coalition.reshape(n, -1),
            solution.russia.reshape(n, -1),
            solution.us.reshape(n, -1),
            solution.resist.reshape(n, -1),
            solution.join.reshape(n, -1),
            solution.stay,
            solution.collapse[:, None],
            *(p.reshape(n, -1) for p in solution.posteriors),
        ],
        axis=1,
    )


def split_features(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Feature rows (:func:`feature_rows`) as the policies by node, as :func:`policies_at` returns them."""
    n = len(rows)
    m = rows.shape[1] - 47 - POSTERIOR_WIDTH
    return {
        "coalition": rows[:, FEATURE_SLICES["coalition"]].reshape(n, 2, 3),
        "russia": rows[:, FEATURE_SLICES["russia"]].reshape(n, 2, 2, 3),
        "us": rows[:, FEATURE_SLICES["us"]].reshape(n, 2, 2, 3),
        "resist": rows[:, FEATURE_SLICES["resist"]].reshape(n, 2, 2, 2),
        "join": rows[:, FEATURE_SLICES["join"]].reshape(n, 2, 2, 2),
        "stay": rows[:, 46 : 46 + m],
        "collapse": rows[:, 46 + m],
        "posteriors": rows[:, 47 + m :],
    }


__all__ = ["FEATURE_SLICES", "POSTERIOR_WIDTH", "feature_rows", "split_features"]
