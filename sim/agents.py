"""The actors as Mesa agents. Each agent holds its state in every simulated world at once.

An agent's attributes are numpy arrays over worlds: its private type (resolute or not), the
others' public belief about that type, how many times it has committed itself, and the utility
it has realised. The model passes in the subset of worlds still in crisis (``idx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.ladder import BACK_DOWN
from sim.rules import BestResponse, rule_for
from sim.scenario import Actor, CoalitionActor, Member

if TYPE_CHECKING:
    from sim.model import CrisisModel


def sample(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one action per row of ``probabilities`` (rows sum to one)."""
    return _sample_columns([probabilities[:, k] for k in range(probabilities.shape[-1])], uniforms)


def _sample_columns(columns: Sequence[np.ndarray], uniforms: np.ndarray) -> np.ndarray:
    """:func:`sample` given each action's probabilities as a separate array, as the engine gathers them."""
    threshold = uniforms * sum(columns)  # rows sum to one up to rounding
    cumulative = np.zeros(len(uniforms))
    choice = np.zeros(len(uniforms), dtype=np.intp)
    for column in columns[:-1]:
        cumulative += column
        choice += cumulative < threshold
    return choice


def bayes_update(prior: np.ndarray, likelihood_resolute: np.ndarray, likelihood_not: np.ndarray) -> np.ndarray:
    """Posterior P(resolute | action) by Bayes' rule; an action neither type would take changes nothing."""
    evidence = prior * likelihood_resolute + (1.0 - prior) * likelihood_not
    return np.divide(prior * likelihood_resolute, evidence, out=prior.copy(), where=evidence > 0)


class CrisisActor(mesa.Agent):
    """Russia, the coalition or the United States, across all worlds."""

    def __init__(self, model: CrisisModel, key: str, config: Actor):
        super().__init__(model)
        self.key = key
        self.config = config
        self.rule = rule_for(config)
        n = model.n_worlds
        self.resolute = model.rng.random(n) < config.resolve_prior
        self.belief = np.full(n, config.initial_belief)
        self.commitments = np.zeros(n, dtype=np.int32)
        self.payoff = np.zeros(n)
        self.last_action = np.full(n, -1, dtype=np.int8)
        self._action_costs = np.array(config.action_costs())

    @property
    def label(self) -> str:
        return self.config.name or self.key

    def audience_cost(self, idx: np.ndarray) -> np.ndarray:
        """Fearon's audience cost of backing down now: proportional to the commitments made so far."""
        return self.config.audience_cost * self.commitments[idx]

    def policy(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        return self.rule.probabilities(utilities, observed)

    def own_type(self, idx: np.ndarray) -> np.ndarray:
        return self.resolute[idx].astype(np.intp)

    def act(
        self, idx: np.ndarray, policy: np.ndarray, node: tuple[np.ndarray, ...], uniforms: np.ndarray
    ) -> np.ndarray:
        """Choose in each world by the policy of the actor's true type; the others learn from it.

        World ``idx[i]`` decides at ``policy[node[0][i], node[1][i], ...]``, both types' choice
        probabilities, of shape (2, 3) with index 1 the resolute type's. Only the numbers used are
        read: gathering every world's (2, 3) block first would cost more than the choice itself.
        """
        own = self.own_type(idx)
        action = _sample_columns([policy[..., k][(*node, own)] for k in range(policy.shape[-1])], uniforms)
        self.belief[idx] = bayes_update(self.belief[idx], policy[(*node, 1, action)], policy[(*node, 0, action)])
        backs_down = action == BACK_DOWN
        self.payoff[idx] -= self._action_costs[action] + np.where(backs_down, self.audience_cost(idx), 0.0)
        self.commitments[idx] = np.where(backs_down, 0, self.commitments[idx] + 1)
        self.last_action[idx] = action
        return action


class MemberState(mesa.Agent):
    """A coalition member: stays while its resolve, or the cost of leaving, outweighs the risk.

    Resolute members always stay. The others weigh the risk of a strike on the force against
    the cost of walking out, with the coalition's decision rule (best response under a doctrine).
    """

    def __init__(self, model: CrisisModel, config: Member, coalition: CoalitionActor):
        super().__init__(model)
        self.config = config
        n = model.n_worlds
        self.resolute = model.rng.random(n) < config.resolve_prior
        self.committed = np.ones(n, dtype=bool)
        coalition_rule = rule_for(coalition)
        self.rule = coalition_rule if coalition_rule.uses_utilities else BestResponse()

    def stay_probability(self, strike_risk: np.ndarray) -> np.ndarray:
        """The chance that this member stays if it is not resolute, per world: its rule weighs the risk of
        a strike on the force (times its war cost) against the cost of walking out. Public so that the
        app's Game page computes the same number as the engine."""
        stay = -strike_risk * self.config.war_cost
        leave = np.full(np.shape(strike_risk), -self.config.exit_cost)
        # Indexed action-last, stored action-first: the rules' column passes run faster (model._action_last_array).
        return self.rule.probabilities(np.moveaxis(np.stack([stay, leave]), 0, -1))[..., 0]

    def decide(self, idx: np.ndarray, strike_risk: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """Update commitment in the given worlds; returns which of them this member just left."""
        stay_probability = self.stay_probability(strike_risk)
        was_in = self.committed[idx]
        stays = self.resolute[idx] | (uniforms < stay_probability)
        self.committed[idx] = was_in & stays
        return was_in & ~stays
