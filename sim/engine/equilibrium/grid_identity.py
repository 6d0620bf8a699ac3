"""What a scenario's grid solution depends on, so that scenarios which differ in nothing else share it.

The grid rounds (:func:`~sim.engine.equilibrium.solver.solve_crisis`) solve every round at every
public belief on the grid: the beliefs are the state, not a parameter. What the actors believe at
the start (each actor's ``resolve_prior`` and ``believed_resolve``), where the crisis starts
(``start_rung``) and the scenario's names and texts enter only where the crisis is played: round 1's
state (:meth:`~sim.engine.equilibrium.solver.CrisisEquilibrium.initial_state`), the types drawn,
and the policy tree's reachable states. Two scenarios that differ only in those fields therefore
have the same grid solution, to the last bit (tests/engine/test_grid_identity.py solves both and
compares), and :func:`~sim.engine.equilibrium.solver.equilibrium_for` solves it once for both.

That is how a sweep over the beliefs, the commonest sweep there is (how does Russia's resolve
change the outcomes?), solves its game once rather than at every design point; and how the app
answers a moved prior slider without solving again. A member state's ``resolve_prior`` is not
among these fields: the members' cohesion game weighs it in every round.
"""

from __future__ import annotations

import hashlib
import json

from sim.domain.ladder import ACTORS
from sim.domain.scenario import Scenario

PLAY_ONLY_FIELDS = ("name", "title", "description", "start_rung")
"""Top-level scenario fields the grid rounds never read."""
PLAY_ONLY_ACTOR_FIELDS = ("name", "resolve_prior", "believed_resolve")
"""Fields of each actor (coalition, Russia, the US) the grid rounds never read."""


def play_only(path: str) -> bool:
    """Whether the scenario field at a dotted ``path`` is play-only (a sweep of such fields shares one grid).

    Parameters
    ----------
    path : str
        A dotted scenario path, as a sweep names its parameters (``russia.resolve_prior``).

    Returns
    -------
    bool
        True for :data:`PLAY_ONLY_FIELDS` and for :data:`PLAY_ONLY_ACTOR_FIELDS` of the coalition,
        Russia or the US; False for anything else (a member's ``resolve_prior`` among them).
    """
    parts = path.split(".")
    if len(parts) == 1:
        return parts[0] in PLAY_ONLY_FIELDS
    return len(parts) == 2 and parts[0] in ACTORS and parts[1] in PLAY_ONLY_ACTOR_FIELDS


def grid_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario without its play-only fields: equal for scenarios whose grid solutions are equal.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.

    Returns
    -------
    str
        A hex digest, like :meth:`Scenario.sha256 <sim.domain.schema.Scenario.sha256>`.
    """
    content = scenario.model_dump(mode="json", by_alias=True)
    for name in PLAY_ONLY_FIELDS:
        content.pop(name, None)
    for actor in ACTORS:
        for name in PLAY_ONLY_ACTOR_FIELDS:
            content[actor].pop(name, None)
    canonical = json.dumps(content, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


__all__ = ["PLAY_ONLY_ACTOR_FIELDS", "PLAY_ONLY_FIELDS", "grid_hash", "play_only"]
