"""The page's controls: each actor's type, private resolve, the tree view and the QRE chart's range.

Their widget keys are the page's settings (``SETTINGS`` in ``__init__``), so they live in the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from sim.domain.ladder import ACTORS
from sim.domain.scenario import Scenario
from sim.game.crisis import modal_types
from sim.webapp.pages.game.plan import APPROX_LAMBDA
from sim.webapp.pages.game.wording import NAME
from sim.webapp.style import ACTOR_SHORT, type_words, words

TYPE_CHOICES = ("modal", "resolute", "not_resolute")
VIEWS = ("compact", "full")
LAMBDA_LIMIT = 200.0
"""Largest lambda the QRE chart traces: far past convergence, and quick on a shared server."""


@dataclass(frozen=True)
class Controls:
    """The page's settings, resolved against the scenario (``types`` in ``ACTORS`` order)."""

    types: tuple[bool, ...]
    private: bool
    view: str
    lambda_max: float


def resolve_types(scenario: Scenario, choices: Mapping[str, str]) -> tuple[bool, ...]:
    """Each actor's type: ``modal`` takes the scenario's more likely type (prior above one half)."""
    modal = modal_types(scenario)
    return tuple(modal[actor] if choices[actor] == "modal" else choices[actor] == "resolute" for actor in ACTORS)


def type_label(scenario: Scenario, actor: str, choice: str) -> str:
    """``Resolute``, or for ``modal`` the type it stands for here: ``Modal: not resolute (prior 0.30)``."""
    if choice != "modal":
        return words(choice)
    prior = scenario.actor(actor).resolve_prior
    return f"Modal: {type_words(modal_types(scenario)[actor])} (prior {prior:.2f})"


def read_controls(scenario: Scenario) -> Controls:
    """Draw the controls (their keys are the page's settings, so they live in the URL)."""
    _type_boxes(scenario)
    _game_options()
    choices = {actor: st.session_state[f"game_{actor}_type"] for actor in ACTORS}
    return Controls(
        resolve_types(scenario, choices),
        bool(st.session_state["game_private"]),
        st.session_state["game_view"],
        float(st.session_state["game_lambda_max"]),
    )


def _type_boxes(scenario: Scenario) -> None:
    """One type box per actor; Russia's is disabled while Nature draws its type."""
    columns = st.columns(3)
    for column, actor in zip(columns, ACTORS, strict=True):
        private_russia = actor == "russia" and st.session_state["game_private"]
        column.selectbox(
            f"{ACTOR_SHORT[actor]}'s type",
            TYPE_CHOICES,
            key=f"game_{actor}_type",
            format_func=lambda choice, actor=actor: type_label(scenario, actor, choice),
            disabled=private_russia,
            help=f"Whether {NAME[actor]} is the resolute type, which prefers fighting to backing down (it adds "
            "its war bonus to the fighting outcomes). The game assumes every player knows every type; 'modal' "
            "takes the type the scenario's resolve prior makes more likely (resolute when the prior is above 0.5)."
            + (" Disabled while Russia's resolve is private: Nature draws it." if private_russia else ""),
        )


def _game_options() -> None:
    """Private resolve, the tree view and the QRE chart's largest lambda, on one row."""
    left, middle, right = st.columns([2, 1, 2])
    left.toggle(
        "Russia's resolve is private (Nature draws it)",
        key="game_private",
        help="Nature first makes Russia resolute with its resolve prior; Russia knows its type, the coalition and "
        "the US do not. The game then has imperfect information: no subgame-perfect equilibrium exists to report, "
        f"and the page approximates the sequential equilibrium by the logit QRE at λ = {APPROX_LAMBDA:g}.",
    )
    middle.radio(
        "Tree",
        VIEWS,
        key="game_view",
        format_func=lambda view: {"compact": "Compact", "full": "Every node"}[view],
        horizontal=True,
        help="Compact: each chance ending (accidents, escalation) is folded into one end node showing its outcome "
        "probabilities and expected payoffs. Every node: the whole tree, chance nodes included.",
    )
    right.slider(
        "Largest λ on the QRE chart",
        min_value=1.0,
        max_value=LAMBDA_LIMIT,
        step=1.0,
        key="game_lambda_max",
        help="The QRE chart traces the logit quantal response equilibrium from λ = 0 (random choice) up to this "
        "value. Payoff gaps of g utils are resolved once λ·g is about 5, so small gaps need a large λ.",
    )
