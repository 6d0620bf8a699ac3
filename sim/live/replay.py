"""A group's crisis, replayed from its seed and the decisions made so far.

Live play stores no game state: a group's crisis is the engine's one-world model
(:class:`sim.engine.model.CrisisModel`) run from the group's seed, with a chooser that takes each
recorded decision where there is one, the equilibrium's own draw for a role no person plays, and
stops at the first decision a person has still to make. The same seed and decisions always give
the same crisis, so a refresh, a second server or a restart sees exactly the same state.

The uniforms a round uses are drawn when the round opens, before anyone moves, so a person's
choice does not change the chance events that follow; the others update their beliefs about a
person by Bayes' rule on the equilibrium policy, as they would about the computer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.domain.ladder import ACTIONS, OUTCOMES, RUNGS
from sim.domain.scenario import Scenario
from sim.engine.equilibrium import RESPONSES, equilibrium_for
from sim.engine.model import CrisisModel, TraceEntry

NODES: dict[str, str] = {"coalition": "coalition", "russia": "russia", "us": "us", "resist": "coalition", "join": "us"}
"""Each decision node and the role that chooses there: the three moves of a round, and the answers
after a strike (the coalition resists or concedes, the US joins or stays out)."""


def node_actions(node: str) -> tuple[str, ...]:
    """The actions offered at a node: deploy, threaten, back down; or the answers after a strike."""
    return RESPONSES[NODES[node]] if node in ("resist", "join") else ACTIONS


@dataclass(frozen=True)
class Decision:
    """One decision as the replay saw it.

    Attributes
    ----------
    round, node, role : int, str, str
    action : int
        Index into :func:`node_actions`.
    resolute : bool
        The chooser's private type.
    belief : float
        The public belief that the chooser is resolute, when it chose (what its player was shown).
    equilibrium : tuple of float
        The equilibrium's choice probabilities for the chooser's type at that node.
    drawn : int
        The action the equilibrium drew with the round's random numbers (the computer's choice).
    recorded : bool
        Whether it came from the record (a person, or the computer for a late player), not a role
        no one plays.
    """

    round: int
    node: str
    role: str
    action: int
    resolute: bool
    belief: float
    equilibrium: tuple[float, ...]
    drawn: int
    recorded: bool


class _Waiting(Exception):
    """Raised by the chooser where a person has still to choose: stops the model there."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.node)
        self.decision = decision


@dataclass
class GroupState:
    """A group's crisis now: waiting for a decision, or over.

    Attributes
    ----------
    waiting : Decision or None
        The decision a person has to make now (its ``action`` is the equilibrium's draw), or None
        when the crisis is over.
    decisions : list of Decision
        Every decision made so far, in order.
    outcome : str or None
        How the crisis ended (a key of ``OUTCOMES``), once over.
    payoffs : dict of str to float
        Each role's realised payoff so far.
    types : dict of str to bool
        Each role's private type (resolute or not).
    beliefs : dict of str to float
        The public beliefs now.
    rung : str
        Where the crisis stands on the ladder.
    round : int
        The round being played (or the last one played).
    trace : list of TraceEntry
        The engine's record of each round, for the Classroom page's narration.
    """

    waiting: Decision | None
    decisions: list[Decision]
    outcome: str | None
    payoffs: dict[str, float]
    types: dict[str, bool]
    beliefs: dict[str, float]
    rung: str
    round: int
    trace: list[TraceEntry] = field(default_factory=list)
    model: CrisisModel | None = field(default=None, repr=False)

    @property
    def over(self) -> bool:
        """Whether the crisis has ended."""
        return self.outcome is not None


def group_seed(session_seed: int, group_no: int) -> np.random.SeedSequence:
    """Group ``group_no``'s seed: a child of the session's, the same whatever the number of groups."""
    return np.random.SeedSequence(session_seed, spawn_key=(group_no,))


def replay(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    recorded: Mapping[tuple[int, str], int],
    people: Collection[str],
) -> GroupState:
    """Play a group's crisis as far as the record goes.

    Parameters
    ----------
    scenario : Scenario
        The scenario as played (rounds included).
    seed : numpy.random.SeedSequence
        The group's seed (:func:`group_seed`).
    recorded : mapping of (round, node) to int
        The decisions made so far: by people, and by the computer for players out of time.
    people : collection of str
        The roles people play: the replay stops at their first decision not in ``recorded``.

    Returns
    -------
    GroupState
    """
    model = CrisisModel(scenario, n_worlds=1, seed=seed, trace=True, equilibrium=equilibrium_for(scenario))
    made: list[Decision] = []

    def choose(node: str, actor: str, round_number: int, policy: np.ndarray, drawn: int) -> int:
        key = (round_number, node)
        decision = Decision(
            round_number, node, actor, recorded.get(key, drawn), bool(model.actors[actor].resolute[0]),
            float(model.actors[actor].belief[0]), tuple(float(p) for p in policy), drawn, key in recorded,
        )  # fmt: skip
        if key not in recorded and actor in people:
            raise _Waiting(decision)
        made.append(decision)
        return decision.action

    model.chooser = choose
    waiting: Decision | None = None
    try:
        model.run()
    except _Waiting as stop:
        waiting = stop.decision
    finally:
        model.release()
    ended = int(model.outcome[0])
    return GroupState(
        waiting=waiting,
        decisions=made,
        outcome=OUTCOMES[ended] if waiting is None and ended >= 0 else None,
        payoffs={key: float(actor.payoff[0]) for key, actor in model.actors.items()},
        types={key: bool(actor.resolute[0]) for key, actor in model.actors.items()},
        beliefs={key: float(actor.belief[0]) for key, actor in model.actors.items()},
        rung=RUNGS[int(model.rung[0])],
        round=int(model.steps),
        trace=list(model.trace or []),
        model=model,
    )
