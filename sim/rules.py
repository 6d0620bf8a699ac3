"""Decision rules: how an actor turns expected utilities into a choice.

Each rule is a small declared class (in the manner of the Axelrod library's strategies) with one
method, :meth:`DecisionRule.probabilities`, that maps expected utilities of shape ``(..., 3)``
to choice probabilities of the same shape, vectorised over worlds and types.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sim.ladder import ACTIONS
from sim.scenario import Actor, Doctrine


class DecisionRule(ABC):
    """Maps expected utilities (..., 3) to probabilities (..., 3); ``observed`` feeds doctrines."""

    name = "rule"
    uses_utilities = True

    @abstractmethod
    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        """Choice probabilities over the last axis of ``utilities``.

        ``observed`` (broadcastable to ``utilities.shape[:-1]``) is the move each decision node
        answers, -1 for none; only doctrines read it.
        """

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class LogitResponse(DecisionRule):
    """Logit quantal response (McKelvey and Palfrey 1995): P(a) is proportional to exp(lambda EU(a)).

    lambda = 0 picks uniformly; as lambda grows the choice approaches a best response.
    """

    rationality: float
    name = "logit"

    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        weights = self.rationality * utilities
        weights -= _last_axis_max(weights)[..., None]  # shift for overflow safety; cancels below
        np.exp(weights, out=weights)
        weights /= _last_axis_sum(weights)[..., None]
        return weights

    def describe(self) -> str:
        return f"logit quantal response, lambda = {self.rationality:g}"


@dataclass(frozen=True)
class BestResponse(DecisionRule):
    """Picks the action of highest expected utility; exact ties are split evenly."""

    tolerance: float = 1e-9
    name = "best_response"

    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        best = (utilities >= (_last_axis_max(utilities) - self.tolerance)[..., None]).astype(float)
        return best / _last_axis_sum(best)[..., None]

    def describe(self) -> str:
        return "best response"


@dataclass(frozen=True)
class FixedDoctrine(DecisionRule):
    """A scripted policy that ignores payoffs: an opening move, then replies to what it observed."""

    doctrine: Doctrine
    name = "doctrine"
    uses_utilities = False

    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        # Entry k answers observed action k; the last entry (index -1) answers "nothing seen yet".
        script = np.array([ACTIONS.index(self.doctrine.action_for(seen)) for seen in (*ACTIONS, None)])
        if observed is None:
            observed = np.full(utilities.shape[:-1], -1)
        return np.eye(len(ACTIONS))[_broadcast(script[observed], utilities)]

    def describe(self) -> str:
        replies = ", ".join(f"{seen} -> {reply}" for seen, reply in self.doctrine.responses.items())
        return f"doctrine: open with {self.doctrine.opening}" + (f"; reply {replies}" if replies else "")


def _broadcast(chosen: np.ndarray, utilities: np.ndarray) -> np.ndarray:
    """The scripted choices, spread over every decision node the utilities describe."""
    return np.broadcast_to(chosen, utilities.shape[:-1])


def _last_axis_max(values: np.ndarray) -> np.ndarray:
    """Max over a short last axis, column by column: far faster than a numpy reduction there."""
    result = values[..., 0]
    for k in range(1, values.shape[-1]):
        result = np.maximum(result, values[..., k])
    return result


def _last_axis_sum(values: np.ndarray) -> np.ndarray:
    result = values[..., 0]
    for k in range(1, values.shape[-1]):
        result = result + values[..., k]
    return result


def rule_for(actor: Actor) -> DecisionRule:
    """The decision rule a scenario asks for."""
    if actor.rule == "logit":
        return LogitResponse(actor.rationality)
    if actor.rule == "best_response":
        return BestResponse()
    assert actor.doctrine is not None  # the scenario schema guarantees it
    return FixedDoctrine(actor.doctrine)
