"""A "Copy link" button: the address of exactly this view, for a class or a colleague.

Every setting lives in the URL (:mod:`sim.webapp.state`), so the page's own address reopens the
same view. The address bar says so in the sidebar, but a projector in presenter mode hides the
sidebar and often the browser's bar too; this button copies the address from the page.

It is a Streamlit components v2 element (inline HTML and JavaScript, no iframe): the button reads
``window.location.href`` when clicked, so it copies the settings as they are then, and writes it
with the Clipboard API. Browsers allow that API only on ``https`` or ``localhost``; elsewhere (a
classroom server on plain ``http``) the button opens a box with the link selected, to copy by hand.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_HTML = '<button type="button" class="sim-copy-link" title="Copy the address of this view">🔗 Copy link</button>'

_CSS = """
.sim-copy-link {
    font: inherit;
    font-size: 0.95rem;
    padding: 0.35rem 0.8rem;
    border-radius: 0.5rem;
    border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
    background: var(--st-background-color, #fff);
    color: var(--st-text-color, #1a1a1a);
    cursor: pointer;
}
.sim-copy-link:hover { border-color: var(--st-primary-color, #ff4b4b); }
"""

_JS = """
export default function(component) {
    const { parentElement } = component;
    const button = parentElement.querySelector("button.sim-copy-link");
    const label = button.textContent;
    const done = (text) => {
        button.textContent = text;
        setTimeout(() => { button.textContent = label; }, 2500);
    };
    button.onclick = async () => {
        const link = window.location.href;
        try {
            await navigator.clipboard.writeText(link);
            button.dataset.copied = link;
            done("✓ Link copied");
        } catch (error) {
            window.prompt("Copy this link (Ctrl+C or ⌘C):", link);
        }
    };
}
"""

_button: Any = None


def copy_link_button(key: str) -> None:
    """Draw the button (``key`` tells two of them on one page apart)."""
    global _button
    if _button is None:
        _button = st.components.v2.component("sim_copy_link", html=_HTML, css=_CSS, js=_JS)
    _button(key=key)
