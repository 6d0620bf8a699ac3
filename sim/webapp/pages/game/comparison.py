"""The one-round game's equilibrium path beside round 1 of the whole crisis, as the simulated agents
play it: how often they play the path, and why they depart from it (their rule, the rest of the crisis
that each move leads to, or their beliefs), told in one paragraph and a table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sim.domain.ladder import ACTORS
from sim.engine.inspect import MOVERS_BEFORE, Choice, RoundOne
from sim.game import ExtensiveFormGame
from sim.webapp.pages.game.plan import Plan, path_visits
from sim.webapp.pages.game.simulated_agents import point_label
from sim.webapp.pages.game.tree import decision_moves, russia_type_on
from sim.webapp.pages.game.wording import NAME, listing, percent
from sim.webapp.style import ACTOR_SHORT, capitalised, type_words, verb, words

AGREE = 0.95
"""Agents who play an equilibrium move at least this often in round 1 are said to agree with it."""


@dataclass(frozen=True)
class Comparison:
    """One move on the equilibrium path, beside what the simulated agent does there in round 1 of the
    whole crisis (``played``: with its beliefs; ``known``: with the beliefs the game assumes, every type
    known but Russia's when its resolve is private). Both are None where the whole crisis has no such
    decision."""

    actor: str
    before: tuple[str, ...]
    resolute: bool
    actions: tuple[str, ...]
    equilibrium: str
    optimal: frozenset[str]
    played: Choice | None
    known: Choice | None

    @property
    def share(self) -> float:
        """How often the agent plays an equilibrium move here (any of them, at a tie)."""
        assert self.played is not None
        return sum(self.played.probability[a] for a in self.optimal)

    @property
    def tied(self) -> bool:
        """Whether the mover is indifferent between several equilibrium moves here."""
        return len(self.optimal) > 1


# ---------------------------------------------------------------------------------------------
# Comparing, move by move


def compare(game: ExtensiveFormGame, plan: Plan, agents: RoundOne, types: Sequence[bool]) -> list[Comparison]:
    """Each decision on the plan's path, with the agents' round-1 choice at the same decision point."""
    comparisons = []
    for visit, action in path_visits(game, plan):
        if visit.node.kind != "decision":
            continue
        mover = game.players[visit.node.mover]
        before = tuple(a for _, a in decision_moves(visit.moves))
        resolute = russia_type_on(visit.moves, types[1]) if mover == "russia" else types[ACTORS.index(mover)]
        actions = tuple(visit.node.actions)
        found = [agents.choice(mover, before, resolute, actions, known=k) for k in (False, True)]
        comparisons.append(Comparison(mover, before, resolute, actions, action, plan.optimal[visit.history], *found))
    return comparisons


def matched(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """The moves that round 1 of the whole crisis also has."""
    return [c for c in comparisons if c.played is not None]


def path_share(comparisons: Sequence[Comparison], agents: RoundOne) -> float:
    """How often the simulated agents play an equilibrium move at every step of the path in round 1
    (the force holding together first, if the coalition moves on the path)."""
    coalition_moves = any(c.actor == "coalition" for c in comparisons)
    return (1 - agents.collapse if coalition_moves else 1.0) * math.prod(c.share for c in matched(comparisons))


# ---------------------------------------------------------------------------------------------
# Why an agent departs from the equilibrium


def reason(comparison: Comparison, agents: RoundOne) -> str:
    """Why the agent departs from the equilibrium move, from the agent's own numbers."""
    assert comparison.played is not None
    rule = agents.rules[comparison.actor]
    if rule == "doctrine":
        return f"it follows a fixed doctrine ({agents.descriptions[comparison.actor]}) whatever the payoffs"
    if comparison.played.best() not in comparison.optimal:
        return _prefers_another(comparison, agents)
    if rule == "best_response":
        return _indifferent(comparison.played)
    return _noisy(comparison, agents)


def _prefers_another(comparison: Comparison, agents: RoundOne) -> str:
    """In the whole crisis another move is worth more to it: this round, later, or both; and, if knowing
    every type would bring it back to the equilibrium move, its beliefs."""
    played, eq = comparison.played, comparison.equilibrium
    assert played is not None
    best = played.best()
    gap = played.utility[best] - played.utility[eq]
    now = played.now(best) - played.now(eq)
    later = played.later[best] - played.later[eq]
    text = (
        f"in the whole crisis {verb(best)[2]} is worth {gap:.2f} utils more to it than {verb(eq)[2]} "
        f"({now:+.2f} this round, {later:+.2f} for the rest of the crisis)"
    )
    beliefs = _belief_words(comparison.actor, agents)
    known = comparison.known
    if beliefs and known is not None and known.best() in comparison.optimal:
        text += (
            f"; {beliefs}; with the game's beliefs it would {verb(eq)[0]} {percent(known.probability[eq])} of the time"
        )
    return text


def _belief_words(actor: str, agents: RoundOne) -> str:
    """What ``actor`` has wrong: its belief about the types of the players who move after it, against
    what the one-round game assumes (the true type, or Russia's prior when its resolve is private)."""
    later = ACTORS[ACTORS.index(actor) + 1 :]
    parts = [
        f"that {NAME[other]} is resolute at {percent(agents.beliefs[other])} ({_in_the_game(other, agents)})"
        for other in later
        if abs(agents.beliefs[other] - agents.game_beliefs[other]) > 0.05
    ]
    return "it puts the chance " + " and ".join(parts) if parts else ""


def _in_the_game(actor: str, agents: RoundOne) -> str:
    known = agents.game_beliefs[actor]
    if known in (0.0, 1.0):
        return f"in this game {NAME[actor]} {'is resolute' if known else 'is not'}"
    return f"in this game {NAME[actor]} is resolute with probability {percent(known)}"


def _indifferent(played: Choice) -> str:
    """A best responder with several best moves splits between them."""
    top = max(played.utility.values())
    tied = [a for a in played.actions if played.utility[a] >= top - 1e-9]
    return f"it is indifferent between {' and '.join(verb(a)[2] for a in tied)} and splits between them"


def _noisy(comparison: Comparison, agents: RoundOne) -> str:
    """A logit agent that rates the equilibrium move best still plays the others, the more the closer they are."""
    actor, eq, played = comparison.actor, comparison.equilibrium, comparison.played
    assert played is not None
    others = [a for a in played.actions if a not in comparison.optimal]
    second = max(others, key=lambda a: played.utility[a])
    gap = played.utility[eq] - played.utility[second]
    how = "at random" if agents.lambdas[actor] == 0 else "noisily"
    text = (
        f"its λ = {agents.lambdas[actor]:g} makes it choose {how}: in the whole crisis {verb(eq)[2]} is worth "
        f"only {gap:.2f} utils more to it than {verb(second)[2]}"
    )
    known = comparison.known
    if known is not None and abs(known.probability[eq] - comparison.share) >= 0.05 and not comparison.tied:
        text += (
            f"; being unsure of the others' types moves it from {percent(known.probability[eq])} (with the "
            f"game's beliefs) to {percent(comparison.share)}"
        )
    return text


# ---------------------------------------------------------------------------------------------
# In words and as a table


def disagreement(comparisons: Sequence[Comparison], agents: RoundOne, plan: Plan) -> str:
    """Where round 1 of the whole crisis and the one-round equilibrium disagree, and why, in plain words."""
    which = "equilibrium" if plan.exact else "approximate equilibrium"
    if comparisons:
        listed = listing([f"{NAME[c.actor]} {verb(c.equilibrium)[0]}" for c in comparisons], "and")
        sentences = [f"The one-round game's {which} has {listed}."]
        sentences += _agreement(comparisons, agents)
    else:
        sentences = [f"On the one-round game's {which} path nobody moves: chance ends the crisis first."]
    if agents.collapse >= 0.005 and (not comparisons or any(c.actor == "coalition" for c in comparisons)):
        sentences.append(
            f"Before the coalition moves, enough members leave to break up the force in {percent(agents.collapse)} "
            "of crises; that ends the crisis as a coalition climb-down."
        )
    missing = [point_label((c.actor, c.before)) for c in comparisons if c.played is None]
    if missing:
        sentences.append(f"Not compared, because the whole crisis has no such decision: {'; '.join(missing)}.")
    sentences += [_tie_sentence(c) for c in matched(comparisons) if c.tied]
    return " ".join(sentences)


def _agreement(comparisons: Sequence[Comparison], agents: RoundOne) -> list[str]:
    """How often the agents play the whole path and, if they depart from it, the largest gap and why."""
    share = path_share(comparisons, agents)
    worst = min((c for c in matched(comparisons) if not c.tied), key=lambda c: c.share, default=None)
    if (worst is None or worst.share >= AGREE) and agents.collapse < 1 - AGREE:
        return [
            f"The simulated agents agree: in round 1 of the whole crisis they play it {percent(share)} of the time."
        ]
    sentences = [f"In round 1 of the whole crisis the simulated agents play that path {percent(share)} of the time."]
    if worst is not None and worst.share < AGREE:
        name = NAME[worst.actor].removeprefix("the ")
        sentences.append(
            f"The largest gap: the simulated {name} {verb(worst.equilibrium)[1]} only {percent(worst.share)} "
            f"of the time, because {reason(worst, agents)}."
        )
    return sentences


def _tie_sentence(tied: Comparison) -> str:
    """A mover indifferent between equilibrium moves: any of them is equilibrium play."""
    options = listing([verb(a)[0] for a in tied.actions if a in tied.optimal], "or")
    return (
        f"{capitalised(NAME[tied.actor])} may {options}: every one of these is an equilibrium "
        f"move (the simulated agent plays one {percent(tied.share)} of the time)."
    )


def comparison_table(comparisons: Sequence[Comparison], agents: RoundOne) -> pd.DataFrame:
    """One row per move on the path that the whole crisis also has: the equilibrium move, how often the
    agent plays it, what it is worth to the agent this round and later, and its rule."""
    return pd.DataFrame([_comparison_row(c, agents) for c in matched(comparisons)])


def _comparison_row(c: Comparison, agents: RoundOne) -> dict[str, object]:
    """Shares are of any equilibrium move at a tie, so a split between tied moves still counts as agreeing."""
    assert c.played is not None
    rule = agents.rules[c.actor]
    return {
        "mover": f"{ACTOR_SHORT[c.actor]} ({type_words(c.resolute)})",
        "after": ", ".join(f"{ACTOR_SHORT[m]} {words(a).lower()}" for m, a in zip(MOVERS_BEFORE, c.before)) or "start",
        "equilibrium move": " or ".join(words(a) for a in c.actions if a in c.optimal),
        "agents play it": c.share,
        "agents' likeliest move": words(c.played.likeliest()),
        "its worth this round": c.played.now(c.equilibrium),
        "its worth later": c.played.later[c.equilibrium],
        "with the game's beliefs": sum(c.known.probability[a] for a in c.optimal) if c.known else float("nan"),
        "decision rule": f"logit, λ = {agents.lambdas[c.actor]:g}" if rule == "logit" else words(rule),
    }
