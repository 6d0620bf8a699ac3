"""The game tree as a plotly chart: the equilibrium path thick, the equilibrium's moves off the path
dashed (the threats and promises that hold it up), movers and outcomes named in words."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from sim.game import ExtensiveFormGame, Node
from sim.webapp.pages.game.plan import APPROX_LAMBDA, Plan
from sim.webapp.pages.game.tree_layout import Edge, Placed, layout, lottery
from sim.webapp.pages.game.wording import payoff_text, percent
from sim.webapp.style import (
    ACTOR_COLOURS,
    ACTOR_SHORT,
    OKABE_ITO,
    OUTCOME_COLOURS,
    base_layout,
    font_size,
    ink,
    words,
)

HIGHLIGHT = OKABE_ITO["orange"]
OTHER_EDGE = "#9A9A9A"
SHORT_OUTCOME = {
    "deterrence_holds": "holds",
    "coalition_backs_down": "coalition backs down",
    "russia_backs_down": "Russia backs down",
    "limited_clash": "clash",
    "major_war": "war",
}
OUTLINE = {"color": "#000", "width": 1}


def tree_figure(game: ExtensiveFormGame, plan: Plan, view: str = "compact") -> go.Figure:
    """The game tree, left to right: the equilibrium path thick, equilibrium choices off the path
    dashed, the other branches thin; movers and outcomes labelled in words."""
    placed, edges = layout(game, plan, view)
    figure = go.Figure()
    for name, chosen, style in _edge_kinds(plan, edges):
        _add_edges(figure, name, chosen, style)
    _add_branch_labels(figure, edges)
    _add_decisions(figure, game, plan, placed)
    _add_chance(figure, placed)
    _add_ends(figure, placed)
    depth = max(p.x for p in placed)
    rows = sum(p.kind in ("terminal", "lottery") for p in placed)
    figure.update_yaxes(visible=False, range=[-rows + 0.4, 0.9])
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -LEGEND_DROP, "x": 0},
        plot_bgcolor="rgba(0,0,0,0)",
        hovermode="closest",
    )
    base_layout(figure, height=int(min(2600, max(460, ROW_PX * rows + LEGEND_PX))))
    if view == "compact":
        figure.update_xaxes(visible=False, range=[-0.35, depth + 3.2])
        # Drawn at least this wide; wider, the legend may take fewer rows than reserved.
        figure.update_layout(margin={"b": _legend_room(figure, TREE_MIN_WIDTH)})
    else:
        _fit_width(figure, placed, edges, depth)
    return figure


TREE_MIN_WIDTH = 860
"""Pixels under which the compact tree's end labels would be cut: a phone scrolls it sideways (the
every-node view sets its own width from its labels, :func:`_fit_width`)."""


def text_px(text: str, size: float) -> float:
    """Width in pixels of a line of text at this font size (pixels): an upper estimate for the app's
    sans-serif font, whose characters average about half an em (digits and capitals a little more)."""
    return len(text) * size * TEXT_EM_PER_CHARACTER


TEXT_EM_PER_CHARACTER = 0.45
"""Average width of a character in ems: Source Sans (Streamlit's theme) measures about 0.37 on the tree's labels."""
END_GAP_PX = 14
"""From an end node's centre to its label's first character (half the marker and a space)."""


def _fit_width(figure: go.Figure, placed: Sequence[Placed], edges: Sequence[Edge], depth: float) -> None:
    """Give the every-node view the width its words need: a drawing of fixed size, wider than most windows.

    Each column (one move deeper) is wide enough for every branch label, centred at the fraction ``t``
    of its branch that :func:`_label_positions` gives, to sit clear of both ends' markers:
    ``t · column − width / 2 ≥ gap`` and ``(1 − t) · column − width / 2 ≥ gap``. The right of the plot
    holds the longest end label. The figure's ``width`` is set: the page draws it in a box that scrolls
    sideways (:func:`sim.webapp.style.show_chart`)."""
    size = figure.layout.font.size
    at = _label_positions(edges)
    column_px = max(
        [MIN_COLUMN_PX]
        + [(text_px(e.label, size - 3) / 2 + END_GAP_PX) / min(t, 1 - t) for e, t in zip(edges, at, strict=True)]
    )
    end_px = max(text_px(end_text(p)[0], size - 3) for p in placed if p.kind in ("terminal", "lottery"))
    left, right = -0.35, depth + (END_GAP_PX + end_px) / column_px + 0.1
    margin = figure.layout.margin
    figure.update_xaxes(visible=False, range=[left, right])
    width = int(margin.l + margin.r + (right - left) * column_px)
    figure.update_layout(width=width, margin={"b": _legend_room(figure, width)})


def _legend_room(figure: go.Figure, width: float) -> int:
    """Bottom margin, in pixels, that holds the legend below a figure ``width`` pixels wide.

    Left to plotly, the legend pushes the margin once drawn and the chart is drawn again; until then (or
    if plotly gives up after too many such redraws) it keeps the legend inside the figure by moving it
    up, over the lowest labels. Reserved here, the first drawing is the last. Plotly's arithmetic
    (``plots.js``, ``autoMargin`` and ``doAutoMargin``; ``legend/draw.js``, ``computeLegendDimensions``):

    - the legend wraps its entries in equal columns as wide as the widest entry, each a 40 px symbol
      and gaps plus its text (:func:`text_px`, an upper estimate); a row is ``1.3`` font sizes plus
      3 px high, with 5 px above and below the rows;
    - a legend at ``y = −d`` (a fraction of the plot's height) with ``pad`` pixels around it needs a
      bottom margin ``b`` with ``b = legend + pad + d · (height − top − b)``, so
      ``b = (legend + pad + d · (height − top)) / (1 + d)``.

    A font wider than estimated makes plotly push the margin as before."""
    size = figure.layout.legend.font.size
    margin = figure.layout.margin
    plot_px = width - margin.l - margin.r
    names = [trace.name for trace in figure.data if trace.showlegend is not False and trace.name]
    widths = [LEGEND_SYMBOL_PX + text_px(name, size) for name in names]
    if sum(widths) + LEGEND_GAP_PX * (len(widths) - 1) < plot_px:
        rows = 1
    else:
        columns = max(1, int((plot_px + LEGEND_GAP_PX) // (max(widths) + LEGEND_GAP_PX)))
        rows = -(-len(widths) // columns)
    legend_px = rows * (max(size * 1.3, 16) + 3) + 2 * LEGEND_GAP_PX
    pad = min(12, margin.l, margin.r, margin.t, margin.b)
    needed = (legend_px + pad + LEGEND_DROP * (figure.layout.height - margin.t)) / (1 + LEGEND_DROP)
    return math.ceil(needed)


LEGEND_DROP = 0.01
"""How far below the plot the legend's top sits, as a fraction of the plot's height."""
LEGEND_SYMBOL_PX = 40
"""A legend entry's symbol and the gaps beside it (plotly: ``itemwidth`` 30 + 2 × ``itemGap`` 5)."""
LEGEND_GAP_PX = 5
"""Plotly's ``itemGap``: between legend entries, and above and below its rows."""


MIN_COLUMN_PX = 120
"""Narrowest column of the every-node view, in pixels: room for a node's name above its marker."""


# ---------------------------------------------------------------------------------------------
# Branches


def _edge_kinds(plan: Plan, edges: Sequence[Edge]) -> list[tuple[str, list[Edge], dict]]:
    """Legend name, branches and line style of each kind of branch, drawn in this order (path on top)."""
    path = "Equilibrium path" if plan.exact else f"Approximate equilibrium path (QRE at λ = {APPROX_LAMBDA:g})"
    return [
        ("Other moves", [e for e in edges if not e.planned], {"color": OTHER_EDGE, "width": 1.5}),
        (
            "Equilibrium choice off the path (what the mover would do if it got there)",
            [e for e in edges if e.planned and not e.on_path],
            {"color": HIGHLIGHT, "width": 3, "dash": "dash"},
        ),
        (path, [e for e in edges if e.on_path], {"color": HIGHLIGHT, "width": 8}),
    ]


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


def _add_branch_labels(figure: go.Figure, edges: Sequence[Edge]) -> None:
    """Each branch's move (or chance's probability) written along it."""
    at = _label_positions(edges)
    figure.add_scatter(
        x=[e.parent.x + t * (e.child.x - e.parent.x) for e, t in zip(edges, at, strict=True)],
        y=[e.parent.y + t * (e.child.y - e.parent.y) for e, t in zip(edges, at, strict=True)],
        mode="text",
        text=[e.label for e in edges],
        textposition="top center",
        textfont={"size": font_size() - 3, "color": ink()},
        hoverinfo="skip",
        showlegend=False,
        name="branch labels",
    )


ROW_PX = 40
"""Height of one end-node row in pixels (the figure's height grows by this per row)."""
LEGEND_PX = 230
"""The legend below the tree (seven entries) and the margins: the rest of the height is rows."""
LABEL_CLEARANCE_PX = 22
"""Vertical room a branch label needs from its siblings' labels (a line of text)."""


def _label_positions(edges: Sequence[Edge]) -> list[float]:
    """How far along its branch each label sits (0 at the parent, 1 at the child).

    Sibling branches fan out from their parent, so labels near the parent sit on top of each other:
    a label sits where its branch is at least a text line clear of its nearest sibling, past the
    parent's name (written above the parent), before the last third of a branch into a decision node
    (that node's name is written above it) and at most 0.72 of a branch into an end node."""
    children: dict[int, list[float]] = {}
    for edge in edges:
        children.setdefault(id(edge.parent), []).append(edge.child.y)
    positions = []
    for edge in edges:
        ys = children[id(edge.parent)]
        gaps = [abs(edge.child.y - other) for other in ys if other != edge.child.y]
        nearest = min(gaps, default=float("inf"))
        needed = LABEL_CLEARANCE_PX / (ROW_PX * nearest) if nearest > 0 else 0.0
        ceiling = 0.72 if edge.child.kind in ("terminal", "lottery") else 0.66
        positions.append(min(ceiling, max(0.55, needed)))
    return positions


# ---------------------------------------------------------------------------------------------
# Nodes


def shared_infosets(game: ExtensiveFormGame) -> set[int]:
    """Ids of decision nodes whose mover cannot tell them from another node (imperfect information)."""
    return {id(node) for infoset in game.infosets() if len(infoset.nodes) > 1 for node in infoset.nodes}


def _add_decisions(figure: go.Figure, game: ExtensiveFormGame, plan: Plan, placed: Sequence[Placed]) -> None:
    """One trace per player (its colour, and its name on every node, so colour is never the only cue)."""
    unsure = shared_infosets(game)
    for player, actor in enumerate(game.players):
        nodes = [p for p in placed if p.kind == "decision" and p.visit.node.player == player]
        if not nodes:
            continue
        figure.add_scatter(
            x=[p.x for p in nodes],
            y=[p.y for p in nodes],
            mode="markers+text",
            marker={"size": 18, "color": ACTOR_COLOURS.get(actor, OTHER_EDGE), "line": OUTLINE},
            text=[_decision_text(actor, plan, p, id(p.visit.node) in unsure) for p in nodes],
            textposition="top center",
            textfont={"size": font_size() - 1, "color": ink()},
            hovertext=[_decision_hover(game, plan, p, id(p.visit.node) in unsure) for p in nodes],
            hoverinfo="text",
            name=f"{ACTOR_SHORT.get(actor, actor)} moves",
        )


def _decision_text(actor: str, plan: Plan, placed: Placed, unsure: bool) -> str:
    """``US``, or ``US (unsure, indifferent)``: cannot tell Russia's types apart; several moves are optimal."""
    notes = ["unsure"] if unsure else []
    if len(plan.optimal.get(placed.visit.history, ())) > 1:
        notes.append("indifferent")
    return ACTOR_SHORT.get(actor, actor) + (f" ({', '.join(notes)})" if notes else "")


def _decision_hover(game: ExtensiveFormGame, plan: Plan, placed: Placed, unsure: bool) -> str:
    """Who moves, after what, and the equilibrium move there (all of them at a tie)."""
    node, history = placed.visit.node, placed.visit.history
    actor = game.players[node.mover]
    before = "; ".join(f"{mover} {action}" for mover, action in placed.visit.moves) or "start of the round"
    optimal = plan.optimal.get(history, frozenset())
    text = f"<b>{ACTOR_SHORT.get(actor, actor)} moves</b><br>after: {before}<br>equilibrium: {plan.choices[history]}"
    if len(optimal) > 1:
        text += f" (indifferent: {', '.join(sorted(optimal))})"
    if unsure:
        text += "<br>cannot tell this node from its twin on the other type branch"
    return text


def _add_chance(figure: go.Figure, placed: Sequence[Placed]) -> None:
    """Grey diamonds; only Nature's draw of Russia's type (at the root) is named."""
    chance = [p for p in placed if p.kind == "chance"]
    if not chance:
        return
    figure.add_scatter(
        x=[p.x for p in chance],
        y=[p.y for p in chance],
        mode="markers+text",
        marker={"size": 14, "symbol": "diamond", "color": "#BBBBBB", "line": OUTLINE},
        text=["Nature" if p.visit.history == () else "" for p in chance],
        textposition="top center",
        textfont={"size": font_size() - 1, "color": ink()},
        hovertext=[_chance_hover(p.visit.node) for p in chance],
        hoverinfo="text",
        name="Chance",
    )


def _chance_hover(node: Node) -> str:
    """Every branch with its probability, unrounded enough to check against the engine."""
    branches = zip(node.actions, node.probabilities, strict=True)
    return "<b>Chance</b><br>" + "<br>".join(f"{action}: {p:.4g}" for action, p in branches)


def _add_ends(figure: go.Figure, placed: Sequence[Placed]) -> None:
    """Squares coloured by outcome and labelled with it and the payoffs; a dotted square for a lottery."""
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
            "line": OUTLINE,
        },
        text=[label for label, _, _ in labels],
        textposition="middle right",
        textfont={"size": font_size() - 3, "color": ink()},
        hovertext=[hover for _, hover, _ in labels],
        hoverinfo="text",
        name="End: outcome (payoffs C · R · US)",
    )


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
