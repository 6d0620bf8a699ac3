"""Public-belief states, Bayes' rule and the logit choice, and the record of one solved round."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.domain.scenario import Actor
from sim.engine.equilibrium.settings import BEST_RESPONSE_LAMBDA
from sim.engine.rules import _last_axis_max, _last_axis_sum

COALITION, RUSSIA, US = 0, 1, 2
RESIST, CONCEDE = 0, 1
JOIN, STAY_OUT = 0, 1
RESPONSES = {"coalition": ("resist", "concede"), "us": ("join", "stay_out")}
"""The two choices after a strike: the coalition fights or withdraws, then the US joins or not."""


def rationality(actor: Actor) -> float:
    """The lambda the solver uses for an actor: its own, or the best-response limit."""
    return BEST_RESPONSE_LAMBDA if actor.rule == "best_response" else float(actor.rationality)


def bayes(prior: np.ndarray, resolute: np.ndarray, not_resolute: np.ndarray) -> np.ndarray:
    """P(resolute | the action) by Bayes' rule; an action neither type takes leaves the prior."""
    evidence = prior * resolute + (1.0 - prior) * not_resolute
    safe = np.where(evidence > 0, evidence, 1.0)
    return np.where(evidence > 0, prior * resolute / safe, prior)


def _log_logit(lam: float, utilities: np.ndarray) -> np.ndarray:
    """Log-probabilities of the logit choice: exact where the probabilities themselves underflow."""
    weights = lam * (utilities - _last_axis_max(utilities)[..., None])
    return weights - np.log(_last_axis_sum(np.exp(weights)))[..., None]


def log_bayes(prior: np.ndarray, log_resolute: np.ndarray, log_not: np.ndarray) -> np.ndarray:
    """Bayes' rule from log-probabilities: ``logit(posterior) = logit(prior) + log-likelihood ratio``.

    Well conditioned for actions both types almost never take, where the plain ratio of two tiny
    probabilities is not.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.log(prior) - np.log1p(-prior) + (log_resolute - log_not)
    inner = (prior > 0) & (prior < 1) & np.isfinite(log_odds)
    with np.errstate(over="ignore"):  # exp of a large log-odds is inf: the posterior is then exactly 0
        posterior = 1.0 / (1.0 + np.exp(-np.where(inner, log_odds, 0.0)))
    return np.where(inner, posterior, np.clip(prior, 0.0, 1.0))


def _logit(lam: float, utilities: np.ndarray) -> np.ndarray:
    """Logit choice probabilities over the last axis (McKelvey and Palfrey 1995)."""
    weights = lam * (utilities - _last_axis_max(utilities)[..., None])
    np.exp(weights, out=weights)
    weights /= _last_axis_sum(weights)[..., None]
    return weights


@dataclass
class States:
    """A batch of public states: beliefs (S, 3) in ACTORS order, incident and pledge flags (S,)."""

    beliefs: np.ndarray
    incident: np.ndarray
    pledged: np.ndarray

    @property
    def size(self) -> int:
        """The number of states in the batch, S."""
        return len(self.incident)


@dataclass
class RoundSolution:
    """One round's equilibrium at a batch of states (the arrays' first axis).

    ``coalition`` (S, type, 3); ``russia`` and ``us`` (S, c, type, 3) for c in (deploy,
    threaten); ``resist`` and ``join`` (S, c, type, 2) after a strike; ``stay`` (S, members) each
    member's chance of keeping its troops in; ``collapse`` (S,); ``values`` (S, actor, type) the
    value of the state; the ``*_utility`` arrays are the expected utilities the policies answer,
    and the ``*_later`` arrays (same shapes) the part of each utility that is the rest of the
    crisis after this round (discounted): the "now and later" of the explanations.
    """

    coalition: np.ndarray
    russia: np.ndarray
    us: np.ndarray
    resist: np.ndarray
    join: np.ndarray
    stay: np.ndarray
    collapse: np.ndarray
    values: np.ndarray
    coalition_utility: np.ndarray
    russia_utility: np.ndarray
    us_utility: np.ndarray
    resist_utility: np.ndarray
    join_utility: np.ndarray
    coalition_later: np.ndarray
    russia_later: np.ndarray
    us_later: np.ndarray
    residual: float
    posteriors: list[np.ndarray]
    state_residual: np.ndarray
