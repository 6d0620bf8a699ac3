"""Game: the scenario's one-round crisis game solved exactly, and set beside the simulated agents.

The first round as a game tree (``sim.game.crisis_game``) with its subgame-perfect path, every
Nash equilibrium the solver finds (and which rest on threats that would not be carried out), the
logit QRE as lambda grows, and where the simulated agents of round 1 differ from the equilibrium
and why. The maths is in docs/game-theory.md; the page is described in docs/app/game.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import product

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from sim.game import ExtensiveFormGame, GameError, Node, Solution, describe, logit_qre, qre_path, solve
from sim.game.crisis import crisis_game, modal_types
from sim.game.formats import write_efg
from sim.game.qre import QREPoint, QREResult
from sim.game.spe import outcome_distribution
from sim.ladder import ACTIONS, ACTORS, DEPLOY, OUTCOMES
from sim.model import CrisisModel
from sim.scenario import Scenario, ScenarioError, with_overrides
from sim.webapp.state import Current, Setting
from sim.webapp.style import (
    ACTION_COLOURS,
    ACTOR_COLOURS,
    ACTOR_SHORT,
    GRID,
    OKABE_ITO,
    OUTCOME_COLOURS,
    base_layout,
    font_size,
    ink,
    show_chart,
    words,
)

TITLE = "Game"
ICON = "♟️"

TYPE_CHOICES = ("modal", "resolute", "not_resolute")
VIEWS = ("compact", "full")
LAMBDA_LIMIT = 200.0
"""Largest lambda the QRE chart traces: far past convergence, and quick on a shared server."""
APPROX_LAMBDA = 100.0
"""With Russia's resolve private, the logit QRE at this lambda stands in for the sequential equilibrium."""
AGREE = 0.95
"""Agents who play an equilibrium move at least this often in round 1 are said to agree with it."""
MIXING = 0.1
"""In the QRE approximation, every action played at least this often counts as an equilibrium move."""

SETTINGS: tuple[Setting, ...] = (
    *(Setting(f"game_{actor}_type", "modal", choices=TYPE_CHOICES) for actor in ACTORS),
    Setting("game_private", False),
    Setting("game_view", "compact", choices=VIEWS),
    Setting("game_lambda_max", 10.0, low=1.0, high=LAMBDA_LIMIT),
)

HIGHLIGHT = OKABE_ITO["orange"]
OTHER_EDGE = "#9A9A9A"
NAME = {"coalition": "the coalition", "russia": "Russia", "us": "the US"}
VERB = {  # base form, third person, gerund
    "deploy": ("deploy", "deploys", "deploying"),
    "threaten": ("threaten", "threatens", "threatening"),
    "back_down": ("back down", "backs down", "backing down"),
}
SHORT_OUTCOME = {
    "deterrence_holds": "holds",
    "coalition_backs_down": "coalition backs down",
    "russia_backs_down": "Russia backs down",
    "limited_clash": "clash",
    "major_war": "war",
}
INITIAL = {"coalition": "C", "russia": "R", "us": "US"}
RESOLUTE_BRANCH = "Russia resolute"
"""The name ``crisis_game`` gives Nature's branch in which Russia is resolute (private resolve)."""


def render(current: Current) -> None:
    scenario = current.scenario
    assert scenario is not None
    header(current)
    controls = read_controls(scenario)
    try:
        solution = solved_game(current.scenario_json, controls.types, controls.private)
        approximation = approximate_qre(current.scenario_json, controls.types, controls.private)
        points = qre_branch(current.scenario_json, controls.types, controls.private, controls.lambda_max)
        agents = round_one(current.scenario_json, controls.types, controls.private)
        game = solution.game
        plan = equilibrium_plan(solution, approximation)
        comparisons = compare(game, plan, agents, controls.types)
    except (GameError, ScenarioError, ValueError, ArithmeticError) as error:
        st.error(f"The game of this scenario cannot be solved: {error}. Change the assumptions and try again.")
        return
    summary_section(game, solution, plan, comparisons, agents, controls)
    tree_section(game, plan, controls.view, solution)
    nash_section(solution, equilibria_table(current.scenario_json, controls.types, controls.private))
    qre_section(game, plan, points, agents, controls)
    agents_section(comparisons, agents, plan, scenario)
    download_section(current, solution, points, controls)


def header(current: Current) -> None:
    scenario = current.scenario
    assert scenario is not None
    st.title("The crisis as a game")
    st.subheader(scenario.title or scenario.name)
    st.markdown(
        "One round of the crisis, solved exactly: the coalition moves (deploy, threaten or back down), Russia "
        "sees that and answers, then the US; chance decides accidents and whether a clash becomes a major war. "
        "Game theory says what fully rational players who know each other's types would do; the simulated "
        "agents choose noisily and are unsure of the others' types. This page shows both and where they part. "
        "The maths is in `docs/game-theory.md`."
    )
    if current.problems:
        st.warning(
            "Some changed values are not valid (see the sidebar or the Scenario page), so the game below uses "
            "the scenario's own values for them."
        )


# ---------------------------------------------------------------------------------------------
# Controls


@dataclass(frozen=True)
class Controls:
    """The page's settings, resolved against the scenario (``types`` in ``ACTORS`` order)."""

    types: tuple[bool, ...]
    private: bool
    view: str
    lambda_max: float


def resolve_types(scenario: Scenario, choices: Mapping[str, str]) -> tuple[bool, ...]:
    """Each actor's type: ``modal`` takes the scenario's more likely type (prior above one half)."""
    modal = modal_types(scenario)
    return tuple(modal[actor] if choices[actor] == "modal" else choices[actor] == "resolute" for actor in ACTORS)


def type_label(scenario: Scenario, actor: str, choice: str) -> str:
    if choice != "modal":
        return words(choice)
    prior = scenario.actor(actor).resolve_prior
    return f"Modal: {'resolute' if modal_types(scenario)[actor] else 'not resolute'} (prior {prior:.2f})"


def read_controls(scenario: Scenario) -> Controls:
    """Draw the controls (their keys are the page's settings, so they live in the URL)."""
    columns = st.columns(3)
    for column, actor in zip(columns, ACTORS, strict=True):
        private_russia = actor == "russia" and st.session_state["game_private"]
        column.selectbox(
            f"{ACTOR_SHORT[actor]}'s type",
            TYPE_CHOICES,
            key=f"game_{actor}_type",
            format_func=lambda choice, actor=actor: type_label(scenario, actor, choice),
            disabled=private_russia,
            help=f"Whether {NAME[actor]} is the resolute type, which prefers fighting to backing down (it adds "
            "its war bonus to the fighting outcomes). The game assumes every player knows every type; 'modal' "
            "takes the type the scenario's resolve prior makes more likely (resolute when the prior is above 0.5)."
            + (" Disabled while Russia's resolve is private: Nature draws it." if private_russia else ""),
        )
    left, middle, right = st.columns([2, 1, 2])
    left.toggle(
        "Russia's resolve is private (Nature draws it)",
        key="game_private",
        help="Nature first makes Russia resolute with its resolve prior; Russia knows its type, the coalition and "
        "the US do not. The game then has imperfect information: no subgame-perfect equilibrium exists to report, "
        f"and the page approximates the sequential equilibrium by the logit QRE at λ = {APPROX_LAMBDA:g}.",
    )
    middle.radio(
        "Tree",
        VIEWS,
        key="game_view",
        format_func=lambda view: {"compact": "Compact", "full": "Every node"}[view],
        horizontal=True,
        help="Compact: each chance ending (accidents, escalation) is folded into one end node showing its outcome "
        "probabilities and expected payoffs. Every node: the whole tree, chance nodes included.",
    )
    right.slider(
        "Largest λ on the QRE chart",
        min_value=1.0,
        max_value=LAMBDA_LIMIT,
        step=1.0,
        key="game_lambda_max",
        help="The QRE chart traces the logit quantal response equilibrium from λ = 0 (random choice) up to this "
        "value. Payoff gaps of g utils are resolved once λ·g is about 5, so small gaps need a large λ.",
    )
    choices = {actor: st.session_state[f"game_{actor}_type"] for actor in ACTORS}
    return Controls(
        resolve_types(scenario, choices),
        bool(st.session_state["game_private"]),
        st.session_state["game_view"],
        float(st.session_state["game_lambda_max"]),
    )


# ---------------------------------------------------------------------------------------------
# Cached computations (hashable arguments: the scenario as JSON)


def build_game(scenario: Scenario, types: Sequence[bool], private: bool) -> ExtensiveFormGame:
    return crisis_game(scenario, dict(zip(ACTORS, types, strict=True)), resolve_chance=private)


@st.cache_data(show_spinner="Solving the game…", max_entries=32)
def solved_game(scenario_json: str, types: tuple[bool, ...], private: bool) -> Solution:
    """Nash and subgame-perfect equilibria of the one-round game."""
    return solve(build_game(Scenario.model_validate_json(scenario_json), types, private))


@st.cache_data(show_spinner=False, max_entries=32)
def approximate_qre(scenario_json: str, types: tuple[bool, ...], private: bool) -> QREResult | None:
    """With private resolve, the logit QRE at a large lambda: the approximate sequential equilibrium."""
    if not private:
        return None
    return logit_qre(build_game(Scenario.model_validate_json(scenario_json), types, private), APPROX_LAMBDA)


@st.cache_data(show_spinner="Tracing the QRE…", max_entries=32)
def qre_branch(scenario_json: str, types: tuple[bool, ...], private: bool, lambda_max: float) -> list[QREPoint]:
    """The principal branch of logit QREs from lambda 0 to ``lambda_max``."""
    return qre_path(build_game(Scenario.model_validate_json(scenario_json), types, private), lambda_max)


@st.cache_data(show_spinner=False, max_entries=32)
def equilibria_table(scenario_json: str, types: tuple[bool, ...], private: bool) -> pd.DataFrame:
    """The Nash table (judging subgame perfection takes a tree walk per equilibrium: done once)."""
    return nash_table(solved_game(scenario_json, types, private))


@st.cache_data(show_spinner=False, max_entries=32)
def round_one(scenario_json: str, types: tuple[bool, ...], private: bool) -> RoundOne:
    return agents_round_one(Scenario.model_validate_json(scenario_json), types, private)


# ---------------------------------------------------------------------------------------------
# Walking the tree


@dataclass(frozen=True)
class Visit:
    """A node with its ``history`` (every branch taken from the root, chance ones too: the key
    ``SubgamePerfect.choices`` uses) and ``moves`` ((mover, action) pairs; mover "chance" for Nature)."""

    node: Node
    history: tuple[str, ...]
    moves: tuple[tuple[str, str], ...]


def visits(game: ExtensiveFormGame) -> Iterator[Visit]:
    """Every node, depth first."""
    stack = [Visit(game.root, (), ())]
    while stack:
        visit = stack.pop()
        yield visit
        node = visit.node
        mover = "chance" if node.kind == "chance" else game.players[node.player] if node.kind == "decision" else ""
        for action, child in reversed(list(zip(node.actions, node.children, strict=True))):
            stack.append(Visit(child, (*visit.history, action), (*visit.moves, (mover, action))))


def likeliest(node: Node) -> str:
    """The branch of a chance node that an equilibrium path follows (the engine's convention)."""
    return node.actions[int(np.argmax(node.probabilities))]


def has_decision(node: Node) -> bool:
    return node.kind == "decision" or any(has_decision(child) for child in node.children)


def decision_moves(moves: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(move for move in moves if move[0] != "chance")


def russia_type_on(moves: Sequence[tuple[str, str]], default: bool) -> bool:
    """Russia's type on a branch: Nature's draw when the game has one, else the chosen type."""
    drawn = [action for mover, action in moves if mover == "chance" and action.startswith("Russia ")]
    return drawn[0] == RESOLUTE_BRANCH if drawn else default


# ---------------------------------------------------------------------------------------------
# The equilibrium as a plan: a choice at every decision node


@dataclass(frozen=True)
class Plan:
    """Equilibrium play at every decision node, on the path and off it (keyed by history).

    ``optimal`` holds every equilibrium move at a node (more than one where the mover is indifferent:
    ties). ``exact`` is False for the QRE approximation used when Russia's resolve is private.
    """

    choices: dict[tuple[str, ...], str]
    optimal: dict[tuple[str, ...], frozenset[str]]
    exact: bool


def spe_plan(solution: Solution) -> Plan:
    """The first subgame-perfect equilibrium, with every move any of them allows at each node."""
    assert solution.spe
    optimal: dict[tuple[str, ...], set[str]] = {}
    for equilibrium in solution.spe:
        for history, action in equilibrium.choices.items():
            optimal.setdefault(history, set()).add(action)
    frozen = {history: frozenset(actions) for history, actions in optimal.items()}
    return Plan(dict(solution.spe[0].choices), frozen, exact=True)


def qre_plan(game: ExtensiveFormGame, qre: QREResult) -> Plan:
    """The most likely move of a large-lambda QRE at every node; moves played at least ``MIXING``
    of the time count as equilibrium moves too."""
    behaviour = qre.behaviour()
    infoset_of = {id(node): (infoset.player, infoset.key) for infoset in game.infosets() for node in infoset.nodes}
    choices, optimal = {}, {}
    for visit in visits(game):
        if visit.node.kind == "decision":
            probabilities = behaviour[infoset_of[id(visit.node)]]
            best = visit.node.actions[int(np.argmax(probabilities))]
            choices[visit.history] = best
            played = {a for a, p in zip(visit.node.actions, probabilities, strict=True) if p >= MIXING}
            optimal[visit.history] = frozenset({best} | played)
    return Plan(choices, optimal, exact=False)


def equilibrium_plan(solution: Solution, approximation: QREResult | None) -> Plan:
    if solution.spe:
        return spe_plan(solution)
    if approximation is None:
        raise GameError("the game has no subgame-perfect equilibrium and no QRE approximation was computed")
    return qre_plan(solution.game, approximation)


def plan_path(game: ExtensiveFormGame, plan: Plan) -> tuple[str, ...]:
    """The moves along the plan's path, chance nodes taking their most likely branch (written
    ``chance: <branch>``), exactly as ``SubgamePerfect.path``."""
    path, node, history = [], game.root, ()
    while node.kind != "terminal":
        if node.kind == "decision":
            action = plan.choices[history]
            path.append(action)
        else:
            action = likeliest(node)
            path.append(f"chance: {action}")
        history = (*history, action)
        node = node.children[node.actions.index(action)]
    return tuple(path)


def plan_payoffs(game: ExtensiveFormGame, plan: Plan) -> np.ndarray:
    """Expected payoffs when everyone follows the plan (averaged over chance)."""

    def value(node: Node, history: tuple[str, ...]) -> np.ndarray:
        if node.kind == "terminal":
            return np.array(node.payoffs)
        if node.kind == "decision":
            action = plan.choices[history]
            return value(node.children[node.actions.index(action)], (*history, action))
        branches = zip(node.actions, node.probabilities, node.children, strict=True)
        return sum((p * value(child, (*history, a)) for a, p, child in branches), start=np.zeros(game.n_players))

    return value(game.root, ())


def path_in_words(game: ExtensiveFormGame, plan: Plan) -> str:
    """``The coalition deploys → Russia threatens → the US threatens (then: no accident)``."""
    parts: list[str] = []
    chance: list[str] = []
    node, history = game.root, ()
    while node.kind != "terminal":
        if node.kind == "decision":
            action = plan.choices[history]
            parts.append(f"{NAME[game.players[node.player]]} {VERB[action][1]}")
        else:
            action = likeliest(node)
            if parts:
                chance.append(action)
            else:
                parts.append(f"Nature: {action}")
        history = (*history, action)
        node = node.children[node.actions.index(action)]
    text = " → ".join(parts)
    text = text[:1].upper() + text[1:]
    return text + (f" (chance, most likely: {', '.join(chance)})" if chance else "")


# ---------------------------------------------------------------------------------------------
# The tree figure


@dataclass
class Placed:
    """A node as drawn: position, kind (decision, chance, terminal or lottery: a folded chance ending)."""

    visit: Visit
    x: float
    y: float
    kind: str
    on_path: bool


@dataclass(frozen=True)
class Edge:
    """A branch as drawn. ``action`` is written as in the engine's paths (``chance: <branch>``)."""

    parent: Placed
    child: Placed
    action: str
    label: str
    planned: bool
    on_path: bool


def layout(game: ExtensiveFormGame, plan: Plan, view: str) -> tuple[list[Placed], list[Edge]]:
    """Left to right, one row per end node; a parent sits midway between its first and last child.
    In the compact view a chance node with no decision below it becomes one end node (a lottery)."""
    placed: list[Placed] = []
    edges: list[Edge] = []
    rows = [0]

    def place(visit: Visit, depth: int, on_path: bool) -> Placed:
        node = visit.node
        folded = view == "compact" and node.kind == "chance" and not has_decision(node)
        if node.kind == "terminal" or folded:
            here = Placed(visit, depth, -rows[0], "lottery" if folded else "terminal", on_path)
            rows[0] += 1
            placed.append(here)
            return here
        here = Placed(visit, depth, 0.0, node.kind, on_path)
        placed.append(here)
        children = []
        for k, (action, child) in enumerate(zip(node.actions, node.children, strict=True)):
            if node.kind == "decision":
                planned = plan.choices[visit.history] == action
                label, engine_action = words(action), action
            else:
                planned = on_path and action == likeliest(node)  # chance plans nothing off the path
                share = percent(node.probabilities[k])
                label = share if child.kind == "terminal" else f"{words(action)} {share}"  # the end names it
                engine_action = f"chance: {action}"
            mover = "chance" if node.kind == "chance" else game.players[node.player]
            child_visit = Visit(child, (*visit.history, action), (*visit.moves, (mover, action)))
            below = place(child_visit, depth + 1, on_path and planned)
            children.append(below)
            edges.append(Edge(here, below, engine_action, label, planned, on_path and planned))
        here.y = (children[0].y + children[-1].y) / 2
        return here

    place(Visit(game.root, (), ()), 0, True)
    return placed, sorted(edges, key=lambda edge: edge.parent.x)  # root first: a path reads in order


def lottery(node: Node) -> tuple[dict[str, float], np.ndarray]:
    """The outcome probabilities and expected payoffs of a subtree with chance nodes only."""
    if node.kind == "terminal":
        return {node.outcome: 1.0}, np.array(node.payoffs)
    outcomes: dict[str, float] = {}
    total: np.ndarray | float = 0.0
    for p, child in zip(node.probabilities, node.children, strict=True):
        below, values = lottery(child)
        for outcome, q in below.items():
            outcomes[outcome] = outcomes.get(outcome, 0.0) + p * q
        total = total + p * values
    return outcomes, np.asarray(total)


def percent(p: float) -> str:
    """A probability for people: whole percents, with a decimal near 0 and 1 so they do not round away."""
    if 0 < p < 0.001:
        return "<0.1%"
    if 0.999 < p < 1:
        return ">99.9%"
    if 0 < p < 0.01 or 0.99 < p < 1:
        return f"{p:.1%}"
    return f"{p:.0%}"


def payoff_text(payoffs: Sequence[float]) -> str:
    return " · ".join(f"{INITIAL[actor]} {x:+.2f}" for actor, x in zip(ACTORS, payoffs, strict=True))


def end_text(placed: Placed) -> tuple[str, str, str]:
    """Label, hover text and colour of an end node."""
    node = placed.visit.node
    if placed.kind == "terminal":
        label = f"{words(node.outcome)}  ({payoff_text(node.payoffs)})"
        return (
            label,
            f"<b>{words(node.outcome)}</b><br>payoffs {payoff_text(node.payoffs)}",
            OUTCOME_COLOURS.get(node.outcome, OTHER_EDGE),
        )
    outcomes, payoffs = lottery(node)
    ranked = sorted(outcomes.items(), key=lambda item: -item[1])
    shares = ", ".join(f"{SHORT_OUTCOME.get(o, words(o))} {percent(p)}" for o, p in ranked)
    hover = "<br>".join(f"{words(o)}: {p:.4f}" for o, p in ranked)
    return (
        f"{shares}  ({payoff_text(payoffs)})",
        f"<b>Chance decides</b><br>{hover}<br>expected payoffs {payoff_text(payoffs)}",
        OUTCOME_COLOURS.get(ranked[0][0], OTHER_EDGE),
    )


def shared_infosets(game: ExtensiveFormGame) -> set[int]:
    """Ids of decision nodes whose mover cannot tell them from another node (imperfect information)."""
    return {id(node) for infoset in game.infosets() if len(infoset.nodes) > 1 for node in infoset.nodes}


def tree_figure(game: ExtensiveFormGame, plan: Plan, view: str = "compact") -> go.Figure:
    """The game tree, left to right: the equilibrium path thick, equilibrium choices off the path
    dashed, the other branches thin; movers and outcomes labelled in words."""
    placed, edges = layout(game, plan, view)
    figure = go.Figure()
    for name, chosen, style in (
        ("Other moves", [e for e in edges if not e.planned], {"color": OTHER_EDGE, "width": 1.5}),
        (
            "Equilibrium choice off the path (what the mover would do if it got there)",
            [e for e in edges if e.planned and not e.on_path],
            {"color": HIGHLIGHT, "width": 3, "dash": "dash"},
        ),
        (
            "Equilibrium path" if plan.exact else f"Approximate equilibrium path (QRE at λ = {APPROX_LAMBDA:g})",
            [e for e in edges if e.on_path],
            {"color": HIGHLIGHT, "width": 8},
        ),
    ):
        _add_edges(figure, name, chosen, style)
    figure.add_scatter(
        x=[e.parent.x + _label_at(e) * (e.child.x - e.parent.x) for e in edges],
        y=[e.parent.y + _label_at(e) * (e.child.y - e.parent.y) for e in edges],
        mode="text",
        text=[e.label for e in edges],
        textposition="top center",
        textfont={"size": font_size() - 3, "color": ink()},
        hoverinfo="skip",
        showlegend=False,
        name="branch labels",
    )
    _add_nodes(figure, game, plan, placed)
    depth = max(p.x for p in placed)
    rows = sum(p.kind in ("terminal", "lottery") for p in placed)
    figure.update_xaxes(visible=False, range=[-0.35, depth + (3.2 if view == "compact" else 2.6)])
    figure.update_yaxes(visible=False, range=[-rows + 0.4, 0.9])
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.01, "x": 0},
        plot_bgcolor="rgba(0,0,0,0)",
        hovermode="closest",
    )
    return base_layout(figure, height=int(min(2400, max(460, 34 * rows + 140))))


def _label_at(edge: Edge) -> float:
    """How far along its branch a label sits: near an end node, where sibling branches are furthest apart;
    before the middle of a branch into a decision node, clear of that node's name."""
    return 0.6 if edge.child.kind in ("terminal", "lottery") else 0.45


def _add_edges(figure: go.Figure, name: str, edges: Sequence[Edge], style: dict) -> None:
    """One line trace per kind of branch; ``customdata`` holds each branch's move as the engine writes it."""
    x: list[float | None] = []
    y: list[float | None] = []
    moves: list[str | None] = []
    for edge in edges:
        x += [edge.parent.x, edge.child.x, None]
        y += [edge.parent.y, edge.child.y, None]
        moves += [edge.action, edge.action, None]
    figure.add_scatter(x=x, y=y, mode="lines", line=style, name=name, customdata=moves, hoverinfo="skip")


def _add_nodes(figure: go.Figure, game: ExtensiveFormGame, plan: Plan, placed: Sequence[Placed]) -> None:
    unsure = shared_infosets(game)
    for player, actor in enumerate(game.players):
        nodes = [p for p in placed if p.kind == "decision" and p.visit.node.player == player]
        if not nodes:
            continue
        figure.add_scatter(
            x=[p.x for p in nodes],
            y=[p.y for p in nodes],
            mode="markers+text",
            marker={"size": 18, "color": ACTOR_COLOURS.get(actor, OTHER_EDGE), "line": {"color": "#000", "width": 1}},
            text=[_decision_text(actor, plan, p, id(p.visit.node) in unsure) for p in nodes],
            textposition="top center",
            textfont={"size": font_size() - 1, "color": ink()},
            hovertext=[_decision_hover(game, plan, p, id(p.visit.node) in unsure) for p in nodes],
            hoverinfo="text",
            name=f"{ACTOR_SHORT.get(actor, actor)} moves",
        )
    chance = [p for p in placed if p.kind == "chance"]
    if chance:
        figure.add_scatter(
            x=[p.x for p in chance],
            y=[p.y for p in chance],
            mode="markers+text",
            marker={"size": 14, "symbol": "diamond", "color": "#BBBBBB", "line": {"color": "#000", "width": 1}},
            text=["Nature" if p.visit.history == () else "" for p in chance],
            textposition="top center",
            textfont={"size": font_size() - 1, "color": ink()},
            hovertext=[_chance_hover(p.visit.node) for p in chance],
            hoverinfo="text",
            name="Chance",
        )
    ends = [p for p in placed if p.kind in ("terminal", "lottery")]
    labels = [end_text(p) for p in ends]
    figure.add_scatter(
        x=[p.x for p in ends],
        y=[p.y for p in ends],
        mode="markers+text",
        marker={
            "size": 13,
            "symbol": ["square" if p.kind == "terminal" else "square-dot" for p in ends],
            "color": [colour for _, _, colour in labels],
            "line": {"color": "#000", "width": 1},
        },
        text=[label for label, _, _ in labels],
        textposition="middle right",
        textfont={"size": font_size() - 3, "color": ink()},
        hovertext=[hover for _, hover, _ in labels],
        hoverinfo="text",
        name="End: outcome (payoffs C · R · US)",
    )


def _decision_text(actor: str, plan: Plan, placed: Placed, unsure: bool) -> str:
    """``US``, or ``US (unsure, indifferent)``: cannot tell Russia's types apart; several moves are optimal."""
    notes = ["unsure"] if unsure else []
    if len(plan.optimal.get(placed.visit.history, ())) > 1:
        notes.append("indifferent")
    return ACTOR_SHORT.get(actor, actor) + (f" ({', '.join(notes)})" if notes else "")


def _chance_hover(node: Node) -> str:
    branches = zip(node.actions, node.probabilities, strict=True)
    return "<b>Chance</b><br>" + "<br>".join(f"{action}: {p:.4g}" for action, p in branches)


def _decision_hover(game: ExtensiveFormGame, plan: Plan, placed: Placed, unsure: bool) -> str:
    node, history = placed.visit.node, placed.visit.history
    actor = game.players[node.player]
    before = "; ".join(f"{mover} {action}" for mover, action in placed.visit.moves) or "start of the round"
    optimal = plan.optimal.get(history, frozenset())
    text = f"<b>{ACTOR_SHORT.get(actor, actor)} moves</b><br>after: {before}<br>equilibrium: {plan.choices[history]}"
    if len(optimal) > 1:
        text += f" (indifferent: {', '.join(sorted(optimal))})"
    if unsure:
        text += "<br>cannot tell this node from its twin on the other type branch"
    return text


# ---------------------------------------------------------------------------------------------
# Nash equilibria


def infoset_label(game: ExtensiveFormGame, key: str) -> str:
    """``Russia, if the coalition deploys`` for an information set, from the moves that lead there."""
    first = next(v for v in visits(game) if v.node.kind == "decision" and v.node.infoset == key)
    actor = game.players[first.node.player]
    label = ACTOR_SHORT.get(actor, actor)
    drawn = [action for mover, action in first.moves if mover == "chance"]
    if drawn and actor == "russia":
        label += f" ({'resolute' if drawn[0] == RESOLUTE_BRANCH else 'not resolute'})"
    before = decision_moves(first.moves)
    if before:
        label += ", if " + " and ".join(f"{NAME.get(mover, mover)} {VERB[action][1]}" for mover, action in before)
    return label


def behaviour_of(game: ExtensiveFormGame, profile: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """Information-set key -> the probability of each action that a mixed normal-form profile induces
    (a pure strategy names one action per information set, in the order of the tree)."""
    behaviour = {}
    for player, mixed in enumerate(profile):
        strategies = game.pure_strategies(player)
        for k, infoset in enumerate(game.infosets_of(player)):
            probabilities = np.zeros(len(infoset.actions))
            for weight, strategy in zip(mixed, strategies, strict=True):
                probabilities[infoset.actions.index(strategy[k])] += weight
            behaviour[infoset.key] = probabilities
    return behaviour


def choice_words(actions: Sequence[str], probabilities: np.ndarray) -> str:
    if probabilities.max() > 1 - 1e-9:
        return words(actions[int(probabilities.argmax())])
    return ", ".join(f"{words(a)} {p:.0%}" for a, p in zip(actions, probabilities, strict=True) if p > 1e-9)


def behaviour_path(game: ExtensiveFormGame, behaviour: Mapping[str, np.ndarray]) -> str:
    """The moves a pure profile plays, in words (``mixed`` where a mover on the path mixes)."""
    parts, node = [], game.root
    while node.kind != "terminal":
        if node.kind == "chance":
            node = node.children[int(np.argmax(node.probabilities))]
            continue
        probabilities = behaviour[node.infoset]
        if probabilities.max() < 1 - 1e-9:
            return " → ".join([*parts, f"{ACTOR_SHORT[game.players[node.player]]}: mixes"])
        k = int(probabilities.argmax())
        parts.append(f"{ACTOR_SHORT[game.players[node.player]]}: {words(node.actions[k]).lower()}")
        node = node.children[k]
    return " → ".join(parts)


def nash_table(solution: Solution) -> pd.DataFrame:
    """One row per Nash equilibrium, in the solver's order: each information set's move in words,
    the path of play, the payoffs and (perfect information only) whether it is subgame perfect."""
    game = solution.game
    assert isinstance(game, ExtensiveFormGame)
    infosets = game.infosets()
    labels = {infoset.key: infoset_label(game, infoset.key) for infoset in infosets}
    flags = solution.subgame_perfect_flags()
    rows = []
    for number, equilibrium in enumerate(solution.nash.equilibria):
        behaviour = behaviour_of(game, equilibrium.profile)
        row: dict[str, object] = {"#": number + 1}
        if flags is not None:
            row["subgame perfect"] = bool(flags[number])
        row["path of play"] = behaviour_path(game, behaviour)
        row |= {f"payoff {ACTOR_SHORT[a]}": float(x) for a, x in zip(game.players, equilibrium.payoffs, strict=True)}
        row |= {labels[i.key]: choice_words(i.actions, behaviour[i.key]) for i in infosets}
        rows.append(row)
    return pd.DataFrame(rows)


def nash_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Equilibria grouped by the path they play and its payoffs: most differ only off the path."""
    payoff_columns = [c for c in table.columns if c.startswith("payoff ")]
    rounded = table.assign(**{c: table[c].round(3) for c in payoff_columns})
    grouped = rounded.groupby(["path of play", *payoff_columns], sort=False)
    summary = grouped.size().rename("equilibria").reset_index()
    if "subgame perfect" in table.columns:
        summary["of them subgame perfect"] = grouped["subgame perfect"].sum().to_numpy().astype(int)
    return summary


# ---------------------------------------------------------------------------------------------
# The simulated agents in round 1


@dataclass(frozen=True)
class RoundOne:
    """The simulated agents' first round, from the engine's own backward induction over the round
    (``CrisisModel.round_policies``): each type's choice probabilities and expected utilities at
    every decision node, as played with the scenario's beliefs (``played``) and as they would be with
    the game's beliefs (``with_game_beliefs``: every type known, Russia's prior if it is private);
    the public beliefs; and the chance that the force collapses before the coalition moves."""

    played: dict[str, np.ndarray]
    utility: dict[str, np.ndarray]
    with_game_beliefs: dict[str, np.ndarray]
    beliefs: dict[str, float]
    collapse: float
    rules: dict[str, str]
    lambdas: dict[str, float]
    descriptions: dict[str, str]

    def at(self, table: Mapping[str, np.ndarray], actor: str, resolute: bool, before: Sequence[str]) -> np.ndarray:
        """Probabilities (or utilities) of ``actor``'s three moves after the decisions ``before``."""
        index = (int(resolute), *(ACTIONS.index(action) for action in before))
        return np.asarray(table[actor][index], dtype=float)


def _policies(scenario: Scenario) -> tuple[CrisisModel, object]:
    model = CrisisModel(scenario, n_worlds=1, seed=0)
    return model, model.round_policies(np.array([0]), int(scenario.start_rung == "incident"))


def _tables(policies) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per actor, [type, (coalition move), (Russia's move), action] probabilities and utilities."""
    us_row = policies.us_row[0]
    played = {"coalition": policies.coalition[0], "russia": policies.russia[0], "us": policies.us[us_row]}
    utility = {
        "coalition": policies.coalition_utility[0],
        "russia": policies.russia_utility[0],
        "us": policies.us_utility[us_row],
    }
    return ({k: np.array(v) for k, v in played.items()}, {k: np.array(v) for k, v in utility.items()})


def game_belief_overrides(scenario: Scenario, types: Sequence[bool], private: bool) -> dict[str, float]:
    """The beliefs the game assumes: each type known, except Russia's prior when its resolve is private."""
    overrides = {f"{actor}.believed_resolve": float(t) for actor, t in zip(ACTORS, types, strict=True)}
    if private:
        overrides["russia.believed_resolve"] = scenario.russia.resolve_prior
    return overrides


def collapse_probability(model: CrisisModel, policies) -> float:
    """P(the members still in hold fewer troops than the threshold) as the coalition's first move
    comes: each member stays if resolute or, if not, by its rule weighing the risk of a strike (the
    others' forecast that Russia strikes deployed troops) against the cost of leaving
    (``MemberState.decide``); members decide independently."""
    if not model.members:
        return 0.0
    risk = float(policies.russia_expected[0, 0, DEPLOY])
    stays = []
    for member in model.members:
        config = member.config
        stay_or_leave = np.array([[-risk * config.war_cost, -config.exit_cost]])
        choose_stay = float(member.rule.probabilities(stay_or_leave)[0, 0])
        stays.append(config.resolve_prior + (1 - config.resolve_prior) * choose_stay)
    collapse = 0.0
    for staying in product((False, True), repeat=len(stays)):
        troops = sum(m.config.troops for m, s in zip(model.members, staying, strict=True) if s)
        if troops < model.scenario.coalition.min_troops:
            collapse += math.prod(p if s else 1 - p for p, s in zip(stays, staying, strict=True))
    return collapse


def agents_round_one(scenario: Scenario, types: Sequence[bool], private: bool) -> RoundOne:
    model, policies = _policies(scenario)
    played, utility = _tables(policies)
    _, counterfactual = _policies(with_overrides(scenario, game_belief_overrides(scenario, types, private)))
    with_game_beliefs, _ = _tables(counterfactual)
    return RoundOne(
        played,
        utility,
        with_game_beliefs,
        {actor: scenario.actor(actor).initial_belief for actor in ACTORS},
        collapse_probability(model, policies),
        {actor: scenario.actor(actor).rule for actor in ACTORS},
        {actor: scenario.actor(actor).rationality for actor in ACTORS},
        {actor: model.actors[actor].rule.describe() for actor in ACTORS},
    )


@dataclass(frozen=True)
class Comparison:
    """One move on the equilibrium path, beside what the simulated agent does there in round 1."""

    actor: str
    before: tuple[str, ...]
    resolute: bool
    equilibrium: str
    optimal: frozenset[str]
    played: np.ndarray
    utility: np.ndarray
    with_game_beliefs: np.ndarray

    @property
    def share(self) -> float:
        """How often the agent plays an equilibrium move here (any of them, at a tie)."""
        return float(sum(self.played[ACTIONS.index(a)] for a in self.optimal))

    @property
    def tied(self) -> bool:
        return len(self.optimal) > 1


def compare(game: ExtensiveFormGame, plan: Plan, agents: RoundOne, types: Sequence[bool]) -> list[Comparison]:
    """Each decision on the plan's path, with the agents' round-1 probabilities at the same node."""
    comparisons = []
    node, history, moves = game.root, (), ()
    while node.kind != "terminal":
        mover = "chance"
        if node.kind == "decision":
            mover = game.players[node.player]
            action = plan.choices[history]
            before = tuple(a for _, a in decision_moves(moves))
            position = ACTORS.index(mover)
            resolute = russia_type_on(moves, types[1]) if mover == "russia" else types[position]
            comparisons.append(
                Comparison(
                    mover,
                    before,
                    resolute,
                    action,
                    plan.optimal[history],
                    agents.at(agents.played, mover, resolute, before),
                    agents.at(agents.utility, mover, resolute, before),
                    agents.at(agents.with_game_beliefs, mover, resolute, before),
                )
            )
        else:
            action = likeliest(node)
        history, moves = (*history, action), (*moves, (mover, action))
        node = node.children[node.actions.index(action)]
    return comparisons


def path_share(comparisons: Sequence[Comparison], agents: RoundOne) -> float:
    """How often the simulated agents play an equilibrium move at every step of the path in round 1."""
    coalition_moves = any(c.actor == "coalition" for c in comparisons)
    return (1 - agents.collapse if coalition_moves else 1.0) * math.prod(c.share for c in comparisons)


def _belief_words(actor: str, agents: RoundOne, types: Mapping[str, bool]) -> str:
    """What ``actor`` has wrong: its belief about the types of the players who move after it."""
    later = ACTORS[ACTORS.index(actor) + 1 :]
    parts = [
        f"that {NAME[other]} is resolute at {percent(agents.beliefs[other])} (in this game {NAME[other]} "
        f"{'is resolute' if types[other] else 'is not'})"
        for other in later
        if abs(agents.beliefs[other] - float(types[other])) > 0.05
    ]
    return "it puts the chance " + " and ".join(parts) if parts else ""


def reason(comparison: Comparison, agents: RoundOne, types: Mapping[str, bool]) -> str:
    """Why the agent departs from the equilibrium move, from the agent's own numbers."""
    actor, eq = comparison.actor, comparison.equilibrium
    utility = comparison.utility
    best = ACTIONS[int(np.argmax(utility))]
    known = comparison.with_game_beliefs[ACTIONS.index(eq)]
    if agents.rules[actor] == "doctrine":
        return f"it follows a fixed doctrine ({agents.descriptions[actor]}) whatever the payoffs"
    if best not in comparison.optimal:
        gap = utility[ACTIONS.index(best)] - utility[ACTIONS.index(eq)]
        text = f"by its own expected utilities {VERB[best][2]} is worth {gap:.2f} utils more than {VERB[eq][2]}"
        beliefs = _belief_words(actor, agents, types)
        if beliefs and ACTIONS[int(np.argmax(comparison.with_game_beliefs))] in comparison.optimal:
            text += (
                f": {beliefs}; knowing every type, as the game assumes, it would {VERB[eq][0]} "
                f"{percent(known)} of the time"
            )
        return text
    if agents.rules[actor] == "best_response":
        tied = [a for a in ACTIONS if utility[ACTIONS.index(a)] >= utility.max() - 1e-9]
        return f"it is indifferent between {' and '.join(VERB[a][2] for a in tied)} and splits evenly"
    others = [a for a in ACTIONS if a not in comparison.optimal]
    second = max(others, key=lambda a: utility[ACTIONS.index(a)])
    gap = utility[ACTIONS.index(eq)] - utility[ACTIONS.index(second)]
    how = "at random" if agents.lambdas[actor] == 0 else "noisily"
    text = (
        f"its λ = {agents.lambdas[actor]:g} makes it choose {how}: {VERB[eq][2]} is worth only {gap:.2f} utils "
        f"more to it than {VERB[second][2]}"
    )
    if abs(known - comparison.share) >= 0.05 and not comparison.tied:
        text += (
            f"; being unsure of the others' types moves it from {percent(known)} (every type known) "
            f"to {percent(comparison.share)}"
        )
    return text


def listing(items: Sequence[str], conjunction: str) -> str:
    """``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def disagreement(comparisons: Sequence[Comparison], agents: RoundOne, plan: Plan, types: Sequence[bool]) -> str:
    """Where the simulated agents and the equilibrium disagree in round 1, and why, in plain words."""
    known_types = dict(zip(ACTORS, types, strict=True))
    which = "equilibrium" if plan.exact else "approximate equilibrium"
    listed = listing([f"{NAME[c.actor]} {VERB[c.equilibrium][0]}" for c in comparisons], "and")
    share = path_share(comparisons, agents)
    sentences = [f"The {which} has {listed}."]
    untied = [c for c in comparisons if not c.tied]
    worst = min(untied, key=lambda c: c.share, default=None)
    if (worst is None or worst.share >= AGREE) and agents.collapse < 1 - AGREE:
        sentences.append(f"The simulated agents agree: in round 1 they play it {percent(share)} of the time.")
    else:
        sentences.append(f"In round 1 the simulated agents play that whole path {percent(share)} of the time.")
        if worst is not None and worst.share < AGREE:
            name = NAME[worst.actor].removeprefix("the ")
            sentences.append(
                f"The largest gap: the simulated {name} {VERB[worst.equilibrium][1]} only {percent(worst.share)} "
                f"of the time, because {reason(worst, agents, known_types)}."
            )
    if agents.collapse >= 0.005 and any(c.actor == "coalition" for c in comparisons):
        sentences.append(
            f"Before the coalition moves, enough members leave to break up the force in {percent(agents.collapse)} "
            "of crises (the game leaves the members out); that ends the crisis as a coalition climb-down."
        )
    for tied in (c for c in comparisons if c.tied):
        options = listing([VERB[a][0] for a in ACTIONS if a in tied.optimal], "or")
        sentences.append(f"{NAME[tied.actor][:1].upper()}{NAME[tied.actor][1:]} may {options}: every one of "
                         f"these is an equilibrium move (the simulated agent plays one {percent(tied.share)} "
                         "of the time).")  # fmt: skip
    return " ".join(sentences)


def comparison_table(comparisons: Sequence[Comparison], agents: RoundOne) -> pd.DataFrame:
    rows = []
    for c in comparisons:
        rule = agents.rules[c.actor]
        rows.append(
            {
                "mover": ACTOR_SHORT[c.actor] + (" (resolute)" if c.resolute else " (not resolute)"),
                "after": ", ".join(f"{ACTOR_SHORT[m]} {words(a).lower()}" for m, a in zip(ACTORS, c.before)) or "start",
                "equilibrium move": " or ".join(words(a) for a in ACTIONS if a in c.optimal),
                "agents play it": c.share,
                "agents' likeliest move": words(ACTIONS[int(np.argmax(c.played))]),
                "with every type known": float(sum(c.with_game_beliefs[ACTIONS.index(a)] for a in c.optimal)),
                "decision rule": f"logit, λ = {agents.lambdas[c.actor]:g}" if rule == "logit" else words(rule),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The QRE chart


@dataclass(frozen=True)
class Panel:
    """An information set shown on the QRE chart: each player's first move on the path."""

    player: int
    key: str
    label: str
    actions: tuple[str, ...]
    before: tuple[str, ...]
    resolute: bool
    on_path: bool


def panels(game: ExtensiveFormGame, plan: Plan, types: Sequence[bool]) -> list[Panel]:
    """Each player's first decision along the plan's path. A player the path never reaches is shown
    where it would first move if the mover before it kept the crisis going (marked off the path)."""
    shown: list[Panel] = []
    node, history, moves, on_path = game.root, (), (), True
    while node.kind != "terminal":
        mover = "chance"
        if node.kind == "chance":
            action = likeliest(node)
        else:
            mover = game.players[node.player]
            if all(p.player != node.player for p in shown):
                resolute = russia_type_on(moves, types[1]) if mover == "russia" else types[node.player]
                before = tuple(a for _, a in decision_moves(moves))
                shown.append(Panel(node.player, node.infoset, infoset_label(game, node.infoset), node.actions,
                                   before, resolute, on_path))  # fmt: skip
            action = plan.choices[history]
            child = node.children[node.actions.index(action)]
            if not has_decision(child) and len(shown) < game.n_players:
                going_on = [a for a, c in zip(node.actions, node.children, strict=True) if has_decision(c)]
                if going_on:
                    action, on_path = going_on[0], False
        history, moves = (*history, action), (*moves, (mover, action))
        node = node.children[node.actions.index(action)]
    return shown


def qre_lines(game: ExtensiveFormGame, points: Sequence[QREPoint], panel: Panel) -> tuple[list[float], np.ndarray]:
    """Lambda and the panel's choice probabilities (points x actions) along the traced branch."""
    index = [infoset.key for infoset in game.infosets()].index(panel.key)
    return [float(p.lam) for p in points], np.array([p.profile[index] for p in points])


def qre_figure(
    game: ExtensiveFormGame,
    plan: Plan,
    points: Sequence[QREPoint],
    shown: Sequence[Panel],
    agents: RoundOne | None = None,
) -> go.Figure:
    """One row per player: the probability of each move as lambda grows, with each logit actor's own
    lambda marked, the QRE there (circles) and what the simulated agent does in round 1 (crosses)."""
    titles = [_panel_title(game, plan, panel, agents) for panel in shown]
    figure = make_subplots(rows=len(shown), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.1)
    dashes = {"deploy": "solid", "threaten": "dash", "back_down": "dot"}
    lams: list[float] = [0.0, 1.0]
    marked = False
    for row, panel in enumerate(shown, start=1):
        lams, probabilities = qre_lines(game, points, panel)
        actor = ACTOR_SHORT.get(game.players[panel.player], game.players[panel.player])
        for k, action in enumerate(panel.actions):
            figure.add_scatter(
                x=lams,
                y=probabilities[:, k].tolist(),
                mode="lines",
                line={"color": ACTION_COLOURS.get(action, OTHER_EDGE), "width": 3, "dash": dashes.get(action)},
                name=words(action),
                legendgroup=action,
                showlegend=row == 1,
                hovertemplate=f"{actor} · {words(action)}: %{{y:.3f}} at λ = %{{x:.2f}}<extra></extra>",
                meta={"infoset": panel.key, "action": action},
                row=row,
                col=1,
            )
        _label_line_ends(figure, row, lams[-1], panel.actions, probabilities[-1])
        if agents is not None:
            marked |= _mark_agents(figure, row, panel, game.players[panel.player], lams, probabilities, agents)
    proxies = (("QRE at the actor's own λ (every type known)", "circle"), ("Simulated agent, round 1", "x"))
    for name, symbol in proxies if marked else ():  # legend entries for the circles and crosses
        figure.add_scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=name,
                           marker={"symbol": symbol, "size": 12, "color": ink()}, row=1, col=1)  # fmt: skip
    figure.update_yaxes(range=[-0.04, 1.04], tickformat=".0%", gridcolor=GRID, title_text="", automargin=True)
    figure.update_xaxes(gridcolor=GRID, range=[0, max(lams) * 1.25], automargin=True)
    figure.update_xaxes(title_text="λ: how sharply players pick their best move (0 = at random)", row=len(shown))
    figure.update_annotations(font={"size": font_size() - 1, "color": ink()}, selector={"showarrow": None})
    figure.update_layout(legend={"orientation": "h", "y": 1.0 + 0.1 / len(shown), "yanchor": "bottom", "x": 0})
    base_layout(figure, height=240 * len(shown) + 150)
    figure.update_layout(margin={"l": 70, "t": 110, "b": 80})
    return figure


def _panel_title(game: ExtensiveFormGame, plan: Plan, panel: Panel, agents: RoundOne | None) -> str:
    """``Russia, if the coalition deploys: equilibrium threaten · dotted: its λ = 1.5``."""
    history = next(h for h in plan.choices if _reaches(game, h, panel.key))
    eq = listing([words(a).lower() for a in ACTIONS if a in plan.optimal[history]], "or")
    title = f"{panel.label}{'' if panel.on_path else ' (off the path)'}: equilibrium {eq}"
    actor = game.players[panel.player]
    if agents is not None and agents.rules.get(actor) == "logit":
        title += f" · dotted line: its λ = {agents.lambdas[actor]:g}"
    return title


def _reaches(game: ExtensiveFormGame, history: tuple[str, ...], key: str) -> bool:
    """Whether the node at ``history`` is a decision node of the information set ``key``."""
    node = game.root
    for action in history:
        node = node.children[node.actions.index(action)]
    return node.kind == "decision" and node.infoset == key


def _label_line_ends(figure: go.Figure, row: int, lam: float, actions: Sequence[str], ends: np.ndarray) -> None:
    """Name each line at its right end; lines ending together share one label."""
    groups: list[tuple[float, list[str]]] = []
    for k in np.argsort(ends):
        if groups and ends[k] - groups[-1][0] < 0.09:
            groups[-1][1].append(words(actions[k]))
        else:
            groups.append((float(ends[k]), [words(actions[k])]))
    for y, names in groups:
        figure.add_annotation(x=lam, y=y, text=" " + ", ".join(names), showarrow=False, xanchor="left",
                              font={"size": font_size() - 3, "color": ink()}, row=row, col=1)  # fmt: skip


def _mark_agents(figure, row: int, panel: Panel, actor: str, lams, probabilities, agents: RoundOne) -> bool:
    """The actor's own lambda: the QRE there (circles) and the simulated agent's round-1 choice (crosses).
    Returns whether anything was marked (not for other rules, nor beyond the chart's range)."""
    if agents.rules.get(actor) != "logit" or agents.lambdas[actor] > max(lams):
        return False
    lam = agents.lambdas[actor]
    order = np.argsort(lams, kind="stable")
    at_lam = [float(np.interp(lam, np.array(lams)[order], probabilities[order, k])) for k in range(len(panel.actions))]
    played = agents.at(agents.played, actor, panel.resolute, panel.before)
    figure.add_vline(x=lam, line={"color": ink(), "dash": "dot", "width": 1.5}, row=row, col=1)
    for k, action in enumerate(panel.actions):
        colour = ACTION_COLOURS.get(action, OTHER_EDGE)
        outline = {"color": "#000", "width": 1}
        figure.add_scatter(
            x=[lam],
            y=[at_lam[k]],
            mode="markers",
            marker={"size": 11, "color": colour, "line": outline},
            showlegend=False,
            hovertemplate=f"QRE at λ = {lam:g}, every type known · {words(action)}: %{{y:.3f}}<extra></extra>",
            row=row,
            col=1,
        )
        figure.add_scatter(
            x=[lam],
            y=[float(played[k])],
            mode="markers",
            marker={"size": 13, "symbol": "x", "color": colour, "line": outline},
            showlegend=False,
            meta={"infoset": panel.key, "action": action, "agents": True},
            hovertemplate=f"Simulated {ACTOR_SHORT[actor]}, round 1 · {words(action)}: %{{y:.3f}}<extra></extra>",
            row=row,
            col=1,
        )
    return True


# ---------------------------------------------------------------------------------------------
# Sections


def game_prior(game: ExtensiveFormGame) -> float:
    """The probability of Nature's resolute branch (``crisis_game`` leaves out impossible branches)."""
    if game.root.kind == "chance" and RESOLUTE_BRANCH in game.root.actions:
        return game.root.probabilities[game.root.actions.index(RESOLUTE_BRANCH)]
    return 0.0


def summary_section(
    game: ExtensiveFormGame, solution: Solution, plan: Plan, comparisons, agents: RoundOne, controls: Controls
) -> None:
    payoffs = plan_payoffs(game, plan)
    lottery_now = outcome_distribution(game, plan.choices)
    outcomes = ", ".join(f"{words(o).lower()} {percent(lottery_now[o])}" for o in OUTCOMES if lottery_now.get(o, 0) > 0)
    kind = "Subgame-perfect path" if plan.exact else f"Approximate equilibrium path (QRE at λ = {APPROX_LAMBDA:g})"
    st.markdown(
        f"**{kind}:** {path_in_words(game, plan)}.  \n**Outcomes** under equilibrium play: {outcomes}.  \n"
        f"**Expected payoffs:** {payoff_text(payoffs)} (C = coalition, R = Russia)."
    )
    if controls.private and solution.spe:
        st.info(
            f"Russia's resolve prior is {game_prior(game):g}, so Nature's draw is certain: the game keeps perfect "
            "information and has subgame-perfect equilibria, shown as usual."
        )
    elif controls.private:
        st.info(
            "**No subgame-perfect equilibrium here.** Russia's resolve is private, so the coalition and the US "
            "cannot tell which of two nodes they are at (Russia resolute or not): the game has imperfect "
            "information, no proper subgame starts at their moves, and backward induction does not apply. "
            "The solution concept is a perfect Bayesian (sequential) equilibrium, which the solver does not "
            f"compute directly; the page shows the logit QRE at λ = {APPROX_LAMBDA:g} instead, the end of the "
            "branch of QREs that starts at random play and converges to a sequential equilibrium as λ grows "
            "(docs/game-theory.md, sections 1 and 6). Nature's branch followed is the more likely type."
        )
    st.success(f"**Agents and equilibrium.** {disagreement(comparisons, agents, plan, controls.types)}")


def tree_section(game: ExtensiveFormGame, plan: Plan, view: str, solution: Solution) -> None:
    st.subheader("1. The game tree")
    size = sum(1 for _ in game.nodes())
    ties = solution.spe[0].ties if solution.spe else ()
    show_chart(
        tree_figure(game, plan, view),
        "game_tree",
        "read from left to right. Circles are decisions (blue coalition, vermilion Russia, green US, each named), "
        "grey diamonds chance, squares the ends, coloured by outcome and labelled with it and the payoffs of "
        "coalition (C), Russia (R) and the US. The thick orange line is the equilibrium path (at chance nodes "
        "it follows the likeliest branch); dashed orange lines are what each mover would do at nodes the path "
        "never reaches: the threats and promises that hold the equilibrium up. 'Unsure' marks a mover who cannot "
        f"tell Russia's types apart. The full tree has {size} nodes"
        + (
            "; the compact view folds each chance ending into one end node with its outcome probabilities and "
            "expected payoffs (dotted square)."
            if view == "compact"
            else "."
        ),
    )
    if ties:
        where = "; ".join(" → ".join(words(a).lower() for a in history) for history in ties)
        paths = {spe.path for spe in solution.spe or []}
        st.caption(
            f"⚖️ Ties: a mover is indifferent after {where}. Every choice it could make there is subgame perfect "
            f"({len(solution.spe or [])} equilibria, {len(paths)} distinct paths); the tree shows the first."
        )


def nash_section(solution: Solution, table: pd.DataFrame) -> None:
    st.subheader("2. Nash equilibria")
    result = solution.nash
    flags = table["subgame perfect"].tolist() if "subgame perfect" in table.columns else None
    lines = [f"The solver finds **{len(result.equilibria)}** Nash equilibria ({result.method})."]
    if flags is not None:
        lines.append(
            f"**{sum(flags)}** of them {'is' if sum(flags) == 1 else 'are'} subgame perfect. The other "
            f"{len(flags) - sum(flags)} rest on a threat or promise that would not be carried out if tested: a "
            "move off the path that its mover would not make once there, which deters only because it is never "
            "put to the test."
        )
    else:
        lines.append("With imperfect information, subgame perfection is not judged (see the note above).")
    if result.note:
        lines.append(f"Note: {result.note}.")
    st.markdown(" ".join(lines))
    st.markdown("**By path of play** (most equilibria differ only in moves off the path):")
    st.dataframe(
        nash_summary(table),
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(c, format="%+.3f") for c in table if c.startswith("payoff")},
    )
    st.markdown("**Every equilibrium** (one column per decision point: the move it prescribes there):")
    st.dataframe(
        table,
        hide_index=True,
        height=min(420, 38 + 35 * len(table)),
        column_config={c: st.column_config.NumberColumn(c, format="%+.3f") for c in table if c.startswith("payoff")},
    )
    st.caption(
        "**How to read it:** a row is one equilibrium: a complete plan, one move at every decision point, reached "
        "or not. 'Path of play' is what actually happens under it; payoffs are expected over chance. A tick in "
        "'subgame perfect' means every move in the plan is optimal where it is made."
    )


def qre_section(game, plan: Plan, points, agents: RoundOne, controls: Controls) -> None:
    st.subheader("3. From random play to equilibrium: the QRE path")
    shown = panels(game, plan, controls.types)
    lams = {agents.lambdas[a] for a in ACTORS if agents.rules[a] == "logit"}
    beyond = [f"{ACTOR_SHORT[a]} λ = {agents.lambdas[a]:g}" for a in ACTORS
              if agents.rules[a] == "logit" and agents.lambdas[a] > controls.lambda_max]  # fmt: skip
    not_logit = [f"{ACTOR_SHORT[a]} ({words(agents.rules[a]).lower()})" for a in ACTORS if agents.rules[a] != "logit"]
    show_chart(
        qre_figure(game, plan, points, shown, agents),
        "game_qre",
        "one row per player, at its first decision on the equilibrium path. Each line is the probability of a "
        "move in the logit quantal response equilibrium, in which every player picks each move with probability "
        "proportional to exp(λ × its expected payoff) and expects the others to do the same. At λ = 0 every move "
        "has probability 1/3; as λ grows the lines approach the equilibrium. The dotted vertical line is the "
        "scenario's own λ for that actor: circles are the QRE there (every type known), crosses what the "
        "simulated agent does in round 1 (with its beliefs about the others)."
        + (f" Beyond the chart's range: {', '.join(beyond)}." if beyond else "")
        + (f" No λ to mark for: {', '.join(not_logit)}." if not_logit else "")
        + (" The actors' λs differ, so no single QRE matches the agents." if len(lams) > 1 else ""),
    )


def agents_section(comparisons, agents: RoundOne, plan: Plan, scenario: Scenario) -> None:
    st.subheader("4. What the simulated agents do in round 1")
    st.markdown(
        "The simulated agents play each round as a one-round game too (with the status quo as what follows), "
        "but with three differences: they choose by their decision rule (logit with their λ, best response or a "
        "doctrine); they do not know the others' types and use the scenario's beliefs; and coalition members may "
        "leave before the coalition moves. The numbers below come from the engine's own round-1 backward "
        "induction (`CrisisModel.round_policies`), not from sampling."
    )
    st.dataframe(
        comparison_table(comparisons, agents),
        hide_index=True,
        column_config={
            "agents play it": st.column_config.NumberColumn("agents play it", format="percent"),
            "with every type known": st.column_config.NumberColumn(
                "with every type known",
                format="percent",
                help="What the same agent would do if it knew every type, as the game assumes.",
            ),
        },
    )
    if scenario.rounds > 1:
        st.caption(
            f"This scenario lasts {scenario.rounds} rounds. From round 2 on, beliefs are updated by Bayes' rule and "
            "audience costs build up, so later rounds can differ from this one-round game (docs/game-theory.md §7)."
        )


def download_section(current: Current, solution: Solution, points, controls: Controls) -> None:
    assert current.scenario is not None
    kinds = "-".join("R" if t else "n" for t in controls.types) + ("-private" if controls.private else "")
    stem = f"{current.scenario.name}_game_{kinds}"
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        "Download the game (.efg)",
        data=lambda: write_efg(solution.game),
        file_name=f"{stem}.efg",
        mime="text/plain",
        on_click="ignore",
        help="The game tree in Gambit's .efg format: open it in Gambit or solve it with `sim solve FILE.efg`.",
    )
    right.download_button(
        "Download the solution (JSON)",
        data=lambda: json.dumps(replace(solution, path=list(points)).to_json(), indent=1),
        file_name=f"{stem}_solution.json",
        mime="application/json",
        on_click="ignore",
        help="The solver's JSON, as `sim solve --json --qre-path λ` prints it: Nash equilibria with "
        "subgame-perfect flags, the subgame-perfect path and the QRE path up to the chart's largest λ.",
    )
    with st.expander("The solver's own summary (as `sim solve` prints it)"):
        st.code("\n".join(describe(solution)), language=None)
