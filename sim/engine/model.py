"""The crisis as a Mesa model that simulates many independent worlds at once.

Every piece of state is a numpy array over worlds, so one call to :meth:`CrisisModel.step`
plays one round in all worlds still in crisis, with no Python loop over worlds. ``n_worlds=1``
is the single run a classroom watches (with ``trace=True`` it records every decision).

The model is solved before it is simulated: :func:`sim.engine.equilibrium.equilibrium_for` solves the
whole multi-round crisis once per scenario (agent logit QRE over public beliefs), and each round
every world looks its policies up at its own state (round, public beliefs, incident and pledge
flags). A round (docs/explanation/model.md, section 5):

1. members decide whether to keep their troops in (the cohesion game); below ``min_troops`` the
   force collapses and the coalition backs down;
2. the coalition deploys, threatens or backs down; Russia strikes, threatens or backs down;
3. after a strike the coalition resists or concedes, and if it resists the US joins or stays
   out; the clash is limited or becomes a major war;
4. otherwise the US pledges its backstop, offers political support or distances itself, the
   status quo pays its flow, and an accident may cause an incident (or, right after one, a clash);
5. after every move the others update their belief about the mover by Bayes' rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import mesa
import numpy as np

from sim.domain.ladder import (
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
from sim.domain.payoffs import PayoffTables
from sim.domain.scenario import Scenario
from sim.engine.agents import CrisisActor, MemberState, sample
from sim.engine.equilibrium import (
    CONCEDE,
    JOIN,
    RESPONSES,
    CrisisEquilibrium,
    RoundSolution,
    States,
    equilibrium_for,
)
from sim.engine.equilibrium.features import split_features
from sim.engine.equilibrium.policy_tree import transition
from sim.engine.fused import N_DRAWS, ONGOING
from sim.engine.streams import draw_seed, round_counters, stream_key, uniforms


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


class Chooser(Protocol):
    """Who chooses instead of the equilibrium draw, in a one-world model (live play in class).

    Called at every decision with the node (``coalition``, ``russia``, ``us``; ``resist`` and
    ``join`` after a strike), the actor, the round, the policy of the actor's own type at that node
    (the equilibrium's choice probabilities) and the action the equilibrium drew; returns the action
    taken (the drawn one for an actor no person plays), or raises to stop the model where a person
    has not chosen yet.
    """

    def __call__(self, node: str, actor: str, round_number: int, policy: np.ndarray, drawn: int) -> int: ...


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
        equilibrium: CrisisEquilibrium | None = None,
        first_world: int = 0,
    ):
        """``rng`` is accepted as another name for ``seed``, the name Mesa >= 3.4 uses (batch_run).

        ``equilibrium`` may be given to reuse a solution; by default the scenario's is looked up
        (solved on first use, then cached by the scenario's hash). ``first_world`` numbers the
        worlds from there: a batch of a larger run draws the numbers those worlds draw in the whole
        run (:mod:`sim.engine.streams`).
        """
        if rng is not None:
            if seed is not None:
                raise ValueError("give seed or rng, not both")
            seed = rng
        if seed is None:
            seed = draw_seed()  # drawn, kept and reported, so this run can be repeated
        seed_sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        # Mesa <3.5 calls it seed=, >=3.5 rng=; both accept rng. The numpy stream is ours either way.
        super().__init__(rng=int(seed_sequence.generate_state(1)[0]))
        self.rng = np.random.default_rng(seed_sequence)
        self.key = stream_key(seed_sequence)  # every draw of the simulation comes from the streams
        self.worlds = np.arange(first_world, first_world + int(n_worlds), dtype=np.uint64)
        self.slots = N_DRAWS + len(scenario.coalition.members)
        self.scenario = scenario
        self.n_worlds = int(n_worlds)
        self.seed = seed
        self.equilibrium = equilibrium or equilibrium_for(scenario)
        self.tables: PayoffTables = self.equilibrium.game.tables
        self.discount = scenario.discount
        self.actors = {key: CrisisActor(self, key, scenario.actor(key)) for key in ACTORS}
        self.members = [MemberState(self, member) for member in scenario.coalition.members]
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
        self.incident = np.full(n, scenario.start_rung == "incident")
        self.pledged = np.zeros(n, dtype=bool)  # the US's latest posture was a pledged backstop
        self.tree = self.equilibrium.policy_tree()
        self.node = np.zeros(n, dtype=np.int64)  # each world's node in the policy tree (-1 past it)
        self.trace: list[TraceEntry] | None = [] if trace else None
        self.chooser: Chooser | None = None  # set for live play: people choose for some actors

        # One row per round, after it is played (Mesa's convention, which batch_run relies on).
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())

    # ---------------------------------------------------------------- state helpers

    @property
    def active(self) -> np.ndarray:
        """Which worlds are still in crisis: a boolean array over worlds (no outcome yet)."""
        return self.outcome == ONGOING

    def _reporters(self) -> dict[str, Any]:
        """Per-round shares: ongoing worlds by rung, ended worlds by outcome (they sum to one)."""
        reporters: dict[str, Any] = {}
        for code, rung in enumerate(RUNGS[: INCIDENT + 1]):
            reporters[f"rung:{rung}"] = lambda m, code=code: float(np.mean(m.active & (m.rung == code)))
        for code, outcome in enumerate(OUTCOMES):
            reporters[f"ended:{outcome}"] = lambda m, code=code: float(np.mean(m.outcome == code))
        return reporters

    def states(self, idx: np.ndarray) -> States:
        """The public state of these worlds: beliefs (ACTORS order), incident and pledge flags."""
        beliefs = np.stack([self.actors[key].belief[idx] for key in ACTORS], axis=1)
        return States(beliefs, self.incident[idx].astype(np.int8), self.pledged[idx].astype(np.int8))

    def policies(self, round_number: int, idx: np.ndarray) -> dict[str, np.ndarray]:
        """The policies of round ``round_number`` in worlds ``idx``.

        Rounds ``1..depth`` of the policy tree (:mod:`sim.engine.equilibrium.policy_tree`) were solved
        exactly at every public state they can reach: each world reads its node's. Later rounds are
        interpolated from the grid at each world's beliefs. A traced world is solved exactly in every
        round, so its story shows the utilities it acted on.

        Parameters
        ----------
        round_number : int
            The round being played, from 1.
        idx : numpy.ndarray
            Indices of the worlds still in crisis.

        Returns
        -------
        dict of str to numpy.ndarray
            ``coalition``, ``russia``, ``us``, ``resist``, ``join``, ``stay`` and ``collapse``, each with
            one row per world of ``idx``, as :func:`sim.engine.equilibrium.policies_at` lays them out.
        """
        if self.trace is not None:
            return self._solved_exactly(round_number, idx)
        return split_features(self.equilibrium.policy_rows(round_number, self.node[idx], self.states(idx)))

    def _solved_exactly(self, round_number: int, idx: np.ndarray) -> dict[str, np.ndarray]:
        """The round solved afresh at each distinct state of these worlds (a traced run)."""
        states = self.states(idx)
        keys = np.concatenate([states.beliefs, states.incident[:, None], states.pledged[:, None]], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        distinct = States(unique[:, :3], unique[:, 3].astype(np.int8), unique[:, 4].astype(np.int8))
        solution = self.equilibrium.solve_at(round_number, distinct)
        inverse = inverse.ravel()
        self._solution = _take(solution, inverse)
        return {
            key: getattr(solution, key)[inverse]
            for key in ("coalition", "russia", "us", "resist", "join", "stay", "collapse")
        }

    # ---------------------------------------------------------------- the round

    def step(self) -> None:
        """Play one round in every world still in crisis, then record the round.

        After the last round (the scenario's ``rounds``) the worlds still open are closed: an open
        incident may still spiral into a clash, otherwise deterrence holds. ``running`` turns False
        once every world has ended, and the data collector adds one row of shares per round.
        """
        idx = np.flatnonzero(self.active)
        if idx.size:
            self._play_round(idx)
        if self.steps >= self.scenario.rounds:
            self._reach_horizon()
        if self.trace and self.trace[-1].round == self.steps:
            self.trace[-1].end_rung = RUNGS[self.rung[0]]
        self.running = bool(self.active.any())
        self.datacollector.collect(self)

    def draws(self, idx: np.ndarray, round_number: int) -> np.ndarray:
        """Every uniform worlds ``idx`` draw in a round (0 the types, T + 1 the horizon): one row per
        world, ``N_DRAWS`` moves and chance events, then one per member (:mod:`sim.engine.streams`)."""
        return uniforms(self.key, self.worlds[idx], round_counters(round_number, self.slots))

    def _pay(self, idx: np.ndarray, key: str, amount: np.ndarray | float, round_number: int) -> None:
        """Add an amount valued at round ``t`` to an actor's realised payoff, discounted to the start."""
        self.actors[key].payoff[idx] += self.discount ** (round_number - 1) * amount

    def _play_round(self, idx: np.ndarray) -> None:
        t = self.steps  # Mesa counts this round already
        coalition, russia, us = (self.actors[key] for key in ACTORS)
        tables = self.tables
        audience = tables.audience(t)
        entry = self._open_trace_entry(idx)
        self.rounds_played[idx] += 1
        policy = self.policies(t, idx)
        uniforms = self.draws(idx, t)

        # 1. Members: each keeps its troops in with its equilibrium chance this round.
        alive = np.ones(idx.size, dtype=bool)
        if self.members:
            stays = uniforms[:, N_DRAWS:] < policy["stay"]
            for k, member in enumerate(self.members):
                member.committed[idx] = stays[:, k]
                if entry is not None and not stays[0, k]:
                    entry.members_left.append(member.config.name)
            alive = stays @ self.troops >= self.scenario.coalition.min_troops
            collapsed = idx[~alive]
            self.force_collapsed[collapsed] = True
            self._pay(collapsed, "coalition", -audience[0], t)  # a split is a public climb-down
            self._end(collapsed, COALITION_BACKS_DOWN, np.zeros(collapsed.size, bool), t)
        at = np.flatnonzero(alive)  # positions into this round's arrays of the worlds still playing

        # 2. The coalition moves.
        worlds = idx[at]
        c = coalition.act(worlds, policy["coalition"][at], uniforms[at, 0], node="coalition")
        self._log(entry, "coalition", worlds, c, at, "coalition")
        coalition.last_action[worlds] = c
        self._pay(worlds, "coalition", -tables.cost[0, c] - np.where(c == BACK_DOWN, audience[0], 0.0), t)
        self._climb(worlds, np.where(c == DEPLOY, DEPLOYED, DECLARED_INTENT))
        self.troops_deployed[worlds] = c == DEPLOY
        ends = c == BACK_DOWN
        self._end(worlds[ends], COALITION_BACKS_DOWN, np.zeros(int(ends.sum()), bool), t)
        at, c = at[~ends], c[~ends]

        # 3. Russia answers the coalition's move.
        worlds = idx[at]
        r = russia.act(worlds, policy["russia"][at, c], uniforms[at, 1], node="russia")
        self._log(entry, "russia", worlds, r, at, "russia", c)
        russia.last_action[worlds] = r
        self._pay(worlds, "russia", -tables.cost[1, r] - np.where(r == BACK_DOWN, audience[1], 0.0), t)
        ends = r == BACK_DOWN
        self._end(worlds[ends], RUSSIA_BACKS_DOWN, np.zeros(int(ends.sum()), bool), t)
        strike = r == DEPLOY
        self._strike(idx, at[strike], c[strike], policy, uniforms, entry, t)
        going_on = r == THREATEN
        at, c = at[going_on], c[going_on]

        # 4. The US sets its posture; the status quo pays its flow; accidents may happen.
        worlds = idx[at]
        u = us.act(worlds, policy["us"][at, c], uniforms[at, 2], node="us")
        self._log(entry, "us", worlds, u, at, "us", c)
        us.last_action[worlds] = u
        us_cost = tables.cost[2, u] + np.where(u == BACK_DOWN, audience[2] * self.pledged[worlds], 0.0)
        self._pay(worlds, "us", -us_cost, t)
        self.pledged[worlds] = u == DEPLOY
        for i, key in enumerate(ACTORS):
            self._pay(worlds, key, (1 - self.discount) * tables.H[i, c], t)
        game = self.equilibrium.game
        spiralling = self.incident[worlds]
        first = np.clip(game.a1[c] + game.a_backstop * (u == DEPLOY), 0.0, 1.0)
        chance = np.where(spiralling, game.a2, first)
        accident = uniforms[at, 5] < chance
        clash = accident & spiralling
        following = transition(c, u, accident.astype(np.intp))
        # The last level's children are -1: past the tree, a world reads the grid.
        nodes = self.node[worlds]
        self.node[worlds] = np.where(nodes >= 0, self.tree.child[np.maximum(nodes, 0), following], -1)
        reached = continuing_rung(c)
        self._set_rung(worlds, np.where(accident & ~spiralling, INCIDENT, reached))
        self.incident[worlds] = accident & ~spiralling
        if entry is not None and worlds.size and worlds[0] == 0:
            entry.accident = bool(accident[0])
        # A spiralling incident ends the round in a clash, valued from the next round (this round's flow was paid).
        self._clash(worlds[clash], c[clash], (u == DEPLOY)[clash], uniforms[at[clash], 6], entry, t + 1)

    def _strike(self, idx, at, c, policy, uniforms, entry, t: int) -> None:
        """Russia has used force: the coalition resists or concedes; if it resists, the US joins or not."""
        coalition, us = self.actors["coalition"], self.actors["us"]
        audience = self.tables.audience(t)
        worlds = idx[at]
        self._set_rung(worlds, np.full(worlds.size, LIMITED_WAR))
        answer = coalition.act(worlds, policy["resist"][at, c], uniforms[at, 3], learn=False, node="resist")
        self._log(entry, "resist", worlds, answer, at, "coalition", c)
        concede = answer == CONCEDE
        tied = self.scenario.coalition.tripwire_cost * (c[concede] == DEPLOY)  # conceding with troops killed
        self._pay(worlds[concede], "coalition", -audience[0] - tied, t)
        self._end(worlds[concede], COALITION_BACKS_DOWN, np.zeros(int(concede.sum()), bool), t)
        at, c, worlds = at[~concede], c[~concede], worlds[~concede]
        join = us.act(worlds, policy["join"][at, c], uniforms[at, 4], learn=False, node="join")
        self._log(entry, "join", worlds, join, at, "us", c)
        stays_out = join != JOIN
        self._pay(worlds[stays_out], "us", -audience[2] * self.pledged[worlds[stays_out]], t)
        self._clash(worlds, c, join == JOIN, uniforms[at, 6], entry, t)

    def _clash(self, worlds, c, joined, uniforms, entry, t: int) -> None:
        """Force is used: a limited clash, or a major war with the escalation probability."""
        q = self.tables.q[c, joined.astype(np.intp)]
        major = uniforms < q
        self._set_rung(worlds, np.where(major, MAJOR_WAR, LIMITED_WAR))
        self._end(worlds[major], MAJOR_WAR_OUTCOME, joined[major], t)
        self._end(worlds[~major], LIMITED_CLASH, joined[~major], t)
        if entry is not None and worlds.size and worlds[0] == 0:
            entry.escalation = float(q[0])

    def _climb(self, worlds: np.ndarray, rung: np.ndarray) -> None:
        """Move these worlds up the ladder to at least ``rung``."""
        self._set_rung(worlds, np.maximum(self.rung[worlds], rung))

    def _set_rung(self, worlds: np.ndarray, rung: np.ndarray) -> None:
        """Put these worlds on a rung (down as well as up), remembering the highest reached."""
        self.rung[worlds] = rung
        self.max_rung[worlds] = np.maximum(self.max_rung[worlds], rung)

    def _reach_horizon(self) -> None:
        """After the last round an open incident may still spiral; otherwise deterrence holds."""
        idx = np.flatnonzero(self.active)
        horizon = self.scenario.rounds + 1
        draws = self.draws(idx, horizon)[:, :2]
        spirals = self.incident[idx] & (draws[:, 0] < self.scenario.accident.incident)
        spiralling = idx[spirals]
        c = np.where(self.troops_deployed[spiralling], DEPLOY, THREATEN)
        self._clash(spiralling, c, self.pledged[spiralling], draws[spirals, 1], None, horizon)
        calm = idx[~spirals]
        self._end(calm, HOLDS, self.pledged[calm], horizon)

    def _end(self, idx: np.ndarray, outcome: int, joined: np.ndarray, t: int) -> None:
        """Close these worlds with an outcome and pay every actor its outcome payoff (valued at round t)."""
        if not idx.size:
            return
        self.outcome[idx] = outcome
        self.us_committed_at_end[idx] = joined
        tables = self.tables
        for i, (key, actor) in enumerate(self.actors.items()):
            if outcome == HOLDS:
                value = tables.H[i, np.where(self.troops_deployed[idx], DEPLOY, THREATEN)]
            else:
                value = tables.outcome[i, actor.own_type(idx), joined.astype(np.intp), outcome]
            self._pay(idx, key, value, t)
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

    def _log(self, entry, node: str, worlds, action, at, actor_key: str, c=None) -> None:
        """Record world 0's decision: each action's expected utility now and later, and the choice."""
        if entry is None or not worlds.size or worlds[0] != 0:
            return
        solution: RoundSolution = self._solution
        actor = self.actors[actor_key]
        own = int(actor.resolute[0])
        position = int(at[0])
        if node == "coalition":
            utility, later, policy = solution.coalition_utility, solution.coalition_later, solution.coalition
            utility, later, policy = utility[position, own], later[position, own], policy[position, own]
            names: tuple[str, ...] = ACTIONS
        elif node in ("russia", "us"):
            cc = int(c[0])
            utility = getattr(solution, f"{node}_utility")[position, cc, own]
            later = getattr(solution, f"{node}_later")[position, cc, own]
            policy = getattr(solution, node)[position, cc, own]
            names = ACTIONS
        else:
            cc = int(c[0])
            utility = getattr(solution, f"{node}_utility")[position, cc, own]
            later = np.zeros_like(utility)
            policy = getattr(solution, node)[position, cc, own]
            names = RESPONSES[actor_key]
        entry.decisions.append(
            {
                "actor": actor.key,
                "stage": "move" if node in ACTORS else "after a strike",
                "resolute": bool(own),
                "utility": dict(zip(names, utility.tolist())),
                "later": dict(zip(names, later.tolist())),
                "probability": dict(zip(names, policy.tolist())),
                "action": names[int(action[0])],
                "belief_after": float(actor.belief[0]),
                "rule": actor.rule.describe() + ("" if actor.config.foresight == "forward" else "; myopic"),
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


def _take(solution: RoundSolution, rows: np.ndarray) -> RoundSolution:
    """A round solution's arrays at the given rows (per world, from per distinct state)."""
    fields = {}
    for name, value in vars(solution).items():
        fields[name] = value[rows] if isinstance(value, np.ndarray) and value.ndim and len(value) > 0 else value
    return RoundSolution(**fields)


__all__ = ["CrisisModel", "TraceEntry", "draw_seed", "sample"]
