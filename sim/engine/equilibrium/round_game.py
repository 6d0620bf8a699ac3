"""One round of the crisis solved as a fixed point at many public-belief states.

For every state the round's policies are a fixed point: a move changes the beliefs the rest of the crisis
starts from, and those beliefs change what the rest is worth. :class:`RoundGame` follows the principal
branch by a homotopy in lambda with damped iteration at each step, then Levenberg-Marquardt Newton steps
where damping stalls; the compiled loops are in :mod:`sim.engine.equilibrium.kernels`, and
``RoundGame(compiled=False)`` runs the same steps in numpy as their reference.

One algorithm: the round's fixed point, its map and its two iterations are read together, so they stay
in one module (about 540 lines).
"""

from __future__ import annotations

import itertools

import numpy as np

from sim.domain.ladder import ACTIONS, ACTORS, BACK_DOWN, DEPLOY, THREATEN
from sim.domain.payoffs import PayoffTables
from sim.domain.scenario import Scenario
from sim.engine.equilibrium import numpy_twins
from sim.engine.equilibrium.kernels import (
    ContinuationTable,
    _cohesion_kernel,
    _damped_kernel,
    _newton_kernel,
    _posterior_kernel,
)
from sim.engine.equilibrium.settings import (
    DAMPED_ITERATIONS,
    HOMOTOPY_STEPS,
    JACOBIAN_STEP,
    LM_DAMPING,
    NEWTON_ITERATIONS,
    RETRY_ABOVE,
    TOLERANCE,
)
from sim.engine.equilibrium.states import (
    COALITION,
    CONCEDE,
    JOIN,
    RESIST,
    RUSSIA,
    STAY_OUT,
    US,
    RoundSolution,
    States,
    _log_logit,
    _logit,
    log_bayes,
    rationality,
)
from sim.engine.equilibrium.threads import _in_threads
from sim.engine.jit import numba_works


class RoundGame:
    """The constants of one round of one scenario, and the round's equilibrium at given states."""

    def __init__(self, scenario: Scenario, tables: PayoffTables | None = None, compiled: bool | None = None):
        self.scenario = scenario
        self._compiled = compiled
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

    @property
    def compiled(self) -> bool:
        """Whether the round is solved by the compiled kernels; False: by the numpy reference map
        (:meth:`_backward`), the default where numba does not work (asked when first solving, so a
        game made only for its payoff tables never imports numba)."""
        return numba_works() if self._compiled is None else self._compiled

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
        inputs = self.cohesion_inputs(strike_risk)
        if not numba_works():
            return numpy_twins.cohesion(*inputs)
        _in_threads(n, lambda start, stop: _cohesion_kernel(pi, collapse, start, stop, *inputs))
        return pi, collapse

    def cohesion_inputs(self, strike_risk: np.ndarray) -> tuple:
        """The members' game at these strike risks, as :func:`_cohesion_kernel` and its numpy twin
        read it: the risks, the coalition's lambda, and each member's troops, resolve, war cost, exit
        cost and mission value, then every subset of members and whether it keeps the force viable."""
        return (
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

    def collapse_chance(self, stay: np.ndarray) -> np.ndarray:
        """The chance the force collapses when members stay with these chances, independently.

        The sum over every subset of members whose troops fall below ``min_troops`` of the
        subset's probability, as :meth:`cohesion` sums it; the engine draws each member's choice
        from ``stay`` and checks the troops kept, so this is its collapse chance also where
        ``stay`` is interpolated between grid states (where the interpolated ``collapse`` is not).

        Parameters
        ----------
        stay : numpy.ndarray
            (S, members) each member's chance of keeping its troops in.

        Returns
        -------
        numpy.ndarray
            (S,) the chance of a collapse.
        """
        stay = np.atleast_2d(stay)
        if stay.shape[1] == 0:
            return np.zeros(len(stay))
        falls = self._subsets[~self._viable].astype(bool)  # (subsets below the threshold, m)
        chance = np.zeros(len(stay))
        for s in range(len(stay)):
            chance[s] = np.prod(np.where(falls, stay[s], 1.0 - stay[s]), axis=1).sum()
        return chance


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


def _damped_iteration(mapped, x: np.ndarray) -> np.ndarray:
    """:func:`_damped_kernel` in numpy over all states at once: the reference the compiled loop
    follows step for step (``RoundGame(compiled=False)``; tests/engine/test_equilibrium.py)."""
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
