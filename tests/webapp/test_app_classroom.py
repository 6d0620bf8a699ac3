"""The Classroom page: one crisis stepped round by round, two side by side, presenter mode.

The page is driven headless with streamlit's AppTest; what it shows is compared with the same world
played directly (``traced_run`` with the same scenario and seed). The pure helpers (``narration``: the words;
``figures``: belief path and charts; ``controls``: rounds and seeds) are tested on their own.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
from apptest import chart, new_app, rendered, shown
from streamlit.testing.v1 import AppTest

import sim
from sim.domain.ladder import ACTORS, OUTCOMES, RUNGS
from sim.domain.scenario import load_scenario, with_overrides
from sim.engine.model import TraceEntry
from sim.runs.trace import tell_story, trace_run, worth
from sim.webapp.pages import classroom
from sim.webapp.pages.classroom import controls, figures, narration
from sim.webapp.style import OKABE_ITO, OUTCOME_COLOURS, words

DEFAULT = "coalition_2026"
SMALL_RUNS = "2000"
SEARCHED = 200
SEED = controls.DEFAULT_CLASS_SEED
"""The page's default class seed: a crisis that lasts four rounds."""
"""Stories with a given ending are looked up among the first seeds of coalition_2026 (they are common)."""


def ends_in_collapse(model) -> bool:
    """Members leave and the force collapses before anyone moves in the last round."""
    return not model.trace[-1].decisions


def ends_in_concession(model) -> bool:
    """Russia strikes and the coalition concedes, so the US never moves in the last round."""
    return [(d["actor"], d["action"]) for d in model.trace[-1].decisions][1:] == [
        ("russia", "deploy"),
        ("coalition", "concede"),
    ]


def ends_in_a_fight(model) -> bool:
    """Russia strikes in a later round, the coalition resists and the US answers."""
    answers = [(d["actor"], d["stage"]) for d in model.trace[-1].decisions if d["stage"] == "after a strike"]
    return len(model.trace) > 1 and answers == [("coalition", "after a strike"), ("us", "after a strike")]


@functools.cache
def seed_where(story) -> int:
    """The first class seed of coalition_2026 whose crisis tells this story (found once per test run)."""
    seed = next((seed for seed in range(SEARCHED) if story(model_for(seed))), None)
    assert seed is not None, f"no seed below {SEARCHED} {story.__doc__}"
    return seed


# ---------------------------------------------------------------------------------------------
# Helpers


def opened(**query: str) -> AppTest:
    """The Classroom page opened from a link (small Monte Carlo runs keep the tests fast)."""
    return rendered(new_app({"page": "classroom", "runs": SMALL_RUNS, **query}))


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return rendered(at)


def chart_keys(at: AppTest) -> list[str]:
    return [element.key for element in at.get("plotly_chart")]


def text(at: AppTest) -> str:
    """Everything written on the main page (markdown, headings, captions), as the reader sees it: the
    scenario's words are user text, escaped in the Markdown source (``style.plain``)."""
    parts = [m.value for m in at.main.markdown] + [h.value for h in at.main.subheader]
    return shown("\n".join(parts + [c.value for c in at.main.caption]))


def model_for(seed: int, scenario: str = DEFAULT, **edits: float):
    base = load_scenario(scenario)
    return trace_run(with_overrides(base, edits) if edits else base, seed)


def shown_round(at: AppTest) -> int:
    return at.slider(key="class_round").value


def assert_shows_round(at: AppTest, seed: int, number: int, scenario: str = DEFAULT) -> None:
    """The page shows round ``number`` of the world played with ``seed``: beliefs, utilities, choices."""
    model = model_for(seed, scenario)
    entry = model.trace[number - 1]
    assert shown_round(at) == number
    page = text(at)
    assert f"Round {number}: the crisis stands at {entry.start_rung.replace('_', ' ')}" in page
    bars = {trace["name"]: trace for trace in chart(at, "class_utility_main")["data"]}
    for decision in entry.decisions:
        key = decision["actor"]
        bar = bars[figures.row_name(key, decision)]
        actions = list(decision["utility"])
        ends = [start + length for start, length in zip(bar["base"], bar["x"])]  # bars from the worst move
        assert ends == pytest.approx([decision["utility"][a] for a in actions])
        assert [row[3] for row in bar["customdata"]] == pytest.approx([decision["utility"][a] for a in actions])
        assert [row[2] for row in bar["customdata"]] == pytest.approx([decision["later"][a] for a in actions])
        chosen = [label for label in bar["y"] if "✔" in label]
        assert chosen == [f"<b>✔ {narration.action_label(key, decision['action'])}</b>"]
        for action in actions:
            assert narration.share(decision["probability"][action]) in " ".join(bar["text"])
        last = [d for d in entry.decisions if d["actor"] == key][-1]
        assert f"{entry.beliefs[key]:.0%} → {last['belief_after']:.0%}" in page
        assert narration.choice_words(key, decision["action"]) in page
        assert narration.why_line(key, decision) in page


# ---------------------------------------------------------------------------------------------
# Stepping through one crisis


def test_opens_before_the_first_move_with_the_private_types():
    at = opened()
    model = model_for(SEED)

    assert at.title[0].value.startswith("🎓 Classroom")
    assert shown_round(at) == 0
    assert at.number_input(key="class_seed").value == SEED
    page = text(at)
    assert "Before the first move" in page
    for actor in model.actors.values():
        kind = "resolute" if actor.resolute[0] else "not resolute"
        assert f"#### {actor.label}\n\nPrivate type: **{kind}**" in page
        assert f"Public belief that it is resolute: **{actor.config.initial_belief:.0%}**" in page
    assert at.button(key="class_back").disabled
    assert not at.button(key="class_next").disabled
    # No tooltip on the stepping buttons: after a click it would stay over the round (the keys are on them).
    assert not at.button(key="class_next").help and not at.button(key="class_back").help
    assert model.scenario.title in page  # on the status line, under the buttons
    ladder = chart(at, "class_ladder_main")["data"][0]
    assert ladder["text"][RUNGS.index(model.scenario.start_rung)] == "◀ now"
    assert "class_odds_main" not in chart_keys(at)  # the odds are kept for the end: no spoiler
    assert not at.error


def test_next_round_advances_and_shows_that_rounds_beliefs_utilities_and_choices():
    at = opened()
    click(at, "class_next")
    assert_shows_round(at, SEED, 1)
    assert at.query_params["class_round"] == "1"

    click(at, "class_next")
    assert_shows_round(at, SEED, 2)
    beliefs = chart(at, "class_beliefs_main")["data"]
    expected = figures.belief_path(model_for(SEED).trace, 2)
    for trace, key in zip(beliefs, ACTORS, strict=True):
        assert trace["x"] == [0, 1, 2]
        assert trace["y"] == pytest.approx(expected[key].tolist())


def test_back_and_replay_go_back_and_the_same_seed_replays_the_same_crisis():
    at = opened()
    for _ in range(3):
        click(at, "class_next")
    click(at, "class_back")
    assert_shows_round(at, SEED, 2)

    click(at, "class_replay")
    assert shown_round(at) == 0
    assert "Before the first move" in text(at)
    assert "class_round" not in at.query_params  # the default is left out of the link
    click(at, "class_next")
    assert_shows_round(at, SEED, 1)


def test_new_seed_changes_the_seed_and_the_story(monkeypatch: pytest.MonkeyPatch):
    draws = iter([SEED, 4321])  # the first draw equals the seed in use, so it must be drawn again
    monkeypatch.setattr(controls.secrets, "randbelow", lambda bound: next(draws))
    at = opened(class_round="2")
    old_story = tell_story(model_for(SEED))

    click(at, "class_new_seed")
    assert at.number_input(key="class_seed").value == 4321
    assert shown_round(at) == 0
    assert at.query_params["class_seed"] == "4321"
    assert "class seed **4321**" in text(at)
    new_story = tell_story(model_for(4321))
    assert new_story != old_story
    assert new_story[1] in text(at)  # the private types of the new world, as the story tells them
    click(at, "class_next")
    assert_shows_round(at, 4321, 1)


def test_typing_a_seed_starts_that_world_from_the_beginning():
    at = opened(class_round="3")
    at.number_input(key="class_seed").set_value(11)
    rendered(at)
    assert shown_round(at) == 0
    click(at, "class_next")
    assert_shows_round(at, 11, 1)


@pytest.mark.parametrize("seed", [0, SEED, ends_in_collapse])
def test_the_last_round_shows_the_models_outcome_and_payoffs(seed):
    seed = seed if isinstance(seed, int) else seed_where(seed)
    model = model_for(seed)
    at = opened(class_seed=str(seed))
    click(at, "class_end")

    last = model.rounds_played[0]
    assert shown_round(at) == len(model.trace) == last
    outcome = OUTCOMES[model.outcome[0]]
    assert model.trace[-1].outcome == outcome
    title = words(outcome)
    rounds = f"{last} round" if last == 1 else f"{last} rounds"
    assert f"The crisis is over after {rounds}: {title}" in [h.value for h in at.subheader]
    assert [m.value for m in at.metric] == [f"{actor.payoff[0]:+.2f}" for actor in model.actors.values()]
    assert at.button(key="class_next").disabled
    ladder = chart(at, "class_ladder_main")["data"][0]
    assert ladder["text"][RUNGS.index(model.trace[-1].end_rung)] == "◀ ended here"
    odds = chart(at, "class_odds_main")["data"][0]
    assert [label for label in odds["y"] if "◀ this story" in label] == [f"{title} ◀ this story"]


def test_a_round_where_the_force_collapses_is_told_in_words():
    collapse_seed = seed_where(ends_in_collapse)
    model = model_for(collapse_seed)
    entry = model.trace[-1]
    assert not entry.decisions and entry.members_left
    at = opened(class_seed=str(collapse_seed), class_round=str(entry.round))
    page = text(at)
    assert ", ".join(entry.members_left) in page
    assert "the force collapses before anyone moves" in page
    assert page.count("**Did not move**") == 3
    assert "class_utility_main" not in chart_keys(at)  # nothing to compare when nobody moved


def test_an_actor_that_did_not_move_is_said_so():
    seed = seed_where(ends_in_concession)
    entry = model_for(seed).trace[-1]
    at = opened(class_seed=str(seed), class_round=str(entry.round))
    assert_shows_round(at, seed, entry.round)
    assert text(at).count("**Did not move**") == 1
    names = [trace["name"] for trace in chart(at, "class_utility_main")["data"]]
    assert names == ["coalition", "russia", "coalition, after the strike"]
    assert "After the strike: **Concedes**: withdraw the force rather than fight." in text(at)


def test_a_strike_round_shows_the_answers_after_the_strike():
    seed = seed_where(ends_in_a_fight)
    entry = model_for(seed).trace[-1]
    at = opened(class_seed=str(seed), class_round=str(entry.round))
    assert_shows_round(at, seed, entry.round)
    figure = chart(at, "class_utility_main")
    assert [trace["name"] for trace in figure["data"]] == [
        "coalition",
        "russia",
        "coalition, after the strike",
        "us, after the strike",
    ]
    assert "Did not move" not in text(at)
    table = next(d.value for d in at.dataframe if "rest of the crisis" in d.value.columns)
    assert table["when"].tolist().count("after the strike") == 4  # resist, concede; join, stay out
    assert table["expected utility"].tolist() == pytest.approx(
        (table["this round"] + table["rest of the crisis"]).tolist(), abs=2e-4
    )


def test_the_sidebars_changes_apply_to_the_story():
    at = opened(**{"russia.resolve_prior": "1", "class_round": "1"})
    assert "#### Russia\n\nPrivate type: **resolute**" in text(at)
    model = model_for(SEED, **{"russia.resolve_prior": 1.0})
    bars = {trace["name"]: trace for trace in chart(at, "class_utility_main")["data"]}
    russia = next(d for d in model.trace[0].decisions if d["actor"] == "russia")
    ends = [start + length for start, length in zip(bars["russia"]["base"], bars["russia"]["x"])]
    assert ends == pytest.approx(list(russia["utility"].values()))


# ---------------------------------------------------------------------------------------------
# Links


def test_a_link_reopens_the_same_round_of_the_same_world():
    seed = seed_where(ends_in_a_fight)  # a crisis of more than one round
    number = len(model_for(seed).trace)
    at = opened(class_seed=str(seed), class_round=str(number))
    assert at.number_input(key="class_seed").value == seed
    assert_shows_round(at, seed, number)
    assert at.query_params["class_seed"] == str(seed)
    assert at.query_params["class_round"] == str(number)


def test_a_round_past_the_horizon_shows_the_last_round_and_a_bad_round_is_refused():
    model = model_for(SEED)
    at = opened(class_round="500")
    assert shown_round(at) == len(model.trace)
    assert any("past this scenario's horizon" in info.value for info in at.info)
    assert at.query_params["class_round"] == str(len(model.trace))

    at = opened(class_round="-2")
    assert shown_round(at) == 0
    assert any("class_round=-2" in warning.value for warning in at.sidebar.warning)


# ---------------------------------------------------------------------------------------------
# Presenter mode


def test_presenter_mode_is_read_from_the_link_and_enlarges_the_charts():
    at = opened(presenter="1", class_round="3")
    assert at.toggle(key="presenter").value is True
    assert_shows_round(at, SEED, 3)
    for key in ("class_ladder_main", "class_utility_main", "class_beliefs_main"):
        assert chart(at, key)["layout"]["font"]["size"] == 24
    # The secondary detail is hidden on the projector; only the folded settings remain.
    assert [e.label for e in at.expander] == ["Round shown, class seed, presenter mode, two scenarios side by side"]
    assert any("font-size: 1.45rem" in m.value for m in at.markdown)  # style.presenter_css, on every page

    normal = opened(class_round="3")
    assert chart(normal, "class_utility_main")["layout"]["font"]["size"] == 17
    assert chart(normal, "class_utility_main")["layout"]["height"] < chart(at, "class_utility_main")["layout"]["height"]
    assert normal.expander


def test_the_presenter_toggle_turns_it_on_and_into_the_link():
    at = opened(class_round="1")
    at.toggle(key="presenter").set_value(True)
    rendered(at)
    assert at.query_params["presenter"] == "1"
    assert chart(at, "class_utility_main")["layout"]["font"]["size"] == 24
    assert shown_round(at) == 1


# ---------------------------------------------------------------------------------------------
# Side by side


def test_side_by_side_shows_both_scenarios_with_their_odds():
    at = opened(class_round="2")
    at.toggle(key="class_side_by_side").set_value(True)
    rendered(at)
    left, right = load_scenario(DEFAULT), load_scenario(controls.COMPARE_DEFAULT)
    titles = [h.value for h in at.subheader]
    assert left.title in titles and right.title in titles
    assert {"class_odds_main", "class_odds_right", "class_ladder_main", "class_ladder_right"} <= set(chart_keys(at))
    odds = [chart(at, key) for key in ("class_odds_main", "class_odds_right")]
    assert odds[0]["layout"]["xaxis"]["range"] == odds[1]["layout"]["xaxis"]["range"]  # one scale for both
    for figure, scenario in zip(odds, (left, right), strict=True):  # the sidebar's runs and seed
        expected = sim.run_monte_carlo(scenario, runs=int(SMALL_RUNS), seed=7).probabilities()
        assert figure["data"][0]["x"] == pytest.approx([expected[o] for o in OUTCOMES])
    page = text(at)
    for model in (model_for(SEED), model_for(SEED, controls.COMPARE_DEFAULT)):
        for decision in model.trace[1].decisions:
            assert (
                f"{model.actors[decision['actor']].label}** ({'resolute' if decision['resolute'] else 'not resolute'})"
                in page
            )
    assert at.query_params["class_side_by_side"] == "1"


def test_side_by_side_from_a_link_with_another_comparison_and_the_shorter_crisis_at_its_end():
    # The first class seed whose Korea crisis lasts longer than its 2026 one.
    seed = next(s for s in range(SEARCHED) if len(model_for(s, "korea_1953_tripwire").trace) > len(model_for(s).trace))
    model = model_for(seed)
    at = opened(class_side_by_side="1", class_compare="korea_1953_tripwire", class_seed=str(seed),
                class_round=str(len(model.trace) + 2))  # fmt: skip
    korea = load_scenario("korea_1953_tripwire")
    assert at.selectbox(key="class_compare").value == "korea_1953_tripwire"
    assert korea.title in [h.value for h in at.subheader]
    page = text(at)
    assert f"This crisis ended in round {len(model.trace)}" in page
    outcome = words(OUTCOMES[model.outcome[0]])
    played = model.rounds_played[0]
    assert f"Over after {played} round{'s' if played != 1 else ''}: {outcome}." in page
    odds = chart(at, "class_odds_main")["data"][0]
    assert f"{outcome} ◀ this story" in odds["y"]


# ---------------------------------------------------------------------------------------------
# Pure helpers


def test_settings_are_the_classroom_ones_and_presenter_is_the_shared_key():
    keys = [setting.key for setting in classroom.SETTINGS]
    assert "presenter" in keys
    assert all(key.startswith("class_") for key in keys if key != "presenter")
    by_key = {setting.key: setting for setting in classroom.SETTINGS}
    assert by_key["class_round"].parse("3") == 3
    assert by_key["class_round"].parse("-1") is None
    assert by_key["class_compare"].parse("korea_1953_tripwire") == "korea_1953_tripwire"
    assert by_key["class_compare"].parse("nowhere") is None
    assert by_key["presenter"].parse("1") is True


def test_clamp_round_and_fresh_seed(monkeypatch: pytest.MonkeyPatch):
    assert controls.clamp_round(-3, 5) == 0
    assert controls.clamp_round(9, 5) == 5
    assert controls.clamp_round(2, 5) == 2
    draws = iter([5, 5, 9])
    monkeypatch.setattr(controls.secrets, "randbelow", lambda bound: next(draws))
    assert controls.fresh_seed(5) == 9
    monkeypatch.undo()
    assert all(0 <= controls.fresh_seed(3) < controls.SEED_RANGE for _ in range(50))


def test_belief_path_agrees_with_the_next_rounds_beliefs():
    model = model_for(0)
    path = figures.belief_path(model.trace, len(model.trace))
    assert len(path) == len(model.trace) + 1
    for number, entry in enumerate(model.trace):
        assert path.loc[number].to_dict() == pytest.approx(entry.beliefs)


def test_why_line_speaks_of_now_and_later_from_the_decision_alone():
    decision = {
        "actor": "us",
        "stage": "move",
        "action": "threaten",
        "utility": {"deploy": 3.91, "threaten": 4.39, "back_down": 3.44},
        "later": {"deploy": 3.6, "threaten": 4.0, "back_down": 4.0},
        "probability": {"deploy": 0.28, "threaten": 0.58, "back_down": 0.14},
        "rule": "logit quantal response, lambda = 1.5",
    }
    assert narration.why_line("us", decision) == (
        "Threatening pays best: it is worth +0.39 this round and +4.00 for the rest of the crisis (+4.39 in all), "
        "against +3.91 for deploying. With its rule (logit quantal response, lambda = 1.5) it threatens 58% of "
        "the time."
    )
    surprise = {**decision, "action": "deploy"}
    assert narration.why_line("us", surprise).endswith(
        "But with its rule (logit quantal response, lambda = 1.5) it still deploys 28% of the time, and this "
        "time it did."
    )
    russia = {**surprise, "actor": "russia", "probability": {"deploy": 0.004, "threaten": 0.99, "back_down": 0.006}}
    assert "it still uses force <1% of the time" in narration.why_line("russia", russia)
    later_decides = {**decision, "later": {"deploy": 1.0, "threaten": 4.0, "back_down": 4.0}}
    assert "This round alone, deploying would pay more: what comes later decides." in (
        narration.why_line("us", later_decides)
    )
    tie = {**decision, "utility": {"deploy": 4.39, "threaten": 4.39, "back_down": 3.44},
           "probability": {"deploy": 0.5, "threaten": 0.5, "back_down": 0.0}, "rule": "best response"}  # fmt: skip
    assert "The best moves tie, so it picks each about 50% of the time." in narration.why_line("us", tie)
    doctrine = {**decision, "rule": "doctrine: open with threaten"}
    assert narration.why_line("us", doctrine) == (
        "It follows a fixed doctrine (doctrine: open with threaten), whatever the payoffs, so it threatens; by "
        "its own numbers threatening is worth +0.39 this round and +4.00 for the rest of the crisis (+4.39 in all)."
    )
    answer = {
        "actor": "coalition",
        "stage": "after a strike",
        "action": "resist",
        "utility": {"resist": 0.75, "concede": -6.4},
        "later": {"resist": 0.0, "concede": 0.0},
        "probability": {"resist": 0.999, "concede": 0.001},
        "rule": "logit quantal response, lambda = 1.5",
    }
    assert narration.why_line("coalition", answer) == (
        "Resisting pays best: it is worth +0.75, against -6.40 for conceding. With its rule (logit quantal "
        "response, lambda = 1.5) it resists >99% of the time."
    )


def test_the_why_line_uses_the_words_of_sim_trace():
    model = model_for(seed_where(ends_in_a_fight))
    story = tell_story(model)
    for entry in model.trace:
        for decision in entry.decisions:
            for action in decision["utility"]:
                said = worth(decision, action)
                assert f"    {said[0].upper()}{said[1:]}." in story
            best = max(decision["utility"], key=lambda a: decision["utility"][a])
            assert f"pays best: {worth(decision, best, 'it')}, against " in narration.why_line(
                decision["actor"], decision
            )


def test_plain_words():
    assert narration.share(0.004) == "<1%"
    assert narration.share(0.999) == ">99%"
    assert narration.share(1.0) == "100%"
    assert narration.share(0.0) == "0%"
    assert narration.share(0.284) == "28%"
    assert narration.choice_words("russia", "deploy") == (
        "**Uses force**: use force (against the deployed troops if they are there)."
    )
    assert narration.choice_words("coalition", "back_down") == "**Backs down**: abandon the force."
    assert narration.choice_words("us", "stay_out") == "**Stays out**: stay out of the fighting."
    assert narration.action_label("russia", "deploy") == "Use force"
    assert narration.action_label("us", "back_down") == "Back down"
    assert narration.action_label("coalition", "resist") == "Resist"


def test_story_so_far_stops_before_the_next_round():
    model = model_for(SEED)
    story = tell_story(model)
    assert narration.story_so_far(model, 0) == story[:2]
    two = narration.story_so_far(model, 2)
    assert any(line.startswith("Round 2:") for line in two)
    assert not any(line.startswith(("Round 3:", "Outcome")) for line in two)
    assert narration.story_so_far(model, len(model.trace)) == story


def test_ladder_figure_marks_now_start_and_ending_in_words():
    figure = figures.ladder_figure("standoff", "incident", None).to_plotly_json()
    bars = figure["data"][0]
    assert list(bars["y"]) == [words(rung) for rung in RUNGS]
    assert bars["text"][RUNGS.index("incident")] == "◀ now"
    assert bars["text"][RUNGS.index("standoff")] == "start of round"
    assert bars["marker"]["color"][RUNGS.index("incident")] == OKABE_ITO["yellow"]
    ended = figures.ladder_figure("standoff", "major_war", "major_war").to_plotly_json()["data"][0]
    assert ended["text"][RUNGS.index("major_war")] == "◀ ended here"
    assert ended["marker"]["color"][RUNGS.index("major_war")] == OUTCOME_COLOURS["major_war"]
    assert figures._text_colour(OKABE_ITO["blue"]) == "#FFFFFF"
    assert figures._text_colour(OKABE_ITO["yellow"]) == "#000000"


def test_odds_figure_marks_the_story_only_once_it_is_over():
    scenario = load_scenario(DEFAULT)
    mc = sim.run_monte_carlo(scenario, runs=500, seed=3)
    open_figure = figures.odds_figure(mc, None).to_plotly_json()["data"][0]
    assert not any("◀" in label for label in open_figure["y"])
    assert list(open_figure["x"]) == pytest.approx([mc.probabilities()[o] for o in OUTCOMES])
    done = figures.odds_figure(mc, "major_war", scale=1.0).to_plotly_json()
    assert done["data"][0]["y"][-1] == "Major war ◀ this story"
    assert done["layout"]["xaxis"]["range"][1] == pytest.approx(1.27)


def test_utility_figure_has_one_row_per_decision_and_notes_who_did_not_move():
    model = trace_run(with_overrides(load_scenario("classroom_chicken"), {"russia.resolve_prior": 1.0}), 1)
    entry = model.trace[0]
    figure = figures.utility_figure(model, entry).to_plotly_json()
    movers = {d["actor"] for d in entry.decisions}
    assert [trace["name"] for trace in figure["data"]] == [figures.row_name(d["actor"], d) for d in entry.decisions]
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert notes.count("did not move: the crisis ended before its turn") == len(set(ACTORS) - movers)
    first = entry.decisions[0]
    worth = np.array(list(first["utility"].values()))
    bars = figure["data"][0]
    assert np.allclose(np.array(bars["base"]) + np.array(bars["x"]), worth)  # each bar ends at the move's worth
    assert np.argmax(bars["x"]) == np.argmax(worth) and min(bars["x"]) > 0  # from below the worst move
    ranges = {tuple(axis["range"]) for name, axis in figure["layout"].items() if name.startswith("xaxis")}
    assert len(ranges) == 1  # one shared axis: the same utils at the same place in every row
    strike = model_for(seed_where(ends_in_a_fight)).trace[-1]
    rows = figures.utility_rows(strike)
    assert [(key, d["stage"]) for key, d in rows] == [
        ("coalition", "move"),
        ("russia", "move"),
        ("coalition", "after a strike"),
        ("us", "after a strike"),
    ]


def test_happened_lines_tell_who_used_force_and_when_nobody_chose_it():
    struck = model_for(seed_where(ends_in_a_fight))
    entry = struck.trace[-1]
    result = "it became a major war" if entry.end_rung == "major_war" else "it stayed limited"
    lines = narration.happened_lines(struck, entry)
    assert (
        f"⚔ **Russia used force.** The chance that the clash would become a major war was "
        f"{narration.share(entry.escalation)}; {result}." in lines
    )
    assert lines[0].startswith("The moves: **Coalition ") and "Russia uses force → Coalition resists" in lines[0]
    # A second accident in a row (rare in coalition_2026): the round as the engine records it, nobody striking.
    threats = [{**d, "action": "threaten"} for d in struck.trace[0].decisions if d["stage"] == "move"]
    second = TraceEntry(round=6, start_rung="incident", beliefs=dict(struck.trace[0].beliefs), decisions=threats,
                        accident=True, escalation=0.1, end_rung="major_war", outcome="major_war")  # fmt: skip
    lines = narration.happened_lines(struck, second)
    assert any(line.startswith("💥 **An unintended incident happened**") for line in lines)
    nobody = "⚔ **A second incident in a row became a clash that nobody chose.**"
    assert f"{nobody} The chance that the clash would become a major war was 10%; it became a major war." in lines
    spiral = TraceEntry(round=20, start_rung="incident", beliefs=dict(struck.trace[-1].beliefs),
                        end_rung="limited_war", outcome="limited_clash")  # fmt: skip
    assert "⚔ **At the horizon the open incident spiralled into a clash that nobody chose.**" in (
        narration.happened_lines(struck, spiral)
    )


@pytest.mark.parametrize(("rounds", "seed"), [(3, 1), (20, 0)])  # seed 0: all 20 rounds played
def test_the_belief_chart_numbers_only_the_rounds_that_exist(rounds, seed):
    """The x axis leaves room for the end labels but ticks only rounds 0..the last one shown."""
    model = trace_run(load_scenario("coalition_2026", {"rounds": rounds}), seed=seed)
    shown = len(model.trace)
    figure = figures.belief_figure(model, shown)
    ticks = list(figure.layout.xaxis.tickvals)
    assert ticks[0] == 0 and max(ticks) == shown and len(ticks) <= 13
    assert figure.layout.xaxis.range[1] > shown  # the labels still fit


def test_the_belief_charts_end_labels_keep_apart_when_beliefs_end_close():
    """Beliefs ending at 0.21 and 0.19 (class seed 69) get labels a line apart, inside the chart."""
    heights = figures.label_heights({"coalition": 0.47, "russia": 0.21, "us": 0.19}, gap=0.085)
    assert heights["russia"] - heights["us"] >= 0.085 - 1e-12 and heights["us"] == 0.19
    assert heights["coalition"] == 0.47
    top = figures.label_heights({"coalition": 1.0, "russia": 0.99, "us": 0.98}, gap=0.085)
    assert max(top.values()) <= 1.0 and sorted(top.values()) == pytest.approx([1.0 - 0.17, 1.0 - 0.085, 1.0])
    model = model_for(SEED)
    figure = figures.belief_figure(model, len(model.trace))
    labels = sorted(annotation.y for annotation in figure.layout.annotations)
    assert len(labels) == 3 and min(b - a for a, b in itertools.pairwise(labels)) >= figures.LABEL_GAP - 1e-12
