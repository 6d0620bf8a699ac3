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

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "docs" / "teaching.md", *sorted((ROOT / "docs" / "app").glob("*.md"))]
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
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
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


# The numbers the lesson plans quote (docs/teaching.md), from `sim run SCENARIO --runs 20000 --seed 7`.
LESSON_NUMBERS = [
    ("coalition_2026", {}, "deterrence_holds", 55.5),
    ("coalition_2026", {}, "russia_backs_down", 0.3),
    ("coalition_2026", {"russia.audience_cost": 0}, "russia_backs_down", 5.2),
    ("coalition_2026", {"russia.audience_cost": 0}, "deterrence_holds", 51.5),
    ("coalition_2026", {"coalition.audience_cost": 0}, "coalition_backs_down", 7.0),
    ("coalition_2026", {"coalition.audience_cost": 2.5}, "coalition_backs_down", 6.9),
    ("korea_1953_tripwire", {}, "deterrence_holds", 93.4),
    ("coalition_2026", {"escalation.tripwire": 0}, "deterrence_holds", 38.5),
    ("coalition_2026", {"escalation.tripwire": 0}, "coalition_backs_down", 20.7),
    ("coalition_2026", {"escalation.tripwire": 0.4}, "deterrence_holds", 81.8),
    ("coalition_2026", {"escalation.tripwire": 0}, "major_war", 4.4),
    ("coalition_2026", {}, "major_war", 9.3),
    ("coalition_2026", {"escalation.tripwire": 0.4}, "major_war", 3.9),
    ("korea_1953_tripwire", {"escalation.tripwire": 0}, "deterrence_holds", 93.9),
    ("korea_1953_tripwire", {"russia.payoffs.limited_clash": 0, "escalation.tripwire": 0}, "deterrence_holds", 76.2),
    ("korea_1953_tripwire", {"russia.payoffs.limited_clash": 0, "escalation.tripwire": 0.2}, "deterrence_holds", 93.8),
    ("divided_coalition", {}, "coalition_backs_down", 77.8),
    ("divided_coalition", {"coalition.members.2.exit_cost": 3, "coalition.members.3.exit_cost": 3},
     "coalition_backs_down", 12.6),
    ("divided_coalition", {"coalition.min_troops": 10}, "coalition_backs_down", 19.0),
    ("divided_coalition", {"russia.resolve_prior": 0.2}, "coalition_backs_down", 79.0),
    ("coalition_2026", {"coalition.members.2.exit_cost": 0.2, "coalition.min_troops": 12},
     "coalition_backs_down", 62.9),
]  # fmt: skip


@pytest.mark.parametrize(("scenario", "overrides", "outcome", "percent"), LESSON_NUMBERS)
def test_the_lesson_plans_quote_what_the_model_gives(scenario, overrides, outcome, percent):
    keywords = {path.replace(".", "__"): value for path, value in overrides.items()}
    results = sim.run_monte_carlo(scenario, runs=20_000, seed=7, **keywords)
    assert round(100 * results.probabilities()[outcome], 1) == percent
    assert f"{percent}%" in (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")


def test_every_coalition_retreat_in_coalition_2026_is_a_collapse():
    """Lesson 1 explains the coalition's indifference to audience costs by this fact."""
    results = sim.run_monte_carlo("coalition_2026", runs=20_000, seed=7)
    retreats = results.outcome == 1
    assert retreats.any() and results.force_collapsed[retreats].all()
