"""The whole multi-round crisis solved as an agent logit quantal response equilibrium.

The crisis is a finite dynamic game of incomplete information: each actor knows its own type
(resolute or not), every move is public, and everyone shares one public belief about each
actor's type, updated by Bayes' rule. Because types are independent and strategies depend only
on an actor's own type and the public history, the public beliefs ``b = (b_c, b_r, b_u)`` with
the incident flag ``iota`` and the US's pledge flag ``kappa`` summarise the history (the state).

**Method** (docs/model.md, section 7). Backward induction over rounds ``t = T, ..., 2`` on a grid
of public beliefs: for every grid state the round is solved as a fixed point, because a move
changes the beliefs the rest of the crisis starts from (the posterior depends on both types'
policies) and those beliefs change what the rest of the crisis is worth (the continuation
values, read from round ``t + 1``'s solution by trilinear interpolation at the posterior). Each
round's fixed point is found on the principal branch: the rationality of every actor is raised
from a small fraction of its value to its full value, each step started from the last (a
homotopy in lambda, as McKelvey and Palfrey 1998 and Turocy 2005 follow the branch from
lambda = 0), with damped fixed-point iteration at every step. Round 1 is played at the prior
beliefs only, so it is solved exactly there (:meth:`CrisisEquilibrium.solve_at`), its grid
solution on demand. The large-lambda limit of the agent
QRE approaches a sequential equilibrium; ``best_response`` is that limit, taken at
``BEST_RESPONSE_LAMBDA``.

**Numerical error.** Two sources: the fixed-point residual (reported in
:attr:`CrisisEquilibrium.residual`) and the interpolation between grid points. Exported to
Gambit's format (``sim solve --export-efg``), the same game solved exactly over its history
tree agrees with the simulated outcomes to within 0.01 (tests/test_equilibrium_exact.py); refining the
grid changes the outcome shares by less than that (docs/performance.md gives figures).

References: McKelvey and Palfrey (1998), *Experimental Economics* 1:9-41 (agent QRE); Fudenberg
and Tirole (1991), *Game Theory*, ch. 8 (public-belief states of multi-stage games with
observed actions); Fearon (1994), APSR 88(3) (audience costs); Schelling (1966) (the threat
that leaves something to chance).
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np

from sim.ladder import ACTIONS, ACTORS, BACK_DOWN, DEPLOY, THREATEN
from sim.payoffs import PayoffTables
from sim.rules import _last_axis_max, _last_axis_sum
from sim.scenario import Actor, Scenario

GRID_POINTS = 9
"""Grid points per public belief (0, 1/8, ..., 1); 9**3 belief points per flag pair and round."""

BEST_RESPONSE_LAMBDA = 200.0
"""The rationality at which ``rule = "best_response"`` is solved: the sequential-equilibrium limit."""

HOMOTOPY_STEPS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0)
"""Fractions of every actor's lambda along which a round's equilibrium is followed from near 0."""

DAMPED_ITERATIONS = 40
NEWTON_ITERATIONS = 12
TOLERANCE = 1e-8
LM_DAMPING = 1e-3
"""Levenberg-Marquardt's starting damping ``mu``; times 0.3 after a step that helps, 10 after one that does not."""
BAYES_RATIO_FLOOR = 1e-250
"""Below this chance of an action (either type), the compiled Bayes' rule works in log-odds."""
JACOBIAN_STEP = 1e-6
"""The forward-difference step of the Jacobian of ``F(x) - x``."""
RETRY_ABOVE = 1e-6
"""States a warm-started fixed point leaves above this residual are solved again cold, by homotopy."""
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


class RoundGame:
    """The constants of one round of one scenario, and the round's equilibrium at given states."""

    def __init__(self, scenario: Scenario, tables: PayoffTables | None = None, compiled: bool = True):
        self.scenario = scenario
        self.compiled = compiled  # False: iterate the numpy reference map (_backward), not the kernels
        self.tables = tables or PayoffTables(scenario)
        self.delta = scenario.discount
        self.actors = [scenario.actor(key) for key in ACTORS]
        self.lam = np.array([rationality(actor) for actor in self.actors])
        self.myopic = [actor.foresight == "myopic" for actor in self.actors]
        self.doctrine = [actor.rule == "doctrine" for actor in self.actors]
        t = self.tables
        self.p_cb = t.outcome[:, 0, 0, 1]  # coalition_backs_down, the same for both types
        self.p_rb = t.outcome[:, 0, 0, 2]  # russia_backs_down
        acc = scenario.accident
        self.a1 = np.array([acc.standoff, acc.declared_intent])  # by coalition posture (deploy, threaten)
        self.a_backstop = acc.backstop
        self.a2 = acc.incident
        members = scenario.coalition.members
        self.member_troops = np.array([m.troops for m in members])
        self.member_resolve = np.array([m.resolve_prior for m in members])
        self.member_war_cost = np.array([m.war_cost for m in members])
        self.member_exit_cost = np.array([m.exit_cost for m in members])
        self.member_value = np.array([m.mission_value for m in members])
        self.min_troops = scenario.coalition.min_troops
        if members:
            subsets = np.array(list(itertools.product((0, 1), repeat=len(members))), dtype=float)
            self._subsets = subsets
            self._viable = subsets @ self.member_troops >= self.min_troops
        # Horizon values: the status quo for ever, or an open incident that may spiral (c, u, iota', actor, type).
        self.horizon = np.zeros((2, 3, 2, 3, 2))
        for c in (0, 1):
            for u in range(3):
                joined = int(u == DEPLOY)
                for i in range(3):
                    for theta in (0, 1):
                        hold = t.H[i, c]
                        self.horizon[c, u, 0, i, theta] = hold
                        self.horizon[c, u, 1, i, theta] = (1 - self.a2) * hold + self.a2 * t.K[i, theta, c, joined]

    # ------------------------------------------------------------------ doctrines

    def _scripted(self, key: str, observed: str | None) -> int:
        doctrine = self.scenario.actor(key).doctrine
        assert doctrine is not None
        return ACTIONS.index(doctrine.action_for(observed))

    def _doctrine_policies(self, round_number: int, size: int) -> dict[str, np.ndarray]:
        """One-hot policies of the actors that follow a doctrine (both types alike)."""
        eye3, eye2 = np.eye(3), np.eye(2)
        fixed: dict[str, np.ndarray] = {}
        if self.doctrine[COALITION]:
            move = self._scripted("coalition", None if round_number == 1 else "threaten")
            fixed["coalition"] = np.broadcast_to(eye3[move], (size, 2, 3)).copy()
            answer = self._scripted("coalition", "deploy")
            fixed["resist"] = np.broadcast_to(eye2[int(answer == BACK_DOWN)], (size, 2, 2, 2)).copy()
        if self.doctrine[RUSSIA]:
            rows = np.stack([eye3[self._scripted("russia", ACTIONS[c])] for c in (0, 1)])
            fixed["russia"] = np.broadcast_to(rows[:, None, :], (size, 2, 2, 3)).copy()
        if self.doctrine[US]:
            move = self._scripted("us", "threaten")
            fixed["us"] = np.broadcast_to(eye3[move], (size, 2, 2, 3)).copy()
            answer = self._scripted("us", "deploy")
            fixed["join"] = np.broadcast_to(eye2[int(answer != DEPLOY)], (size, 2, 2, 2)).copy()
        return fixed

    # ------------------------------------------------------------------ the round

    def solve(
        self,
        round_number: int,
        states: States,
        continuation: ContinuationTable | None,
        warm: list[np.ndarray] | None = None,
    ) -> RoundSolution:
        """The round's agent QRE at every state, given the next round's values (None: last round).

        ``warm`` holds posteriors to start the fixed point from (the next round's, in the solver).
        """
        t = self.tables
        n = states.size
        bc, br, bu = (states.beliefs[:, k] for k in range(3))
        iota = states.incident.astype(bool)
        kappa = states.pledged.astype(float)
        audience = t.audience(round_number)
        us_audience = audience[US] * kappa  # (S,): only a pledged backstop engages the US's reputation
        fixed = self._doctrine_policies(round_number, n)

        # Accident chance of each continuing path (S, c, u).
        joined_by_u = np.array([1.0, 0.0, 0.0])
        acc = np.clip(self.a1[None, :, None] + self.a_backstop * joined_by_u[None, None, :], 0.0, 1.0)
        acc = np.where(iota[:, None, None], self.a2, np.broadcast_to(acc, (n, 2, 3)))

        # ---- after a strike: the US's answer depends only on its type; the coalition's on b_u.
        join_u = np.empty((n, 2, 2, 2))
        join_u[..., JOIN] = t.K[US][None, :, :, 1].transpose(0, 2, 1)
        join_u[..., STAY_OUT] = t.K[US][None, :, :, 0].transpose(0, 2, 1) - us_audience[:, None, None]
        join = fixed.get("join")
        if join is None:
            join = _logit(self.lam[US], join_u)
        join_bar = bu[:, None] * join[:, :, 1, JOIN] + (1 - bu[:, None]) * join[:, :, 0, JOIN]  # (S, c)
        resist_u = self._resist_utility(join_bar, audience)
        resist = fixed.get("resist")
        if resist is None:
            resist = _logit(self.lam[COALITION], resist_u)
        strike_u = (join * join_u).sum(-1)  # (S, c, type)

        # ---- the fixed point: the posteriors each move creates. Given them, one backward pass
        # (US posture, then Russia, then the coalition) gives every policy; the policies give
        # new posteriors. Damped iteration on the posteriors, states that have converged frozen.
        per_state = {
            "beliefs": states.beliefs,
            "incident": iota,
            "pledged": kappa,
            "acc": acc,
            "resist": resist,
            "resist_u": resist_u,
            "join_bar": join_bar,
            **{f"fixed_{key}": value for key, value in fixed.items()},
        }
        posteriors = _initial_posteriors(states.beliefs) if warm is None else [p.copy() for p in warm]
        previous = np.zeros(n)
        for step in self._steps(warm is not None):
            previous = self._fixed_point(round_number, per_state, continuation, posteriors, self.lam * step, audience)
        stuck = np.flatnonzero(previous >= RETRY_ABOVE)
        if warm is not None and stuck.size:
            # A warm start can sit in the wrong basin: follow these few states' branch from near
            # lambda = 0 instead, and keep whichever answer is the better fixed point.
            sub = {key: value[stuck] for key, value in per_state.items()}
            retry = _initial_posteriors(states.beliefs[stuck])
            again = previous[stuck]
            for step in HOMOTOPY_STEPS:
                again = self._fixed_point(round_number, sub, continuation, retry, self.lam * step, audience)
            better = again < previous[stuck]
            for mine, theirs in zip(posteriors, retry):
                mine[stuck[better]] = theirs[better]
            previous[stuck[better]] = again[better]
        residual = float(previous.max()) if n else 0.0
        ev = self._backward(round_number, per_state, continuation, posteriors, self.lam, audience, final=True)
        sigma_c, sigma_r, sigma_u = ev["coalition"], ev["russia"], ev["us"]

        # ---- values of the state for each actor and type.
        sc_bar = bc[:, None] * sigma_c[:, 1] + (1 - bc[:, None]) * sigma_c[:, 0]  # (S, 3)
        sr_bar = br[:, None, None] * sigma_r[:, :, 1] + (1 - br[:, None, None]) * sigma_r[:, :, 0]  # (S, c, 3)
        values = np.empty((n, 3, 2))
        values[:, COALITION] = (sigma_c * ev["coalition_utility"]).sum(-1)
        russia_given_c = (sigma_r * ev["russia_utility"]).sum(-1)  # (S, c, type)
        values[:, RUSSIA] = sc_bar[:, BACK_DOWN, None] * self.p_cb[RUSSIA] + (sc_bar[:, :2, None] * russia_given_c).sum(
            1
        )
        us_posture = (sigma_u * ev["us_utility"]).sum(-1)  # (S, c, type)
        strike_u_expected = (1 - ev["resist_bar"])[:, :, None] * self.p_cb[US] + ev["resist_bar"][:, :, None] * strike_u
        us_given_c = (
            sr_bar[:, :, BACK_DOWN, None] * self.p_rb[US]
            + sr_bar[:, :, DEPLOY, None] * strike_u_expected
            + sr_bar[:, :, THREATEN, None] * us_posture
        )
        values[:, US] = sc_bar[:, BACK_DOWN, None] * self.p_cb[US] + (sc_bar[:, :2, None] * us_given_c).sum(1)

        # ---- member states: a cohesion game under the risk of a strike on the force.
        strike_risk = sr_bar[:, DEPLOY, DEPLOY]
        stay, collapse = self.cohesion(strike_risk)
        ended = self.p_cb.copy()
        ended[COALITION] -= audience[COALITION]
        values = collapse[:, None, None] * ended[None, :, None] + (1 - collapse[:, None, None]) * values

        return RoundSolution(
            coalition=sigma_c,
            russia=sigma_r,
            us=sigma_u,
            resist=resist,
            join=join,
            stay=stay,
            collapse=collapse,
            values=values,
            coalition_utility=ev["coalition_utility"],
            russia_utility=ev["russia_utility"],
            us_utility=ev["us_utility"],
            resist_utility=resist_u,
            join_utility=join_u,
            coalition_later=ev["coalition_later"],
            russia_later=ev["russia_later"],
            us_later=ev["us_later"],
            residual=residual,
            posteriors=posteriors,
            state_residual=previous,
        )

    def _scale(self) -> float:
        """A typical payoff difference, to judge whether a lambda is large enough to need the homotopy."""
        spread = float(np.ptp(self.tables.outcome)) if self.tables.outcome.size else 1.0
        return max(spread / 4.0, 1e-9)

    def _fixed_point(
        self,
        round_number: int,
        per_state: dict[str, np.ndarray],
        continuation: ContinuationTable | None,
        posteriors: list[np.ndarray],
        lam: np.ndarray,
        audience: np.ndarray,
    ) -> np.ndarray:
        """Solve ``x = F(x)`` for the posteriors ``x`` (10 per state) in place; returns each state's
        remaining residual ``max |F(x) - x|``.

        Damped iteration first, for every state at once; states it leaves unsolved (where a move's
        value swings hard with the belief it creates, so the iteration overshoots) then get
        Levenberg-Marquardt steps on ``F(x) - x`` with a finite-difference Jacobian (More 1978,
        *Lecture Notes in Mathematics* 630:105-116), batched over those few states.
        """
        n = len(per_state["incident"])
        shapes = [p.shape[1:] for p in posteriors]
        cuts = np.cumsum([int(np.prod(shape)) for shape in shapes])[:-1]
        x = np.concatenate([p.reshape(n, -1) for p in posteriors], axis=1)

        def mapped(states: np.ndarray, points: np.ndarray) -> np.ndarray:
            sub = {key: value[states] for key, value in per_state.items()}
            parts = [part.reshape(-1, *shape) for part, shape in zip(np.split(points, cuts, axis=1), shapes)]
            return self._posterior_map(sub, continuation, parts, lam, audience)

        x = np.ascontiguousarray(x, dtype=float)
        if self.compiled:
            # Both stages state by state in compiled code (_damped_kernel, then _newton_kernel).
            inputs = self._kernel_inputs(per_state, continuation, lam, audience)
            residual = np.full(n, np.inf)

            def work(start: int, stop: int) -> None:
                # numba's dispatchers take the compiled function's arguments; their stubs say none.
                _damped_kernel(x, residual, start, stop, *inputs, DAMPED_ITERATIONS, TOLERANCE)  # type: ignore[call-arg]
                _newton_kernel(x, residual, start, stop, *inputs, NEWTON_ITERATIONS, TOLERANCE)  # type: ignore[call-arg]

            _in_threads(n, work)
            active = np.zeros(0, dtype=int)
        else:
            residual = _damped_iteration(mapped, x)
            active = np.flatnonzero(residual >= TOLERANCE)
        mu = np.full(n, LM_DAMPING)
        for _ in range(NEWTON_ITERATIONS):
            if not active.size:
                break
            current = x[active]
            g = mapped(active, current) - current
            residual[active] = np.abs(g).max(1)
            keep = residual[active] >= TOLERANCE
            active, current, g = active[keep], current[keep], g[keep]
            if not active.size:
                break
            d = current.shape[1]
            h = JACOBIAN_STEP
            # All d probes of all states in one batched pass: (state, probe) rows.
            probes = np.repeat(current[:, None, :], d, axis=1) + h * np.eye(d)[None]
            images = mapped(np.repeat(active, d), probes.reshape(-1, d)).reshape(active.size, d, d)
            jacobian = np.transpose((images - probes - g[:, None, :]) / h, (0, 2, 1))
            jt = np.transpose(jacobian, (0, 2, 1))
            normal = jt @ jacobian + mu[active, None, None] * np.eye(d)
            step = -np.linalg.solve(normal, (jt @ g[..., None]))[..., 0]
            trial = np.clip(current + step, 0.0, 1.0)
            trial_g = mapped(active, trial) - trial
            better = np.abs(trial_g).max(1) < np.abs(g).max(1)
            x[active[better]] = trial[better]
            residual[active[better]] = np.abs(trial_g[better]).max(1)
            mu[active[better]] *= 0.3
            mu[active[~better]] *= 10.0
        for k, part in enumerate(np.split(x, cuts, axis=1)):
            posteriors[k][...] = part.reshape(-1, *shapes[k])
        return residual

    def _steps(self, warm: bool) -> tuple[float, ...]:
        """Fractions of lambda to follow: all at once from a warm start or at a small lambda.

        The last round is coupled too: Russia's strike is answered by a coalition whose resolve is
        judged from the posture it chose (the posterior), so it is a fixed point like any other.
        """
        if warm or self.lam.max() * self._scale() <= 2.0:
            return (1.0,)
        return HOMOTOPY_STEPS

    def _later(self, n: int, continuation: ContinuationTable | None, posteriors: list[np.ndarray]) -> np.ndarray:
        """The next round's value of each continuing path (S, c, u, iota', actor, type) at the
        posteriors; the horizon's after the last round, and for a myopic actor."""
        if continuation is None:
            return np.broadcast_to(self.horizon, (n, 2, 3, 2, 3, 2))
        later = continuation.values_at(*posteriors)
        for i, myopic in enumerate(self.myopic):
            if myopic:
                later[..., i, :] = self.horizon[None, ..., i, :]
        return later

    def _kernel_inputs(
        self, sub: dict[str, np.ndarray], continuation: ContinuationTable | None, lam: np.ndarray, audience: np.ndarray
    ) -> tuple:
        """The compiled kernels' arguments after the posteriors: the continuation table (empty after
        the last round), its grid size, the myopic flags, the horizon, the per-state arrays and the
        round's constants."""
        n = len(sub["incident"])
        t = self.tables
        if continuation is None:
            table, g = np.zeros((0, 2, 1, 1, 1, 3, 2)), 2
        else:
            table, g = np.ascontiguousarray(continuation.values, dtype=float), continuation.grid_points
        fixed = [sub.get(f"fixed_{key}") for key in ("coalition", "russia", "us")]
        shapes = [(n, 2, 3), (n, 2, 2, 3), (n, 2, 2, 3)]
        beliefs = np.ascontiguousarray(sub["beliefs"], dtype=float)
        inner = (beliefs > 0) & (beliefs < 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = np.where(inner, np.log(beliefs) - np.log1p(-beliefs), 0.0)
        per_state = (
            beliefs,
            log_odds,
            np.ascontiguousarray(sub["incident"], dtype=np.bool_),
            np.ascontiguousarray(sub["pledged"], dtype=float),
            np.ascontiguousarray(sub["acc"], dtype=float),
            np.ascontiguousarray(sub["resist"], dtype=float),
            np.ascontiguousarray(sub["resist_u"], dtype=float),
            np.ascontiguousarray(sub["join_bar"], dtype=float),
            *(np.zeros(shp) if f is None else np.ascontiguousarray(f, dtype=float) for f, shp in zip(fixed, shapes)),
        )
        constants = (
            np.array([f is not None for f in fixed]),
            np.asarray(lam, dtype=float),
            float(self.delta),
            float(self.a2),
            np.ascontiguousarray((1 - self.delta) * t.H, dtype=float),
            np.ascontiguousarray(t.K, dtype=float),
            np.ascontiguousarray(t.cost, dtype=float),
            np.asarray(audience, dtype=float),
            np.ascontiguousarray(self.p_cb, dtype=float),
            np.ascontiguousarray(self.p_rb, dtype=float),
        )
        return table, g, np.array(self.myopic), np.ascontiguousarray(self.horizon), per_state, constants

    def _posterior_map(
        self,
        sub: dict[str, np.ndarray],
        continuation: ContinuationTable | None,
        posteriors: list[np.ndarray],
        lam: np.ndarray,
        audience: np.ndarray,
    ) -> np.ndarray:
        """The fixed point's map ``F``: the posteriors (S, 10) the policies answering ``posteriors``
        imply. The compiled :func:`_posterior_kernel`; :meth:`_backward` is its numpy reference."""
        n = len(sub["incident"])
        if not self.compiled:
            reference = self._backward(1, sub, continuation, posteriors, lam, audience)["posteriors"]
            return np.concatenate([p.reshape(n, -1) for p in reference], axis=1)
        points = np.ascontiguousarray(np.concatenate([p.reshape(n, -1) for p in posteriors], axis=1), dtype=float)
        return _posterior_kernel(points, *self._kernel_inputs(sub, continuation, lam, audience))

    def _backward(
        self,
        round_number: int,
        sub: dict[str, np.ndarray],
        continuation: ContinuationTable | None,
        posteriors: list[np.ndarray],
        lam: np.ndarray,
        audience: np.ndarray,
        final: bool = False,
    ) -> dict[str, np.ndarray]:
        """Every decision's expected utilities and policies given the posteriors, and the posteriors
        those policies imply (one pass of the fixed point; ``final`` adds the "later" parts)."""
        t = self.tables
        n = len(sub["incident"])
        bc, br, bu = (sub["beliefs"][:, k] for k in range(3))
        iota = sub["incident"]
        kappa = sub["pledged"]
        acc, resist, resist_u, join_bar = sub["acc"], sub["resist"], sub["resist_u"], sub["join_bar"]
        delta = self.delta
        post_c = posteriors[0]

        later = self._later(n, continuation, posteriors)
        # A continuing round: the status quo's flow now, then the rest of the crisis (discounted).
        flow = (1 - delta) * t.H  # (actor, c)
        clash_now = t.K[None, :, :, :, :].transpose(0, 3, 1, 2, 4)  # (1, c, actor, type, j)
        clash_by_u = np.stack(
            [clash_now[..., 1], clash_now[..., 0], clash_now[..., 0]], axis=2
        )  # (1, c, u, actor, type)
        a = acc[..., None, None]
        calm = delta * ((1 - a) * later[:, :, :, 0] + a * later[:, :, :, 1])
        # An incident that spirals ends the round in a clash, valued from the next round on (this
        # round's flow was the status quo's), like the open incident at the horizon.
        spiral = delta * ((1 - self.a2) * later[:, :, :, 0] + self.a2 * clash_by_u)
        rest = np.where(iota[:, None, None, None, None], spiral, calm)  # (S, c, u, actor, type)
        # The part of ``rest`` that is the rest of the crisis itself (not a clash this round).
        future = None
        if final:
            future = np.where(iota[:, None, None, None, None], (1 - self.a2) * delta * later[:, :, :, 0], calm)
        cont = flow.T[None, :, None, :, None] + rest

        # US posture (S, c, type, u).
        us_utility = cont[:, :, :, US, :].transpose(0, 1, 3, 2) - t.cost[US][None, None, None, :]
        us_utility[..., BACK_DOWN] -= (audience[US] * kappa)[:, None, None]
        sigma_u = sub["fixed_us"] if "fixed_us" in sub else _logit(lam[US], us_utility)
        su_bar = bu[:, None, None] * sigma_u[:, :, 1] + (1 - bu[:, None, None]) * sigma_u[:, :, 0]  # (S, c, u)

        # Russia (S, c, type, r).
        resist_bar = post_c * resist[:, :, 1, RESIST] + (1 - post_c) * resist[:, :, 0, RESIST]  # (S, c)
        k_r = t.K[RUSSIA]  # (type, c, j)
        war_r = join_bar[:, :, None] * k_r[None, :, :, 1].transpose(0, 2, 1) + (1 - join_bar[:, :, None]) * k_r[
            None, :, :, 0
        ].transpose(0, 2, 1)  # (S, c, type)
        russia_utility = np.empty((n, 2, 2, 3))
        russia_utility[..., DEPLOY] = (
            (1 - resist_bar[:, :, None]) * self.p_cb[RUSSIA] + resist_bar[:, :, None] * war_r - t.cost[RUSSIA, DEPLOY]
        )
        russia_utility[..., THREATEN] = (su_bar[:, :, :, None] * cont[:, :, :, RUSSIA, :]).sum(2) - t.cost[
            RUSSIA, THREATEN
        ]
        russia_utility[..., BACK_DOWN] = self.p_rb[RUSSIA] - t.cost[RUSSIA, BACK_DOWN] - audience[RUSSIA]
        sigma_r = sub["fixed_russia"] if "fixed_russia" in sub else _logit(lam[RUSSIA], russia_utility)
        sr_bar = br[:, None, None] * sigma_r[:, :, 1] + (1 - br[:, None, None]) * sigma_r[:, :, 0]  # (S, c, r)

        # Coalition (S, type, c).
        resist_value = (resist * resist_u).sum(-1)  # (S, c, type)
        going_on = (su_bar[:, :, :, None] * cont[:, :, :, COALITION, :]).sum(2)  # (S, c, type)
        by_move = (
            sr_bar[:, :, BACK_DOWN, None] * self.p_rb[COALITION]
            + sr_bar[:, :, DEPLOY, None] * resist_value
            + sr_bar[:, :, THREATEN, None] * going_on
        )  # (S, c, type)
        coalition_utility = np.empty((n, 2, 3))
        coalition_utility[..., :2] = by_move.transpose(0, 2, 1) - t.cost[COALITION, :2]
        coalition_utility[..., BACK_DOWN] = self.p_cb[COALITION] - t.cost[COALITION, BACK_DOWN] - audience[COALITION]
        sigma_c = sub["fixed_coalition"] if "fixed_coalition" in sub else _logit(lam[COALITION], coalition_utility)

        with np.errstate(divide="ignore"):  # a doctrine's one-hot policy has log 0 = -inf: Bayes keeps the prior
            lc = np.log(sigma_c) if "fixed_coalition" in sub else _log_logit(lam[COALITION], coalition_utility)
            lr = np.log(sigma_r) if "fixed_russia" in sub else _log_logit(lam[RUSSIA], russia_utility)
            lu = np.log(sigma_u) if "fixed_us" in sub else _log_logit(lam[US], us_utility)
        new_posteriors = [
            log_bayes(bc[:, None], lc[:, 1, :2], lc[:, 0, :2]),  # (S, c)
            log_bayes(br[:, None], lr[:, :, 1, THREATEN], lr[:, :, 0, THREATEN]),  # (S, c)
            log_bayes(bu[:, None, None], lu[:, :, 1], lu[:, :, 0]),  # (S, c, u)
        ]

        result = {
            "coalition": sigma_c,
            "russia": sigma_r,
            "us": sigma_u,
            "posteriors": new_posteriors,
            "us_utility": us_utility,
            "russia_utility": russia_utility,
            "coalition_utility": coalition_utility,
            "resist_bar": resist_bar,
        }
        if future is not None:
            result["us_later"] = future[:, :, :, US, :].transpose(0, 1, 3, 2)
            result["russia_later"] = _later_by_move(future[:, :, :, RUSSIA, :], su_bar, THREATEN, 3)
            result["coalition_later"] = _coalition_later(future[:, :, :, COALITION, :], su_bar, sr_bar)
        return result

    def _resist_utility(self, join_bar: np.ndarray, audience: np.ndarray) -> np.ndarray:
        t = self.tables
        k_c = t.K[COALITION]
        out = np.empty((len(join_bar), 2, 2, 2))
        out[..., RESIST] = join_bar[:, :, None] * k_c[None, :, :, 1].transpose(0, 2, 1) + (
            1 - join_bar[:, :, None]
        ) * k_c[None, :, :, 0].transpose(0, 2, 1)
        out[..., CONCEDE] = self.p_cb[COALITION] - audience[COALITION]
        out[:, DEPLOY, :, CONCEDE] -= self.scenario.coalition.tripwire_cost  # troops killed: hands tied
        return out

    # ------------------------------------------------------------------ members

    def cohesion(self, strike_risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each member's chance of keeping its troops in, and the chance the force collapses.

        A member that is not resolute this round weighs the mission's value to it against its
        share of the risk (``war_cost`` times the strike risk, diluted by the troops the others
        are expected to keep in) and its cost of walking out; it answers by the coalition's logit
        rule. Resolute members stay. The stay chances are a fixed point (each depends on what the
        others are expected to do): a cohesion game solved by damped iteration from "all stay".
        """
        n = len(strike_risk)
        m = len(self.member_troops)
        if m == 0:
            return np.ones((n, 0)), np.zeros(n)
        pi, collapse = np.ones((n, m)), np.zeros(n)
        inputs = (
            np.ascontiguousarray(strike_risk, dtype=float),
            float(self.lam[COALITION]),
            self.member_troops.astype(float),
            self.member_resolve.astype(float),
            self.member_war_cost.astype(float),
            self.member_exit_cost.astype(float),
            self.member_value.astype(float),
            self._subsets,
            self._viable,
        )
        _in_threads(n, lambda start, stop: _cohesion_kernel(pi, collapse, start, stop, *inputs))
        return pi, collapse


@numba.njit(cache=True, nogil=True)
def _cohesion_kernel(
    pi: np.ndarray,
    collapse: np.ndarray,
    start: int,
    stop: int,
    strike_risk: np.ndarray,
    lam: float,
    troops: np.ndarray,
    resolve: np.ndarray,
    war_cost: np.ndarray,
    exit_cost: np.ndarray,
    value: np.ndarray,
    subsets: np.ndarray,
    viable: np.ndarray,
) -> None:
    """:meth:`RoundGame.cohesion` compiled, state by state for the states ``start:stop``: the
    members' stay chances into ``pi`` (S, m; it starts at "all stay"), a fixed point reached by
    damped iteration (step 0.5, at most 200 steps, to 1e-12), and into ``collapse`` (S,; it starts
    at 0) the chance the troops kept in fall below the threshold, summed over every subset of
    members. States are independent and the GIL is released (:func:`_in_threads`)."""
    m = troops.shape[0]
    total = troops.sum()
    new_pi = np.empty(m)
    for s in range(start, stop):
        for _ in range(200):
            kept = 0.0
            for k in range(m):
                kept += pi[s, k] * troops[k]
            change = 0.0
            for k in range(m):
                others = kept - pi[s, k] * troops[k]
                dilution = total / (troops[k] + others)
                stay = value[k] - strike_risk[s] * war_cost[k] * dilution
                leave = -exit_cost[k]
                # The logit chance of staying, computed stably from the difference.
                z = lam * (leave - stay)
                stays = 1.0 / (1.0 + np.exp(z)) if z < 0 else np.exp(-z) / (1.0 + np.exp(-z))
                new_pi[k] = resolve[k] + (1.0 - resolve[k]) * stays
                change = max(change, abs(new_pi[k] - pi[s, k]))
            if change < 1e-12:
                for k in range(m):
                    pi[s, k] = new_pi[k]
                break
            for k in range(m):
                pi[s, k] += 0.5 * (new_pi[k] - pi[s, k])
        for row in range(subsets.shape[0]):
            if viable[row]:
                continue
            probability = 1.0
            for k in range(m):
                probability *= pi[s, k] if subsets[row, k] == 1 else 1.0 - pi[s, k]
            collapse[s] += probability


@dataclass
class ContinuationTable:
    """Values at the start of a round on the belief grid, read at any beliefs by trilinear interpolation.

    ``values`` has shape (iota, kappa, G, G, G, actor, type).
    """

    values: np.ndarray
    grid_points: int

    def values_at(self, post_c: np.ndarray, post_r: np.ndarray, post_u: np.ndarray) -> np.ndarray:
        """Values after each continuing path (S, c, u, iota', actor, type); kappa' = [u = deploy]."""
        n = len(post_c)
        points = np.concatenate([post_c.reshape(n, -1), post_r.reshape(n, -1), post_u.reshape(n, -1)], axis=1)
        return _interpolate(np.ascontiguousarray(self.values, dtype=float), self.grid_points, points)


@numba.njit(cache=True)
def _interpolate(table: np.ndarray, g: int, points: np.ndarray) -> np.ndarray:
    """The next round's values after each continuing path (S, c, u, iota', actor, type) at each
    state's posteriors ``points`` (S, 10): :func:`_later_state`, the one trilinear read, per state."""
    n = points.shape[0]
    out = np.empty((n, 2, 3, 2, 3, 2))
    nobody_myopic = np.zeros(3, dtype=np.bool_)
    unused_horizon = np.zeros((2, 3, 2, 3, 2))
    for s in range(n):
        _later_state(table, g, points[s], nobody_myopic, unused_horizon, out[s])
    return out


@numba.njit(cache=True, error_model="numpy", inline="always")  # inlined: no array views made per call
def _bayes_from_log_odds(prior: float, log_odds_prior: float, log_resolute: float, log_not: float) -> float:
    """:func:`log_bayes` for one number, the prior's log-odds given (the compiled map's Bayes' rule)."""
    if prior > 0.0 and prior < 1.0:
        log_odds = log_odds_prior + (log_resolute - log_not)
        if np.isfinite(log_odds):
            return 1.0 / (1.0 + np.exp(-log_odds))
    return min(max(prior, 0.0), 1.0)


@numba.njit(cache=True, error_model="numpy", inline="always")  # inlined: no array views made per call
def _bayes_state(
    prior: float, log_odds_prior: float, resolute: float, not_resolute: float, log_resolute: float, log_not: float
) -> float:
    """Bayes' rule for one action in the compiled map: the plain ratio while both types' chances
    of the action are representable (the same number to rounding, no exponential), else
    :func:`_bayes_from_log_odds`, well conditioned where those chances underflow."""
    if prior > 0.0 and prior < 1.0 and resolute > BAYES_RATIO_FLOOR and not_resolute > BAYES_RATIO_FLOOR:
        weighted = prior * resolute
        return weighted / (weighted + (1.0 - prior) * not_resolute)
    return _bayes_from_log_odds(prior, log_odds_prior, log_resolute, log_not)


@numba.njit(cache=True, error_model="numpy", inline="always")  # inlined: no array views made per call
def _choose(lam: float, utilities: np.ndarray, fixed: np.ndarray, use_fixed: bool, log_p: np.ndarray, p: np.ndarray):
    """A logit choice over ``utilities`` (1-D), or a doctrine's fixed policy: log-probabilities into
    ``log_p`` and probabilities into ``p``."""
    n = utilities.shape[0]
    if use_fixed:
        for k in range(n):
            p[k] = fixed[k]
            log_p[k] = np.log(fixed[k]) if fixed[k] > 0.0 else -np.inf
        return
    top = utilities[0]
    for k in range(1, n):
        top = max(top, utilities[k])
    total = 0.0
    for k in range(n):
        log_p[k] = lam * (utilities[k] - top)
        p[k] = np.exp(log_p[k])
        total += p[k]
    log_total = np.log(total)
    for k in range(n):
        log_p[k] -= log_total
        p[k] /= total


@numba.njit(cache=True, error_model="numpy")
def _map_state(
    s: int,
    x: np.ndarray,
    later: np.ndarray,
    per_state: tuple,
    constants: tuple,
    scratch: tuple,
    out: np.ndarray,
) -> None:
    """The fixed-point map at one state ``s``: the posteriors ``out`` (10,) = (post_c[c], post_r[c],
    post_u[c, u]) that the policies answering the posteriors ``x`` (same layout) imply, given
    ``later`` (c, u, iota', actor, type), the next round's values read at ``x``.

    The arithmetic of :meth:`RoundGame._backward`, which stays the numpy reference
    (tests/test_equilibrium.py checks the two agree); indices as there: c coalition posture, u US
    posture, j whether the US is in a clash (``clash[actor, type, c, j]``).
    """
    beliefs, log_odds, iota, kappa, acc, resist, resist_u, join_bar, fixed_c, fixed_r, fixed_u = per_state
    use_fixed, lam, delta, a2, flow, clash, cost, audience, p_cb, p_rb = constants
    cont, utility3, log_u, log_r, log_c, sigma_u, sigma_r, sigma_c, su_bar, sr_bar = scratch
    bc, br, bu = beliefs[s, 0], beliefs[s, 1], beliefs[s, 2]
    for c in range(2):
        for u in range(3):
            a = acc[s, c, u]
            j = 1 if u == 0 else 0
            for i in range(3):
                for th in range(2):
                    l0 = later[c, u, 0, i, th]
                    if iota[s]:
                        rest = delta * ((1.0 - a2) * l0 + a2 * clash[i, th, c, j])
                    else:
                        rest = delta * ((1.0 - a) * l0 + a * later[c, u, 1, i, th])
                    cont[c, u, i, th] = flow[i, c] + rest
    # The US's posture.
    for c in range(2):
        for th in range(2):
            for u in range(3):
                utility3[u] = cont[c, u, 2, th] - cost[2, u]
            utility3[2] -= audience[2] * kappa[s]
            _choose(lam[2], utility3, fixed_u[s, c, th], use_fixed[2], log_u[c, th], sigma_u[c, th])
        for u in range(3):
            su_bar[c, u] = bu * sigma_u[c, 1, u] + (1.0 - bu) * sigma_u[c, 0, u]
    # Russia: a strike is answered by a coalition judged by the posterior its posture created.
    for c in range(2):
        resist_bar = x[c] * resist[s, c, 1, 0] + (1.0 - x[c]) * resist[s, c, 0, 0]
        for th in range(2):
            war = join_bar[s, c] * clash[1, th, c, 1] + (1.0 - join_bar[s, c]) * clash[1, th, c, 0]
            utility3[0] = (1.0 - resist_bar) * p_cb[1] + resist_bar * war - cost[1, 0]
            going = 0.0
            for u in range(3):
                going += su_bar[c, u] * cont[c, u, 1, th]
            utility3[1] = going - cost[1, 1]
            utility3[2] = p_rb[1] - cost[1, 2] - audience[1]
            _choose(lam[1], utility3, fixed_r[s, c, th], use_fixed[1], log_r[c, th], sigma_r[c, th])
        for r in range(3):
            sr_bar[c, r] = br * sigma_r[c, 1, r] + (1.0 - br) * sigma_r[c, 0, r]
    # The coalition.
    for th in range(2):
        for c in range(2):
            resist_value = resist[s, c, th, 0] * resist_u[s, c, th, 0] + resist[s, c, th, 1] * resist_u[s, c, th, 1]
            going = 0.0
            for u in range(3):
                going += su_bar[c, u] * cont[c, u, 0, th]
            by_move = sr_bar[c, 2] * p_rb[0] + sr_bar[c, 0] * resist_value + sr_bar[c, 1] * going
            utility3[c] = by_move - cost[0, c]
        utility3[2] = p_cb[0] - cost[0, 2] - audience[0]
        _choose(lam[0], utility3, fixed_c[s, th], use_fixed[0], log_c[th], sigma_c[th])
    # Bayes' rule on each move that keeps the crisis going.
    odds_c, odds_r, odds_u = log_odds[s, 0], log_odds[s, 1], log_odds[s, 2]
    for c in range(2):
        out[c] = _bayes_state(bc, odds_c, sigma_c[1, c], sigma_c[0, c], log_c[1, c], log_c[0, c])
        out[2 + c] = _bayes_state(br, odds_r, sigma_r[c, 1, 1], sigma_r[c, 0, 1], log_r[c, 1, 1], log_r[c, 0, 1])
        for u in range(3):
            out[4 + 3 * c + u] = _bayes_state(
                bu, odds_u, sigma_u[c, 1, u], sigma_u[c, 0, u], log_u[c, 1, u], log_u[c, 0, u]
            )


@numba.njit(cache=True)
def _scratch() -> tuple:
    """Work arrays of :func:`_map_state`: continuing values (c, u, actor, type), utilities, the
    actors' log-policies and policies, and the public forecasts of the US and Russia."""
    return (
        np.empty((2, 3, 3, 2)),
        np.empty(3),
        np.empty((2, 2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 2, 3)),
        np.empty((2, 3)),
        np.empty((2, 3)),
        np.empty((2, 3)),
    )


@numba.njit(cache=True, error_model="numpy")
def _later_state(table: np.ndarray, g: int, x: np.ndarray, myopic: np.ndarray, horizon: np.ndarray, later: np.ndarray):
    """The next round's values after each continuing path at one state's posteriors ``x``:
    ``later`` (c, u, iota', actor, type), by trilinear interpolation of ``table`` (iota, kappa,
    b_c, b_r, b_u, actor, type) with kappa' = [u = deploy]; the horizon's after the last round
    (an empty table) and for a myopic actor."""
    if table.shape[0] == 0:
        later[...] = horizon
        return
    later[...] = 0.0
    for c in range(2):
        zc = min(max(x[c], 0.0), 1.0) * (g - 1)
        zr = min(max(x[2 + c], 0.0), 1.0) * (g - 1)
        ic = min(int(zc), g - 2)
        ir = min(int(zr), g - 2)
        wc = zc - ic
        wr = zr - ir
        for u in range(3):
            kappa = 1 if u == 0 else 0
            zu = min(max(x[4 + 3 * c + u], 0.0), 1.0) * (g - 1)
            iu = min(int(zu), g - 2)
            wu = zu - iu
            for dc in range(2):
                w1 = wc if dc else 1.0 - wc
                for dr in range(2):
                    w2 = w1 * (wr if dr else 1.0 - wr)
                    for du in range(2):
                        w = w2 * (wu if du else 1.0 - wu)
                        if w == 0.0:
                            continue
                        for iota in range(2):
                            corner = table[iota, kappa, ic + dc, ir + dr, iu + du]
                            for i in range(3):
                                for th in range(2):
                                    later[c, u, iota, i, th] += w * corner[i, th]
    for i in range(3):
        if myopic[i]:
            later[:, :, :, i, :] = horizon[:, :, :, i, :]


@numba.njit(cache=True)
def _posterior_kernel(
    points: np.ndarray, table: np.ndarray, g: int, myopic: np.ndarray, horizon: np.ndarray, per_state: tuple,
    constants: tuple,
) -> np.ndarray:  # fmt: skip
    """The fixed-point map ``F`` at every state: the posteriors (S, 10) implied by the posteriors
    ``points`` (S, 10), each state's continuation values read from ``table`` at its own points."""
    n = points.shape[0]
    out = np.empty((n, 10))
    later = np.empty((2, 3, 2, 3, 2))
    scratch = _scratch()
    for s in range(n):
        _later_state(table, g, points[s], myopic, horizon, later)
        _map_state(s, points[s], later, per_state, constants, scratch, out[s])
    return out


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _damped_kernel(
    x: np.ndarray, residual: np.ndarray, start: int, stop: int, table: np.ndarray, g: int, myopic: np.ndarray,
    horizon: np.ndarray, per_state: tuple, constants: tuple, iterations: int, tolerance: float,
) -> None:  # fmt: skip
    """Damped fixed-point iteration ``x <- x + d (F(x) - x)``, state by state for the states
    ``start:stop``, in place on ``x`` (S, 10); each state's last ``max |F(x) - x|`` goes to
    ``residual`` (S,), which starts at infinity. The damping ``d`` starts at 1 (plain iteration)
    and halves, down to 1/8, whenever a state's step grows (it is overshooting); a state stops once
    its step is below ``tolerance``. States are independent and the GIL is released, so disjoint
    ranges run in threads at once (:func:`_in_threads`) with the same result."""
    later = np.empty((2, 3, 2, 3, 2))
    image = np.empty(10)
    scratch = _scratch()
    for s in range(start, stop):
        damping = 1.0
        for _ in range(iterations):
            _later_state(table, g, x[s], myopic, horizon, later)
            _map_state(s, x[s], later, per_state, constants, scratch, image)
            size = 0.0
            for k in range(10):
                size = max(size, abs(image[k] - x[s, k]))
            if size > residual[s]:
                damping = max(damping * 0.5, 0.125)
            residual[s] = size
            for k in range(10):
                x[s, k] += damping * (image[k] - x[s, k])
            if size < tolerance:
                break


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _newton_kernel(
    x: np.ndarray, residual: np.ndarray, start: int, stop: int, table: np.ndarray, g: int, myopic: np.ndarray,
    horizon: np.ndarray, per_state: tuple, constants: tuple, iterations: int, tolerance: float,
) -> None:  # fmt: skip
    """Levenberg-Marquardt on ``G(x) = F(x) - x`` for the states ``start:stop`` the damped
    iteration left at ``residual >= tolerance``, in place: each iteration a forward-difference
    Jacobian ``J`` (step :data:`JACOBIAN_STEP`), the step ``-(J'J + mu I)^-1 J'G`` clipped to
    [0, 1], kept if it lowers ``max |G|`` (then ``mu *= 0.3``, else ``mu *= 10``; More 1978).
    The batched numpy loop in :meth:`RoundGame._fixed_point` is its reference, state for state."""
    d = x.shape[1]
    later = np.empty((2, 3, 2, 3, 2))
    scratch = _scratch()
    image = np.empty(d)
    gap = np.empty(d)
    probe = np.empty(d)
    trial = np.empty(d)
    jacobian = np.empty((d, d))
    for s in range(start, stop):
        if residual[s] < tolerance:
            continue
        mu = LM_DAMPING
        for _ in range(iterations):
            _later_state(table, g, x[s], myopic, horizon, later)
            _map_state(s, x[s], later, per_state, constants, scratch, image)
            size = 0.0
            for k in range(d):
                gap[k] = image[k] - x[s, k]
                size = max(size, abs(gap[k]))
            residual[s] = size
            if size < tolerance:
                break
            for k in range(d):
                for m in range(d):
                    probe[m] = x[s, m]
                probe[k] += JACOBIAN_STEP
                _later_state(table, g, probe, myopic, horizon, later)
                _map_state(s, probe, later, per_state, constants, scratch, image)
                for m in range(d):
                    jacobian[m, k] = (image[m] - probe[m] - gap[m]) / JACOBIAN_STEP
            normal = jacobian.T @ jacobian + mu * np.eye(d)
            step = -np.linalg.solve(normal, jacobian.T @ gap)
            for k in range(d):
                trial[k] = min(max(x[s, k] + step[k], 0.0), 1.0)
            _later_state(table, g, trial, myopic, horizon, later)
            _map_state(s, trial, later, per_state, constants, scratch, image)
            trial_size = 0.0
            for k in range(d):
                trial_size = max(trial_size, abs(image[k] - trial[k]))
            if trial_size < size:
                for k in range(d):
                    x[s, k] = trial[k]
                residual[s] = trial_size
                mu *= 0.3
            else:
                mu *= 10.0


def _later_by_move(future: np.ndarray, su_bar: np.ndarray, move: int, n_moves: int) -> np.ndarray:
    """Russia's expected rest-of-crisis value of each move (S, c, type, r): only threatening goes on."""
    out = np.zeros((*future.shape[:2], future.shape[-1], n_moves))
    out[..., move] = (su_bar[:, :, :, None] * future).sum(2)
    return out


def _coalition_later(future: np.ndarray, su_bar: np.ndarray, sr_bar: np.ndarray) -> np.ndarray:
    """The coalition's expected rest-of-crisis value of each move (S, type, c)."""
    going_on = (su_bar[:, :, :, None] * future).sum(2) * sr_bar[:, :, THREATEN, None]  # (S, c, type)
    out = np.zeros((future.shape[0], future.shape[-1], 3))
    out[..., :2] = going_on.transpose(0, 2, 1)
    return out


@numba.njit(cache=True)
def _interpolate_rows(table: np.ndarray, g: int, beliefs: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Rows of a grid table (flag block, b_c, b_r, b_u) read at each world's state, trilinearly."""
    n = beliefs.shape[0]
    width = table.shape[1]
    out = np.zeros((n, width))
    block = g * g * g
    for s in range(n):
        index = [0, 0, 0]
        weight = [0.0, 0.0, 0.0]
        for k in range(3):
            x = min(max(beliefs[s, k], 0.0), 1.0) * (g - 1)
            i = min(int(x), g - 2)
            index[k] = i
            weight[k] = x - i
        for dc in range(2):
            w1 = weight[0] if dc else 1.0 - weight[0]
            for dr in range(2):
                w2 = w1 * (weight[1] if dr else 1.0 - weight[1])
                for du in range(2):
                    w = w2 * (weight[2] if du else 1.0 - weight[2])
                    if w == 0.0:
                        continue
                    row = flags[s] * block + ((index[0] + dc) * g + (index[1] + dr)) * g + (index[2] + du)
                    for v in range(width):
                        out[s, v] += w * table[row, v]
    return out


SOLVER_THREADS = max(
    1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
)
"""Threads the compiled damped iteration splits the grid states over (at most 2, or the cores
this process may use). The states are independent, so the solution is the same for any number.
Python threads calling a GIL-free kernel, not numba's threading layer, which aborts when two
threads (two app sessions) launch parallel kernels at once."""

THREAD_CHUNKS = 8
"""Ranges per thread in :func:`_in_threads`."""

_POOL: ThreadPoolExecutor | None = None
_POOL_PID = 0
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:
    """In a forked child (a sweep's worker process) the parent's threads do not exist: start afresh."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _in_threads(n: int, work) -> None:
    """``work(start, stop)`` over ``0:n`` in :data:`SOLVER_THREADS` threads, in
    :data:`THREAD_CHUNKS` contiguous ranges per thread that the threads take as they come free
    (the states are not equally hard: one range per thread left one thread idle a fifth of the time)."""
    global _POOL, _POOL_PID
    if SOLVER_THREADS == 1 or n < 256:
        work(0, n)
        return
    with _POOL_LOCK:
        if _POOL is None or os.getpid() != _POOL_PID:
            _POOL = ThreadPoolExecutor(max_workers=SOLVER_THREADS, thread_name_prefix="sim-solver")
            _POOL_PID = os.getpid()
    cuts = np.linspace(0, n, SOLVER_THREADS * THREAD_CHUNKS + 1).astype(int)
    futures = [_POOL.submit(work, int(a), int(b)) for a, b in itertools.pairwise(cuts)]
    for future in futures:
        future.result()


def _damped_iteration(mapped, x: np.ndarray) -> np.ndarray:
    """:func:`_damped_kernel` in numpy over all states at once: the reference the compiled loop
    follows step for step (``RoundGame(compiled=False)``; tests/test_equilibrium.py)."""
    n = len(x)
    residual = np.full(n, np.inf)
    damping = np.ones(n)
    active = np.arange(n)
    for _ in range(DAMPED_ITERATIONS):
        step = mapped(active, x[active]) - x[active]
        size = np.abs(step).max(1)
        grew = active[size > residual[active]]
        damping[grew] = np.maximum(damping[grew] * 0.5, 0.125)
        residual[active] = size
        x[active] += damping[active, None] * step
        active = active[size >= TOLERANCE]
        if not active.size:
            break
    return residual


def _initial_posteriors(beliefs: np.ndarray) -> list[np.ndarray]:
    """Posteriors equal to the priors: the fixed point's start (nobody learns anything yet)."""
    n = len(beliefs)
    return [
        np.repeat(beliefs[:, 0:1], 2, axis=1),
        np.repeat(beliefs[:, 1:2], 2, axis=1),
        np.broadcast_to(beliefs[:, 2, None, None], (n, 2, 3)).copy(),
    ]


def grid_states(grid_points: int) -> States:
    """Every grid state, in the order (iota, kappa, b_c, b_r, b_u)."""
    axis = np.linspace(0.0, 1.0, grid_points)
    iota, kappa, bc, br, bu = np.meshgrid((0, 1), (0, 1), axis, axis, axis, indexing="ij")
    beliefs = np.stack([bc.ravel(), br.ravel(), bu.ravel()], axis=1)
    return States(beliefs, iota.ravel().astype(np.int8), kappa.ravel().astype(np.int8))


@dataclass
class CrisisEquilibrium:
    """The solved crisis: every round's policies on the belief grid, and how to read them anywhere.

    ``rounds[t - 1]`` is round ``t``'s :class:`RoundSolution` at :func:`grid_states`. Round 1 is
    played at one public state only (the scenario's prior beliefs: nothing has happened yet), so
    :func:`solve_crisis` solves the grid for rounds ``T, ..., 2`` and round 1 exactly where it is
    played (:meth:`solve_at`); round 1's grid solution is solved the first time something asks for
    it (:attr:`rounds`, :meth:`features`).
    """

    scenario: Scenario
    grid_points: int
    solved: list[RoundSolution | None]
    game: RoundGame
    _features: list[np.ndarray | None] = field(default_factory=list, repr=False)

    @property
    def horizon(self) -> int:
        return len(self.solved)

    @property
    def rounds(self) -> list[RoundSolution]:
        """Every round's solution on the grid (round 1's solved now if it was not yet)."""
        return [self.grid_round(t) for t in range(1, self.horizon + 1)]

    @property
    def residual(self) -> float:
        """The largest fixed-point residual over the grid rounds solved (rounds 2 to T, and round 1
        once solved on the grid)."""
        return max((solution.residual for solution in self.solved if solution is not None), default=0.0)

    def grid_round(self, round_number: int) -> RoundSolution:
        """Round ``t``'s solution on the grid, solved on first use for round 1 (warm-started from
        round 2's, as the backward induction does for every other round)."""
        solution = self.solved[round_number - 1]
        if solution is None:
            later = self.solved[round_number] if round_number < self.horizon else None
            warm = None if later is None else [p.copy() for p in later.posteriors]
            states = grid_states(self.grid_points)
            solution = self.game.solve(round_number, states, self.continuation(round_number), warm)
            self.solved[round_number - 1] = solution
        return solution

    def continuation(self, round_number: int) -> ContinuationTable | None:
        """The values the decisions of round ``t`` look forward to (None in the last round)."""
        if round_number >= self.horizon:
            return None
        return _continuation_table(self.grid_round(round_number + 1), self.grid_points)

    def solve_at(self, round_number: int, states: States) -> RoundSolution:
        """The round's equilibrium solved afresh at exact states (early rounds, the trace, the Game page).

        The fixed point starts from the posteriors interpolated off the grid solution of this round
        or, while round 1 has none, of round 2 (the start the grid solve would have used); the
        states a warm start leaves unsolved follow the homotopy (:meth:`RoundGame.solve`). A
        one-round crisis without a grid solution starts cold, by homotopy.
        """
        source = round_number
        if self.solved[round_number - 1] is None:
            source = round_number + 1 if round_number < self.horizon else 0
        warm = None
        if source:
            grid = policies_at(self, source, states)["posteriors"]
            warm = [grid[:, :2].copy(), grid[:, 2:4].copy(), grid[:, 4:].reshape(-1, 2, 3).copy()]
        return self.game.solve(round_number, states, self.continuation(round_number), warm)

    def initial_state(self) -> States:
        s = self.scenario
        beliefs = np.array([[s.actor(key).initial_belief for key in ACTORS]])
        return States(beliefs, np.array([int(s.start_rung == "incident")], np.int8), np.zeros(1, np.int8))

    def value(self) -> np.ndarray:
        """Each actor's expected value of the whole crisis at the start (actor, type)."""
        return self.solve_at(1, self.initial_state()).values[0]

    def features(self, round_number: int) -> np.ndarray:
        """Round ``t``'s policies as one row per grid state, for interpolation by the engine.

        Columns: coalition (type, 3), russia (c, type, 3), us (c, type, 3), resist (c, type, 2),
        join (c, type, 2), member stay chances, collapse.
        """
        if not self._features:
            self._features.extend(None for _ in range(self.horizon))
        features = self._features[round_number - 1]
        if features is None:
            solution = self.grid_round(round_number)
            n = len(solution.collapse)
            features = np.concatenate(
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
            self._features[round_number - 1] = features
        return features


def policies_at(equilibrium: CrisisEquilibrium, round_number: int, states: States) -> dict[str, np.ndarray]:
    """Round ``t``'s policies at any states, interpolated from the grid (the engine's lookup).

    Returns ``coalition`` (n, type, 3), ``russia`` and ``us`` (n, c, type, 3), ``resist`` and
    ``join`` (n, c, type, 2), ``stay`` (n, members) and ``collapse`` (n,).
    """
    table = equilibrium.features(round_number)
    flags = (states.incident.astype(np.int64) * 2 + states.pledged.astype(np.int64)).astype(np.int64)
    rows = _interpolate_rows(table, equilibrium.grid_points, np.ascontiguousarray(states.beliefs, dtype=float), flags)
    n = len(rows)
    m = table.shape[1] - 47 - POSTERIOR_WIDTH
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


_CACHE: dict[tuple[str, int], CrisisEquilibrium] = {}
_CACHE_SIZE = 8


def equilibrium_for(scenario: Scenario, grid_points: int = GRID_POINTS) -> CrisisEquilibrium:
    """The scenario's solved equilibrium, solved once and kept (the last few scenarios, by hash)."""
    key = (scenario.sha256(), grid_points)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = solve_crisis(scenario, grid_points)
    return _CACHE[key]


POSTERIOR_WIDTH = 10
"""Posteriors stored per grid state after the policies: after c (2), after Russia's threat (2), after u (6)."""

FEATURE_SLICES = {
    "coalition": slice(0, 6),
    "russia": slice(6, 18),
    "us": slice(18, 30),
    "resist": slice(30, 38),
    "join": slice(38, 46),
}


def solve_crisis(scenario: Scenario, grid_points: int = GRID_POINTS, compiled: bool = True) -> CrisisEquilibrium:
    """Solve the whole crisis by backward induction over rounds on a belief grid (module docstring):
    rounds ``T, ..., 2`` on the grid; round 1, played at the prior beliefs only, is solved where it
    is played (:meth:`CrisisEquilibrium.solve_at`), and on the grid only if asked for.

    ``compiled=False`` iterates the numpy reference of the fixed-point map instead of the compiled
    kernels: the same steps and fixed points (to the solver's tolerance), for checks and benchmarks."""
    if grid_points < 2:
        raise ValueError("grid_points must be at least 2")
    game = RoundGame(scenario, compiled=compiled)
    states = grid_states(grid_points)
    solved: list[RoundSolution | None] = [None] * scenario.rounds
    continuation: ContinuationTable | None = None
    warm: list[np.ndarray] | None = None
    for round_number in range(scenario.rounds, 1, -1):
        solution = game.solve(round_number, states, continuation, warm)
        warm = solution.posteriors
        solved[round_number - 1] = solution
        continuation = _continuation_table(solution, grid_points)
    return CrisisEquilibrium(scenario, grid_points, solved, game)


def _continuation_table(solution: RoundSolution, g: int) -> ContinuationTable:
    """A grid round's values as the table the round before it reads."""
    return ContinuationTable(solution.values.reshape(2, 2, g, g, g, 3, 2), g)


__all__ = [
    "BEST_RESPONSE_LAMBDA",
    "GRID_POINTS",
    "CrisisEquilibrium",
    "RoundGame",
    "RoundSolution",
    "States",
    "bayes",
    "equilibrium_for",
    "grid_states",
    "policies_at",
    "solve_crisis",
]
