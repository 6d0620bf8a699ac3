"""The crisis of a scenario as an explicit game tree: the whole multi-round game, or its first round.

:func:`crisis_tree` builds every round of a scenario (``scenario.rounds`` of them) as one
:class:`~sim.game.tree.ExtensiveFormGame`, the game the engine (:mod:`sim.engine.model`) plays and the
solver (:mod:`sim.engine.equilibrium`) solves on a grid of public beliefs (docs/explanation/model.md):

* **Nature** first draws every actor's type (resolute or not, independently, with each actor's
  ``resolve_prior``; impossible branches are left out). If a scenario sets ``believed_resolve``
  apart from ``resolve_prior``, the engine's actors start from a wrong common belief, which a game
  tree cannot express: the tree draws types with ``resolve_prior``, and its equilibria are those
  of actors whose beliefs are right.
* **Information.** Each actor knows its own type; every move and every chance outcome is public.
  An information set's key is exactly that: ``"russia resolute: coalition deploy"`` is Russia's
  resolute type after the coalition deployed in round 1 (``"... force holds, coalition deploy"``
  when the coalition has members); rounds are separated by `` | ``. Nodes carry no labels of
  their own (Gambit 17 reads a file only if node labels are unique); Nature's root is ``types``.
* **A round** ``t`` (payoffs valued at ``discount ** (t - 1)``): the coalition's members may
  split (a chance node; the force collapses, the coalition backs down and pays its audience
  cost); the coalition deploys, threatens or backs down; Russia answers (strike, threaten, back
  down); after a strike the coalition resists or concedes (conceding costs its audience cost, and
  ``tripwire_cost`` too if its troops were deployed) and, if it resists, the US joins or stays out
  (staying out after a pledged backstop costs its audience cost), and chance decides between a
  limited clash and a major war; if Russia threatens, the US pledges its backstop, offers support
  or distances itself, everyone gets the status quo's flow, and chance decides whether an
  accident causes an incident or, in a round that began with one, whether the incident spirals
  into a clash (valued from the next round on, as the engine values it).
* **The horizon.** After the last round an open incident may still spiral into a clash; otherwise
  deterrence holds and every actor gets the status quo with the coalition's last posture.

Terminal payoffs are what the engine pays along the path: action costs, audience costs, status
quo flows and the outcome payoff, each discounted to the start. Every terminal's outcome label
begins with the outcome's key (``sim.domain.ladder.OUTCOMES``), followed by the round in games of more
than one round (``"major_war in round 2"``); :func:`outcome_probabilities` adds them up.

**Member states** are not players of the tree: their cohesion game is solved by the engine's
equilibrium (``RoundGame.cohesion``), so the chance that the force collapses at a history is the
one the engine uses at that exact public state, read from
:func:`sim.engine.equilibrium.equilibrium_for` (``CrisisEquilibrium.solve_at``) at the public beliefs
that Bayes' rule gives along the history from the equilibrium's policies of both types (starting
from the engine's initial beliefs).

**What a tree cannot script.** Actors with ``rule = "doctrine"`` get decision nodes like everyone
else, ``best_response`` is not a property of a tree (solve it at a large lambda), and a myopic
actor (``foresight = "myopic"``) is solved by the engine as if the crisis ended after the round:
the tree's equilibria agree with the engine only where every actor is forward-looking and
chooses by logit at a common lambda (tests/engine/test_equilibrium_exact.py).

The tree grows about twelvefold per round (two postures that go on, three US postures and an
accident or not): :data:`~sim.domain.limits.MAX_TREE_ROUNDS` is the most the command line exports.

:func:`crisis_game` is the one-round game that the Game page and ``sim solve SCENARIO`` show,
built by the same code: each type fixed (the likelier one by default), or Russia's drawn by Nature
and private.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from sim.domain.ladder import (
    ACTIONS,
    ACTORS,
    BACK_DOWN,
    COALITION_BACKS_DOWN,
    DEPLOY,
    HOLDS,
    LIMITED_CLASH,
    MAJOR_WAR_OUTCOME,
    OUTCOMES,
    RUSSIA_BACKS_DOWN,
    THREATEN,
)
from sim.domain.limits import MAX_TREE_ROUNDS
from sim.domain.payoffs import PayoffTables
from sim.domain.scenario import Scenario, with_overrides
from sim.engine.equilibrium import RESPONSES, States, bayes, equilibrium_for
from sim.game.tree import ExtensiveFormGame, Node

TYPE_WORDS = {True: "resolute", False: "not resolute"}
NATURE_NAMES = {"coalition": "Coalition", "russia": "Russia", "us": "US"}
"""How Nature's branches name the actors: ``"Russia resolute"``, ``"Coalition not resolute, ..."``."""

START = "(start)"
"""The public history before anything has happened, in information-set keys."""

FORCE_HOLDS = "force holds"


def modal_types(scenario: Scenario) -> dict[str, bool]:
    """Each actor's more likely type: resolute when its prior is above one half."""
    return {key: scenario.actor(key).resolve_prior > 0.5 for key in ACTORS}


def crisis_game(
    scenario: Scenario, resolute: Mapping[str, bool] | None = None, resolve_chance: bool = False
) -> ExtensiveFormGame:
    """The one-round game (the scenario cut to its first round). ``resolute`` fixes each actor's
    type (default: :func:`modal_types`); with ``resolve_chance`` Nature draws Russia's type from
    its prior instead, and Russia alone observes it."""
    types = {**modal_types(scenario), **(resolute or {})}
    one_round = scenario if scenario.rounds == 1 else with_overrides(scenario, {"rounds": 1})
    drawn = ("russia",) if resolve_chance else ()
    return crisis_tree(one_round, drawn=drawn, types=types)


def crisis_tree(
    scenario: Scenario,
    *,
    drawn: Sequence[str] = ACTORS,
    types: Mapping[str, bool] | None = None,
    per_round_players: bool = False,
) -> ExtensiveFormGame:
    """The whole game of ``scenario.rounds`` rounds (module docstring).

    Nature draws the types of the actors in ``drawn`` (default: all three) from their priors; the
    others' types are fixed by ``types`` (default: :func:`modal_types`).

    ``per_round_players`` splits each actor into one player per round (``"russia in round 2"``),
    whose payoffs are the actor's valued at the start of that round (divided by
    ``discount ** (t - 1)``). An equilibrium is the same either way, but a logit QRE at one lambda
    is not: with one player per actor, a choice in round ``t`` weighs payoffs discounted to the
    start, which acts like the rationality ``lambda * discount ** (t - 1)``; the engine's actors
    weigh them valued at the round they choose in, as the per-round players do.
    """
    fixed = {**modal_types(scenario), **(types or {})}
    builder = _Builder(scenario, _collapse_chances(scenario), per_round_players)
    rounds = scenario.rounds
    name = scenario.title or scenario.name
    title = f"{name}: the {'one-round' if rounds == 1 else f'{rounds}-round'} crisis game"
    players = ACTORS
    if per_round_players:
        players = tuple(f"{key} in round {t}" for t in range(1, rounds + 1) for key in ACTORS)
        title += ", one player per actor and round"
    if not drawn:
        return ExtensiveFormGame(players, builder.root(fixed), title)
    unknown = [key for key in drawn if key not in ACTORS]
    if unknown:
        raise ValueError(f"unknown actors {unknown}: Nature can draw the types of {', '.join(ACTORS)}")
    drawn = [key for key in ACTORS if key in drawn]
    branches = []
    for profile in itertools.product((True, False), repeat=len(drawn)):
        probability = 1.0
        for key, is_resolute in zip(drawn, profile, strict=True):
            prior = scenario.actor(key).resolve_prior
            probability *= prior if is_resolute else 1.0 - prior
        if probability > 0:
            label = ", ".join(f"{NATURE_NAMES[key]} {TYPE_WORDS[t]}" for key, t in zip(drawn, profile, strict=True))
            branches.append((label, probability, builder.root({**fixed, **dict(zip(drawn, profile, strict=True))})))
    private = " and ".join(NATURE_NAMES[key] + "'s" for key in drawn)
    if drawn == list(ACTORS):
        private = "every actor's"
    return ExtensiveFormGame(players, Node.chance(branches, label="types"), f"{title} ({private} resolve private)")


# ------------------------------------------------------------------------------------- history


def render(history: Sequence[Sequence[str]]) -> str:
    """A public history as text: each round's events (``(start)`` for none yet), rounds separated by `` | ``."""
    return " | ".join(", ".join(events) or START for events in history) or START


def _round_events(members: bool, c: int, u: int, chance: str) -> tuple[str, ...]:
    """The public events of a round that goes on: what every later information set remembers."""
    return (
        *((FORCE_HOLDS,) if members else ()),
        f"coalition {ACTIONS[c]}",
        "russia threaten",
        f"us {ACTIONS[u]}",
        chance,
    )


def _continuations(incident: bool) -> tuple[tuple[str, bool], ...]:
    """The chance events after which the crisis goes on to the next round, with the next incident flag."""
    return (("incident contained", False),) if incident else (("accident", True), ("no accident", False))


def _collapse_chances(scenario: Scenario) -> dict[str, float]:
    """The chance that the force collapses at the start of each round, by public history.

    The engine's own numbers: the equilibrium's cohesion game solved at the exact public state of
    every history that reaches a round, the beliefs following Bayes' rule on each public move with
    both types' equilibrium policies (as the engine's actors learn). One batched solve per round.
    """
    if not scenario.coalition.members:
        return {}
    equilibrium = equilibrium_for(scenario)
    start = equilibrium.initial_state()
    # (history, beliefs, incident, pledged) of every public state that starts a round.
    frontier: list[tuple[tuple[tuple[str, ...], ...], np.ndarray, bool, bool]] = [
        ((), start.beliefs[0], bool(start.incident[0]), False)
    ]
    chances: dict[str, float] = {}
    for t in range(1, scenario.rounds + 1):
        states = States(
            np.array([beliefs for _, beliefs, _, _ in frontier]),
            np.array([incident for _, _, incident, _ in frontier], dtype=np.int8),
            np.array([pledged for _, _, _, pledged in frontier], dtype=np.int8),
        )
        solution = equilibrium.solve_at(t, states)
        following = []
        for s, (history, beliefs, incident, _) in enumerate(frontier):
            chances[render(history)] = float(solution.collapse[s])
            if t == scenario.rounds:
                continue
            for c in (DEPLOY, THREATEN):
                b_c = bayes(beliefs[0], solution.coalition[s, 1, c], solution.coalition[s, 0, c])
                b_r = bayes(beliefs[1], solution.russia[s, c, 1, THREATEN], solution.russia[s, c, 0, THREATEN])
                for u in range(len(ACTIONS)):
                    b_u = bayes(beliefs[2], solution.us[s, c, 1, u], solution.us[s, c, 0, u])
                    for event, next_incident in _continuations(incident):
                        events = _round_events(True, c, u, event)
                        following.append(
                            ((*history, events), np.array([b_c, b_r, b_u], dtype=float), next_incident, u == DEPLOY)
                        )
        frontier = following
    return chances


# ------------------------------------------------------------------------------------- the tree


class _Builder:
    """Builds the tree below Nature's draw for one profile of types (``root``)."""

    def __init__(self, scenario: Scenario, collapse: Mapping[str, float], per_round_players: bool = False):
        self.scenario = scenario
        self.per_round_players = per_round_players
        self.tables = PayoffTables(scenario)
        self.rounds = scenario.rounds
        self.delta = scenario.discount
        self.members = bool(scenario.coalition.members)
        self.collapse = collapse
        accident = scenario.accident
        self.first_accident = (accident.standoff, accident.declared_intent)  # by posture: deploy, threaten
        self.backstop_accident = accident.backstop
        self.spiral = accident.incident
        self.types: dict[str, bool] = {}
        self.outcome = np.zeros((2, len(OUTCOMES), len(ACTORS)))
        self.audience = {t: self.tables.audience(t) for t in range(1, self.rounds + 1)}

    def root(self, types: Mapping[str, bool]) -> Node:
        self.types = {key: bool(types[key]) for key in ACTORS}
        own = [int(self.types[key]) for key in ACTORS]
        # outcome[joined, o]: each actor's payoff of each outcome given its type, with or without the US.
        self.outcome = self.tables.outcome[np.arange(len(ACTORS)), own].transpose(1, 2, 0)
        incident = self.scenario.start_rung == "incident"
        return self._round(1, (), incident, False, np.zeros(len(ACTORS)))

    # ---------------------------------------------------------------- helpers

    def _weight(self, t: int) -> float:
        """What a payoff at round ``t`` is worth at the start (round ``T + 1`` is the horizon)."""
        return self.delta ** (t - 1)

    def _key(self, actor: str, history: tuple[tuple[str, ...], ...]) -> str:
        return f"{actor} {TYPE_WORDS[self.types[actor]]}: {render(history)}"

    def _outcome_label(self, outcome: int, when: int) -> str:
        if self.rounds == 1:
            return OUTCOMES[outcome]
        where = f"in round {when}" if when <= self.rounds else f"after round {self.rounds}"
        return f"{OUTCOMES[outcome]} {where}"

    def _end(self, outcome: int, t: int, joined: bool, paid: np.ndarray, c: int, when: int | None = None) -> Node:
        """The crisis ends with an outcome valued at round ``t`` (it happened in round ``when``, by
        default ``t``): every actor gets its outcome payoff on top of what it paid on the way."""
        values = self.tables.H[:, c] if outcome == HOLDS else self.outcome[int(joined), outcome]
        label = self._outcome_label(outcome, t if when is None else when)
        payoffs = paid + self._weight(t) * values
        if self.per_round_players:  # each round's players value the crisis from the start of their round
            payoffs = np.concatenate([payoffs / self._weight(r) for r in range(1, self.rounds + 1)])
        return Node.terminal(payoffs, outcome=label)

    def _player(self, actor: int, t: int) -> int:
        return actor + len(ACTORS) * (t - 1) if self.per_round_players else actor

    def _clash(self, t: int, c: int, joined: bool, paid: np.ndarray, when: int | None = None) -> Node:
        """Force is used: a major war with the escalation probability, else a limited clash."""
        q = self.tables.q[c, int(joined)]
        return _lottery(
            [
                ("major war", q, self._end(MAJOR_WAR_OUTCOME, t, joined, paid, c, when)),
                ("limited clash", 1.0 - q, self._end(LIMITED_CLASH, t, joined, paid, c, when)),
            ]
        )

    # ---------------------------------------------------------------- one round

    def _round(self, t: int, past: tuple, incident: bool, pledged: bool, paid: np.ndarray) -> Node:
        events = (FORCE_HOLDS,) if self.members else ()
        coalition = self._coalition(t, past, events, incident, pledged, paid)
        if not self.members:
            return coalition
        chance = self.collapse[render(past)]
        lost = paid.copy()
        lost[0] -= self._weight(t) * self.audience[t][0]  # a split is a public climb-down
        collapsed = self._end(COALITION_BACKS_DOWN, t, False, lost, THREATEN)
        return _lottery([("force collapses", chance, collapsed), (FORCE_HOLDS, 1.0 - chance, coalition)])

    def _coalition(self, t, past, events, incident, pledged, paid) -> Node:
        w, tables = self._weight(t), self.tables
        children = {}
        for c, action in enumerate(ACTIONS):
            after = paid.copy()
            after[0] -= w * tables.cost[0, c]
            if c == BACK_DOWN:
                after[0] -= w * self.audience[t][0]
                children[action] = self._end(COALITION_BACKS_DOWN, t, False, after, c)
            else:
                children[action] = self._russia(t, past, (*events, f"coalition {action}"), c, incident, pledged, after)
        return Node.decision(self._player(0, t), children, infoset=self._key("coalition", (*past, events)))

    def _russia(self, t, past, events, c, incident, pledged, paid) -> Node:
        w, tables = self._weight(t), self.tables
        children = {}
        for r, action in enumerate(ACTIONS):
            after = paid.copy()
            after[1] -= w * tables.cost[1, r]
            moved = (*events, f"russia {action}")
            if r == BACK_DOWN:
                after[1] -= w * self.audience[t][1]
                children[action] = self._end(RUSSIA_BACKS_DOWN, t, False, after, c)
            elif r == DEPLOY:
                children[action] = self._resist(t, past, moved, c, pledged, after)
            else:
                children[action] = self._posture(t, past, moved, c, incident, pledged, after)
        return Node.decision(self._player(1, t), children, infoset=self._key("russia", (*past, events)))

    def _resist(self, t, past, events, c, pledged, paid) -> Node:
        """After a strike the coalition resists (the US decides next) or concedes."""
        resist, concede = RESPONSES["coalition"]
        conceded = paid.copy()
        tied = self.scenario.coalition.tripwire_cost * (c == DEPLOY)  # conceding with troops killed
        conceded[0] -= self._weight(t) * (self.audience[t][0] + tied)
        children = {
            resist: self._join(t, past, (*events, f"coalition {resist}"), c, pledged, paid),
            concede: self._end(COALITION_BACKS_DOWN, t, False, conceded, c),
        }
        return Node.decision(self._player(0, t), children, infoset=self._key("coalition", (*past, events)))

    def _join(self, t, past, events, c, pledged, paid) -> Node:
        """The coalition fights: the US joins, or stays out (breaking a pledged backstop costs it)."""
        join, stay_out = RESPONSES["us"]
        stayed = paid.copy()
        stayed[2] -= self._weight(t) * self.audience[t][2] * pledged
        children = {join: self._clash(t, c, True, paid), stay_out: self._clash(t, c, False, stayed)}
        return Node.decision(self._player(2, t), children, infoset=self._key("us", (*past, events)))

    def _posture(self, t, past, events, c, incident, pledged, paid) -> Node:
        """Russia threatened: the US sets its posture, the status quo pays its flow, accidents may happen."""
        w, tables = self._weight(t), self.tables
        children = {}
        for u, action in enumerate(ACTIONS):
            after = paid + w * (1.0 - self.delta) * tables.H[:, c]
            after[2] -= w * (tables.cost[2, u] + (self.audience[t][2] * pledged if u == BACK_DOWN else 0.0))
            backstop = u == DEPLOY
            branches = []
            first = float(np.clip(self.first_accident[c] + self.backstop_accident * backstop, 0.0, 1.0))
            if incident:
                # The clash ends this round but is valued from the next one (this round's flow was paid).
                branches.append(("incident spirals", self.spiral, self._clash(t + 1, c, backstop, after, when=t)))
            for event, next_incident in _continuations(incident):
                probability = (1.0 - self.spiral) if incident else (first if next_incident else 1.0 - first)
                done = (*past, _round_events(self.members, c, u, event))
                branches.append((event, probability, self._next(t, done, c, next_incident, backstop, after)))
            children[action] = _lottery(branches)
        return Node.decision(self._player(2, t), children, infoset=self._key("us", (*past, events)))

    def _next(self, t, past, c, incident, pledged, paid) -> Node:
        """The next round, or the horizon after the last one."""
        if t < self.rounds:
            return self._round(t + 1, past, incident, pledged, paid)
        horizon = self.rounds + 1
        holds = self._end(HOLDS, horizon, pledged, paid, c)
        if not incident:
            return holds
        spiral = self._clash(horizon, c, pledged, paid)
        return _lottery([("incident spirals", self.spiral, spiral), ("deterrence holds", 1.0 - self.spiral, holds)])


def _lottery(branches: list[tuple[str, float, Node]], label: str = "") -> Node:
    """A chance node without its impossible branches; a sure branch is just its child."""
    possible = [branch for branch in branches if branch[1] > 0]
    if len(possible) == 1:
        return possible[0][2]
    return Node.chance(possible, label=label)


# ------------------------------------------------------------------------------------- reading


def outcome_key(label: str) -> str:
    """The outcome key (``sim.domain.ladder.OUTCOMES``) a terminal's outcome label begins with."""
    key = label.split(" ", 1)[0]
    if key not in OUTCOMES:
        raise ValueError(f"{label!r} does not begin with an outcome key ({', '.join(OUTCOMES)})")
    return key


def behaviour_of(game: ExtensiveFormGame, profile: Sequence[np.ndarray]) -> dict[tuple[int, str], np.ndarray]:
    """A behaviour profile listed in information-set order (a ``QREResult.profile``) keyed by information set."""
    infosets = game.infosets()
    if len(profile) != len(infosets):
        raise ValueError(f"{len(profile)} probability vectors for {len(infosets)} information sets")
    return {(h.player, h.key): np.asarray(p, dtype=float) for h, p in zip(infosets, profile, strict=True)}


def outcome_probabilities(game: ExtensiveFormGame, behaviour: Mapping[tuple[int, str], np.ndarray]) -> dict[str, float]:
    """Each outcome's probability under a behaviour profile: the reach probabilities of the
    terminals whose labels begin with it, added up (every key of ``OUTCOMES``, zeros included)."""
    keys = game.node_infosets()
    totals = dict.fromkeys(OUTCOMES, 0.0)
    stack = [(game.root, 1.0)]
    while stack:
        node, probability = stack.pop()
        if node.kind == "terminal":
            totals[outcome_key(node.outcome)] += probability
            continue
        weights = node.probabilities if node.kind == "chance" else behaviour[keys[id(node)]]
        stack.extend((child, probability * w) for w, child in zip(weights, node.children, strict=True) if w > 0)
    return totals


__all__ = [
    "MAX_TREE_ROUNDS",
    "behaviour_of",
    "crisis_game",
    "crisis_tree",
    "modal_types",
    "outcome_key",
    "outcome_probabilities",
    "render",
]
