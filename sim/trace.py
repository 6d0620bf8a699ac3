"""One crisis told as a story: each round, what each actor believed, weighed and chose.

This is what an instructor shows a class: ``sim trace coalition_2026 --seed 7``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sim.ladder import ACTION_MEANING, ACTIONS, OUTCOME_MEANING, OUTCOMES
from sim.model import CrisisModel, TraceEntry
from sim.scenario import Scenario


def trace_run(scenario: Scenario, seed: int | None = None) -> CrisisModel:
    """Play one world with every decision recorded."""
    model = CrisisModel(scenario, n_worlds=1, seed=seed, trace=True).run()
    model.release()  # still usable; only Mesa's registry forgets it, so it can be freed later
    return model


def trace_records(model: CrisisModel) -> dict[str, Any]:
    """The trace as plain data (``sim trace --json``)."""
    return {
        "scenario": model.scenario.name,
        "scenario_sha256": model.scenario.sha256(),
        "seed": model.seed,
        "types": {key: ("resolute" if actor.resolute[0] else "not resolute") for key, actor in model.actors.items()},
        "rounds": [asdict(entry) for entry in model.trace or []],
        "outcome": OUTCOMES[model.outcome[0]],
        "payoffs": {key: float(actor.payoff[0]) for key, actor in model.actors.items()},
    }


def _words(name: str) -> str:
    return name.replace("_", " ")


def tell_story(model: CrisisModel) -> list[str]:
    """The trace in plain sentences, one list item per line."""
    actors = model.actors
    lines = [f"{model.scenario.title or model.scenario.name} (seed {model.seed})"]
    lines.append(
        "Private types this run: "
        + "; ".join(
            f"{actor.label} is {'resolute' if actor.resolute[0] else 'not resolute'}" for actor in actors.values()
        )
        + ". Each actor knows only its own."
    )
    for entry in model.trace or []:
        lines.extend(_tell_round(model, entry))
    outcome = OUTCOMES[model.outcome[0]]
    lines.append("")
    lines.append(f"Outcome after {model.rounds_played[0]} round(s): {_words(outcome)} - {OUTCOME_MEANING[outcome]}.")
    payoffs = ", ".join(f"{actor.label} {actor.payoff[0]:+.2f}" for actor in actors.values())
    lines.append(f"Realised payoffs (outcome plus costs along the way): {payoffs}.")
    return lines


def _tell_round(model: CrisisModel, entry: TraceEntry) -> list[str]:
    actors = model.actors
    lines = ["", f"Round {entry.round}: the crisis stands at {_words(entry.start_rung)}."]
    beliefs = ", ".join(f"{actors[key].label} {value:.2f}" for key, value in entry.beliefs.items())
    lines.append(f"  Public beliefs that each actor is resolute: {beliefs}.")
    if entry.members_left:
        lines.append(f"  Weighing the risk of a strike, {', '.join(entry.members_left)} left the coalition.")
    for decision in entry.decisions:
        actor = actors[decision["actor"]]
        kind = "resolute" if decision["resolute"] else "not resolute"
        utilities = ", ".join(f"{_words(a)} {decision['utility'][a]:+.2f}" for a in ACTIONS)
        action = decision["action"]
        verb = "expects" if actor.rule.uses_utilities else "follows its doctrine, whatever it expects"
        lines.append(f"  {actor.label} ({kind}; {decision['rule']}) {verb}: {utilities}.")
        lines.append(
            f"    It chose to {_words(action)} (probability {decision['probability'][action]:.2f}): "
            f"{ACTION_MEANING[actor.key][action]}."
        )
        before = entry.beliefs[actor.key]
        after = decision["belief_after"]
        if f"{after:.2f}" != f"{before:.2f}":
            lines.append(
                f"    Seeing this, the others now think it resolute with probability {after:.2f} (was {before:.2f})."
            )
    if entry.accident:
        lines.append("  An unintended incident happened (the risk that leaves something to chance).")
    if entry.escalation is not None:
        lines.append(f"  Force was used; the chance that the clash became a major war was {entry.escalation:.2f}.")
    ending = f"  The ladder now stands at {_words(entry.end_rung)}."
    if entry.outcome:
        ending += f" The crisis is over: {_words(entry.outcome)}."
    lines.append(ending)
    return lines
