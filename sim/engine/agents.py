"""The actors as Mesa agents. Each agent holds its state in every simulated world at once.

An agent's attributes are numpy arrays over worlds: its private type (resolute or not), the
others' public belief about that type, its last move and the utility it has realised. The model
(:mod:`sim.engine.model`) passes in the subset of worlds still in crisis (``idx``); what each type does
comes from the solved equilibrium (:mod:`sim.engine.equilibrium`), never from the agent itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.domain.ladder import ACTORS
from sim.domain.scenario import Actor, Member
from sim.engine.equilibrium import bayes
from sim.engine.rules import rule_for
from sim.engine.streams import TYPES_ROUND, counter, uniforms

if TYPE_CHECKING:
    from sim.engine.model import CrisisModel


def sample(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one action per row of ``probabilities`` (rows sum to one)."""
    return _sample_columns([probabilities[:, k] for k in range(probabilities.shape[-1])], uniforms)


def _sample_columns(columns: Sequence[np.ndarray], uniforms: np.ndarray) -> np.ndarray:
    """:func:`sample` given each action's probabilities as a separate array."""
    threshold = uniforms * sum(columns)  # rows sum to one up to rounding
    cumulative = np.zeros(len(uniforms))
    choice = np.zeros(len(uniforms), dtype=np.intp)
    for column in columns[:-1]:
        cumulative += column
        choice += cumulative < threshold
    return choice


def bayes_update(prior: np.ndarray, likelihood_resolute: np.ndarray, likelihood_not: np.ndarray) -> np.ndarray:
    """Posterior P(resolute | action) by Bayes' rule; an action neither type would take changes nothing."""
    return bayes(prior, likelihood_resolute, likelihood_not)


class CrisisActor(mesa.Agent):
    """Russia, the coalition or the United States, across all worlds."""

    def __init__(self, model: CrisisModel, key: str, config: Actor):
        super().__init__(model)
        self.key = key
        self.config = config
        self.rule = rule_for(config)
        n = model.n_worlds
        # Round 0 of the streams draws the types, one slot per actor in ACTORS order.
        draw = counter(TYPES_ROUND, ACTORS.index(key), model.slots)
        self.resolute = uniforms(model.key, model.worlds, np.array([draw]))[:, 0] < config.resolve_prior
        self.belief = np.full(n, config.initial_belief)
        self.payoff = np.zeros(n)
        self.last_action = np.full(n, -1, dtype=np.int8)

    @property
    def label(self) -> str:
        """The actor's display name: the scenario's ``name`` for it, else its key (``"russia"``)."""
        return self.config.name or self.key

    def own_type(self, idx: np.ndarray) -> np.ndarray:
        """The actor's private type in worlds ``idx``: 1 where it is resolute, 0 where it is not.

        Parameters
        ----------
        idx : numpy.ndarray
            Indices of the worlds asked about.

        Returns
        -------
        numpy.ndarray
            One integer per world of ``idx``, for indexing the type axis of a policy.
        """
        return self.resolute[idx].astype(np.intp)

    def act(
        self, idx: np.ndarray, policy: np.ndarray, uniforms: np.ndarray, *, learn: bool = True, node: str = ""
    ) -> np.ndarray:
        """Choose in worlds ``idx`` by the policy of the actor's true type; the others learn from it.

        ``policy`` is (len(idx), type, k): both types' choice probabilities at each world's node.
        Returns the actions; the public belief moves by Bayes' rule on the chosen action. In a
        one-world model with a ``chooser`` (live play), the chooser may take the action instead of
        the draw (:class:`sim.engine.model.Chooser`); the others still learn by the equilibrium policy.
        """
        own = self.own_type(idx)
        rows = np.arange(len(idx))
        chosen = policy[rows, own]
        action = _sample_columns([chosen[:, k] for k in range(policy.shape[-1])], uniforms)
        chooser = getattr(self.model, "chooser", None)
        if chooser is not None and len(idx) == 1:
            taken = chooser(node or self.key, self.key, int(self.model.steps), chosen[0], int(action[0]))
            action = np.array([taken], dtype=action.dtype)
        if learn:
            self.belief[idx] = bayes(self.belief[idx], policy[rows, 1, action], policy[rows, 0, action])
        return action


class MemberState(mesa.Agent):
    """A coalition member: each round it keeps its troops in, or steps back, in the cohesion game.

    Its chance of staying in a round is the equilibrium's (``RoundGame.cohesion``): resolute
    this round with ``resolve_prior``, otherwise it weighs the mission's value against its share
    of the strike risk and its exit cost, expecting what the others will do.
    """

    def __init__(self, model: CrisisModel, config: Member):
        super().__init__(model)
        self.config = config
        self.committed = np.ones(model.n_worlds, dtype=bool)
