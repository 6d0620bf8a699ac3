"""The equilibrium path beside the simulated agents' round 1: how often they play it, and why they
depart from it, told in one paragraph and a table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.game import ExtensiveFormGame
from sim.ladder import ACTIONS, ACTORS
from sim.webapp.pages.game.plan import Plan, path_visits
from sim.webapp.pages.game.simulated_agents import RoundOne
from sim.webapp.pages.game.tree import decision_moves, russia_type_on
from sim.webapp.pages.game.wording import NAME, listing, percent
from sim.webapp.style import ACTOR_SHORT, VERB, capitalised, type_words, words

AGREE = 0.95
"""Agents who play an equilibrium move at least this often in round 1 are said to agree with it."""


@dataclass(frozen=True)
class Comparison:
    """One move on the equilibrium path, beside what the simulated agent does there in round 1."""

    actor: str
    before: tuple[str, ...]
    resolute: bool
    equilibrium: str
    optimal: frozenset[str]
    played: np.ndarray
    utility: np.ndarray
    with_game_beliefs: np.ndarray

    @property
    def share(self) -> float:
        """How often the agent plays an equilibrium move here (any of them, at a tie)."""
        return float(sum(self.played[ACTIONS.index(a)] for a in self.optimal))

    @property
    def tied(self) -> bool:
        """Whether the mover is indifferent between several equilibrium moves here."""
        return len(self.optimal) > 1


# ---------------------------------------------------------------------------------------------
# Comparing, move by move


def compare(game: ExtensiveFormGame, plan: Plan, agents: RoundOne, types: Sequence[bool]) -> list[Comparison]:
    """Each decision on the plan's path, with the agents' round-1 probabilities at the same node."""
    return [
        _compared(game.players[visit.node.player], visit.moves, action, plan.optimal[visit.history], agents, types)
        for visit, action in path_visits(game, plan)
        if visit.node.kind == "decision"
    ]


def _compared(
    mover: str,
    moves: Sequence[tuple[str, str]],
    action: str,
    optimal: frozenset[str],
    agents: RoundOne,
    types: Sequence[bool],
) -> Comparison:
    """The agent's round-1 numbers at the decision node that ``moves`` lead to."""
    before = tuple(a for _, a in decision_moves(moves))
    resolute = russia_type_on(moves, types[1]) if mover == "russia" else types[ACTORS.index(mover)]
    tables = (agents.played, agents.utility, agents.with_game_beliefs)
    return Comparison(
        mover, before, resolute, action, optimal, *(agents.at(t, mover, resolute, before) for t in tables)
    )


def path_share(comparisons: Sequence[Comparison], agents: RoundOne) -> float:
    """How often the simulated agents play an equilibrium move at every step of the path in round 1."""
    coalition_moves = any(c.actor == "coalition" for c in comparisons)
    return (1 - agents.collapse if coalition_moves else 1.0) * math.prod(c.share for c in comparisons)


# ---------------------------------------------------------------------------------------------
# Why an agent departs from the equilibrium


def reason(comparison: Comparison, agents: RoundOne, types: Mapping[str, bool]) -> str:
    """Why the agent departs from the equilibrium move, from the agent's own numbers."""
    rule = agents.rules[comparison.actor]
    if rule == "doctrine":
        return f"it follows a fixed doctrine ({agents.descriptions[comparison.actor]}) whatever the payoffs"
    if ACTIONS[int(np.argmax(comparison.utility))] not in comparison.optimal:
        return _prefers_another(comparison, agents, types)
    if rule == "best_response":
        return _indifferent(comparison.utility)
    return _noisy(comparison, agents)


def _prefers_another(comparison: Comparison, agents: RoundOne, types: Mapping[str, bool]) -> str:
    """By its own expected utilities another move is better: usually it misjudges a later player's type."""
    eq, utility = comparison.equilibrium, comparison.utility
    best = ACTIONS[int(np.argmax(utility))]
    gap = utility[ACTIONS.index(best)] - utility[ACTIONS.index(eq)]
    text = f"by its own expected utilities {VERB[best][2]} is worth {gap:.2f} utils more than {VERB[eq][2]}"
    beliefs = _belief_words(comparison.actor, agents, types)
    if beliefs and ACTIONS[int(np.argmax(comparison.with_game_beliefs))] in comparison.optimal:
        known = comparison.with_game_beliefs[ACTIONS.index(eq)]
        text += (
            f": {beliefs}; knowing every type, as the game assumes, it would {VERB[eq][0]} {percent(known)} of the time"
        )
    return text


def _belief_words(actor: str, agents: RoundOne, types: Mapping[str, bool]) -> str:
    """What ``actor`` has wrong: its belief about the types of the players who move after it."""
    later = ACTORS[ACTORS.index(actor) + 1 :]
    parts = [
        f"that {NAME[other]} is resolute at {percent(agents.beliefs[other])} (in this game {NAME[other]} "
        f"{'is resolute' if types[other] else 'is not'})"
        for other in later
        if abs(agents.beliefs[other] - float(types[other])) > 0.05
    ]
    return "it puts the chance " + " and ".join(parts) if parts else ""


def _indifferent(utility: np.ndarray) -> str:
    """A best responder with several best moves splits evenly between them."""
    tied = [a for a in ACTIONS if utility[ACTIONS.index(a)] >= utility.max() - 1e-9]
    return f"it is indifferent between {' and '.join(VERB[a][2] for a in tied)} and splits evenly"


def _noisy(comparison: Comparison, agents: RoundOne) -> str:
    """A logit agent that rates the equilibrium move best still plays the others, the more the closer they are."""
    actor, eq, utility = comparison.actor, comparison.equilibrium, comparison.utility
    others = [a for a in ACTIONS if a not in comparison.optimal]
    second = max(others, key=lambda a: utility[ACTIONS.index(a)])
    gap = utility[ACTIONS.index(eq)] - utility[ACTIONS.index(second)]
    how = "at random" if agents.lambdas[actor] == 0 else "noisily"
    text = (
        f"its λ = {agents.lambdas[actor]:g} makes it choose {how}: {VERB[eq][2]} is worth only {gap:.2f} utils "
        f"more to it than {VERB[second][2]}"
    )
    known = comparison.with_game_beliefs[ACTIONS.index(eq)]
    if abs(known - comparison.share) >= 0.05 and not comparison.tied:
        text += (
            f"; being unsure of the others' types moves it from {percent(known)} (every type known) "
            f"to {percent(comparison.share)}"
        )
    return text


# ---------------------------------------------------------------------------------------------
# In words and as a table


def disagreement(comparisons: Sequence[Comparison], agents: RoundOne, plan: Plan, types: Sequence[bool]) -> str:
    """Where the simulated agents and the equilibrium disagree in round 1, and why, in plain words."""
    which = "equilibrium" if plan.exact else "approximate equilibrium"
    listed = listing([f"{NAME[c.actor]} {VERB[c.equilibrium][0]}" for c in comparisons], "and")
    sentences = [f"The {which} has {listed}."]
    sentences += _agreement(comparisons, agents, dict(zip(ACTORS, types, strict=True)))
    if agents.collapse >= 0.005 and any(c.actor == "coalition" for c in comparisons):
        sentences.append(
            f"Before the coalition moves, enough members leave to break up the force in {percent(agents.collapse)} "
            "of crises (the game leaves the members out); that ends the crisis as a coalition climb-down."
        )
    sentences += [_tie_sentence(c) for c in comparisons if c.tied]
    return " ".join(sentences)


def _agreement(comparisons: Sequence[Comparison], agents: RoundOne, known_types: Mapping[str, bool]) -> list[str]:
    """How often the agents play the whole path and, if they depart from it, the largest gap and why."""
    share = path_share(comparisons, agents)
    worst = min((c for c in comparisons if not c.tied), key=lambda c: c.share, default=None)
    if (worst is None or worst.share >= AGREE) and agents.collapse < 1 - AGREE:
        return [f"The simulated agents agree: in round 1 they play it {percent(share)} of the time."]
    sentences = [f"In round 1 the simulated agents play that whole path {percent(share)} of the time."]
    if worst is not None and worst.share < AGREE:
        name = NAME[worst.actor].removeprefix("the ")
        sentences.append(
            f"The largest gap: the simulated {name} {VERB[worst.equilibrium][1]} only {percent(worst.share)} "
            f"of the time, because {reason(worst, agents, known_types)}."
        )
    return sentences


def _tie_sentence(tied: Comparison) -> str:
    """A mover indifferent between equilibrium moves: any of them is equilibrium play."""
    options = listing([VERB[a][0] for a in ACTIONS if a in tied.optimal], "or")
    return (
        f"{capitalised(NAME[tied.actor])} may {options}: every one of these is an equilibrium "
        f"move (the simulated agent plays one {percent(tied.share)} of the time)."
    )


def comparison_table(comparisons: Sequence[Comparison], agents: RoundOne) -> pd.DataFrame:
    """One row per move on the path: the equilibrium move, how often the agent plays it, and its rule."""
    return pd.DataFrame([_comparison_row(c, agents) for c in comparisons])


def _comparison_row(c: Comparison, agents: RoundOne) -> dict[str, object]:
    """Shares are of any equilibrium move at a tie, so a split between tied moves still counts as agreeing."""
    rule = agents.rules[c.actor]
    return {
        "mover": f"{ACTOR_SHORT[c.actor]} ({type_words(c.resolute)})",
        "after": ", ".join(f"{ACTOR_SHORT[m]} {words(a).lower()}" for m, a in zip(ACTORS, c.before)) or "start",
        "equilibrium move": " or ".join(words(a) for a in ACTIONS if a in c.optimal),
        "agents play it": c.share,
        "agents' likeliest move": words(ACTIONS[int(np.argmax(c.played))]),
        "with every type known": float(sum(c.with_game_beliefs[ACTIONS.index(a)] for a in c.optimal)),
        "decision rule": f"logit, λ = {agents.lambdas[c.actor]:g}" if rule == "logit" else words(rule),
    }
