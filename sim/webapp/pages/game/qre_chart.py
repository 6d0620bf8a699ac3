"""The QRE chart: each player's choice probabilities as lambda grows from random play (0) towards
the equilibrium, with each logit actor's own lambda marked and the simulated agent's choice in round 1
of the whole crisis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.engine.inspect import RoundOne
from sim.game import ExtensiveFormGame, Node
from sim.game.qre import QREPoint
from sim.webapp.pages.game.plan import Plan
from sim.webapp.pages.game.tree import decision_moves, has_decision, infoset_label, likeliest, russia_type_on
from sim.webapp.pages.game.tree_chart import OTHER_EDGE, OUTLINE
from sim.webapp.pages.game.wording import listing
from sim.webapp.style import ACTOR_SHORT, GRID, action_colour, base_layout, font_size, ink, words

DASHES = {"deploy": "solid", "threaten": "dash", "back_down": "dot"}
"""A line style per move, so the lines differ by more than colour."""


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


# ---------------------------------------------------------------------------------------------
# Which decisions to show


def panels(game: ExtensiveFormGame, plan: Plan, types: Sequence[bool]) -> list[Panel]:
    """Each player's first decision along the plan's path. A player the path never reaches is shown
    where it would first move if the mover before it (or chance) kept the crisis going (marked off the
    path)."""
    shown: list[Panel] = []
    history: tuple[str, ...] = ()
    moves: tuple[tuple[str, str], ...] = ()
    node, on_path = game.root, True
    while node.kind != "terminal":
        mover = "chance"
        if node.kind == "chance":
            action = likeliest(node)
            if len(shown) < game.n_players and not has_decision(node.children[node.actions.index(action)]):
                action, on_path = _likeliest_going_on(node, action), False
        else:
            mover = game.players[node.mover]
            if all(p.player != node.player for p in shown):
                shown.append(_panel(game, node, moves, types, on_path))
            action = plan.choices[history]
            if len(shown) < game.n_players:
                action, on_path = _keep_going(node, action, on_path)
        history, moves = (*history, action), (*moves, (mover, action))
        node = node.children[node.actions.index(action)]
    return shown


def _panel(
    game: ExtensiveFormGame, node: Node, moves: Sequence[tuple[str, str]], types: Sequence[bool], on_path: bool
) -> Panel:
    """The panel of a player's decision ``node``, reached by ``moves``."""
    mover = game.players[node.mover]
    resolute = russia_type_on(moves, types[1]) if mover == "russia" else types[node.mover]
    before = tuple(a for _, a in decision_moves(moves))
    return Panel(node.mover, node.infoset, infoset_label(game, node.infoset), node.actions, before, resolute, on_path)


def _keep_going(node: Node, action: str, on_path: bool) -> tuple[str, bool]:
    """If ``action`` ends the crisis, the first move that keeps it going instead (leaving the path)."""
    if has_decision(node.children[node.actions.index(action)]):
        return action, on_path
    going_on = [a for a, c in zip(node.actions, node.children, strict=True) if has_decision(c)]
    return (going_on[0], False) if going_on else (action, on_path)


def _likeliest_going_on(node: Node, action: str) -> str:
    """At a chance node whose likeliest branch ends the crisis (the force collapses), the likeliest branch
    after which someone still decides (or ``action`` if there is none)."""
    going_on = [
        (p, a) for a, p, c in zip(node.actions, node.probabilities, node.children, strict=True) if has_decision(c)
    ]
    return max(going_on)[1] if going_on else action


def qre_lines(game: ExtensiveFormGame, points: Sequence[QREPoint], panel: Panel) -> tuple[list[float], np.ndarray]:
    """Lambda and the panel's choice probabilities (points x actions) along the traced branch."""
    index = [infoset.key for infoset in game.infosets()].index(panel.key)
    return [float(p.lam) for p in points], np.array([p.profile[index] for p in points])


# ---------------------------------------------------------------------------------------------
# The figure


def qre_figure(
    game: ExtensiveFormGame,
    plan: Plan,
    points: Sequence[QREPoint],
    shown: Sequence[Panel],
    agents: RoundOne | None = None,
) -> go.Figure:
    """One row per player: the probability of each move as lambda grows, with each logit actor's own
    lambda marked, the QRE there (circles) and what the simulated agent does in round 1 of the whole
    crisis (crosses)."""
    titles = [_panel_title(game, plan, panel, agents) for panel in shown]
    figure = make_subplots(rows=len(shown), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.1)
    lams: list[float] = [0.0, 1.0]
    marked = False
    for row, panel in enumerate(shown, start=1):
        lams, probabilities = qre_lines(game, points, panel)
        _add_lines(figure, row, panel, game.players[panel.player], lams, probabilities)
        _label_line_ends(figure, row, lams[-1], panel.actions, probabilities[-1])
        if agents is not None:
            marked |= _mark_agents(figure, row, panel, game.players[panel.player], lams, probabilities, agents)
    if marked:
        _add_marker_legend(figure)
    _style(figure, len(shown), max(lams))
    return figure


def _panel_title(game: ExtensiveFormGame, plan: Plan, panel: Panel, agents: RoundOne | None) -> str:
    """``Russia, if the coalition deploys:<br>equilibrium threaten · dotted line: its λ = 1.5``."""
    history = next(h for h in plan.choices if _reaches(game, h, panel.key))
    eq = listing([words(a).lower() for a in panel.actions if a in plan.optimal[history]], "or")
    # Two lines: where the mover is, then what it does (one line runs past a projector's chart).
    title = f"{panel.label}{'' if panel.on_path else ' (off the path)'}:<br>equilibrium {eq}"
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


def _add_lines(
    figure: go.Figure, row: int, panel: Panel, actor: str, lams: Sequence[float], probabilities: np.ndarray
) -> None:
    """One line per move; ``meta`` names the information set and move, for tests and readers of the JSON."""
    name = ACTOR_SHORT.get(actor, actor)
    for k, action in enumerate(panel.actions):
        figure.add_scatter(
            x=lams,
            y=probabilities[:, k].tolist(),
            mode="lines",
            line={"color": action_colour(action, OTHER_EDGE), "width": 3, "dash": DASHES.get(action)},
            name=words(action),
            legendgroup=action,
            showlegend=row == 1,
            hovertemplate=f"{name} · {words(action)}: %{{y:.3f}} at λ = %{{x:.2f}}<extra></extra>",
            meta={"infoset": panel.key, "action": action},
            row=row,
            col=1,
        )


def _label_line_ends(figure: go.Figure, row: int, lam: float, actions: Sequence[str], ends: np.ndarray) -> None:
    """Name each line at its right end; lines ending together share one label."""
    groups: list[tuple[float, list[str]]] = []
    for k in np.argsort(ends):
        if groups and ends[k] - groups[-1][0] < 0.09:
            groups[-1][1].append(words(actions[k]))
        else:
            groups.append((float(ends[k]), [words(actions[k])]))
    font = {"size": font_size() - 3, "color": ink()}
    for y, names in groups:
        text = " " + ", ".join(names)
        figure.add_annotation(x=lam, y=y, text=text, showarrow=False, xanchor="left", font=font, row=row, col=1)


def _mark_agents(
    figure: go.Figure,
    row: int,
    panel: Panel,
    actor: str,
    lams: Sequence[float],
    probabilities: np.ndarray,
    agents: RoundOne,
) -> bool:
    """The actor's own lambda: the QRE there (circles) and the simulated agent's choice in round 1 of the
    whole crisis (crosses). Returns whether anything was marked (not for other rules, nor beyond the
    chart's range, nor where the whole crisis has no such decision)."""
    played = agents.choice(actor, panel.before, panel.resolute, panel.actions)
    if agents.rules.get(actor) != "logit" or agents.lambdas[actor] > max(lams) or played is None:
        return False
    lam = agents.lambdas[actor]
    order = np.argsort(lams, kind="stable")
    at_lam = [float(np.interp(lam, np.array(lams)[order], probabilities[order, k])) for k in range(len(panel.actions))]
    figure.add_vline(x=lam, line={"color": ink(), "dash": "dot", "width": 1.5}, row=row, col=1)
    for k, action in enumerate(panel.actions):
        colour = action_colour(action, OTHER_EDGE)
        figure.add_scatter(
            x=[lam],
            y=[at_lam[k]],
            mode="markers",
            marker={"size": 11, "color": colour, "line": OUTLINE},
            showlegend=False,
            hovertemplate=f"QRE at λ = {lam:g}, every type known · {words(action)}: %{{y:.3f}}<extra></extra>",
            row=row,
            col=1,
        )
        figure.add_scatter(
            x=[lam],
            y=[played.probability[action]],
            mode="markers",
            marker={"size": 13, "symbol": "x", "color": colour, "line": OUTLINE},
            showlegend=False,
            meta={"infoset": panel.key, "action": action, "agents": True},
            hovertemplate=f"Simulated {ACTOR_SHORT[actor]}, round 1 of the whole crisis · {words(action)}: "
            "%{y:.3f}<extra></extra>",
            row=row,
            col=1,
        )
    return True


def _add_marker_legend(figure: go.Figure) -> None:
    """Legend entries for the circles and crosses (the markers themselves stay out of the legend)."""
    proxies = (
        ("QRE at the actor's own λ (every type known)", "circle"),
        ("Simulated agent, round 1 of the whole crisis", "x"),
    )
    for name, symbol in proxies:
        marker = {"symbol": symbol, "size": 12, "color": ink()}
        figure.add_scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=name, marker=marker, row=1, col=1)


def _style(figure: go.Figure, rows: int, lam_max: float) -> None:
    """Shared axes in percent, λ named in words under the last row, the legend above the first."""
    figure.update_yaxes(range=[-0.04, 1.04], tickformat=".0%", gridcolor=GRID, title_text="", automargin=True)
    figure.update_xaxes(gridcolor=GRID, range=[0, lam_max * 1.25], automargin=True)
    figure.update_xaxes(title_text="λ: how sharply players pick their best move (0 = at random)", row=rows)
    figure.update_annotations(font={"size": font_size() - 1, "color": ink()}, selector={"showarrow": None})
    # The legend clears the first panel's two-line title: about 60 px above the plot area.
    plot_px = 240 * rows - 40
    figure.update_layout(legend={"orientation": "h", "y": 1.0 + 60 / plot_px, "yanchor": "bottom", "x": 0})
    base_layout(figure, height=240 * rows + 190)
    figure.update_layout(margin={"l": 70, "t": 150, "b": 80})
