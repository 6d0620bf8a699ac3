"""Helpers shared by the app's tests (tests/webapp/test_app*.py): open app.py headless, read its charts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


def new_app(query: Mapping[str, str] | None = None, timeout: float = 600) -> AppTest:
    """app.py as opened from a link with these query parameters (not run yet).

    The timeout is generous: a page that runs a sweep solves one equilibrium per point first
    (seconds each, more on a busy machine)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params.update(dict(query or {}))
    return at


def rendered(at: AppTest, *, errors: bool = True) -> AppTest:
    """Run the script and fail on any exception shown on the page (and on any error if ``errors=False``)."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if not errors:
        assert not at.error, [e.value for e in at.error]
    return at


def chart(at: AppTest, key: str) -> dict:
    """The plotly figure (as JSON) of the one chart with this key."""
    charts = [element for element in at.get("plotly_chart") if element.key == key]
    assert len(charts) == 1, f"expected one chart {key!r}, found {[c.key for c in at.get('plotly_chart')]}"
    return json.loads(charts[0].proto.spec)


def shown(markdown_source: str) -> str:
    """Markdown source as the reader sees it: backslash escapes removed (user text is escaped, ``style.plain``)."""
    return re.sub(r"\\(.)", r"\1", markdown_source).replace("\u2060", "")
