"""The Game page: the one-round crisis game drawn, solved and set beside the simulated agents.

What the page shows is checked against the engine called directly (``crisis_game``, ``solve``,
``CrisisModel.round_policies``), never against the page's own helpers alone. AppTest drives the
page headless; the figure-building and text functions are also tested on their own.
"""

from __future__ import annotations

import numpy as np
import pytest
from apptest import chart, new_app
from apptest import rendered as shown
from streamlit.testing.v1 import AppTest

from sim.game import crisis_game, logit_qre, modal_types, parse_game, solve
from sim.game.formats import write_efg
from sim.ladder import ACTIONS, ACTORS, BACK_DOWN, DEPLOY, THREATEN
from sim.model import CrisisModel
from sim.scenario import builtin_scenarios, load_scenario
from sim.webapp.pages.game.comparison import compare, disagreement
from sim.webapp.pages.game.controls import VIEWS, resolve_types
from sim.webapp.pages.game.nash import nash_summary, nash_table
from sim.webapp.pages.game.plan import APPROX_LAMBDA, plan_path, plan_payoffs, qre_plan, spe_plan
from sim.webapp.pages.game.qre_chart import panels
from sim.webapp.pages.game.simulated_agents import agents_round_one, collapse_probability
from sim.webapp.pages.game.tree import visits
from sim.webapp.pages.game.tree_chart import tree_figure
from sim.webapp.pages.game.tree_layout import layout, lottery
from sim.webapp.pages.game.wording import listing, percent

DEFAULT = "coalition_2026"
CONVERGED = 0.95
"""At the chart's largest lambda (100 in the test) a non-tied equilibrium move has at least this probability."""


def game_app(query: dict[str, str] | None = None) -> AppTest:
    """The Game page opened from a link (not run yet)."""
    return new_app({"page": "game", **(query or {})})


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
    last = max(k for k, move in enumerate(path) if not move.startswith("chance: "))
    return path[: last + 1]


def sentence(at: AppTest) -> str:
    texts = [s.value for s in at.success if "Agents and equilibrium" in s.value]
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
    assert {c.key for c in at.get("plotly_chart")} == {"game_tree", "game_qre"}
    scenario = load_scenario(name)
    solution = solve(crisis_game(scenario))
    assert highlighted_path(chart(at, "game_tree")) == decisions_and_chance_before_last_decision(solution.spe[0].path)
    assert len(nash_frame(at)) == len(solution.nash.equilibria)
    captions = " ".join(c.value for c in at.caption)
    assert captions.count("How to read it") >= 3, "every chart and the table carry a caption"
    assert len(at.get("download_button")) == 2


def test_default_page_highlights_the_engines_subgame_perfect_path_in_both_views():
    at = rendered(game_app())
    expected = solve(crisis_game(load_scenario(DEFAULT))).spe[0].path
    assert expected[:3] == ("deploy", "threaten", "threaten")
    assert highlighted_path(chart(at, "game_tree")) == expected[:3]  # compact: the chance ending is folded
    at.radio(key="game_view").set_value("full")
    rendered(at)
    assert highlighted_path(chart(at, "game_tree")) == expected


def test_nash_table_has_one_row_per_equilibrium_and_the_engines_subgame_perfect_flags():
    at = rendered(game_app())
    solution = solve(crisis_game(load_scenario(DEFAULT)))
    table = nash_frame(at)
    assert len(table) == len(solution.nash.equilibria) == 189
    assert table["subgame perfect"].tolist() == solution.subgame_perfect_flags()
    assert table["#"].tolist() == list(range(1, 190))
    spe_row = table[table["subgame perfect"]].iloc[0]
    payoffs = solution.spe[0].payoffs
    assert [spe_row["payoff Coalition"], spe_row["payoff Russia"], spe_row["payoff US"]] == pytest.approx(payoffs)
    summary = next(d.value for d in at.dataframe if "equilibria" in d.value.columns)
    assert summary["equilibria"].sum() == 189 and summary["of them subgame perfect"].sum() == 1


def test_changing_a_type_changes_the_equilibrium():
    """A resolute Russia would strike deployed troops in the classroom game, so the coalition backs down."""
    at = rendered(game_app({"scenario": "classroom_chicken"}))
    assert highlighted_path(chart(at, "game_tree"))[0] == "deploy"
    before = sentence(at)
    at.selectbox(key="game_russia_type").set_value("resolute")
    rendered(at)
    expected = solve(crisis_game(load_scenario("classroom_chicken"), {"russia": True})).spe[0].path
    assert expected == ("back_down",)
    assert highlighted_path(chart(at, "game_tree")) == expected
    assert sentence(at) != before and "coalition back down" in sentence(at)
    assert at.query_params["game_russia_type"] == "resolute", "the choice is written to the link"


def test_qre_lines_start_uniform_and_approach_the_equilibrium_at_high_lambda():
    at = rendered(game_app({"game_lambda_max": "100"}))
    game = crisis_game(load_scenario(DEFAULT))
    equilibria = solve(game).spe
    choice = {}  # information set -> its subgame-perfect moves (several at a tie)
    for equilibrium in equilibria:
        for history, action in equilibrium.choices.items():
            node = game.root
            for step in history:
                node = node.children[node.actions.index(step)]
            choice.setdefault(node.infoset, set()).add(action)
    lines = [t for t in chart(at, "game_qre")["data"] if t.get("mode") == "lines" and t.get("meta")]
    assert {t["meta"]["infoset"] for t in lines} == {
        "coalition",
        "russia after coalition deploy",
        "us after coalition deploy, russia threaten",
    }
    for trace in lines:
        infoset, action = trace["meta"]["infoset"], trace["meta"]["action"]
        assert trace["x"][0] == 0 and trace["y"][0] == pytest.approx(1 / 3)
        assert trace["x"][-1] == pytest.approx(100)
        if len(choice[infoset]) == 1 and action in choice[infoset]:
            assert trace["y"][-1] >= CONVERGED, (infoset, action, trace["y"][-1])
        elif len(choice[infoset]) == 1:
            assert trace["y"][-1] <= 1 - CONVERGED, (infoset, action)


def test_disagreement_sentence_names_the_engines_numbers():
    """The US's noisy answer: its probability and payoff gap, computed here from the engine directly."""
    at = rendered(game_app())
    scenario = load_scenario(DEFAULT)
    types = modal_types(scenario)
    assert not any(types.values())
    policies = CrisisModel(scenario, n_worlds=1, seed=0).round_policies(np.array([0]), 0)
    us_row = policies.us_row[0]
    us = policies.us[us_row, 0, DEPLOY, THREATEN]
    us_utility = policies.us_utility[us_row, 0, DEPLOY, THREATEN]
    coalition = policies.coalition[0, 0, DEPLOY]
    russia = policies.russia[0, 0, DEPLOY, THREATEN]
    text = sentence(at)
    assert f"the simulated US threatens only {us[THREATEN]:.0%} of the time" in text
    assert f"λ = {scenario.us.rationality:g}" in text
    assert f"{us_utility[THREATEN] - us_utility[DEPLOY]:.2f} utils" in text
    collapse = collapse_probability(*_model_and_policies(scenario))
    whole_path = (1 - collapse) * coalition * russia * us[THREATEN]
    assert f"In round 1 the simulated agents play that whole path {whole_path:.0%} of the time" in text
    shown = next(d.value for d in at.dataframe if "agents play it" in d.value.columns)
    assert shown["agents play it"].tolist() == pytest.approx([coalition, russia, us[THREATEN]])


def _model_and_policies(scenario):
    model = CrisisModel(scenario, n_worlds=1, seed=0)
    return model, model.round_policies(np.array([0]), 0)


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


def test_compact_view_folds_chance_endings_into_lotteries_that_add_up():
    game = crisis_game(load_scenario(DEFAULT))
    placed, _ = layout(game, spe_plan(solve(game)), "compact")
    lotteries = [p for p in placed if p.kind == "lottery"]
    assert lotteries and not [p for p in placed if p.kind == "chance"]
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
    assert plan_path(game, plan)[:2] == ("chance: Russia resolute", "deploy")


def test_agents_with_the_games_beliefs_play_the_qre_at_their_lambda():
    """Knowing every type, logit agents with one lambda play the game's agent QRE (logit backward
    induction) at that lambda: the simulator and the game solver agree, node by node."""
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        if {scenario.actor(a).rule for a in ACTORS} != {"logit"}:
            continue
        lam = {scenario.actor(a).rationality for a in ACTORS}
        assert len(lam) == 1
        types = tuple(modal_types(scenario).values())
        game = crisis_game(scenario)
        plan = spe_plan(solve(game))
        agents = agents_round_one(scenario, types, private=False)
        qre = logit_qre(game, lam.pop(), method="backward").behaviour()
        for panel in panels(game, plan, types):
            known = agents.at(agents.with_game_beliefs, ACTORS[panel.player], panel.resolute, panel.before)
            assert known == pytest.approx(qre[(panel.player, panel.key)], abs=1e-9), (name, panel.key)


def test_force_collapse_probability_matches_a_monte_carlo_of_the_first_round():
    scenario = load_scenario("divided_coalition")
    exact = collapse_probability(*_model_and_policies(scenario))
    model = CrisisModel(scenario, n_worlds=40_000, seed=5)
    model.step()
    sampled = model.force_collapsed.mean()
    assert 0.05 < exact < 0.5
    assert sampled == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / model.n_worlds))


def test_the_reason_names_doctrines_and_beliefs():
    scenario = load_scenario("classroom_chicken")
    types = (False, True, False)  # Russia resolute: the coalition should back down but believes Russia is not
    game = crisis_game(scenario, dict(zip(ACTORS, types)))
    plan = spe_plan(solve(game))
    agents = agents_round_one(scenario, types, private=False)
    comparisons = compare(game, plan, agents, types)
    assert [c.equilibrium for c in comparisons] == ["back_down"]
    assert comparisons[0].played[BACK_DOWN] == 0.0 and comparisons[0].with_game_beliefs[BACK_DOWN] == 1.0
    text = disagreement(comparisons, agents, plan, types)
    assert "puts the chance that Russia is resolute at 0%" in text and "knowing every type" in text


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
