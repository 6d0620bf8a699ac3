"""Game: the scenario's one-round crisis game solved exactly, beside the whole crisis the agents play.

The first round as a game tree (``sim.game.crisis_game``) with its subgame-perfect path, every Nash
equilibrium the solver finds (and which rest on threats that would not be carried out), the logit QRE
as lambda grows; then the whole multi-round crisis as the simulated agents play it (the agent logit QRE
over public beliefs of ``sim.engine.equilibrium``): where its round 1 parts from the one-round equilibrium and
why, every round-1 decision of both types with what each move is worth now and later, and how the
public beliefs move over the rounds. The maths is in docs/explanation/game-theory.md and
docs/explanation/model.md; the page is described in docs/how-to/app/game.md.

This module is the page: its interface for app.py and one function per section. The rest of the
package, by concept: ``controls`` (the widgets), ``solution`` (cached solving), ``tree`` (walking the
game), ``plan`` (the equilibrium as a move at every node), ``tree_layout`` and ``tree_chart`` (the tree
figure), ``nash`` (the equilibria table), ``simulated_agents`` (round 1 of the whole crisis and the
beliefs over the rounds), ``comparison`` (the agents beside the equilibrium, in words), ``qre_chart``
(the QRE figure), ``belief_chart`` (the beliefs figure) and ``wording`` (names, verbs and percents in
sentences).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from sim.domain.ladder import ACTORS, OUTCOMES
from sim.domain.scenario import Scenario, ScenarioError
from sim.engine.inspect import BeliefPaths, RoundOne
from sim.game import ExtensiveFormGame, GameError, Solution, describe
from sim.game.io import write_efg
from sim.game.qre import QREPoint
from sim.game.spe import outcome_distribution
from sim.webapp.pages.game.belief_chart import belief_figure
from sim.webapp.pages.game.comparison import Comparison, compare, comparison_table, disagreement
from sim.webapp.pages.game.controls import LAMBDA_LIMIT, TYPE_CHOICES, VIEWS, Controls, read_controls
from sim.webapp.pages.game.nash import nash_summary
from sim.webapp.pages.game.plan import APPROX_LAMBDA, Plan, equilibrium_plan, path_in_words, plan_payoffs
from sim.webapp.pages.game.qre_chart import panels, qre_figure
from sim.webapp.pages.game.simulated_agents import round_one_table
from sim.webapp.pages.game.solution import (
    approximate_qre,
    beliefs_over_rounds,
    equilibria_table,
    qre_branch,
    round_one,
    solved_game,
)
from sim.webapp.pages.game.tree import game_prior
from sim.webapp.pages.game.tree_chart import TREE_MIN_WIDTH, tree_figure
from sim.webapp.pages.game.wording import payoff_text, percent
from sim.webapp.state import Current, Setting
from sim.webapp.style import ACTOR_SHORT, plain, show_chart, words

TITLE = "Game"
ICON = "♟️"
SETTINGS: tuple[Setting, ...] = (
    *(Setting(f"game_{actor}_type", "modal", choices=TYPE_CHOICES) for actor in ACTORS),
    Setting("game_private", False),
    Setting("game_view", "compact", choices=VIEWS),
    Setting("game_lambda_max", 10.0, low=1.0, high=LAMBDA_LIMIT),
)


def render(current: Current) -> None:
    """Solve once (cached), then draw the sections; a game that cannot be solved is an error, not a traceback."""
    scenario = current.scenario
    assert scenario is not None
    header(current)
    with st.expander("Settings: each actor's type, private resolve, the tree's view, the QRE chart's λ"):
        controls = read_controls(scenario)
    try:
        solution = solved_game(current.scenario_json, controls.types, controls.private)
        approximation = approximate_qre(current.scenario_json, controls.types, controls.private)
        points = qre_branch(current.scenario_json, controls.types, controls.private, controls.lambda_max)
        agents = round_one(current.scenario_json, controls.types, controls.private)
        beliefs = beliefs_over_rounds(current.scenario_json)
        game = solution.game
        assert isinstance(game, ExtensiveFormGame)  # a scenario's crisis game is a tree
        plan = equilibrium_plan(solution, approximation)
        comparisons = compare(game, plan, agents, controls.types)
    except (GameError, ScenarioError, ValueError, ArithmeticError) as error:
        st.error(f"The game of this scenario cannot be solved: {error}. Change the assumptions and try again.")
        return
    tree_section(game, plan, controls.view, solution)
    summary_section(game, solution, plan, comparisons, agents, controls)
    nash_section(solution, equilibria_table(current.scenario_json, controls.types, controls.private))
    qre_section(game, plan, points, agents, controls)
    agents_section(comparisons, agents, beliefs, scenario)
    download_section(current, solution, points, controls)


def header(current: Current) -> None:
    """What the page is, and a warning when some of the user's edits could not be used."""
    scenario = current.scenario
    assert scenario is not None
    st.title(f"{TITLE}: the crisis solved exactly")  # the menu name first, as on every page
    st.markdown(
        f"**{plain(scenario.title or scenario.name)}.** One round of the crisis solved exactly, beside the "
        "simulated agents who play the whole crisis."
    )
    with st.expander("What this page compares"):
        st.markdown(
            "The coalition moves (deploy, threaten or back down), Russia sees that and answers (a strike, a threat "
            "or backing down), then the coalition and the US answer a strike, or the US sets its posture; chance "
            "decides whether the force holds together, accidents and whether a clash becomes a major war. Game "
            "theory says what fully rational players who know each other's types would do in this one round. The "
            "simulated agents play the whole crisis instead, round after round: they choose noisily, are unsure of "
            "the others' types and weigh what each move is worth now and for the rest of the crisis (section 4). "
            "This page shows both and where they part. The maths is in `docs/explanation/game-theory.md` and "
            "`docs/explanation/model.md`."
        )
    if current.problems:
        st.warning(
            "Some changed values are not valid (see the sidebar or the Scenario page), so the game below uses "
            "the scenario's own values for them."
        )


# ---------------------------------------------------------------------------------------------
# Sections


def summary_section(
    game: ExtensiveFormGame,
    solution: Solution,
    plan: Plan,
    comparisons: Sequence[Comparison],
    agents: RoundOne,
    controls: Controls,
) -> None:
    """The equilibrium path, its outcomes and payoffs, and where the agents part from it, in words."""
    payoffs = plan_payoffs(game, plan)
    lottery_now = outcome_distribution(game, plan.choices)
    outcomes = ", ".join(f"{words(o).lower()} {percent(lottery_now[o])}" for o in OUTCOMES if lottery_now.get(o, 0) > 0)
    kind = "Subgame-perfect path" if plan.exact else f"Approximate equilibrium path (QRE at λ = {APPROX_LAMBDA:g})"
    st.markdown(
        f"**{kind}:** {path_in_words(game, plan)}.  \n**Outcomes** under equilibrium play: {outcomes}.  \n"
        f"**Expected payoffs:** {payoff_text(payoffs)} (C = coalition, R = Russia)."
    )
    if controls.private:
        _private_resolve_note(game, solution)
    st.success(f"**One round and the whole crisis.** {disagreement(comparisons, agents, plan)}")


def _private_resolve_note(game: ExtensiveFormGame, solution: Solution) -> None:
    """With Russia's resolve private: why there is no subgame-perfect equilibrium (or why there still is)."""
    if solution.spe:
        st.info(
            f"Russia's resolve prior is {game_prior(game):g}, so Nature's draw is certain: the game keeps perfect "
            "information and has subgame-perfect equilibria, shown as usual."
        )
        return
    st.info(
        "**No subgame-perfect equilibrium here.** Russia's resolve is private, so the coalition and the US "
        "cannot tell which of two nodes they are at (Russia resolute or not): the game has imperfect "
        "information, no proper subgame starts at their moves, and backward induction does not apply. "
        "The solution concept is a perfect Bayesian (sequential) equilibrium, which the solver does not "
        f"compute directly; the page shows the logit QRE at λ = {APPROX_LAMBDA:g} instead, the end of the "
        "branch of QREs that starts at random play and converges to a sequential equilibrium as λ grows "
        "(docs/explanation/game-theory.md, sections 1 and 6). Nature's branch followed is the more likely type."
    )


QRE_MIN_WIDTH = 820
"""Pixels under which the QRE chart's panel titles and line labels would be cut."""


def tree_section(game: ExtensiveFormGame, plan: Plan, view: str, solution: Solution) -> None:
    """The tree chart, and a note when movers are indifferent (several subgame-perfect equilibria)."""
    st.subheader("1. The game tree")
    size = sum(1 for _ in game.nodes())
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
        min_width=TREE_MIN_WIDTH,
    )
    ties = solution.spe[0].ties if solution.spe else ()
    if ties:
        where = "; ".join(" → ".join(words(a).lower() for a in history) for history in ties)
        paths = {spe.path for spe in solution.spe or []}
        st.caption(
            f"⚖️ Ties: a mover is indifferent after {where}. Every choice it could make there is subgame perfect "
            f"({len(solution.spe or [])} equilibria, {len(paths)} distinct paths); the tree shows the first."
        )


def nash_section(solution: Solution, table: pd.DataFrame) -> None:
    """How many Nash equilibria and how many are subgame perfect; grouped by path, then every one."""
    st.subheader("2. Nash equilibria")
    st.markdown(_nash_intro(solution, table))
    st.markdown("**By path of play** (most equilibria differ only in moves off the path):")
    st.dataframe(nash_summary(table), hide_index=True, column_config=_payoff_format(table))
    st.markdown(
        "**Every equilibrium** (one column per decision point: the move it prescribes there; the subgame-perfect "
        "ones first):"
    )
    shown = table
    mixed = "subgame perfect" in table.columns and not table["subgame perfect"].all()
    if mixed and st.toggle("Only the subgame-perfect ones", key="game_spe_only"):
        shown = table[table["subgame perfect"]]
    st.dataframe(shown, hide_index=True, height=min(420, 38 + 35 * len(shown)), column_config=_payoff_format(shown))
    st.caption(
        "**How to read it:** a row is one equilibrium: a complete plan, one move at every decision point, reached "
        "or not. 'Path of play' is what actually happens under it; payoffs are expected over chance. A tick in "
        "'subgame perfect' means every move in the plan is optimal where it is made."
    )


def _payoff_format(table: pd.DataFrame) -> dict[str, Any]:
    """Payoffs with a sign and three decimals, so small gaps between equilibria show."""
    return {c: st.column_config.NumberColumn(c, format="%+.3f") for c in table if c.startswith("payoff")}


def _nash_intro(solution: Solution, table: pd.DataFrame) -> str:
    """The count, and what the equilibria that are not subgame perfect rest on."""
    result = solution.nash
    assert result is not None  # the crisis game's normal form is always small enough
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
    return " ".join(lines)


def qre_section(
    game: ExtensiveFormGame, plan: Plan, points: Sequence[QREPoint], agents: RoundOne, controls: Controls
) -> None:
    """The QRE chart, its caption saying which actors' lambdas could not be marked and why."""
    st.subheader("3. From random play to equilibrium: the QRE path")
    show_chart(
        qre_figure(game, plan, points, panels(game, plan, controls.types), agents),
        "game_qre",
        "one row per player, at its first decision on the equilibrium path. Each line is the probability of a "
        "move in the logit quantal response equilibrium, in which every player picks each move with probability "
        "proportional to exp(λ × its expected payoff) and expects the others to do the same. At λ = 0 every move "
        "has probability 1/3; as λ grows the lines approach the equilibrium. The dotted vertical line is the "
        "scenario's own λ for that actor: circles are the QRE there (every type known), crosses what the "
        "simulated agent does in round 1 of the whole crisis (with its beliefs about the others, and the rest "
        "of the crisis in view)." + _unmarked(agents, controls),
        min_width=QRE_MIN_WIDTH,
    )


def _unmarked(agents: RoundOne, controls: Controls) -> str:
    """The end of the QRE caption: lambdas beyond the chart, actors without one, and lambdas that differ."""
    logit = [a for a in ACTORS if agents.rules[a] == "logit"]
    beyond = [f"{ACTOR_SHORT[a]} λ = {agents.lambdas[a]:g}" for a in logit if agents.lambdas[a] > controls.lambda_max]
    not_logit = [f"{ACTOR_SHORT[a]} ({words(agents.rules[a]).lower()})" for a in ACTORS if a not in logit]
    differ = len({agents.lambdas[a] for a in logit}) > 1
    return (
        (f" Beyond the chart's range: {', '.join(beyond)}." if beyond else "")
        + (f" No λ to mark for: {', '.join(not_logit)}." if not_logit else "")
        + (" The actors' λs differ, so no single QRE matches the agents." if differ else "")
    )


def agents_section(
    comparisons: Sequence[Comparison], agents: RoundOne, beliefs: BeliefPaths, scenario: Scenario
) -> None:
    """The whole crisis: its round 1 beside the one-round equilibrium, every round-1 decision of both types,
    and how the public beliefs move over the rounds."""
    st.subheader("4. The whole crisis, as the simulated agents play it")
    rounds = f"{scenario.rounds} round{'s' if scenario.rounds != 1 else ''}"
    st.markdown(
        f"The simulated agents play the whole crisis ({rounds}), solved once as an agent logit quantal response "
        "equilibrium over public beliefs (`sim.engine.equilibrium`, docs/explanation/model.md): each actor knows "
        "its own type, "
        "every move is public and moves everyone's belief about the mover by Bayes' rule, and each move is "
        "weighed by what it is worth **now** (this round: costs, the status quo's flow, a clash or a climb-down "
        "now) and **later** (the rest of the crisis it leads to, discounted). They differ from the game above "
        "in four ways: their decision rule (logit with their λ; best response is solved at a very large λ; a "
        "doctrine is scripted); their beliefs (the scenario's, not the true types); the rest of the crisis "
        "that each move leads to; and coalition members, who may leave before the coalition moves. The numbers "
        "are the equilibrium's own, not sampled."
    )
    st.markdown("**The one-round equilibrium path, move by move, beside round 1 of the whole crisis:**")
    st.dataframe(
        comparison_table(comparisons, agents),
        hide_index=True,
        column_config={
            "agents play it": st.column_config.NumberColumn("agents play it", format="percent"),
            "its worth this round": st.column_config.NumberColumn(
                "its worth this round", format="%+.2f", help="What the equilibrium move is worth to the agent now."
            ),
            "its worth later": st.column_config.NumberColumn(
                "its worth later",
                format="%+.2f",
                help="What the rest of the crisis after the equilibrium move is worth to the agent (discounted).",
            ),
            "with the game's beliefs": st.column_config.NumberColumn(
                "with the game's beliefs",
                format="percent",
                help="How often the same agent would play the equilibrium move in round 1 with the beliefs the game "
                "assumes: every type known (Russia's only by its prior when its resolve is private).",
            ),
        },
    )
    with st.expander("Round 1 of the whole crisis: every decision, both types"):
        st.dataframe(
            round_one_table(agents),
            hide_index=True,
            column_config={
                "probability": st.column_config.NumberColumn("probability", format="percent"),
                **{
                    name: st.column_config.NumberColumn(name, format="%+.2f")
                    for name in ("this round", "rest of the crisis", "in all")
                },
            },
        )
        st.caption(
            "One row per decision point, type and move: how likely the type is to make the move in round 1, "
            "with the scenario's public beliefs, and what the move is worth to it this round, for the rest of "
            "the crisis and in all (its expected utility). After a strike the crisis ends that round, so those "
            "answers have nothing later."
            + (
                " Before the coalition moves, each member keeps its troops in with probability "
                + ", ".join(f"{plain(name)} {percent(p)}" for name, p in agents.stay.items())
                + f", and the force collapses with probability {percent(agents.collapse)}."
                if agents.stay
                else ""
            )
        )
    show_chart(
        belief_figure(beliefs),
        "game_beliefs",
        "one panel per actor. Each line is the public belief that the actor is resolute after each round (0 = "
        f"the start), averaged over the crises still going on in a simulation of {beliefs.runs:,} crises of the "
        "whole crisis: solid where the actor truly is resolute, dashed where it is not. Where the lines part, "
        "the actor's moves give its type away; where they stay together, nobody learns anything. Hover for the "
        "share of crises that played each round.",
    )


def download_section(current: Current, solution: Solution, points: Sequence[QREPoint], controls: Controls) -> None:
    """The game as Gambit .efg and the solution as JSON (built only when clicked), and the solver's summary."""
    assert current.scenario is not None
    kinds = "-".join("R" if t else "n" for t in controls.types) + ("-private" if controls.private else "")
    stem = f"{current.scenario.name}_game_{kinds}"
    game = solution.game
    assert isinstance(game, ExtensiveFormGame)  # a scenario's crisis game is a tree
    row = st.container(horizontal=True)
    row.download_button(
        "Download the game (.efg)",
        data=lambda: write_efg(game),
        file_name=f"{stem}.efg",
        mime="text/plain",
        on_click="ignore",
        help="The game tree in Gambit's .efg format: open it in Gambit or solve it with `sim solve FILE.efg`.",
    )
    row.download_button(
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
