"""The Classroom page in words: what happened in a round, each actor's card and its "why".

Pure functions from a played crisis (a :class:`~sim.model.CrisisModel` and its trace) to Markdown
strings, so the tests can check every sentence without opening the page.
"""

from __future__ import annotations

from typing import Any

from sim.ladder import ACTION_MEANING, ACTIONS, ACTORS, OUTCOME_MEANING, OUTCOMES
from sim.model import CrisisModel, TraceEntry
from sim.rules import BestResponse, DecisionRule, LogitResponse
from sim.trace import tell_story
from sim.webapp.style import ACTOR_SHORT, VERB, capitalised, type_words, words

# ---------------------------------------------------------------------------------------------
# Small words


def action_label(actor: str, action: str) -> str:
    """The action's name for the class: Russia's 'deploy' is the use of force."""
    return capitalised(_forms(actor, action)[0])


def _forms(actor: str, action: str) -> tuple[str, str, str]:
    """The action's forms in :data:`~sim.webapp.style.VERB`; Russia's 'deploy' is the use of force."""
    return ("use force", "uses force", "using force") if (actor, action) == ("russia", "deploy") else VERB[action]


def _does(actor: str, action: str) -> str:
    """'deploys' (Russia: 'uses force')."""
    return _forms(actor, action)[1]


def _doing(actor: str, action: str) -> str:
    """'deploying' (Russia: 'using force')."""
    return _forms(actor, action)[2]


def share(probability: float) -> str:
    """A probability as a percentage that never rounds a possible event to 0% or a doubtful one to 100%."""
    if 0 < probability < 0.005:
        return "<1%"
    if 0.995 < probability < 1:
        return ">99%"
    return f"{probability:.0%}"


def rule_words(rule: DecisionRule) -> str:
    if isinstance(rule, LogitResponse):
        return (
            f"weighing expected utilities with some noise (logit, λ = {rule.rationality:g}): better actions are "
            "likelier, not certain"
        )
    if isinstance(rule, BestResponse):
        return "always taking the action with the highest expected utility (best response)"
    return f"a fixed script, whatever the payoffs ({rule.describe()})"


def choice_words(actor: str, action: str) -> str:
    """'**Deploys**: keep the multinational force on the ground in Ukraine.'"""
    return f"**{capitalised(_does(actor, action))}**: {ACTION_MEANING[actor][action]}."


def why_line(actor: str, decision: dict[str, Any], rule: DecisionRule) -> str:
    """Why the actor chose as it did, in one sentence: what pays best, and how sure its rule makes it."""
    action = decision["action"]
    utility, probability = decision["utility"], decision["probability"]
    chosen = probability[action]
    if not rule.uses_utilities:
        return f"It follows a fixed doctrine ({rule.describe()}), whatever the payoffs, so it {_does(actor, action)}."
    ranked = sorted(ACTIONS, key=lambda a: utility[a], reverse=True)
    best = ranked[0]
    other = ranked[1] if action == best else action
    head = (
        f"{capitalised(_doing(actor, best))} pays best ({utility[best]:+.2f} vs {utility[other]:+.2f} for "
        f"{_doing(actor, other)})"
    )
    if isinstance(rule, LogitResponse):
        lam = f"λ = {rule.rationality:g}"
        if action == best:
            return f"{head}; with {lam} it {_does(actor, action)} {share(chosen)} of the time."
        still = f"it still {_does(actor, action)} {share(chosen)} of the time"
        return f"{head}; but with {lam} {still}, and this time it did."
    if chosen < 1:
        return f"{head}; the best actions tie, so it picks each {share(chosen)} of the time."
    return f"{head}; a best responder always takes the best."


# ---------------------------------------------------------------------------------------------
# Before the first move, and each actor's card


def opening_paragraphs(model: CrisisModel) -> list[str]:
    """Round 0 for the class: where the crisis starts, the order of moves, what the audience sees that the
    actors do not, and a question to ask."""
    order = " → ".join(ACTOR_SHORT[key] for key in ACTORS)
    return [
        f"The crisis starts at **{words(model.scenario.start_rung).lower()}** and lasts at most "
        f"**{model.scenario.rounds} rounds**. Each round the three actors move in turn: {order}. If the "
        "coalition or Russia backs down, or Russia strikes, the crisis ends at once.",
        "Below, **you** see each actor's private type; **the actors do not**. Each knows only its own and "
        "holds a public belief about the others, which it updates from what they do.",
        "Press **▶ Next round** to see the first moves. _Ask the class: who will blink first?_",
    ]


def opening_card(model: CrisisModel, key: str) -> str:
    """An actor before the first move: its private type, the public belief, how it decides."""
    actor = model.actors[key]
    lines = [
        f"#### {actor.label}",
        f"Private type: **{type_words(bool(actor.resolute[0]))}** (shown to you, not to the others)",
        f"Public belief that it is resolute: **{actor.config.initial_belief:.0%}**",
        f"Decides by: {rule_words(actor.rule)}.",
    ]
    coalition = model.scenario.coalition
    if key == "coalition" and coalition.members:
        members = ", ".join(f"{member.name} ({member.troops:g})" for member in coalition.members)
        lines.append(
            f"Troops: {members}. The force collapses below {coalition.min_troops:g}; members may leave when a "
            "strike looks likely."
        )
    return "\n\n".join(lines)


def actor_card(model: CrisisModel, entry: TraceEntry, key: str) -> str:
    """An actor in one round: private type, belief before and after its move, its choice and why."""
    actor = model.actors[key]
    lines = [f"#### {actor.label}", f"Private type: **{type_words(bool(actor.resolute[0]))}** (hidden from the others)"]
    before = entry.beliefs[key]
    decision = next((d for d in entry.decisions if d["actor"] == key), None)
    if decision is None:
        lines.append(f"Public belief that it is resolute: **{before:.0%}**")
        lines.append("**Did not move**: the crisis ended before its turn.")
        return "\n\n".join(lines)
    after = decision["belief_after"]
    lines.append(f"Public belief that it is resolute: **{before:.0%} → {after:.0%}**")
    lines.append(choice_words(key, decision["action"]))
    lines.append(f"_Why:_ {why_line(key, decision, actor.rule)}")
    return "\n\n".join(lines)


# ---------------------------------------------------------------------------------------------
# What happened


def happened_lines(model: CrisisModel, entry: TraceEntry) -> list[str]:
    """The round in a few plain sentences: the moves in order, then members, accidents, force, the ladder."""
    lines = [*_departures(entry), *_moves(entry)]
    if entry.accident:
        lines.append(
            "💥 **An unintended incident happened**: the risk that leaves something to chance, which nobody chose."
        )
    lines.extend(_clash(entry))
    lines.append(_standing(entry))
    lines.extend(_belief_changes(model, entry))
    return lines


def _departures(entry: TraceEntry) -> list[str]:
    if not entry.members_left:
        return []
    return [f"Weighing the risk of a strike, **{', '.join(entry.members_left)}** left the coalition."]


def _moves(entry: TraceEntry) -> list[str]:
    """The moves in order, or why nobody moved when the force collapsed first."""
    if entry.decisions:
        moves = " → ".join(f"{ACTOR_SHORT[d['actor']]} {_does(d['actor'], d['action'])}" for d in entry.decisions)
        return [f"The moves: **{moves}**."]
    if entry.outcome == "coalition_backs_down":
        return ["Too few troops are left: the force collapses before anyone moves, a public climb-down."]
    return []


def _clash(entry: TraceEntry) -> list[str]:
    """A clash this round: who caused it (Russia, or a second incident) and whether it became a major war."""
    if entry.escalation is not None:
        result = "it became a major war" if entry.end_rung == "major_war" else "it stayed limited"
        struck = any(d["actor"] == "russia" and d["action"] == "deploy" for d in entry.decisions)
        how = "Russia used force." if struck else "A second incident in a row became a clash that nobody chose."
        return [
            f"⚔ **{how}** The chance that the clash would become a major war was {share(entry.escalation)}; {result}."
        ]
    if entry.outcome in ("limited_clash", "major_war"):
        return ["⚔ **At the horizon the open incident spiralled into a clash that nobody chose.**"]
    return []


def _standing(entry: TraceEntry) -> str:
    """How the crisis ended, or where the ladder stands."""
    if entry.outcome:
        return f"**The crisis is over: {words(entry.outcome).lower()}** ({OUTCOME_MEANING[entry.outcome]})."
    return f"The ladder now stands at **{words(entry.end_rung).lower()}**."


def _belief_changes(model: CrisisModel, entry: TraceEntry) -> list[str]:
    """The public beliefs that moved (at the precision shown) after the moves were seen."""
    changed = [
        f"{model.actors[d['actor']].label} {entry.beliefs[d['actor']]:.0%} → {d['belief_after']:.0%}"
        for d in entry.decisions
        if f"{d['belief_after']:.2f}" != f"{entry.beliefs[d['actor']]:.2f}"
    ]
    if not changed:
        return []
    return [f"Seeing the moves, the public beliefs that each is resolute changed: {'; '.join(changed)}."]


# ---------------------------------------------------------------------------------------------
# In brief (side by side) and the whole story


def opening_lines(model: CrisisModel) -> list[str]:
    """The start of a crisis in brief (side by side): the rung and each actor's type and public belief."""
    lines = [f"Starts at **{words(model.scenario.start_rung).lower()}**; at most {model.scenario.rounds} rounds."]
    for actor in model.actors.values():
        lines.append(
            f"**{actor.label}**: {type_words(bool(actor.resolute[0]))} (public belief "
            f"{actor.config.initial_belief:.0%} that it is resolute)."
        )
    return lines


def compact_round_lines(model: CrisisModel, entry: TraceEntry) -> list[str]:
    """A round in brief (side by side): one line per move with its probability, then what followed."""
    lines = [f"**Round {entry.round}** from {words(entry.start_rung).lower()}:"]
    if entry.members_left:
        lines.append(f"{', '.join(entry.members_left)} left the coalition.")
    for decision in entry.decisions:
        key = decision["actor"]
        before, after = entry.beliefs[key], decision["belief_after"]
        lines.append(
            f"**{model.actors[key].label}** ({type_words(decision['resolute'])}) "
            f"{_does(key, decision['action'])} ({share(decision['probability'][decision['action']])} likely); "
            f"belief it is resolute {before:.0%} → {after:.0%}."
        )
    lines.extend(line for line in happened_lines(model, entry) if not line.startswith(("The moves", "Seeing")))
    return lines


def ending_brief(model: CrisisModel) -> str:
    """How the crisis ended and what each actor got, in one line (side by side)."""
    outcome = OUTCOMES[model.outcome[0]]
    payoffs = ", ".join(f"{actor.label} {actor.payoff[0]:+.2f}" for actor in model.actors.values())
    return f"**Over after {model.rounds_played[0]} round(s): {words(outcome)}.** Payoffs: {payoffs}."


def story_so_far(model: CrisisModel, shown: int) -> list[str]:
    """``tell_story`` up to the round shown (the ending only once the last round is shown)."""
    lines = tell_story(model)
    cut = next((i for i, line in enumerate(lines) if line.startswith(f"Round {shown + 1}:")), None)
    return lines if cut is None else lines[: cut - 1]
