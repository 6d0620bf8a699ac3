"""The class beside the model: its outcomes against the prediction, its choices against the
equilibrium policy, and the rationality that best explains its choices.

* **Outcomes.** The share of the class's finished crises that ended each way, with a Wilson 95%
  interval, beside the model's probabilities for the same scenario and rounds: at the scenario's
  own rationalities (the agent logit QRE the engine plays) and with every ``lambda`` raised to
  :data:`NEAR_EQUILIBRIUM` (close to the sequential equilibrium, its limit). Exact probabilities
  (:func:`sim.estimation.outcomes.engine_outcome_probabilities`) for crises of up to
  :data:`EXACT_ROUNDS` rounds, Monte Carlo beyond.
* **Choices.** Each role's choices by private type and node, people only, beside the mean of the
  equilibrium's probabilities at the same decisions (stored with each decision), so the two are
  compared situation for situation.
* **The class's lambda.** The logit QRE maximum likelihood estimate of one rationality shared by
  every actor: for each ``lambda``, the scenario is solved with every actor deciding by the logit
  rule at that ``lambda`` (whatever rule the scenario gives it),
  each group's crisis is replayed along its recorded decisions, and the log-likelihood adds the log
  of the equilibrium probability of each choice a person made,

  ``loglik(lambda) = sum over choices d by people of log sigma_lambda(a_d | node_d, type_d, beliefs_d)``.

  It is maximised over ``log lambda`` (bounded, Brent), and its 95% interval is where twice the
  drop stays under 3.84 (McKelvey and Palfrey 1995, 1998, who fit lambda to laboratory play this
  way).

References
----------
McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
*Games and Economic Behavior* 10(1), 6-38. McKelvey, R. D. and Palfrey, T. R. (1998). Quantal
response equilibria for extensive form games. *Experimental Economics* 1, 9-41. Wilson, E. B.
(1927). Probable inference, the law of succession, and statistical inference. *Journal of the
American Statistical Association* 22(158), 209-212.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.domain.ladder import ACTORS, OUTCOMES
from sim.domain.scenario import Scenario, with_overrides
from sim.estimation.outcomes import engine_outcome_probabilities
from sim.live.replay import group_seed, node_actions, replay
from sim.live.session import groups, scenario_of, session_states
from sim.live.store import SessionRow, Store
from sim.runs.montecarlo import run_monte_carlo
from sim.runs.results import wilson_interval

NEAR_EQUILIBRIUM = 25.0
"""The rationality standing in for the equilibrium limit (lambda -> infinity)."""
EXACT_ROUNDS = 2
"""Crises of up to this many rounds get exact model probabilities; longer ones 20,000 simulated runs."""
CHI2_95 = 3.841458820694124
LAMBDA_RANGE = (0.02, 50.0)


def model_outcomes(scenario: Scenario, seed: int = 0) -> pd.DataFrame:
    """The model's outcome probabilities: at the scenario's rationalities, and near equilibrium."""
    sharp = with_overrides(scenario, {f"{key}.lambda": NEAR_EQUILIBRIUM for key in ACTORS})
    columns = {}
    for name, which in (("model (scenario's lambda)", scenario), ("near equilibrium", sharp)):
        if scenario.rounds <= EXACT_ROUNDS:
            columns[name] = engine_outcome_probabilities(which)
        else:
            results = run_monte_carlo(which, runs=20_000, seed=seed)
            columns[name] = {key: float(np.mean(results.outcome == k)) for k, key in enumerate(OUTCOMES)}
    return pd.DataFrame(
        {"outcome": list(OUTCOMES), **{name: [p[key] for key in OUTCOMES] for name, p in columns.items()}}
    )


def class_outcomes(store: Store, session: SessionRow) -> pd.DataFrame:
    """The class's finished crises by outcome: count, share and Wilson 95% interval."""
    ended = [state.outcome for state, _ in session_states(store, session).values() if state.outcome is not None]
    total = len(ended)
    rows = []
    for key in OUTCOMES:
        count = ended.count(key)
        low, high = wilson_interval(count, total) if total else (np.nan, np.nan)
        rows.append({"outcome": key, "count": count, "share": count / total if total else np.nan,
                     "lower": low, "upper": high})  # fmt: skip
    return pd.DataFrame(rows)


def choices_by_type(store: Store, session: SessionRow) -> pd.DataFrame:
    """People's choices by role, node and private type, beside the equilibrium at the same decisions.

    Returns
    -------
    pandas.DataFrame
        One row per (role, node, type, action): ``count``, ``share`` of the people's choices there,
        and ``equilibrium``, the mean equilibrium probability of the action at those decisions.
    """
    rows = []
    made = [row for row in store.decisions(session.id) if row.human]
    keys = sorted({(row.role, row.node, row.resolute) for row in made})
    for role, node, resolute in keys:
        here = [row for row in made if (row.role, row.node, row.resolute) == (role, node, resolute)]
        policy = np.mean([row.equilibrium for row in here], axis=0)
        for k, action in enumerate(node_actions(node)):
            count = sum(row.action == k for row in here)
            rows.append({"role": role, "node": node, "type": "resolute" if resolute else "not resolute",
                         "action": action, "count": count, "share": count / len(here),
                         "equilibrium": float(policy[k])})  # fmt: skip
    columns = ["role", "node", "type", "action", "count", "share", "equilibrium"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class LambdaFit:
    """The rationality that best explains the class's choices.

    Attributes
    ----------
    lam : float
        The maximum likelihood estimate.
    interval : tuple of float
        The 95% likelihood-ratio interval (an end at the search range's edge means the data do not
        bound it on that side).
    loglik : float
        The log-likelihood at the estimate.
    decisions : int
        How many choices by people it rests on.
    """

    lam: float
    interval: tuple[float, float]
    loglik: float
    decisions: int


def choices_loglik(store: Store, session: SessionRow, lam: float) -> tuple[float, int]:
    """The log-likelihood of the people's choices if every actor played the logit QRE at ``lam``,
    and how many choices it counts."""
    logit = {f"{key}.rule": "logit" for key in ACTORS}
    scenario = with_overrides(scenario_of(session.scenario_json), {**logit, **{f"{key}.lambda": lam for key in ACTORS}})
    total, counted = 0.0, 0
    for group_no in groups(store, session):
        rows = store.decisions(session.id, group_no=group_no)
        recorded = {(row.round, row.node): row.action for row in rows}
        humans = {(row.round, row.node) for row in rows if row.human}
        state = replay(scenario, group_seed(session.seed, group_no), recorded, people=())
        for decision in state.decisions:
            if (decision.round, decision.node) in humans:
                total += float(np.log(max(decision.equilibrium[decision.action], 1e-300)))
                counted += 1
    return total, counted


def fit_lambda(store: Store, session: SessionRow) -> LambdaFit | None:
    """The logit QRE maximum likelihood ``lambda`` of the people's choices (None before any).

    The search runs over ``log lambda`` within :data:`LAMBDA_RANGE` by Brent's bounded method.
    """
    from scipy import optimize  # imported when a fit runs

    _, counted = choices_loglik(store, session, 1.0)
    if counted == 0:
        return None
    low, high = np.log(LAMBDA_RANGE[0]), np.log(LAMBDA_RANGE[1])

    def negative(log_lam: float) -> float:
        return -choices_loglik(store, session, float(np.exp(log_lam)))[0]

    found = optimize.minimize_scalar(negative, bounds=(low, high), method="bounded", options={"xatol": 0.01})
    best, top = float(found.x), -float(found.fun)

    def excess(log_lam: float) -> float:
        return 2.0 * (top + negative(log_lam)) - CHI2_95

    ends = []
    for edge in (low, high):
        ends.append(
            float(np.exp(optimize.brentq(excess, best, edge, xtol=0.01))) if excess(edge) > 0 else float(np.exp(edge))
        )
    return LambdaFit(float(np.exp(best)), (ends[0], ends[1]), top, counted)
