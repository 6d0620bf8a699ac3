"""Scenario files: every built-in validates, defaults fill in, overrides and extends work."""

from __future__ import annotations

import pytest

from sim.domain.scenario import (
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    parse_assignment,
    with_overrides,
)
from sim.domain.schema import DEFAULT_PAYOFFS

BUILT_INS = ["coalition_2026", "korea_1953_tripwire", "us_backstop", "divided_coalition", "classroom_chicken"]


def test_every_required_built_in_ships():
    assert set(BUILT_INS) <= set(builtin_scenarios())


@pytest.mark.parametrize("name", BUILT_INS)
def test_built_ins_validate_and_say_where_numbers_come_from(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.title
    text = builtin_scenarios()[name].read_text()
    assert "assumption" in text.lower(), "each scenario must say its numbers are assumptions"


def test_missing_payoffs_take_each_actors_documented_default(bare):
    for actor, defaults in DEFAULT_PAYOFFS.items():
        assert bare.actor(actor).payoffs.model_dump() == pytest.approx(defaults)


def test_overrides_by_dotted_path_keyword_and_list_index(coalition):
    changed = with_overrides(
        coalition, {"russia.lambda": 3, "us__resolve_prior": 0.9, "coalition.members.0.troops": 2.5}
    )
    assert changed.russia.rationality == 3
    assert changed.us.resolve_prior == 0.9
    assert changed.coalition.members[0].troops == 2.5
    assert coalition.russia.rationality == 1.5, "the original is left alone"


def test_overrides_of_a_validated_scenario_agree_with_overrides_of_its_file_and_check_depth(coalition):
    """with_overrides sets the paths in the scenario's own dump (no copy, no ``extends``): the same
    scenario as the file route, and a value nested too deep is still refused, by its path."""
    from sim.domain.limits import MAX_NESTING
    from sim.domain.scenario import scenario_from_dict

    overrides = {"russia.lambda": 3, "coalition.members.1.troops": 1.5, "start_rung": "incident"}
    by_dump = with_overrides(coalition, overrides)
    by_file = scenario_from_dict(coalition.model_dump(mode="json", by_alias=True), "coalition", overrides)
    assert by_dump == by_file and by_dump.sha256() == by_file.sha256()
    deep: list = []
    for _ in range(MAX_NESTING + 2):
        deep = [deep]
    with pytest.raises(ScenarioError, match=r"russia\.name.*nested more than"):
        with_overrides(coalition, {"russia.name": deep})


def test_hash_follows_content_not_formatting(tmp_path, coalition):
    copy = tmp_path / "copy.toml"
    copy.write_text("# a comment that changes nothing\n" + (builtin_scenarios()["coalition_2026"]).read_text())
    assert load_scenario(copy).model_dump(exclude={"name"}) == coalition.model_dump(exclude={"name"})
    assert with_overrides(coalition, {"rounds": 5}).sha256() != coalition.sha256()


def test_extends_merges_tables_and_replaces_lists():
    base, child = load_scenario("coalition_2026"), load_scenario("divided_coalition")
    assert child.russia == base.russia, "untouched tables come from the base"
    assert child.coalition.resolve_prior == 0.25 and child.coalition.deploy_cost == base.coalition.deploy_cost
    assert next(m.name for m in child.coalition.members) == "Lead nation A", "member lists replace the base's"


def test_assignment_values_are_read_as_toml():
    assert parse_assignment("russia.lambda=2.5") == ("russia.lambda", 2.5)
    assert parse_assignment('russia.rule="best_response"') == ("russia.rule", "best_response")
    assert parse_assignment("russia.rule=best_response") == ("russia.rule", "best_response")


def write(tmp_path, text: str, name: str = "bad.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


BAD_FILES = {
    "not TOML": ("rounds = = 3", "", "not valid TOML"),
    "unknown field": ("[russia]\nresolv_prior = 0.3", "russia.resolv_prior", "unknown field"),
    "probability above one": ("[russia]\nresolve_prior = 1.5", "russia.resolve_prior", "less than or equal to 1"),
    "NaN payoff": ("[russia.payoffs]\nmajor_war = nan", "russia.payoffs.major_war", "finite"),
    "negative rounds": ("rounds = -3", "rounds", "greater than or equal to 1"),
    "unknown rung": ('start_rung = "nowhere"', "start_rung", "Input should be"),
    "doctrine without script": ('[us]\nrule = "doctrine"', "us", "doctrine"),
    "bad doctrine move": ('[us]\nrule = "doctrine"\n[us.doctrine]\nopening = "surrender"', "us.doctrine.opening", ""),
    "threshold too high": (
        '[coalition]\nmin_troops = 50\n[[coalition.members]]\nname = "A"\ntroops = 5',
        "coalition",
        "min_troops",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_name_the_file_the_field_and_the_problem(tmp_path, case):
    text, field, words = BAD_FILES[case]
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    assert field in message
    assert words in message


def test_toml_errors_give_the_line(tmp_path):
    path = write(tmp_path, 'title = "ok"\nrounds = 3\nrounds = 4\n')
    with pytest.raises(ScenarioError, match="line 3"):
        load_scenario(path)


def test_bad_override_is_flagged_as_coming_from_set(coalition):
    with pytest.raises(ScenarioError, match=r"russia\.resolve_prior.*\[overridden\]"):
        with_overrides(coalition, {"russia.resolve_prior": 2})


def test_unknown_scenario_lists_the_built_ins():
    with pytest.raises(ScenarioError, match="coalition_2026"):
        load_scenario("no_such_scenario")


def test_extends_cycle_is_an_error(tmp_path):
    write(tmp_path, 'extends = "b.toml"', "a.toml")
    write(tmp_path, 'extends = "a.toml"', "b.toml")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_lambda_is_the_one_name_for_rationality(tmp_path):
    path = write(tmp_path, "[russia]\nrationality = 2\n")
    with pytest.raises(ScenarioError, match=r"russia\.rationality: unknown field"):
        load_scenario(path)
    assert load_scenario(write(tmp_path, "[russia]\nlambda = 2\n", "ok.toml")).russia.rationality == 2


def test_table_level_errors_are_short_and_marked_when_overridden(coalition):
    with pytest.raises(ScenarioError) as caught:
        with_overrides(coalition, {"coalition.min_troops": 99})
    message = str(caught.value)
    assert "min_troops = 99.0 is more than all members' troops" in message and "[overridden]" in message
    assert "payoffs" not in message, "the whole table is not dumped into the message"


def test_extends_works_from_a_dict_too():
    from sim.domain.scenario import scenario_from_dict

    scenario = scenario_from_dict({"extends": "coalition_2026", "name": "mine", "rounds": 3}, "upload.toml")
    assert scenario.rounds == 3 and scenario.russia == load_scenario("coalition_2026").russia


@pytest.mark.parametrize("text", ["", "\n", "# a comment and nothing else\n"])
def test_an_empty_scenario_file_is_refused_not_run_as_the_defaults(tmp_path, text):
    path = tmp_path / "empty.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match="the file is empty: a scenario states at least its title"):
        load_scenario(path)
