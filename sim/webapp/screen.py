"""How wide the reader's window is, so charts can lay themselves out for a phone.

Streamlit's server never learns the browser's width, and a plotly figure cannot change its layout
with a CSS media query. A small custom component (Streamlit components v2: inline JavaScript, no
iframe, no build step) reports whether the window is *narrow* (under :data:`NARROW_BELOW_PX`, a
phone held upright) and reports again when that changes; the app reruns and the pages draw
stacked panels and legends below their charts.

The first run of a session does not know the width yet and draws the wide layout; a phone sees it
replaced by the narrow one a moment later. The component reports only a window that differs from
the layout drawn, so a laptop never causes a rerun. The component also writes the layout the page was drawn
for on ``<body data-sim-layout=...>``, so a browser test can wait until the page it checks is the
one drawn for its window.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

NARROW_BELOW_PX = 640
"""Windows narrower than this (CSS pixels) get the phone layout: phones upright are 360 to 430."""

_KEY = "screen_probe"

_JS = f"""
export default function(component) {{
    const {{ data, setStateValue }} = component;
    document.body.dataset.simLayout = data;
    // Report only a window that differs from the layout drawn: each report reruns the page.
    const report = () => {{
        const narrow = window.innerWidth < {NARROW_BELOW_PX};
        if (narrow !== (data === "narrow")) setStateValue("narrow", narrow);
    }};
    report();
    window.addEventListener("resize", report);
    return () => window.removeEventListener("resize", report);
}}
"""

_probe: Any = None


def _component() -> Any:
    global _probe
    if _probe is None:
        _probe = st.components.v2.component("sim_screen_probe", js=_JS)
    return _probe


def narrow() -> bool:
    """Whether the page is drawn for a narrow window (a phone); ``False`` until the browser has said."""
    reported = st.session_state.get(_KEY)
    try:
        return bool(reported["narrow"]) if reported is not None else False
    except (KeyError, TypeError):
        return False


def probe() -> None:
    """Mount the probe (once per run, at the end of the page: the layout mark means the run is drawn)."""
    _component()(key=_KEY, data="narrow" if narrow() else "wide", on_narrow_change=lambda: None)
