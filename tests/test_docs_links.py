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
