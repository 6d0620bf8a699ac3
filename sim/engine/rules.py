"""Decision rules: how an actor turns expected utilities into a choice.

Each rule is a small declared class (in the manner of the Axelrod library's strategies) with one
method, :meth:`DecisionRule.probabilities`, that maps expected utilities of shape ``(..., 3)``
to choice probabilities of the same shape, vectorised over worlds and types.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sim.domain.ladder import ACTIONS
from sim.domain.scenario import Actor, Doctrine


class DecisionRule(ABC):
    """Maps expected utilities (..., 3) to probabilities (..., 3); ``observed`` feeds doctrines."""

    name = "rule"
    uses_utilities = True

    @abstractmethod
    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        """Choice probabilities over the last axis of ``utilities``.

        Parameters
        ----------
        utilities : numpy.ndarray
            Expected utilities of shape ``(..., 3)``, one per action in the order of
            :data:`sim.domain.ladder.ACTIONS`, for every world and type.
        observed : numpy.ndarray, optional
            Broadcastable to ``utilities.shape[:-1]``: the action code each decision node answers,
            -1 for none. Only doctrines read it.

        Returns
        -------
        numpy.ndarray
            Probabilities of the same shape as ``utilities``, summing to one over the last axis.
        """

    def describe(self) -> str:
        """The rule's name and setting, as ``sim trace`` records it (``logit quantal response, lambda = 2``)."""
        return self.name

    def in_words(self) -> str:
        """How an actor with this rule decides, in a sentence for a student (the Classroom page's narration)."""
        return f"{self.describe()}."


@dataclass(frozen=True)
class LogitResponse(DecisionRule):
    """Logit quantal response (McKelvey and Palfrey 1995): P(a) is proportional to exp(lambda EU(a)).

    lambda = 0 picks uniformly; as lambda grows the choice approaches a best response.
    """

    rationality: float
    name = "logit"

    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        """Probabilities proportional to ``exp(rationality * utilities)`` over the last axis; ``observed`` is unused.

        See :meth:`DecisionRule.probabilities`.

        References
        ----------
        McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
        *Games and Economic Behavior* 10(1), 6-38.
        """
        weights = self.rationality * utilities
        weights -= _last_axis_max(weights)[..., None]  # shift for overflow safety; cancels below
        np.exp(weights, out=weights)
        weights /= _last_axis_sum(weights)[..., None]
        return weights

    def describe(self) -> str:
        """``logit quantal response, lambda = <rationality>``."""
        return f"logit quantal response, lambda = {self.rationality:g}"

    def in_words(self) -> str:
        """Weighing what each move is worth with some noise: better moves likelier, not certain."""
        return (
            f"weighing what each move is worth, this round and for the rest of the crisis, with some noise (logit, "
            f"λ = {self.rationality:g}): better moves are likelier, not certain."
        )


@dataclass(frozen=True)
class BestResponse(DecisionRule):
    """Picks the action of highest expected utility; exact ties are split evenly."""

    tolerance: float = 1e-9
    name = "best_response"

    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        """Equal probabilities on the actions within ``tolerance`` of the best, zero elsewhere; ``observed`` is unused.

        See :meth:`DecisionRule.probabilities`.
        """
        best = (utilities >= (_last_axis_max(utilities) - self.tolerance)[..., None]).astype(float)
        return best / _last_axis_sum(best)[..., None]

    def describe(self) -> str:
        """``best response``."""
        return "best response"

    def in_words(self) -> str:
        """Taking the move worth the most."""
        return "taking the move worth the most, this round and for the rest of the crisis (best response)."


@dataclass(frozen=True)
class FixedDoctrine(DecisionRule):
    """A scripted policy that ignores payoffs: an opening move, then replies to what it observed."""

    doctrine: Doctrine
    name = "doctrine"
    uses_utilities = False

    def probabilities(self, utilities: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        """Probability one on the doctrine's reply to each node's ``observed`` action (its opening move
        where ``observed`` is -1 or not given); ``utilities`` gives only the shape.

        See :meth:`DecisionRule.probabilities`.
        """
        # Entry k answers observed action k; the last entry (index -1) answers "nothing seen yet".
        script = np.array([ACTIONS.index(self.doctrine.action_for(seen)) for seen in (*ACTIONS, None)])
        if observed is None:
            observed = np.full(utilities.shape[:-1], -1)
        return np.eye(len(ACTIONS))[_broadcast(script[observed], utilities)]

    def describe(self) -> str:
        """``doctrine: open with <move>; reply <seen> -> <reply>, ...``."""
        replies = ", ".join(f"{seen} -> {reply}" for seen, reply in self.doctrine.responses.items())
        return f"doctrine: open with {self.doctrine.opening}" + (f"; reply {replies}" if replies else "")

    def in_words(self) -> str:
        """A fixed script whatever the payoffs, with the script as :meth:`describe` gives it."""
        return f"a fixed script, whatever the payoffs ({self.describe()})."


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
