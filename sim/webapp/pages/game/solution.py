"""Everything the page computes that takes time, cached across reruns and sessions.

The arguments are hashable (the scenario as JSON, the types as a tuple) so ``st.cache_data`` can
key on them; each function rebuilds the scenario and the game it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from sim.domain.ladder import ACTORS
from sim.domain.scenario import Scenario
from sim.engine.inspect import BeliefPaths, RoundOne, agents_round_one, belief_paths
from sim.game import ExtensiveFormGame, Solution, logit_qre, qre_path, solve
from sim.game.crisis import crisis_game
from sim.game.qre import QREPoint, QREResult
from sim.webapp.pages.game.nash import nash_table
from sim.webapp.pages.game.plan import APPROX_LAMBDA


def build_game(scenario: Scenario, types: Sequence[bool], private: bool) -> ExtensiveFormGame:
    """The one-round game with each actor's type (``ACTORS`` order); Nature draws Russia's if ``private``."""
    return crisis_game(scenario, dict(zip(ACTORS, types, strict=True)), resolve_chance=private)


@st.cache_data(show_spinner="Solving the game…", max_entries=32)
def solved_game(scenario_json: str, types: tuple[bool, ...], private: bool) -> Solution:
    """Nash and subgame-perfect equilibria of the one-round game."""
    return solve(build_game(Scenario.model_validate_json(scenario_json), types, private))


@st.cache_data(show_spinner=False, max_entries=32)
def approximate_qre(scenario_json: str, types: tuple[bool, ...], private: bool) -> QREResult | None:
    """With private resolve, the logit QRE at a large lambda: the approximate sequential equilibrium."""
    if not private:
        return None
    return logit_qre(build_game(Scenario.model_validate_json(scenario_json), types, private), APPROX_LAMBDA)


@st.cache_data(show_spinner="Tracing the QRE…", max_entries=32)
def qre_branch(scenario_json: str, types: tuple[bool, ...], private: bool, lambda_max: float) -> list[QREPoint]:
    """The principal branch of logit QREs from lambda 0 to ``lambda_max``."""
    return qre_path(build_game(Scenario.model_validate_json(scenario_json), types, private), lambda_max)


@st.cache_data(show_spinner=False, max_entries=32)
def equilibria_table(scenario_json: str, types: tuple[bool, ...], private: bool) -> pd.DataFrame:
    """The Nash table (judging subgame perfection takes a tree walk per equilibrium: done once)."""
    return nash_table(solved_game(scenario_json, types, private))


@st.cache_data(show_spinner="Solving the whole crisis…", max_entries=32)
def round_one(scenario_json: str, types: tuple[bool, ...], private: bool) -> RoundOne:
    """Round 1 of the whole crisis, at the scenario's beliefs and at the game's (the crisis is solved once
    per scenario and kept: ``sim.engine.equilibrium.equilibrium_for``)."""
    return agents_round_one(Scenario.model_validate_json(scenario_json), types, private)


@st.cache_data(show_spinner="Simulating the public beliefs…", max_entries=32)
def beliefs_over_rounds(scenario_json: str) -> BeliefPaths:
    """The public beliefs round by round in a short simulation of the solved crisis."""
    return belief_paths(Scenario.model_validate_json(scenario_json))
