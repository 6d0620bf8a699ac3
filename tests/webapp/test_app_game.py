"""The Game page: the one-round crisis game drawn and solved, beside the whole crisis the agents play.

What the page shows is checked against the engine called directly (``crisis_game``, ``solve``, the solved
crisis ``equilibrium_for(...).solve_at``, ``CrisisModel``), never against the page's own helpers alone.
AppTest drives the page headless; the figure-building and text functions are also tested on their own.
Solving a 20-round scenario takes seconds the first time (then it is cached), hence the long timeouts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from apptest import chart, new_app
from apptest import rendered as shown
from streamlit.testing.v1 import AppTest

from sim.domain.ladder import ACTIONS, ACTORS, DEPLOY, THREATEN
from sim.domain.scenario import builtin_scenarios, load_scenario, with_overrides
from sim.engine.equilibrium import RESPONSES, States, equilibrium_for
from sim.engine.inspect import agents_round_one, belief_paths
from sim.engine.model import CrisisModel
from sim.game import crisis_game, logit_qre, modal_types, parse_game, solve
from sim.game.io import write_efg
from sim.webapp.pages.game.belief_chart import belief_figure
from sim.webapp.pages.game.comparison import compare, disagreement, path_share
from sim.webapp.pages.game.controls import VIEWS, resolve_types
from sim.webapp.pages.game.nash import nash_summary, nash_table
from sim.webapp.pages.game.plan import APPROX_LAMBDA, plan_path, plan_payoffs, qre_plan, spe_plan
from sim.webapp.pages.game.qre_chart import panels
from sim.webapp.pages.game.simulated_agents import point_label, round_one_table
from sim.webapp.pages.game.tree import decision_moves, has_decision, visits
from sim.webapp.pages.game.tree_chart import END_GAP_PX, end_text, text_px, tree_figure
from sim.webapp.pages.game.tree_layout import layout, lottery
from sim.webapp.pages.game.wording import listing, percent

DEFAULT = "coalition_2026"
CONVERGED = 0.95
"""At the chart's largest lambda (100 in the test) a non-tied equilibrium move has at least this probability."""


def game_app(query: dict[str, str] | None = None) -> AppTest:
    """The Game page opened from a link (not run yet); a cold solve of the whole crisis takes a while."""
    return new_app({"page": "game", **(query or {})}, timeout=600)


def rendered(at: AppTest) -> AppTest:
    """Run the script and fail on any exception or error message shown on the page."""
    return shown(at, errors=False)


def highlighted_path(figure: dict) -> tuple[str, ...]:
    """The moves on the thick equilibrium line, followed from the root: each segment must start where
    the one before ended, and the first at the root (x = 0)."""
    trace = next(t for t in figure["data"] if t.get("name", "").startswith(("Equilibrium path", "Approximate")))
    x, y, moves = trace["x"], trace["y"], trace["customdata"]
    path, end = [], (0, None)
    for start in range(0, len(x), 3):
        assert x[start] == end[0] and (end[1] is None or y[start] == end[1]), "the highlighted line is broken"
        path.append(moves[start])
        end = (x[start + 1], y[start + 1])
    return tuple(path)


def decisions_and_chance_before_last_decision(path: tuple[str, ...]) -> tuple[str, ...]:
    """The path as the compact view draws it: chance endings after the last decision are folded."""
    last = max((k for k, move in enumerate(path) if not move.startswith("chance: ")), default=None)
    return path if last is None else path[: last + 1]


def sentence(at: AppTest) -> str:
    texts = [s.value for s in at.success if "One round and the whole crisis" in s.value]
    assert len(texts) == 1
    return texts[0]


def nash_frame(at: AppTest):
    frames = [d.value for d in at.dataframe if "path of play" in d.value.columns and "#" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


# ---------------------------------------------------------------------------------------------
# The page as a user sees it


@pytest.mark.parametrize("name", builtin_scenarios())
def test_page_renders_for_every_builtin_scenario(name):
    at = rendered(game_app({"scenario": name}))
    assert {c.key for c in at.get("plotly_chart")} == {"game_tree", "game_qre", "game_beliefs"}
    scenario = load_scenario(name)
    solution = solve(crisis_game(scenario))
    assert highlighted_path(chart(at, "game_tree")) == decisions_and_chance_before_last_decision(solution.spe[0].path)
    assert len(nash_frame(at)) == len(solution.nash.equilibria)
    captions = " ".join(c.value for c in at.caption)
    assert captions.count("How to read it") >= 4, "every chart and the table carry a caption"
    assert len(at.get("download_button")) == 2


def test_default_page_highlights_the_engines_subgame_perfect_path_in_both_views():
    at = rendered(game_app())
    expected = solve(crisis_game(load_scenario(DEFAULT))).spe[0].path
    folded = decisions_and_chance_before_last_decision(expected)
    assert highlighted_path(chart(at, "game_tree")) == folded  # compact: the chance ending is folded
    at.radio(key="game_view").set_value("full")
    rendered(at)
    assert highlighted_path(chart(at, "game_tree")) == expected


def test_nash_table_has_one_row_per_equilibrium_and_the_engines_subgame_perfect_flags():
    at = rendered(game_app())
    solution = solve(crisis_game(load_scenario(DEFAULT)))
    table = nash_frame(at)
    count = len(solution.nash.equilibria)
    assert len(table) == count > 1
    flags = solution.subgame_perfect_flags()
    assert sorted(table["#"].tolist()) == list(range(1, count + 1))  # the solver's numbers, every one once
    assert table["subgame perfect"].tolist() == [flags[number - 1] for number in table["#"]]
    spe = sum(flags)
    assert table["subgame perfect"].tolist() == [True] * spe + [False] * (count - spe)  # the perfect ones first
    assert table["#"].tolist()[:spe] == sorted(table["#"].tolist()[:spe])  # in the solver's order within
    spe_row = table[table["subgame perfect"]].iloc[0]
    payoffs = solution.spe[0].payoffs
    assert [spe_row["payoff Coalition"], spe_row["payoff Russia"], spe_row["payoff US"]] == pytest.approx(payoffs)
    summary = next(d.value for d in at.dataframe if "equilibria" in d.value.columns)
    assert summary["equilibria"].sum() == count
    assert summary["of them subgame perfect"].sum() == sum(solution.subgame_perfect_flags())
    assert summary["of them subgame perfect"].iloc[0] > 0  # the path of the perfect ones first


def test_the_subgame_perfect_filter_leaves_only_those():
    at = rendered(game_app())
    everything = nash_frame(at)
    at.toggle(key="game_spe_only").set_value(True)
    rendered(at)
    only = nash_frame(at)
    assert 0 < len(only) < len(everything) and only["subgame perfect"].all()


def test_changing_a_type_changes_the_equilibrium():
    """A resolute Russia changes the classroom game's subgame-perfect path, and the sentence with it."""
    at = rendered(game_app({"scenario": "classroom_chicken"}))
    before_path = solve(crisis_game(load_scenario("classroom_chicken"))).spe[0].path
    assert highlighted_path(chart(at, "game_tree")) == before_path
    before = sentence(at)
    at.selectbox(key="game_russia_type").set_value("resolute")
    rendered(at)
    expected = solve(crisis_game(load_scenario("classroom_chicken"), {"russia": True})).spe[0].path
    assert expected != before_path
    assert highlighted_path(chart(at, "game_tree")) == expected
    assert sentence(at) != before and f"the coalition {expected[0].replace('_', ' ')}" in sentence(at)
    assert at.query_params["game_russia_type"] == "resolute", "the choice is written to the link"


def test_qre_lines_start_uniform_and_approach_the_equilibrium_at_high_lambda():
    at = rendered(game_app({"game_lambda_max": "100"}))
    scenario = load_scenario(DEFAULT)
    game = crisis_game(scenario)
    equilibria = solve(game).spe
    choice = {}  # information set -> its subgame-perfect moves (several at a tie)
    for equilibrium in equilibria:
        for history, action in equilibrium.choices.items():
            node = game.root
            for step in history:
                node = node.children[node.actions.index(step)]
            choice.setdefault(node.infoset, set()).add(action)
    lines = [t for t in chart(at, "game_qre")["data"] if t.get("mode") == "lines" and t.get("meta")]
    shown_panels = panels(game, spe_plan(solve(game)), tuple(modal_types(scenario).values()))
    assert len(shown_panels) == 3, "one panel per player"
    assert {t["meta"]["infoset"] for t in lines} == {panel.key for panel in shown_panels}
    for trace in lines:
        infoset, action = trace["meta"]["infoset"], trace["meta"]["action"]
        moves = sum(t["meta"]["infoset"] == infoset for t in lines)
        assert trace["x"][0] == 0 and trace["y"][0] == pytest.approx(1 / moves)
        assert trace["x"][-1] == pytest.approx(100)
        if len(choice[infoset]) == 1 and action in choice[infoset]:
            assert trace["y"][-1] >= CONVERGED, (infoset, action, trace["y"][-1])
        elif len(choice[infoset]) == 1:
            assert trace["y"][-1] <= 1 - CONVERGED, (infoset, action)


def round_one_at(solution, mover: str, before: tuple[str, ...], resolute: bool) -> np.ndarray:
    """Round 1 of the solved crisis at a decision point, read from the solver's arrays directly."""
    k = int(resolute)
    if mover == "coalition" and not before:
        return solution.coalition[0, k]
    c = ACTIONS.index(before[0])
    if mover == "russia":
        return solution.russia[0, c, k]
    if mover == "us" and before[1] == "threaten":
        return solution.us[0, c, k]
    return solution.resist[0, c, k] if mover == "coalition" else solution.join[0, c, k]


def test_qre_chart_marks_round_one_of_the_whole_crisis_at_each_actors_lambda():
    at = rendered(game_app())
    scenario = load_scenario(DEFAULT)
    equilibrium = equilibrium_for(scenario)
    solution = equilibrium.solve_at(1, equilibrium.initial_state())
    types = modal_types(scenario)
    game = crisis_game(scenario)
    where = {v.node.infoset: v for v in visits(game) if v.node.kind == "decision"}
    crosses = [t for t in chart(at, "game_qre")["data"] if (t.get("meta") or {}).get("agents")]
    assert len(crosses) >= 6
    for cross in crosses:
        visit = where[cross["meta"]["infoset"]]
        mover = game.players[visit.node.player]
        before = tuple(a for _, a in decision_moves(visit.moves))
        policy = round_one_at(solution, mover, before, types[mover])
        assert cross["x"] == [scenario.actor(mover).rationality]
        assert cross["y"] == pytest.approx([policy[visit.node.actions.index(cross["meta"]["action"])]])


def test_disagreement_sentence_and_table_give_the_solved_crisis_numbers():
    """The sentence and the table: round 1 of the whole crisis along the path, from the solver directly."""
    at = rendered(game_app())
    scenario = load_scenario(DEFAULT)
    types = modal_types(scenario)
    equilibrium = equilibrium_for(scenario)
    solution = equilibrium.solve_at(1, equilibrium.initial_state())
    game = crisis_game(scenario)
    expected, first, node, moves = [], None, game.root, []  # follow the subgame-perfect path down the tree
    for step in solve(game).spe[0].path:
        action = step.removeprefix("chance: ")
        if node.kind == "decision":
            mover = game.players[node.player]
            policy = round_one_at(solution, mover, tuple(moves), types[mover])
            expected.append(policy[node.actions.index(action)])
            first = first or (mover, action)
            moves.append(action)
        node = node.children[node.actions.index(action)]
    whole_path = (1 - solution.collapse[0]) * math.prod(expected)
    text = sentence(at)
    assert f"the simulated agents play that path {percent(whole_path)} of the time" in text
    assert f"break up the force in {percent(solution.collapse[0])} of crises" in text
    table = next(d.value for d in at.dataframe if "agents play it" in d.value.columns)
    assert table["agents play it"].tolist() == pytest.approx(expected)
    assert first is not None and first[0] == "coalition"
    k, a = int(types["coalition"]), ACTIONS.index(first[1])
    later = solution.coalition_later[0, k, a]
    assert table["its worth this round"].iloc[0] == pytest.approx(solution.coalition_utility[0, k, a] - later)
    assert table["its worth later"].iloc[0] == pytest.approx(later)


def test_section_four_shows_round_one_for_both_types_and_the_belief_paths():
    at = rendered(game_app())
    scenario = load_scenario(DEFAULT)
    equilibrium = equilibrium_for(scenario)
    solution = equilibrium.solve_at(1, equilibrium.initial_state())
    assert "4. The whole crisis, as the simulated agents play it" in [h.value for h in at.subheader]
    table = next(d.value for d in at.dataframe if "rest of the crisis" in d.value.columns)
    first = table[table["decision"] == "Coalition, first move"]
    for resolute in (False, True):
        rows = first[first["type"] == ("resolute" if resolute else "not resolute")]
        k = int(resolute)
        assert rows["probability"].tolist() == pytest.approx(solution.coalition[0, k].tolist())
        assert rows["in all"].tolist() == pytest.approx(solution.coalition_utility[0, k].tolist())
        assert rows["rest of the crisis"].tolist() == pytest.approx(solution.coalition_later[0, k].tolist())
    answers = table[table["decision"] == "Coalition, if the coalition deploys and Russia uses force"]
    assert answers["move"].tolist() == ["Resist", "Concede"] * 2
    assert answers["probability"].tolist() == pytest.approx(solution.resist[0, DEPLOY].ravel().tolist())
    assert (answers["rest of the crisis"] == 0).all()
    lines = {(t["meta"]["actor"], t["meta"]["resolute"]): t for t in chart(at, "game_beliefs")["data"]}
    assert set(lines) == {(key, resolute) for key in ACTORS for resolute in (True, False)}
    expected = belief_paths(scenario)
    for (key, resolute), line in lines.items():
        assert line["x"][0] == 0 and line["y"][0] == pytest.approx(scenario.actor(key).initial_belief)
        means = expected.mean[key][resolute]
        assert [y is None for y in line["y"]] == [math.isnan(m) for m in means]  # no crisis of that type left
        assert [y for y in line["y"] if y is not None] == pytest.approx([m for m in means if not math.isnan(m)])
    # The axis runs over the crisis's rounds, not past them (a 20-round crisis is not drawn to 25).
    layout = chart(at, "game_beliefs")["layout"]
    last = max(expected.rounds)
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        assert layout[axis]["range"] == pytest.approx([-0.3, last + 0.3])


def test_private_resolve_explains_that_there_is_no_subgame_perfect_equilibrium():
    at = rendered(game_app())
    at.toggle(key="game_private").set_value(True)
    rendered(at)
    info = " ".join(i.value for i in at.info)
    assert "No subgame-perfect equilibrium here" in info and "QRE" in info
    assert at.selectbox(key="game_russia_type").disabled
    table = nash_frame(at)
    assert "subgame perfect" not in table.columns
    assert len(table) == len(solve(crisis_game(load_scenario(DEFAULT), resolve_chance=True)).nash.equilibria)
    figure = chart(at, "game_tree")
    assert any(t.get("name", "").startswith("Approximate equilibrium path") for t in figure["data"])
    assert highlighted_path(figure)[0] == "chance: Russia resolute"  # prior 1/2: the first of the likeliest
    assert "approximate equilibrium" in sentence(at)
    # With Russia's resolve private the game believes what the agents believe about Russia: its prior.
    assert "that Russia is resolute" not in sentence(at)


def test_private_resolve_with_a_certain_prior_keeps_the_subgame_perfect_equilibrium():
    at = rendered(game_app({"scenario": "classroom_chicken", "game_private": "1"}))
    assert "keeps perfect information" in " ".join(i.value for i in at.info)
    assert "subgame perfect" in nash_frame(at).columns


def test_settings_are_read_from_the_url():
    at = rendered(
        game_app({"game_us_type": "resolute", "game_view": "full", "game_lambda_max": "50", "game_coalition_type": "x"})
    )
    assert at.selectbox(key="game_us_type").value == "resolute"
    assert at.selectbox(key="game_coalition_type").value == "modal"
    assert at.radio(key="game_view").value == "full"
    assert at.slider(key="game_lambda_max").value == 50.0
    assert any("game_coalition_type=x" in w.value for w in at.sidebar.warning)
    expected = solve(crisis_game(load_scenario(DEFAULT), {"us": True})).spe[0].path
    assert highlighted_path(chart(at, "game_tree")) == expected
    qre_x = [t["x"][-1] for t in chart(at, "game_qre")["data"] if t.get("mode") == "lines" and t.get("meta")]
    assert qre_x and all(x == pytest.approx(50) for x in qre_x)


def test_every_control_explains_itself():
    at = rendered(game_app())
    widgets = [at.selectbox(key=f"game_{a}_type") for a in ACTORS]
    widgets += [at.toggle(key="game_private"), at.radio(key="game_view"), at.slider(key="game_lambda_max")]
    assert all(w.help and len(w.help) > 40 for w in widgets)


# ---------------------------------------------------------------------------------------------
# The helpers


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("types", [None, {"russia": True}, {"coalition": True, "russia": True, "us": True}])
@pytest.mark.parametrize("name", builtin_scenarios())
def test_tree_figure_highlights_the_spe_path(name, types, view):
    game = crisis_game(load_scenario(name), types)
    solution = solve(game)
    figure = tree_figure(game, spe_plan(solution), view).to_plotly_json()
    path = solution.spe[0].path
    assert highlighted_path(figure) == (path if view == "full" else decisions_and_chance_before_last_decision(path))
    assert plan_path(game, spe_plan(solution)) == path
    assert plan_payoffs(game, spe_plan(solution)) == pytest.approx(solution.spe[0].payoffs)


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("name", builtin_scenarios())
def test_every_node_view_is_as_wide_as_its_labels_need(name, private):
    """The every-node view has a fixed width: from its deepest end node to its right edge there is room
    for the longest end label; the compact view stretches to the page (no width of its own)."""
    game = crisis_game(load_scenario(name), {"russia": True} if private else None)
    plan = spe_plan(solve(game))
    assert tree_figure(game, plan, "compact").layout.width is None
    figure = tree_figure(game, plan, "full")
    placed, _ = layout(game, plan, "full")
    left, right = figure.layout.xaxis.range
    margin = figure.layout.margin
    px_per_unit = (figure.layout.width - margin.l - margin.r) / (right - left)
    size = figure.layout.font.size - 3
    for end in (p for p in placed if p.kind == "terminal"):
        room = (right - end.x) * px_per_unit
        assert room >= END_GAP_PX + text_px(end_text(end)[0], size) - 1e-6
    assert 800 < figure.layout.width < 2500


@pytest.mark.parametrize(("view", "rows"), [("full", 1), ("compact", 8)])
def test_the_tree_reserves_the_margin_its_legend_needs(view, rows):
    """Plotly would push the bottom margin to fit the legend, then draw the tree again (and, cut short,
    lift the legend over the lowest labels): the margin is reserved instead, as plotly's own arithmetic
    gives it. The every-node view of the default scenario is wide enough for its eight entries on one
    row; the compact view, at its narrowest, stacks them. Rows of 1.3 × 16 + 3 px with 5 px above and
    below, 10 px of pad, the legend 1% of the plot's height below it:
    ``b = (rows · 23.8 + 10 + 10 + 0.01 · (height − 30)) / 1.01`` (61 and 217 px in Chromium)."""
    game = crisis_game(load_scenario(DEFAULT))
    figure = tree_figure(game, spe_plan(solve(game)), view)
    height, top = figure.layout.height, figure.layout.margin.t
    assert len([t for t in figure.data if t.showlegend is not False]) == 8
    assert figure.layout.margin.b == math.ceil((rows * 23.8 + 20 + 0.01 * (height - top)) / 1.01)
    assert figure.layout.legend.y == -0.01


def test_compact_view_folds_chance_endings_into_lotteries_that_add_up():
    game = crisis_game(load_scenario(DEFAULT))
    placed, _ = layout(game, spe_plan(solve(game)), "compact")
    lotteries = [p for p in placed if p.kind == "lottery"]
    assert lotteries and all(has_decision(p.visit.node) for p in placed if p.kind == "chance")
    assert len(placed) < len(list(game.nodes())) / 2
    for p in lotteries:
        outcomes, payoffs = lottery(p.visit.node)
        assert sum(outcomes.values()) == pytest.approx(1.0)
        assert len(payoffs) == 3


def test_qre_plan_of_the_private_game_is_a_plan_at_every_decision_node():
    game = crisis_game(load_scenario(DEFAULT), resolve_chance=True)
    plan = qre_plan(game, logit_qre(game, APPROX_LAMBDA))
    decisions = [v for v in visits(game) if v.node.kind == "decision"]
    assert set(plan.choices) == {v.history for v in decisions}
    assert plan_path(game, plan)[0] == "chance: Russia resolute"


@pytest.mark.parametrize("name", ["coalition_2026", "korea_1953_tripwire", "divided_coalition"])
def test_a_one_round_crisis_with_every_type_known_is_the_games_qre(name):
    """Cut to one round, with every type known and one lambda, round 1 of the solved crisis is the one-round
    game's agent QRE (logit backward induction) at every decision node: the page compares like with like,
    and its decision points are the tree's."""
    scenario = with_overrides(load_scenario(name), {"rounds": 1})
    lams = {scenario.actor(a).rationality for a in ACTORS}
    assert {scenario.actor(a).rule for a in ACTORS} == {"logit"} and len(lams) == 1
    types = modal_types(scenario)
    game = crisis_game(scenario)
    qre = logit_qre(game, lams.pop(), method="backward").behaviour()
    agents = agents_round_one(scenario, tuple(types.values()), private=False)
    nodes = [v for v in visits(game) if v.node.kind == "decision"]
    assert len(nodes) == 9, "coalition, Russia twice, the US's posture twice, two answers to each strike"
    for visit in nodes:
        mover = game.players[visit.node.player]
        before = tuple(a for _, a in decision_moves(visit.moves))
        known = agents.choice(mover, before, types[mover], visit.node.actions, known=True)
        assert known is not None, (mover, before)
        probabilities = [known.probability[a] for a in visit.node.actions]
        assert probabilities == pytest.approx(qre[(visit.node.player, visit.node.infoset)], abs=1e-9)


def test_round_one_is_the_solved_crisis_at_both_beliefs():
    scenario = load_scenario(DEFAULT)
    types = (False, True, False)
    agents = agents_round_one(scenario, types, private=False)
    equilibrium = equilibrium_for(scenario)
    start = equilibrium.initial_state()
    at_game = equilibrium.solve_at(1, States(np.array([types], dtype=float), start.incident, start.pledged))
    at_start = equilibrium.solve_at(1, start)
    assert agents.beliefs == pytest.approx({key: scenario.actor(key).initial_belief for key in ACTORS})
    assert agents.game_beliefs == {"coalition": 0.0, "russia": 1.0, "us": 0.0}
    for solution, known in ((at_start, False), (at_game, True)):
        for resolute in (False, True):
            k = int(resolute)
            russia = agents.choice("russia", ("threaten",), resolute, known=known)
            assert list(russia.probability.values()) == pytest.approx(solution.russia[0, THREATEN, k].tolist())
            us = agents.choice("us", ("deploy", "threaten"), resolute, known=known)
            assert list(us.later.values()) == pytest.approx(solution.us_later[0, DEPLOY, k].tolist())
            join = agents.choice("us", ("threaten", "deploy", "resist"), resolute, known=known)
            assert join.actions == RESPONSES["us"]
            assert list(join.utility.values()) == pytest.approx(solution.join_utility[0, THREATEN, k].tolist())
    assert agents.collapse == pytest.approx(at_start.collapse[0])
    assert agents.choice("us", ("deploy", "deploy"), False) is None, "after a strike the US answers the coalition"
    assert agents.choice("russia", ("threaten",), False, actions=("resist", "concede")) is None
    assert len(round_one_table(agents)) == 2 * (5 * 3 + 4 * 2)
    assert point_label(("us", ("deploy", "deploy", "resist"))) == (
        "US, if the coalition deploys, Russia uses force and the coalition resists"
    )


def test_force_collapse_probability_matches_a_monte_carlo_of_the_first_round():
    scenario = load_scenario("divided_coalition")
    exact = agents_round_one(scenario, tuple(modal_types(scenario).values()), private=False).collapse
    model = CrisisModel(scenario, n_worlds=40_000, seed=5)
    model.step()
    sampled = model.force_collapsed.mean()
    assert 0.05 < exact < 0.95
    assert sampled == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / model.n_worlds))


def test_the_reason_names_what_comes_later_and_the_beliefs():
    """classroom_chicken with a resolute Russia: the agents believe it is not (belief 0), so they part from
    the one-round equilibrium; the reason says by how much this round and later, and names the belief."""
    scenario = load_scenario("classroom_chicken")
    types = (False, True, False)
    game = crisis_game(scenario, dict(zip(ACTORS, types)))
    plan = spe_plan(solve(game))
    agents = agents_round_one(scenario, types, private=False)
    comparisons = compare(game, plan, agents, types)
    first = comparisons[0]
    assert first.actor == "coalition" and first.played is not None and first.known is not None
    assert first.played.best() not in first.optimal and first.known.best() in first.optimal
    text = disagreement(comparisons, agents, plan)
    assert "puts the chance that Russia is resolute at 0% (in this game Russia is resolute)" in text
    assert " this round, " in text and " for the rest of the crisis)" in text and "with the game's beliefs" in text
    assert path_share(comparisons, agents) < 0.05
    assert agents.rules["us"] == "doctrine" and agents.descriptions["us"] == "doctrine: open with threaten"


def test_belief_figure_draws_one_line_per_actor_and_possible_type():
    paths = belief_paths(load_scenario("classroom_chicken"), runs=200)  # every prior 0: no resolute lines
    assert paths.rounds == [0, 1] and paths.playing == [1.0, 1.0]
    figure = belief_figure(paths).to_plotly_json()
    assert [(t["meta"]["actor"], t["meta"]["resolute"]) for t in figure["data"]] == [(a, False) for a in ACTORS]


def test_nash_table_and_summary_of_the_private_game():
    solution = solve(crisis_game(load_scenario(DEFAULT), resolve_chance=True))
    table = nash_table(solution)
    assert len(table) == len(solution.nash.equilibria)
    assert "Russia (resolute), if the coalition deploys" in table.columns
    assert nash_summary(table)["equilibria"].sum() == len(table)


def test_downloads_round_trip():
    game = crisis_game(load_scenario(DEFAULT))
    again = parse_game(write_efg(game), "game.efg")
    assert len(list(again.nodes())) == len(list(game.nodes()))
    assert solve(again).spe[0].path == solve(game).spe[0].path


def test_helpers_in_words():
    assert percent(0.887) == "89%" and percent(0.994) == "99.4%" and percent(0.0004) == "<0.1%"
    assert listing(["a", "b", "c"], "or") == "a, b or c"
    scenario = load_scenario("korea_1953_tripwire")
    assert resolve_types(scenario, {a: "modal" for a in ACTORS}) == tuple(modal_types(scenario).values())
    assert resolve_types(scenario, dict.fromkeys(ACTORS, "not_resolute")) == (False, False, False)
    assert ACTIONS[DEPLOY] == "deploy"
