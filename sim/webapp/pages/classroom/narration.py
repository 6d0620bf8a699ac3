"""The Classroom page in words: what happened in a round, each actor's card and its "why".

Pure functions from a played crisis (a :class:`~sim.engine.model.CrisisModel` and its trace) to Markdown
strings, so the tests can check every sentence without opening the page.
"""

from __future__ import annotations

from typing import Any

from sim.domain.ladder import ACTORS, OUTCOME_MEANING, OUTCOMES
from sim.domain.scenario import Actor
from sim.engine.model import CrisisModel, TraceEntry
from sim.engine.rules import rule_for
from sim.runs.trace import AFTER_A_STRIKE, follows_doctrine, meaning, now_and_later, rounds_text, tell_story, worth
from sim.webapp.style import ACTOR_SHORT, capitalised, plain, type_words, verb, words

# ---------------------------------------------------------------------------------------------
# Small words


def action_label(actor: str, action: str) -> str:
    """The action's name for the class: Russia's 'deploy' is the use of force."""
    return capitalised(_forms(actor, action)[0])


def _forms(actor: str, action: str) -> tuple[str, str, str]:
    """The action's forms in :data:`~sim.webapp.style.VERB`; Russia's 'deploy' is the use of force."""
    return ("use force", "uses force", "using force") if (actor, action) == ("russia", "deploy") else verb(action)


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


def rule_words(config: Actor) -> str:
    """How an actor decides, from its scenario settings (before it has made any decision)."""
    ahead = (
        " It looks only at this round, as if the status quo then lasted for ever (myopic)."
        if config.foresight == "myopic"
        else ""
    )
    rule = rule_for(config)
    return rule.in_words() + (ahead if rule.uses_utilities else "")


def choice_words(actor: str, action: str) -> str:
    """The move and what it means, as Markdown, such as
    ``**Deploys**: keep the multinational force on the ground in Ukraine.``
    for the coalition's ``deploy``."""
    return f"**{capitalised(_does(actor, action))}**: {meaning(actor, action)}."


def why_line(actor: str, decision: dict[str, Any]) -> str:
    """Why the actor chose as it did: what each move is worth now and later, and how sure its rule made it.

    Everything comes from the decision itself (its values, probabilities and rule, as ``sim trace`` records
    them), in the same words as ``sim trace`` (:func:`sim.runs.trace.worth`).
    """
    action = decision["action"]
    utility, probability = decision["utility"], decision["probability"]
    does = _does(actor, action)
    if follows_doctrine(decision):
        return (
            f"It follows a fixed doctrine ({decision['rule']}), whatever the payoffs, so it {does}; by its own "
            f"numbers {worth(decision, action, _doing(actor, action))}."
        )
    ranked = sorted(utility, key=lambda a: utility[a], reverse=True)
    best = ranked[0]
    tied = [a for a in ranked if utility[a] >= utility[best] - 1e-9]
    other = ranked[1] if action == best else action
    head = (
        f"{capitalised(_doing(actor, best))} pays best: {worth(decision, best, 'it')}, against "
        f"{utility[other]:+.2f} for {_doing(actor, other)}."
    )
    now = {a: now_and_later(decision, a)[0] for a in utility}
    now_best = max(utility, key=lambda a: now[a])
    if decision.get("stage") != AFTER_A_STRIKE and now[now_best] > now[best] + 1e-9:
        head += f" This round alone, {_doing(actor, now_best)} would pay more: what comes later decides."
    rule = f"with its rule ({decision['rule']})"
    chosen = share(probability[action])
    if len(tied) > 1 and action in tied:
        return f"{head} The best moves tie, so it picks each about {chosen} of the time."
    if action == best:
        return f"{head} {capitalised(rule)} it {does} {chosen} of the time."
    return f"{head} But {rule} it still {does} {chosen} of the time, and this time it did."


# ---------------------------------------------------------------------------------------------
# Before the first move, and each actor's card


def opening_paragraphs(model: CrisisModel) -> list[str]:
    """Round 0 for the class: where the crisis starts, the order of moves, what the audience sees that the
    actors do not, and a question to ask."""
    order = " → ".join(ACTOR_SHORT[key] for key in ACTORS)
    return [
        f"The crisis starts at **{words(model.scenario.start_rung).lower()}** and lasts at most "
        f"**{model.scenario.rounds} rounds**. Each round the three actors move in turn: {order}. If the "
        "coalition or Russia backs down, the crisis ends at once. If Russia strikes, the coalition resists or "
        "concedes and, if it resists, the US joins the fight or stays out: the crisis ends that round.",
        "Each actor weighs every move by what it is worth **now** (this round) and **later** (the rest of the "
        "crisis it leads to, discounted), knowing that the others reason the same way.",
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
        f"Decides by: {rule_words(actor.config)}",
    ]
    coalition = model.scenario.coalition
    if key == "coalition" and coalition.members:
        members = ", ".join(f"{plain(member.name)} ({member.troops:g})" for member in coalition.members)
        lines.append(
            f"Troops: {members}. The force collapses below {coalition.min_troops:g}; members may leave when a "
            "strike looks likely."
        )
    return "\n\n".join(lines)


def actor_card(model: CrisisModel, entry: TraceEntry, key: str) -> str:
    """An actor in one round: private type, belief before and after its moves, each choice and why."""
    actor = model.actors[key]
    lines = [f"#### {actor.label}", f"Private type: **{type_words(bool(actor.resolute[0]))}** (hidden from the others)"]
    before = entry.beliefs[key]
    decisions = [d for d in entry.decisions if d["actor"] == key]
    if not decisions:
        lines.append(f"Public belief that it is resolute: **{before:.0%}**")
        lines.append("**Did not move**: the crisis ended before its turn.")
        return "\n\n".join(lines)
    after = decisions[-1]["belief_after"]
    lines.append(f"Public belief that it is resolute: **{before:.0%} → {after:.0%}**")
    for decision in decisions:
        when = "After the strike: " if decision.get("stage") == AFTER_A_STRIKE else ""
        lines.append(when + choice_words(key, decision["action"]))
        lines.append(f"_Why:_ {why_line(key, decision)}")
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
    after = {d["actor"]: d["belief_after"] for d in entry.decisions}  # an actor's last decision
    changed = [
        f"{model.actors[key].label} {entry.beliefs[key]:.0%} → {belief:.0%}"
        for key, belief in after.items()
        if f"{belief:.2f}" != f"{entry.beliefs[key]:.2f}"
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
    believed = dict(entry.beliefs)
    for decision in entry.decisions:
        key = decision["actor"]
        before, after = believed[key], decision["belief_after"]
        believed[key] = after
        when = "after the strike " if decision.get("stage") == AFTER_A_STRIKE else ""
        lines.append(
            f"**{model.actors[key].label}** ({type_words(decision['resolute'])}) {when}"
            f"{_does(key, decision['action'])} ({share(decision['probability'][decision['action']])} likely); "
            f"belief it is resolute {before:.0%} → {after:.0%}."
        )
    lines.extend(line for line in happened_lines(model, entry) if not line.startswith(("The moves", "Seeing")))
    return lines


def ending_brief(model: CrisisModel) -> str:
    """How the crisis ended and what each actor got, in one line (side by side)."""
    outcome = OUTCOMES[model.outcome[0]]
    payoffs = ", ".join(f"{actor.label} {actor.payoff[0]:+.2f}" for actor in model.actors.values())
    return f"**Over after {rounds_text(model.rounds_played[0])}: {words(outcome)}.** Payoffs: {payoffs}."


def story_so_far(model: CrisisModel, shown: int) -> list[str]:
    """``tell_story`` up to the round shown (the ending only once the last round is shown)."""
    lines = tell_story(model)
    cut = next((i for i, line in enumerate(lines) if line.startswith(f"Round {shown + 1}:")), None)
    return lines if cut is None else lines[: cut - 1]
