"""Every app link in the docs opens the view it describes: no exception, no part of the link refused.

Lesson plans and page docs hand instructors links such as ``/?page=classroom&class_seed=6``; a
renamed setting or a removed scenario would silently break a class, so each link is opened here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

import sim
from sim.domain.ladder import BACK_DOWN, DEPLOY, LIMITED_WAR
from sim.domain.scenario import load_scenario
from sim.engine.equilibrium import equilibrium_for

pytestmark = pytest.mark.slow  # every documented app link opened in the app: left out by `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "how-to" / "teaching.md", *sorted((ROOT / "docs" / "how-to" / "app").glob("*.md"))]
LINK = re.compile(r"(?:https?://[\w.:-]+)?/?\?(page=[^\s`)\"'>]+)")


def app_links() -> list[tuple[str, str]]:
    links = []
    for path in DOCS:
        for match in LINK.finditer(path.read_text(encoding="utf-8")):
            links.append((path.name, match.group(1)))
    return sorted(set(links))


def test_the_docs_hold_app_links():
    names = {name for name, _ in app_links()}
    assert "teaching.md" in names
    assert len(app_links()) >= 15


@pytest.mark.parametrize(("doc", "query"), app_links())
def test_a_documented_link_opens_cleanly(doc: str, query: str):
    params = dict(parse_qsl(urlsplit(f"?{query}").query, keep_blank_values=True))
    params.setdefault("runs", "2000")  # keep the suite quick; the settings are what is checked
    # Generous: a sweep link solves one game per point (seconds each, more on a busy machine).
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params.update(params)
    at.run()
    assert not at.exception, (doc, query, [e.value for e in at.exception])
    refused = [w.value for w in at.sidebar.warning if "link" in w.value] + [e.value for e in at.sidebar.error]
    assert not refused, (doc, query, refused)
    assert at.query_params["page"] == params["page"]
    for key, value in params.items():
        if key == "runs" or (key in at.query_params and at.query_params[key] == value):
            continue
        # Left out of the URL only when equal to the default: the session must hold the linked value.
        assert key in at.session_state, (doc, query, key)
        assert same(at.session_state[key], value), (doc, query, key, at.session_state[key])


def same(held: object, linked: str) -> bool:
    if isinstance(held, bool):
        return held == (linked.lower() in ("1", "true"))
    if isinstance(held, (int, float)):
        return float(held) == float(linked)
    return str(held) == linked


# The numbers the lesson plans quote (docs/how-to/teaching.md), from `sim run SCENARIO --runs 20000 --seed 7`.
# Grouped by scenario and overrides, so that each equilibrium is solved once (it is cached).
LESSON_NUMBERS = [
    ("coalition_2026", {}, "deterrence_holds", 13.0),
    ("coalition_2026", {}, "coalition_backs_down", 55.2),
    ("coalition_2026", {}, "russia_backs_down", 0.0),
    ("coalition_2026", {}, "limited_clash", 27.1),
    ("coalition_2026", {}, "major_war", 4.8),
    ("classroom_chicken", {"russia.resolve_prior": 1, "russia.believed_resolve": 0}, "limited_clash", 100.0),
    ("classroom_chicken", {"coalition.audience_cost": 0}, "coalition_backs_down", 100.0),
    ("coalition_2026", {"coalition.audience_cost": 6}, "coalition_backs_down", 5.9),
    ("coalition_2026", {"coalition.audience_cost": 6}, "deterrence_holds", 44.7),
    ("coalition_2026", {"coalition.audience_cost": 6}, "limited_clash", 41.2),
    ("coalition_2026", {"coalition.audience_cost": 6}, "major_war", 8.1),
    ("coalition_2026", {"coalition.audience_cost": 2.5}, "coalition_backs_down", 68.7),
    ("coalition_2026", {"coalition.audience_cost": 2.5}, "deterrence_holds", 8.0),
    ("coalition_2026", {"russia.audience_cost": 0}, "russia_backs_down", 1.3),
    ("coalition_2026", {"russia.audience_cost": 0}, "deterrence_holds", 10.2),
    ("korea_1953_tripwire", {}, "deterrence_holds", 70.7),
    ("korea_1953_tripwire", {}, "russia_backs_down", 15.8),
    ("coalition_2026", {"escalation.tripwire": 0}, "deterrence_holds", 20.8),
    ("coalition_2026", {"escalation.tripwire": 0}, "major_war", 3.4),
    ("korea_1953_tripwire", {"escalation.tripwire": 0}, "deterrence_holds", 61.5),
    ("korea_1953_tripwire", {"escalation.tripwire": 0.15}, "deterrence_holds", 71.1),
    ("korea_1953_tripwire", {"escalation.tripwire": 0.3}, "deterrence_holds", 71.2),
    ("coalition_2026", {"coalition.tripwire_cost": 8}, "deterrence_holds", 39.4),
    ("coalition_2026", {"coalition.tripwire_cost": 8}, "coalition_backs_down", 21.5),
    ("coalition_2026", {"coalition.tripwire_cost": 5}, "deterrence_holds", 11.5),
    ("korea_1953_tripwire", {"coalition.tripwire_cost": 0}, "deterrence_holds", 64.1),
    ("korea_1953_tripwire", {"coalition.tripwire_cost": 0, "escalation.tripwire": 0}, "deterrence_holds", 60.3),
    ("divided_coalition", {}, "coalition_backs_down", 95.9),
    ("divided_coalition", {"coalition.members.2.exit_cost": 3, "coalition.members.3.exit_cost": 3},
     "coalition_backs_down", 79.2),
    ("divided_coalition", {"coalition.min_troops": 10}, "coalition_backs_down", 82.3),
    ("divided_coalition", {"russia.resolve_prior": 0.2}, "coalition_backs_down", 95.7),
    ("coalition_2026", {"coalition.members.2.exit_cost": 0.2, "coalition.min_troops": 12},
     "coalition_backs_down", 99.9),
    ("coalition_2026", {"coalition.min_troops": 12}, "coalition_backs_down", 97.4),
    ("coalition_2026", {"coalition.members.2.exit_cost": 0.2}, "coalition_backs_down", 55.1),
    ("divided_coalition", {"coalition.members.2.exit_cost": 3, "coalition.members.3.exit_cost": 3,
                           "coalition.tripwire_cost": 10}, "coalition_backs_down", 17.2),
    ("us_backstop", {"us.resolve_prior": 0.2}, "deterrence_holds", 13.0),
]  # fmt: skip


def lesson_results(scenario: str, overrides: dict):
    keywords = {path.replace(".", "__"): value for path, value in overrides.items()}
    return sim.run_monte_carlo(scenario, runs=20_000, seed=7, **keywords)


@pytest.mark.parametrize(("scenario", "overrides", "outcome", "percent"), LESSON_NUMBERS)
def test_the_lesson_plans_quote_what_the_model_gives(scenario, overrides, outcome, percent):
    results = lesson_results(scenario, overrides)
    assert round(100 * results.probabilities()[outcome], 1) == percent
    assert f"{percent}%" in (ROOT / "docs" / "how-to" / "teaching.md").read_text(encoding="utf-8")


def test_most_coalition_retreats_in_coalition_2026_are_concessions_after_a_strike():
    """Lesson 1: 36.5% of all crises end with the coalition conceding a strike (not collapsing)."""
    results = lesson_results("coalition_2026", {})
    conceded = (results.outcome == 1) & (results.max_rung >= LIMITED_WAR) & ~results.force_collapsed
    assert round(100 * conceded.mean(), 1) == 36.5
    assert conceded.sum() > 0.6 * (results.outcome == 1).sum()


def test_lesson_collapses_and_force_used():
    """Lesson 1: at an audience cost of 2.5 the force collapses in 34.2% of crises; Lesson 3: in
    divided_coalition force is used in fewer than 4% of crises."""
    trapped = lesson_results("coalition_2026", {"coalition.audience_cost": 2.5})
    assert round(100 * trapped.force_collapsed.mean(), 1) == 34.2
    divided = lesson_results("divided_coalition", {})
    assert (divided.max_rung >= LIMITED_WAR).mean() < 0.04


# What the lessons say each actor does, from the solved crisis (round t at the scenario's public
# beliefs), in whole percent as quoted: (scenario, overrides, round, policy, index, percent).
# Policies (sim.engine.equilibrium.RoundSolution): coalition[type, action]; russia[c, type, action] with
# c = 0 facing troops, 1 facing words; resist[c, type, 0]; stay[member]; collapse. Type 0 is the
# type that is not resolute.
NR, RES = 0, 1
LESSON_MECHANISMS = [
    # Lesson 1: at 0.8 the coalition that is not resolute concedes a strike, and Russia strikes
    ("coalition_2026", {}, 1, "resist", (0, NR, 0), 0),
    ("coalition_2026", {}, 1, "russia", (0, NR, DEPLOY), 7),
    ("coalition_2026", {}, 1, "russia", (1, NR, DEPLOY), 21),
    ("coalition_2026", {}, 1, "coalition", (NR, BACK_DOWN), 17),
    ("coalition_2026", {}, 1, "coalition", (RES, BACK_DOWN), 0),
    # ... at 6 it resists, and a Russia that is not resolute never strikes
    ("coalition_2026", {"coalition.audience_cost": 6}, 1, "resist", (0, NR, 0), 86),
    ("coalition_2026", {"coalition.audience_cost": 6}, 1, "russia", (0, NR, DEPLOY), 0),
    ("coalition_2026", {"coalition.audience_cost": 6}, 1, "russia", (1, NR, DEPLOY), 0),
    # ... at 2.5 it concedes in round 1 but resists from round 3: Russia strikes early
    ("coalition_2026", {"coalition.audience_cost": 2.5}, 1, "resist", (1, NR, 0), 2),
    ("coalition_2026", {"coalition.audience_cost": 2.5}, 3, "resist", (1, NR, 0), 97),
    ("coalition_2026", {"coalition.audience_cost": 2.5}, 1, "russia", (1, RES, DEPLOY), 99),
    # Lesson 2: the escalation tripwire keeps the coalition's troops out in 2026 ...
    ("coalition_2026", {}, 1, "coalition", (NR, DEPLOY), 24),
    ("coalition_2026", {"escalation.tripwire": 0}, 1, "coalition", (NR, DEPLOY), 66),
    # ... deters the challenger from striking the troops in Korea ...
    ("korea_1953_tripwire", {}, 1, "russia", (0, RES, DEPLOY), 0),
    ("korea_1953_tripwire", {"escalation.tripwire": 0}, 1, "russia", (0, RES, DEPLOY), 22),
    ("korea_1953_tripwire", {"coalition.tripwire_cost": 0}, 1, "coalition", (NR, DEPLOY), 1),
    # ... and tied hands make the 2026 coalition resist, so Russia spares its troops
    ("coalition_2026", {"coalition.tripwire_cost": 8}, 1, "resist", (0, NR, 0), 82),
    ("coalition_2026", {}, 1, "russia", (0, RES, DEPLOY), 32),
    ("coalition_2026", {"coalition.tripwire_cost": 8}, 1, "russia", (0, RES, DEPLOY), 2),
    # Lesson 3: Russia waits while the divided coalition splits or backs down first
    ("divided_coalition", {}, 1, "russia", (1, RES, DEPLOY), 5),
    ("divided_coalition", {}, 1, "collapse", (), 14),
    ("divided_coalition", {}, 1, "coalition", (NR, BACK_DOWN), 47),
    ("divided_coalition", {}, 1, "coalition", (RES, BACK_DOWN), 25),
    ("divided_coalition", {"coalition.audience_cost": 0}, 1, "coalition", (NR, BACK_DOWN), 10),
    ("divided_coalition", {"coalition.audience_cost": 0}, 1, "coalition", (RES, BACK_DOWN), 3),
    ("divided_coalition", {"coalition.members.2.exit_cost": 3, "coalition.members.3.exit_cost": 3}, 1, "stay",
     (2,), 95),
    ("divided_coalition", {"coalition.members.2.exit_cost": 3, "coalition.members.3.exit_cost": 3}, 1, "russia",
     (0, RES, DEPLOY), 20),
]  # fmt: skip


@pytest.mark.parametrize(("scenario", "overrides", "round_number", "policy", "index", "percent"), LESSON_MECHANISMS)
def test_the_lesson_plans_name_the_mechanism_the_model_has(scenario, overrides, round_number, policy, index, percent):
    equilibrium = equilibrium_for(load_scenario(scenario, overrides))
    solution = equilibrium.solve_at(round_number, equilibrium.initial_state())
    value = getattr(solution, policy)[(0, *index)]
    assert round(100 * float(value)) == percent
