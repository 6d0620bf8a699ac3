"""The crisis as a Mesa model that simulates many independent worlds at once.

Every piece of state is a numpy array over worlds, so one call to :meth:`CrisisModel.step`
plays one round in all worlds still in crisis, with no Python loop over worlds. ``n_worlds=1``
is the single run a classroom watches (with ``trace=True`` it records every decision).

A round (docs/model.md):
1. each actor's policy is found by backward induction over the round, for both of its types:
   the US answers every (coalition, Russia) pair, Russia every coalition move (expecting the
   US's answer under its belief about the US's type), the coalition anticipates both;
2. coalition members weigh the risk of a strike and may leave; the force collapses below the
   troop threshold;
3. the coalition, Russia and the US move in turn, each by its true type's policy; the others
   update their beliefs about it by Bayes' rule;
4. the ladder moves: a back-down or a strike ends the crisis; otherwise an accident may cause an
   incident, and a second accident right after an incident a clash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from sim.agents import CrisisActor, MemberState, sample
from sim.ladder import (
    ACTIONS,
    ACTORS,
    BACK_DOWN,
    COALITION_BACKS_DOWN,
    DECLARED_INTENT,
    DEPLOY,
    DEPLOYED,
    HOLDS,
    INCIDENT,
    LIMITED_CLASH,
    LIMITED_WAR,
    MAJOR_WAR,
    MAJOR_WAR_OUTCOME,
    OUTCOMES,
    RUNGS,
    RUSSIA_BACKS_DOWN,
    THREATEN,
    continuing_rung,
)
from sim.payoffs import escalation_probability, outcome_values, round_payoffs
from sim.scenario import Scenario

ONGOING = -1
_C_AXIS = np.array([DEPLOY, THREATEN])  # the coalition moves other players must answer


@dataclass
class RoundPolicies:
    """Every actor's policy in one round, for both of its types (index 1 = resolute).

    Shapes, for n worlds: ``russia`` (n, 2, c, 3) over c in (deploy, threaten); ``coalition``
    (n, 2, 3). The US's policy is stored once per distinct commitment count, ``us`` (k, 2, c, r, 3),
    and world i uses row ``us_row[i]``. The ``*_utility`` arrays hold the expected utilities the
    policies were computed from, for the trace.
    """

    coalition: np.ndarray
    russia: np.ndarray
    us: np.ndarray
    us_row: np.ndarray
    coalition_utility: np.ndarray
    russia_utility: np.ndarray
    us_utility: np.ndarray
    russia_expected: np.ndarray  # (n, c, 3): Russia's answer to each coalition move, as others expect it


@dataclass
class TraceEntry:
    """What happened in world 0 in one round: the material of ``sim trace``."""

    round: int
    start_rung: str
    beliefs: dict[str, float]
    decisions: list[dict[str, Any]] = field(default_factory=list)
    members_left: list[str] = field(default_factory=list)
    accident: bool = False
    escalation: float | None = None
    end_rung: str = ""
    outcome: str | None = None


class CrisisModel(mesa.Model):
    """N independent worlds of one scenario, advanced together one round per ``step()``."""

    def __init__(
        self,
        scenario: Scenario,
        n_worlds: int = 1,
        seed: int | np.random.SeedSequence | None = None,
        trace: bool = False,
        *,
        rng: int | np.random.SeedSequence | None = None,
    ):
        """``rng`` is accepted as another name for ``seed``, the name Mesa >= 3.4 uses (batch_run)."""
        if rng is not None:
            if seed is not None:
                raise ValueError("give seed or rng, not both")
            seed = rng
        seed_sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        # Mesa <3.5 calls it seed=, >=3.5 rng=; both accept rng. The numpy stream is ours either way.
        super().__init__(rng=int(seed_sequence.generate_state(1)[0]))
        self.rng = np.random.default_rng(seed_sequence)
        self.scenario = scenario
        self.n_worlds = int(n_worlds)
        self.seed = seed
        self.tensors = round_payoffs(scenario)
        # Russia's and the coalition's payoffs where the US still moves, stacked for one matrix product.
        self._russia_and_coalition_tables = [
            np.concatenate([self.tensors["russia"][:, flag, :2, :2, :], self.tensors["coalition"][:, flag, :2, :2, :]])
            for flag in (0, 1)
        ]
        self.actors = {key: CrisisActor(self, key, scenario.actor(key)) for key in ACTORS}
        self.members = [MemberState(self, member, scenario.coalition) for member in scenario.coalition.members]
        self.troops = np.array([member.troops for member in scenario.coalition.members])

        n = self.n_worlds
        start = RUNGS.index(scenario.start_rung)
        self.rung = np.full(n, start, dtype=np.int8)
        self.max_rung = self.rung.copy()
        self.outcome = np.full(n, ONGOING, dtype=np.int8)
        self.rounds_played = np.zeros(n, dtype=np.int16)
        self.us_committed_at_end = np.zeros(n, dtype=bool)
        self.force_collapsed = np.zeros(n, dtype=bool)
        self.troops_deployed = np.zeros(n, dtype=bool)  # the coalition's posture in its latest move
        self._us_committed = np.zeros(n, dtype=bool)  # the US's, in its latest move (its backstop)
        self._outcome_values = self._outcome_value_table()
        self._accident_by_rung = np.zeros(len(RUNGS))
        for rung, chance in scenario.accident.by_rung().items():
            self._accident_by_rung[RUNGS.index(rung)] = chance
        self.trace: list[TraceEntry] | None = [] if trace else None
        self._held: dict[int, np.ndarray] = {}  # see _play_round

        # One row per round, after it is played (Mesa's convention, which batch_run relies on).
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())

    # ---------------------------------------------------------------- state helpers

    @property
    def active(self) -> np.ndarray:
        return self.outcome == ONGOING

    def _reporters(self) -> dict[str, Any]:
        """Per-round shares: ongoing worlds by rung, ended worlds by outcome (they sum to one)."""
        reporters: dict[str, Any] = {}
        for code, rung in enumerate(RUNGS[: INCIDENT + 1]):
            reporters[f"rung:{rung}"] = lambda m, code=code: float(np.mean(m.active & (m.rung == code)))
        for code, outcome in enumerate(OUTCOMES):
            reporters[f"ended:{outcome}"] = lambda m, code=code: float(np.mean(m.outcome == code))
        return reporters

    def _outcome_value_table(self) -> dict[str, np.ndarray]:
        """Payoff of each outcome by [type, US committed, outcome], per actor."""
        table = {}
        for key, actor in self.actors.items():
            table[key] = np.array(
                [[outcome_values(key, actor.config, bool(t), bool(us)) for us in (0, 1)] for t in (0, 1)]
            )
        return table

    # ---------------------------------------------------------------- the round

    def step(self) -> None:
        idx = np.flatnonzero(self.active)
        after_incident = self.rung[idx] == INCIDENT
        for flag in (False, True):
            group = idx[after_incident == flag]
            if group.size:
                self._play_round(group, int(flag))
        if self.steps >= self.scenario.rounds:
            self._reach_horizon()
        if self.trace and self.trace[-1].round == self.steps:
            self.trace[-1].end_rung = RUNGS[self.rung[0]]
        self.running = bool(self.active.any())
        self.datacollector.collect(self)

    def _play_round(self, idx: np.ndarray, after_incident: int) -> None:
        """One round in the worlds ``idx``, which all share the same incident flag."""
        coalition, russia, us = (self.actors[key] for key in ACTORS)
        entry = self._open_trace_entry(idx)
        self.rounds_played[idx] += 1
        policies = self.round_policies(idx, after_incident)
        # Keep the round's last large array until this group's next round. Each round frees all it
        # allocated, and glibc returns a freed heap top to the OS, so without this the next round
        # page-faults that memory back in (up to a third of the run time; docs/performance.md).
        self._held[after_incident] = policies.coalition
        uniforms = self.rng.random((idx.size, 5 + len(self.members)))

        alive = self._members_decide(idx, policies.russia_expected[:, 0, DEPLOY], uniforms[:, 5:], entry)
        collapsed = idx[~alive]
        self.force_collapsed[collapsed] = True
        coalition.payoff[collapsed] -= coalition.audience_cost(collapsed)  # a split is a public climb-down
        self._end(collapsed, COALITION_BACKS_DOWN, us_committed=np.zeros(collapsed.size, bool))

        # ``at`` holds positions into this round's policy arrays of the worlds still playing.
        at = np.flatnonzero(alive)
        # Each actor's node is indexed with the type axis moved next to the action axis (see act).
        worlds = idx[at]
        c = coalition.act(worlds, policies.coalition, (at,), uniforms[at, 0])
        if entry is not None:
            self._log_decision(entry, worlds, coalition, policies.coalition_utility[at], policies.coalition[at], c)
        self._climb(worlds, np.where(c == DEPLOY, DEPLOYED, DECLARED_INTENT))
        self.troops_deployed[worlds] = c == DEPLOY
        at, c = self._end_where(c == BACK_DOWN, COALITION_BACKS_DOWN, idx, at, c)

        worlds = idx[at]
        r = russia.act(worlds, np.moveaxis(policies.russia, 1, -2), (at, c), uniforms[at, 1])
        if entry is not None:
            utility, policy = policies.russia_utility[at, :, c], policies.russia[at, :, c]
            self._log_decision(entry, worlds, russia, utility, policy, r)
        at, c, r = self._end_where(r == BACK_DOWN, RUSSIA_BACKS_DOWN, idx, at, c, r)

        worlds, us_rows = idx[at], policies.us_row[at]
        u = us.act(worlds, np.moveaxis(policies.us, 1, -2), (us_rows, c, r), uniforms[at, 2])
        if entry is not None:
            utility, policy = policies.us_utility[us_rows, :, c, r], policies.us[us_rows, :, c, r]
            self._log_decision(entry, worlds, us, utility, policy, u)
        self._us_committed[worlds] = u == DEPLOY
        self._move_ladder(worlds, c, r, u, after_incident, uniforms[at, 3:5], entry)

    def _climb(self, worlds: np.ndarray, rung: np.ndarray) -> None:
        """Move these worlds up the ladder to at least ``rung``."""
        self._set_rung(worlds, np.maximum(self.rung[worlds], rung))

    def _set_rung(self, worlds: np.ndarray, rung: np.ndarray) -> None:
        """Put these worlds on a rung (down as well as up), remembering the highest reached."""
        self.rung[worlds] = rung
        self.max_rung[worlds] = np.maximum(self.max_rung[worlds], rung)

    def _end_where(self, ends: np.ndarray, outcome: int, idx: np.ndarray, at: np.ndarray, *moves: np.ndarray):
        """End the worlds where a back-down happened; return the positions and moves of the rest."""
        self._end(idx[at[ends]], outcome, us_committed=np.zeros(int(ends.sum()), bool))
        return (at[~ends], *(move[~ends] for move in moves))

    def round_policies(self, idx: np.ndarray, after_incident: int) -> RoundPolicies:
        """Backward induction over the round, for both types of every actor, in worlds ``idx``."""
        coalition, russia, us = (self.actors[key] for key in ACTORS)
        tables = {key: tensor[:, after_incident] for key, tensor in self.tensors.items()}  # (type, c, r, u)
        n = idx.size

        # The US's utilities differ between worlds only by its audience cost, a function of its
        # commitment count: solve once per distinct count, then look the answer up per world.
        counts, us_row = np.unique(us.commitments[idx], return_inverse=True)
        us_utility = np.broadcast_to(tables["us"][:, :2, :2, :], (counts.size, 2, 2, 2, 3)).copy()
        us_utility[..., BACK_DOWN] -= us.config.audience_cost * counts[:, None, None, None]
        us_policy = us.policy(us_utility, observed=_C_AXIS[None, None, None, :])
        resolute_minus_not = us_policy[:, 1] - us_policy[:, 0]
        us_expected = resolute_minus_not[us_row]  # (n, c, r, u): the others' forecast of the US
        us_expected *= us.belief[idx, None, None, None]
        us_expected += us_policy[us_row, 0]

        # Russia's and the coalition's values of each reply, given the US's expected answer.
        reply_values = _expected_value(us_expected, self._russia_and_coalition_tables[after_incident])
        russia_utility = _action_last_array((n, 2, 2, 3))
        russia_utility[..., :2] = reply_values[:, :2]
        russia_utility[..., BACK_DOWN] = (
            tables["russia"][None, :, :2, BACK_DOWN, 0] - russia.audience_cost(idx)[:, None, None]
        )
        russia_policy = russia.policy(russia_utility, observed=_C_AXIS[None, None, :])
        russia_expected = _expect(russia_policy, russia.belief[idx])  # (n, c, r)

        value_of_reply = _action_last_array((n, 2, 2, 3))
        value_of_reply[..., :2] = reply_values[:, 2:]
        value_of_reply[..., BACK_DOWN] = tables["coalition"][None, :, :2, BACK_DOWN, 0]
        coalition_utility = _action_last_array((n, 2, 3))
        coalition_utility[..., :2] = _expected_value(russia_expected, value_of_reply)
        coalition_utility[..., BACK_DOWN] = (
            tables["coalition"][None, :, BACK_DOWN, 0, 0] - coalition.audience_cost(idx)[:, None]
        )
        observed = russia.last_action[idx].astype(np.intp)[:, None]
        coalition_policy = coalition.policy(coalition_utility, observed=observed)
        return RoundPolicies(
            coalition_policy,
            russia_policy,
            us_policy,
            us_row,
            coalition_utility,
            russia_utility,
            us_utility,
            russia_expected,
        )

    def _members_decide(self, idx: np.ndarray, strike_risk: np.ndarray, uniforms: np.ndarray, entry) -> np.ndarray:
        """Members reconsider under the risk of a strike; returns where the force still stands."""
        if not self.members:
            return np.ones(idx.size, dtype=bool)
        committed_troops = np.zeros(idx.size)
        for k, member in enumerate(self.members):
            left = member.decide(idx, strike_risk, uniforms[:, k])
            committed_troops += member.committed[idx] * self.troops[k]
            if entry is not None and idx[0] == 0 and left[0]:
                entry.members_left.append(member.config.name)
        return committed_troops >= self.scenario.coalition.min_troops

    def _move_ladder(self, idx, c, r, u, after_incident: int, uniforms: np.ndarray, entry) -> None:
        """Strikes end in a clash; otherwise accidents may turn a standoff into an incident or a clash."""
        strike = r == DEPLOY
        reached = continuing_rung(c)
        accident_chance = self._accident_by_rung[INCIDENT if after_incident else reached]
        accident = ~strike & (uniforms[:, 0] < accident_chance)
        clash = strike | (accident & bool(after_incident))
        self._set_rung(idx, np.where(accident, INCIDENT, reached))
        self._clash(idx[clash], c[clash] == DEPLOY, u[clash] == DEPLOY, uniforms[clash, 1])
        if entry is not None and idx.size and idx[0] == 0:
            entry.accident = bool(accident[0])
            if clash[0]:
                entry.escalation = escalation_probability(self.scenario, c[0] == DEPLOY, u[0] == DEPLOY)

    def _clash(
        self, idx: np.ndarray, troops_deployed: np.ndarray, us_committed: np.ndarray, uniforms: np.ndarray
    ) -> None:
        """Force is used: a limited clash, or a major war with the escalation probability."""
        esc = self.scenario.escalation
        q = np.clip(esc.base + esc.tripwire * troops_deployed + esc.backstop * us_committed, 0.0, 1.0)
        major = uniforms < q
        self._set_rung(idx, np.where(major, MAJOR_WAR, LIMITED_WAR))
        self._end(idx[major], MAJOR_WAR_OUTCOME, us_committed[major])
        self._end(idx[~major], LIMITED_CLASH, us_committed[~major])

    def _reach_horizon(self) -> None:
        """At the last round an open incident resolves: a clash with the incident's accident chance."""
        idx = np.flatnonzero(self.active)
        at_incident = self.rung[idx] == INCIDENT
        draws = self.rng.random((idx.size, 2))
        spirals = at_incident & (draws[:, 0] < self.scenario.accident.incident)
        # Every world still in crisis played the whole last round, so its latest moves are that round's.
        spiralling = idx[spirals]
        self._clash(spiralling, self.troops_deployed[spiralling], self._us_committed[spiralling], draws[spirals, 1])
        calm = idx[~spirals]
        self._end(calm, HOLDS, us_committed=self._us_committed[calm])
        troops_in_place = calm[self.troops_deployed[calm]]
        for actor in self.actors.values():
            actor.payoff[troops_in_place] += actor.config.force_in_place

    def _end(self, idx: np.ndarray, outcome: int, us_committed: np.ndarray) -> None:
        """Close these worlds with an outcome and pay every actor its outcome payoff."""
        if not idx.size:
            return
        self.outcome[idx] = outcome
        self.us_committed_at_end[idx] = us_committed
        for key, actor in self.actors.items():
            actor.payoff[idx] += self._outcome_values[key][actor.own_type(idx), us_committed.astype(np.intp), outcome]
        if self.trace is not None and idx[0] == 0 and self.trace:
            self.trace[-1].outcome = OUTCOMES[outcome]

    # ---------------------------------------------------------------- trace (world 0 only)

    def _open_trace_entry(self, idx: np.ndarray) -> TraceEntry | None:
        if self.trace is None or idx[0] != 0:
            return None
        beliefs = {key: float(actor.belief[0]) for key, actor in self.actors.items()}
        entry = TraceEntry(round=self.steps, start_rung=RUNGS[self.rung[0]], beliefs=beliefs)
        self.trace.append(entry)
        return entry

    def _log_decision(self, entry: TraceEntry, idx, actor: CrisisActor, utility, policy, action) -> None:
        if not idx.size or idx[0] != 0:
            return
        own = int(actor.resolute[0])
        entry.decisions.append(
            {
                "actor": actor.key,
                "resolute": bool(own),
                "utility": dict(zip(ACTIONS, utility[0, own].tolist())),
                "probability": dict(zip(ACTIONS, policy[0, own].tolist())),
                "action": ACTIONS[action[0]],
                "belief_after": float(actor.belief[0]),
                "rule": actor.rule.describe(),
            }
        )

    # ---------------------------------------------------------------- running

    def run(self) -> CrisisModel:
        """Play until every world has ended (at the latest, at the horizon)."""
        while self.running:
            self.step()
        return self

    def release(self) -> None:
        """Let a finished model be freed. Mesa 3.3 keeps a class-level registry keyed by model
        (``Agent._ids``) that would hold every model ever made; drop this one's entry."""
        getattr(mesa.Agent, "_ids", {}).pop(self, None)


def _action_last_array(shape: tuple[int, ...]) -> np.ndarray:
    """An empty array indexed with the action last but stored action-first.

    Rules work column by column (``utilities[..., k]``); storing each column contiguously makes
    those passes, and the arrays numpy derives from them, several times faster.
    """
    return np.moveaxis(np.empty((shape[-1], *shape[:-1])), 0, -1)


def _expected_value(probabilities: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum over the last axis of probabilities (n, ..., k) times values -> (n, type, ...).

    ``values`` is either a constant table (type, ..., k), contracted as one batched matrix
    product (much faster than einsum here), or one table per world (n, type, ..., k).
    """
    if values.ndim == probabilities.ndim:
        n, middle, k, types = (
            probabilities.shape[0],
            probabilities.shape[1:-1],
            probabilities.shape[-1],
            values.shape[0],
        )
        m = int(np.prod(middle))
        product = np.matmul(
            probabilities.reshape(n, m, k).transpose(1, 0, 2), values.reshape(types, m, k).transpose(1, 2, 0)
        )
        return product.transpose(1, 2, 0).reshape((n, types, *middle))
    total = 0.0
    for k in range(probabilities.shape[-1]):
        total = total + probabilities[:, None, ..., k] * values[..., k]
    return total


def _expect(policy_by_type: np.ndarray, belief: np.ndarray) -> np.ndarray:
    """An observer's forecast of a policy: the two types' policies weighted by its belief."""
    not_resolute = policy_by_type[:, 0]
    forecast = policy_by_type[:, 1] - not_resolute
    forecast *= belief.reshape((-1,) + (1,) * (forecast.ndim - 1))
    forecast += not_resolute
    return forecast


__all__ = ["CrisisModel", "TraceEntry", "sample"]
