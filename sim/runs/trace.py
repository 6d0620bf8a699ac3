"""One crisis told as a story: each round, what each actor believed, weighed and chose.

This is what an instructor shows a class: ``sim trace coalition_2026 --seed 7``. Every decision
is told with what each option is worth to the actor's true type, split into **now** (this round:
costs, the status quo's flow, a clash or a climb-down happening now) and **later** (the
discounted rest of the crisis the option leads to): ``now = utility - later``, from the solved
equilibrium (:class:`sim.engine.equilibrium.RoundSolution`). The Classroom page tells decisions in the
same words (:func:`worth`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sim.domain.ladder import ACTION_MEANING, OUTCOME_MEANING, OUTCOMES
from sim.domain.scenario import Scenario
from sim.engine.model import CrisisModel, TraceEntry

AFTER_A_STRIKE = "after a strike"
"""The ``stage`` of a decision taken after Russia has used force (``sim.engine.model.CrisisModel._log``)."""

RESPONSE_MEANING: dict[str, dict[str, str]] = {
    "coalition": {
        "resist": "fight back, so the clash goes on",
        "concede": "withdraw the force rather than fight",
    },
    "us": {
        "join": "join the fighting with its air and intelligence backstop",
        "stay_out": "stay out of the fighting",
    },
}
"""What the answers after a strike mean (their names are ``sim.engine.equilibrium.RESPONSES``)."""

GERUND = {
    "deploy": "deploying",
    "threaten": "threatening",
    "back_down": "backing down",
    "resist": "resisting",
    "concede": "conceding",
    "join": "joining",
    "stay_out": "staying out",
}
_STRIKE_QUESTION = {
    "coalition": "Russia has used force: {who} weighs its answer",
    "us": "The coalition fights back: {who} weighs whether to join",
}


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


# ---------------------------------------------------------------------------------------------
# Words shared with the Classroom page


def rounds_text(n: int) -> str:
    """``1 round``, ``3 rounds``."""
    return f"{n} round" if n == 1 else f"{n} rounds"


def _words(name: str) -> str:
    return name.replace("_", " ")


def gerund(actor: str, action: str) -> str:
    """``threatening``; Russia's 'deploy' is ``using force``."""
    if (actor, action) == ("russia", "deploy"):
        return "using force"
    return GERUND.get(action, _words(action))


def meaning(actor: str, action: str) -> str:
    """What a move or an answer after a strike means, in words."""
    return {**ACTION_MEANING.get(actor, {}), **RESPONSE_MEANING.get(actor, {})}.get(action, _words(action))


def now_and_later(decision: dict[str, Any], action: str) -> tuple[float, float]:
    """What an action is worth this round and for the (discounted) rest of the crisis."""
    later = float(decision.get("later", {}).get(action, 0.0))
    return float(decision["utility"][action]) - later, later


def worth(decision: dict[str, Any], action: str, name: str | None = None) -> str:
    """``threatening is worth -1.33 this round and -2.38 for the rest of the crisis (-3.71 in all)``.

    An action with nothing later (it ends the crisis) is worth its utility now: ``backing down is
    worth -4.80, all of it this round``; after a strike, when the crisis ends this round whatever
    the answer, simply ``resisting is worth +0.77``. ``name`` replaces the gerund (the Classroom
    page has its own).
    """
    now, later = now_and_later(decision, action)
    name = name or gerund(decision["actor"], action)
    if later == 0:
        ends = "" if decision.get("stage") == AFTER_A_STRIKE else ", all of it this round"
        return f"{name} is worth {now:+.2f}{ends}"
    return (
        f"{name} is worth {now:+.2f} this round and {later:+.2f} for the rest of the crisis "
        f"({decision['utility'][action]:+.2f} in all)"
    )


def follows_doctrine(decision: dict[str, Any]) -> bool:
    """Whether the decision was scripted (its ``rule`` says so), not weighed."""
    return str(decision["rule"]).startswith("doctrine")


# ---------------------------------------------------------------------------------------------
# The story


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
    lines.append(
        f"Outcome after {rounds_text(model.rounds_played[0])}: {_words(outcome)} - {OUTCOME_MEANING[outcome]}."
    )
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
    believed = dict(entry.beliefs)
    for decision in entry.decisions:
        lines.extend(_tell_decision(model, decision, believed[decision["actor"]]))
        believed[decision["actor"]] = decision["belief_after"]
    if entry.accident:
        lines.append("  An unintended incident happened (the risk that leaves something to chance).")
    if entry.escalation is not None:
        lines.append(f"  Force was used; the chance that the clash became a major war was {entry.escalation:.2f}.")
    ending = f"  The ladder now stands at {_words(entry.end_rung)}."
    if entry.outcome:
        ending += f" The crisis is over: {_words(entry.outcome)}."
    lines.append(ending)
    return lines


def _tell_decision(model: CrisisModel, decision: dict[str, Any], before: float) -> list[str]:
    """A decision: what each option is worth now and later, the choice, and what the others learnt."""
    key = decision["actor"]
    kind = "resolute" if decision["resolute"] else "not resolute"
    who = f"{model.actors[key].label} ({kind}; {decision['rule']})"
    action = decision["action"]
    if decision.get("stage", "move") == AFTER_A_STRIKE:
        question = _STRIKE_QUESTION.get(key, "After the strike, {who} answers").format(who=who)
        head = f"  {question}; the crisis ends this round either way:"
    else:
        head = f"  {who} weighs its moves:"
    if follows_doctrine(decision):
        head = head.replace("weighs", "follows its doctrine, whatever the worth of", 1)
    lines = [head]
    lines.extend(f"    {_capitalised(worth(decision, option))}." for option in decision["utility"])
    lines.append(
        f"    It chose to {_words(action)} (probability {decision['probability'][action]:.2f}): {meaning(key, action)}."
    )
    after = decision["belief_after"]
    if f"{after:.2f}" != f"{before:.2f}":
        lines.append(
            f"    Seeing this, the others now think it resolute with probability {after:.2f} (was {before:.2f})."
        )
    return lines


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
