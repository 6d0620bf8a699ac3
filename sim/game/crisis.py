"""The one-round crisis game of a scenario, as an explicit game tree.

The coalition moves first (deploy, threaten, back down); Russia sees that and answers; then the
US, if the crisis is still on. Chance then decides what the simulator leaves to chance: whether a
clash becomes a major war (escalation), and, when the crisis goes on, whether an accident causes
an incident and the incident a clash. Payoffs are the scenario's outcome payoffs with the same
modifiers as the simulator (war bonus of resolute types, US backstop effects, the force in
place) minus each actor's cost of the actions it took. Audience costs are zero in a first round.

The terminal payoffs come from the same pieces as the simulator's payoff tensor
(``sim.payoffs``: outcome values, the status quo, the escalation probability), but the tree keeps
chance explicit where ``sim.payoffs.round_payoffs`` folds it into expected values, so solving it
is a check on the simulator: with one round, complete information and a large lambda the
simulated agents must play its subgame-perfect equilibrium.

Optionally Nature first draws Russia's type (resolute with probability ``resolve_prior``);
Russia knows it, the coalition and the US do not, which makes the game one of incomplete
information whose solutions are Nash or (approximately, via the logit limit) sequential.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.game.tree import ExtensiveFormGame, Node
from sim.ladder import (
    ACTIONS,
    ACTORS,
    BACK_DOWN,
    COALITION_BACKS_DOWN,
    DEPLOY,
    HOLDS,
    LIMITED_CLASH,
    MAJOR_WAR_OUTCOME,
    OUTCOMES,
    RUNGS,
    RUSSIA_BACKS_DOWN,
    continuing_rung,
)
from sim.payoffs import escalation_probability, outcome_values, status_quo_value
from sim.scenario import Scenario


def modal_types(scenario: Scenario) -> dict[str, bool]:
    """Each actor's more likely type: resolute when its prior is above one half."""
    return {key: scenario.actor(key).resolve_prior > 0.5 for key in ACTORS}


def crisis_game(
    scenario: Scenario, resolute: Mapping[str, bool] | None = None, resolve_chance: bool = False
) -> ExtensiveFormGame:
    """The one-round game. ``resolute`` fixes each actor's type (default: :func:`modal_types`);
    with ``resolve_chance`` Nature draws Russia's type instead and Russia alone observes it."""
    types = {**modal_types(scenario), **(resolute or {})}
    title = f"{scenario.title or scenario.name}: the one-round crisis game"
    if not resolve_chance:
        return ExtensiveFormGame(ACTORS, _coalition_node(scenario, types, russia_label=""), title)
    prior = scenario.russia.resolve_prior
    branches = [
        (f"Russia {label}", probability, _coalition_node(scenario, {**types, "russia": is_resolute}, label))
        for label, is_resolute, probability in (("resolute", True, prior), ("not resolute", False, 1 - prior))
        if probability > 0
    ]
    root = Node.chance(branches, label="Russia's type")
    return ExtensiveFormGame(ACTORS, root, title + " (Russia's resolve private)")


def _coalition_node(scenario: Scenario, types: Mapping[str, bool], russia_label: str) -> Node:
    backs_down = _terminal(scenario, types, COALITION_BACKS_DOWN, moves=(BACK_DOWN, None, None))
    children = {
        action: backs_down if c == BACK_DOWN else _russia_node(scenario, types, c, russia_label)
        for c, action in enumerate(ACTIONS)
    }
    return Node.decision(0, children, infoset="coalition", label="coalition")


def _russia_node(scenario: Scenario, types: Mapping[str, bool], c: int, russia_label: str) -> Node:
    backs_down = _terminal(scenario, types, RUSSIA_BACKS_DOWN, moves=(c, BACK_DOWN, None))
    children = {
        action: backs_down if r == BACK_DOWN else _us_node(scenario, types, c, r) for r, action in enumerate(ACTIONS)
    }
    who = f"russia ({russia_label})" if russia_label else "russia"
    key = f"{who} after coalition {ACTIONS[c]}"
    return Node.decision(1, children, infoset=key, label=key)


def _us_node(scenario: Scenario, types: Mapping[str, bool], c: int, r: int) -> Node:
    after = _clash if r == DEPLOY else _continuation
    children = {action: after(scenario, types, (c, r, u)) for u, action in enumerate(ACTIONS)}
    key = f"us after coalition {ACTIONS[c]}, russia {ACTIONS[r]}"
    return Node.decision(2, children, infoset=key, label=key)


def _continuation(scenario: Scenario, types: Mapping[str, bool], moves: tuple) -> Node:
    """Russia threatened: the status quo holds unless an accident causes an incident and the
    incident spirals into a clash (after an incident, one accident is enough)."""
    accident = scenario.accident
    hold = _terminal(scenario, types, HOLDS, moves)
    clash = _clash(scenario, types, moves)
    spiral = _lottery([("spirals into a clash", accident.incident, clash), ("contained", 1 - accident.incident, hold)])
    if scenario.start_rung == "incident":
        return spiral
    first = accident.by_rung()[RUNGS[int(continuing_rung(moves[0]))]]
    return _lottery([("accident", first, spiral), ("no accident", 1 - first, hold)])


def _clash(scenario: Scenario, types: Mapping[str, bool], moves: tuple) -> Node:
    c, _, u = moves
    q = escalation_probability(scenario, c == DEPLOY, u == DEPLOY)
    major = _terminal(scenario, types, MAJOR_WAR_OUTCOME, moves)
    limited = _terminal(scenario, types, LIMITED_CLASH, moves)
    return _lottery([("major war", q, major), ("limited clash", 1 - q, limited)])


def _lottery(branches: list[tuple[str, float, Node]]) -> Node:
    """A chance node without its impossible branches; a sure branch is just its child."""
    possible = [branch for branch in branches if branch[1] > 0]
    if len(possible) == 1:
        return possible[0][2]
    return Node.chance(possible)


def _terminal(scenario: Scenario, types: Mapping[str, bool], outcome: int, moves: tuple) -> Node:
    c, _, u = moves
    us_committed = u == DEPLOY
    payoffs = []
    for position, key in enumerate(ACTORS):
        actor = scenario.actor(key)
        if outcome == HOLDS:
            value = status_quo_value(actor, troops_deployed=c == DEPLOY)
        else:
            value = outcome_values(key, actor, types[key], us_committed)[outcome]
        own_move = moves[position]
        cost = actor.action_costs()[own_move] if own_move is not None else 0.0
        payoffs.append(value - cost)
    return Node.terminal(payoffs, outcome=OUTCOMES[outcome])
