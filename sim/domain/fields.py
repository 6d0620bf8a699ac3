"""The catalogue of every scenario field: one place for what each field means, its unit and its range.

Everything else reads a field's facts from here:

* the scenario schema (:mod:`sim.domain.scenario`) takes each field's bounds and description from
  :func:`constraint`, so a range is enforced exactly as it is documented;
* the app labels its widgets and writes their help from :attr:`FieldSpec.label` and
  :attr:`FieldSpec.help`, and its Sweep page starts each range at :attr:`FieldSpec.sweep`;
* the field tables of ``docs/reference/scenarios.md`` are generated from it
  (:mod:`sim.domain.field_reference`; a test checks the page matches).

Defaults are not here: a field's default is the schema's (``Scenario.model_fields``), and the
reference tables read it from there. Per-actor fields (``group = "actor"``) apply to ``coalition``,
``russia`` and ``us`` alike; their path is ``ACTOR.field`` (``russia.lambda``).

References
----------
Fearon, J. D. (1994). Domestic political audiences and the escalation of international disputes.
*American Political Science Review* 88(3), 577-592. Schelling, T. C. (1966). *Arms and Influence*.
McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
*Games and Economic Behavior* 10(1), 6-38.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from sim.domain.ladder import ACTORS
from sim.domain.limits import MAX_MEMBERS, MAX_ROUNDS

ACTOR = "ACTOR"
"""The placeholder for an actor's key in the path of a per-actor field (``ACTOR.lambda``)."""

GROUP_PREFIX: dict[str, str] = {
    "top": "",
    "escalation": "escalation.",
    "accident": "accident.",
    "actor": f"{ACTOR}.",
    "payoffs": f"{ACTOR}.payoffs.",
    "doctrine": f"{ACTOR}.doctrine.",
    "coalition": "coalition.",
    "member": "coalition.members[].",
}
"""Where each group's fields sit in a scenario file."""

RESOLVE_CONTEXT = {
    "coalition": "Will the coalition accept casualties rather than withdraw? Its resolve is in doubt.",
    "russia": "Does Moscow prefer a clash to dropping its red line? This is the crux of the crisis.",
    "us": "Would Washington commit an air and intelligence backstop? Ground troops are ruled out.",
}
"""What each actor's resolve stands for in the crisis: added to the help of its ``resolve_prior``."""

POSSESSIVE = {"coalition": "the coalition's", "russia": "Russia's", "us": "the US's"}
"""How a sentence names an actor's field: ``Russia's resolve prior``."""


@dataclass(frozen=True)
class FieldSpec:
    """What one scenario field means and which values it takes.

    Parameters
    ----------
    group, key
        The table the field sits in (a key of :data:`GROUP_PREFIX`) and its name there.
    meaning
        One line for the reference tables (Markdown, links relative to ``docs/reference/``).
    unit
        Its unit in words (``probability``, ``utils per round``), or ``""`` for choices and text.
    low, high
        The valid range, inclusive unless ``low_open`` (then ``low`` itself is refused); ``None`` for
        fields that are not numbers.
    integer
        A whole number.
    range_note, default_note
        Words added to the generated range, or shown instead of the schema's default.
    label, help, step
        The app's widget label, its help text (plain sentences) and its step; only fields the app
        offers have a label.
    sweep
        The span the app's Sweep page starts with (per actor for per-actor fields), and ``phrase``
        how a sentence names the field there (``{owner}`` becomes ``Russia's``...).
    """

    group: str
    key: str
    meaning: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False
    range_note: str = ""
    default_note: str = ""
    label: str = ""
    help: str = ""
    step: float = 0.05
    sweep: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    phrase: str = ""

    @property
    def path(self) -> str:
        """The dotted path, with :data:`ACTOR` standing for the actor in per-actor fields."""
        return GROUP_PREFIX[self.group] + self.key

    def path_for(self, actor: str = "") -> str:
        """The dotted path of this field for one actor (``russia.lambda``)."""
        return self.path.replace(ACTOR, actor) if actor else self.path

    def range_text(self) -> str:
        """The valid range in words, as the reference tables show it (``0–1``, ``> 0 and ≤ 1``)."""
        if self.low is None or self.high is None:
            return self.range_note
        low, high = _number(self.low), _number(self.high)
        if self.low_open:
            text = f"> {low} and ≤ {high}"
        elif self.low < 0:
            text = f"{low} to {high}"
        else:
            text = f"{low}–{high}"
        if self.integer:
            text = f"integer {text}"
        return f"{text} {self.range_note}".strip() if self.range_note else text

    def allowed(self) -> str:
        """The valid range as a sentence for the app's help (``Allowed: 0 to 1.``), or ``""``."""
        if self.low is None or self.high is None or self.low <= -UTILS:
            return ""
        low, high = f"{self.low:g}", f"{self.high:g}"
        if self.integer:
            return f"Allowed: a whole number from {low} to {high}."
        if self.low_open:
            return f"Allowed: more than {low}, at most {high}."
        if self.high >= UTILS:
            return f"Allowed: {low} or more."
        return f"Allowed: {low} to {high}."

    def help_text(self) -> str:
        """The app's help: what the field means, then which values it takes."""
        return f"{self.help} {self.allowed()}".strip()


def _number(value: float) -> str:
    """``1000000`` as ``10⁶``, ``-1`` as ``−1``, ``0.0`` as ``0``."""
    sign = "−" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1e6 and magnitude == 10 ** round(len(str(int(magnitude))) - 1):
        power = len(str(int(magnitude))) - 1
        return f"{sign}10" + "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] for d in str(power))
    return sign + (f"{magnitude:g}" if magnitude < 1e5 else str(int(magnitude)))


UTILS = 1e6
"""The largest size of any utility field (payoffs and costs): far beyond any sensible scale, small
enough that sums of them stay exact in floating point."""

_PROBABILITY: dict[str, Any] = {"unit": "probability", "low": 0.0, "high": 1.0}
_PAYOFF: dict[str, Any] = {"unit": "utils", "low": -UTILS, "high": UTILS}
_COST: dict[str, Any] = {"low": 0.0, "high": UTILS}

CATALOGUE: tuple[FieldSpec, ...] = (
    # --- top level ---------------------------------------------------------------------------
    FieldSpec("top", "name", "identifier used in outputs", "text", range_note="any",
              default_note='the file name without `.toml` (`"unnamed"` if built from a dict)'),
    FieldSpec("top", "title", "one-line title shown by `sim run`, `sim trace`, `sim scenarios`", "text",
              range_note="any"),
    FieldSpec("top", "description", "a paragraph on what the scenario represents", "text", range_note="any"),
    FieldSpec("top", "rounds", "horizon: rounds after which an open crisis ends as `deterrence_holds` "
              "([model.md §11](../explanation/model.md#11-accidents-the-horizon-and-discounting))", "rounds",
              1, MAX_ROUNDS, integer=True, range_note="([limits](limits.md#scenarios-runs-and-sweeps))",
              label="Rounds (horizon)", step=1,
              help="How many rounds (think: months) the crisis lasts. If nobody has backed down or fought by then, "
              "the outcome is 'deterrence holds'."),
    FieldSpec("top", "discount", "weight of the next round relative to this one; outcomes are present values, the "
              "status quo pays a flow each round", "factor per round", 0.0, 1.0, low_open=True),
    FieldSpec("top", "start_rung", "rung at round 0 (only `incident` changes how round 1 is played)", "rung",
              range_note="`ceasefire`, `declared_intent`, `deployed`, `standoff`, `incident`",
              label="Starting rung",
              help="Where the crisis stands at round 0, from a ceasefire to an incident that has just happened."),
    FieldSpec("top", "extends", "scenario to start from (see above)", "name or path",
              range_note="built-in name or existing file", default_note="none"),
    # --- escalation --------------------------------------------------------------------------
    FieldSpec("escalation", "base", "chance a clash becomes a major war with no troops deployed and no US backstop",
              **_PROBABILITY, label="Escalation: base",
              help="Chance that a clash becomes a major war with no troops deployed and no US backstop.",
              sweep={"": (0.0, 0.5)}, phrase="the base chance that a clash becomes a major war"),
    FieldSpec("escalation", "tripwire", "added when the coalition's troops are deployed (Schelling's tripwire)",
              "probability shift", -1.0, 1.0, label="Escalation: tripwire",
              help="Added to that chance when coalition troops are on the ground: troops killed in a strike tie "
              "Western hands (Schelling 1966). The total is kept in 0-1.",
              sweep={"": (0.0, 0.45)}, phrase="the escalation tripwire"),
    FieldSpec("escalation", "backstop", "added when the US joins the clash", "probability shift", -1.0, 1.0,
              label="Escalation: US backstop",
              help="Added to that chance when the US has committed its backstop: a nuclear power drawn into the "
              "fight.", sweep={"": (0.0, 0.45)}, phrase="the escalation effect of the US backstop"),
    # --- accident ----------------------------------------------------------------------------
    FieldSpec("accident", "declared_intent", "round ends with a guarantee declared, no troops in Ukraine",
              "probability per round", 0.0, 1.0, label="Accident: declared intent", step=0.005,
              help="Chance per round of an unintended incident while a guarantee is only declared (no troops in "
              "Ukraine).", sweep={"": (0.0, 0.05)},
              phrase="the chance of an accident while intent is only declared"),
    FieldSpec("accident", "standoff", "round ends with troops deployed and Russia threatening (its forces on alert)",
              "probability per round", 0.0, 1.0, label="Accident: standoff", step=0.01,
              help="Chance per round of an unintended incident with troops deployed and Russia threatening: "
              "Schelling's risk that leaves something to chance.", sweep={"": (0.0, 0.15)},
              phrase="the chance of an accident in a standoff"),
    FieldSpec("accident", "backstop", "added to either of the two above while the US has pledged its backstop this "
              "round (its aircraft near Russian forces)", "probability per round", 0.0, 1.0),
    FieldSpec("accident", "incident", "in the round right after an incident: chance that it becomes a clash; also "
              "the chance that an incident open at the horizon does", "probability per round", 0.0, 1.0,
              label="Accident: after an incident",
              help="Chance that an incident spirals into a clash in the round after it.", sweep={"": (0.0, 0.5)},
              phrase="the chance that an incident spirals into a clash"),
    # --- every actor -------------------------------------------------------------------------
    FieldSpec("actor", "name", "label in traces and the app", "text", range_note="any",
              default_note='`""` (the key, e.g. `russia`, is shown)'),
    FieldSpec("actor", "rule", "decision rule", '`"logit"`, `"best_response"` or `"doctrine"`', label="decision rule",
              step=0, help="logit = noisy best reply (quantal response); best_response = always the best move; "
              "doctrine = a scripted policy from the scenario file."),
    FieldSpec("actor", "lambda", "rationality of the logit rule (Python attribute: `rationality`)", "1/util",
              0.0, 1e4, label="rationality λ", step=0.25,
              help="How sharply the actor picks its best-paying move in the logit choice of McKelvey and Palfrey "
              "(1995). 0 = at random; 1-2 = usually the best move; 10+ = almost always.",
              sweep={actor: (0.0, 5.0) for actor in ACTORS}, phrase="{owner} rationality λ"),
    FieldSpec("actor", "payoffs", "utility of each outcome (table below)", "utils",
              default_note="per actor, see [defaults](#default-payoffs-and-why)"),
    FieldSpec("actor", "resolve_prior", "probability that the actor is resolute (its type is drawn from this)",
              **_PROBABILITY, label="resolve prior",
              help="Probability (0 to 1) that the actor is the *resolute* type, which prefers fighting to backing "
              "down. Each actor knows its own type; the others start from this prior and update it by Bayes' rule "
              "as they watch its moves (Fearon 1995).",
              sweep={actor: (0.0, 1.0) for actor in ACTORS}, phrase="{owner} resolve prior"),
    FieldSpec("actor", "believed_resolve", "what the others believe at the start, if different from `resolve_prior`",
              **_PROBABILITY, default_note="not set (= `resolve_prior`)"),
    FieldSpec("actor", "war_bonus", "added to the resolute type's `limited_clash` and `major_war` payoffs, in wars it "
              "fights in (the US only if it joins)", "utils", **_COST, label="war bonus",
              step=0.5, help="Utils a *resolute* type adds to both fighting outcomes, in wars it fights in (the US "
              "only once committed). It is what makes the resolute type prefer a clash to backing down.",
              sweep={"russia": (0.0, 15.0), "coalition": (0.0, 10.0)}, phrase="{owner} war bonus"),
    FieldSpec("actor", "force_in_place", "added to the status quo (`deterrence_holds`) when the coalition's troops "
              "are deployed", **_PAYOFF, label="force-in-place value", step=0.5,
              help="Utils added to the status quo when coalition troops are deployed: a guarantee on the ground is "
              "worth more than one on paper."),
    FieldSpec("actor", "backstop_effect", "added to `limited_clash` and `major_war` payoffs when the US joins the "
              "clash", **_PAYOFF, label="backstop effect", step=0.5,
              help="Utils added to both fighting outcomes when the US has committed its backstop (negative if the "
              "actor dreads it)."),
    FieldSpec("actor", "audience_cost", "cost of backing down (or conceding after a strike) per unit of public "
              "commitment (Fearon 1994); the US pays it only after pledging its backstop", "utils per unit",
              **_COST, label="audience cost", step=0.1,
              help="Cost of backing down per earlier round of public commitment: leaders who threaten and then "
              "retreat pay at home (Fearon 1994).",
              sweep={"russia": (0.0, 3.0), "coalition": (0.0, 3.0)}, phrase="{owner} audience cost"),
    FieldSpec("actor", "commitment", "public commitment staked before the crisis (a declaration, a red line stated "
              "twice); each round the actor stands firm adds one", "units", 0.0, 1e3),
    FieldSpec("actor", "foresight", '`"forward"`: weighs the whole rest of the crisis (the equilibrium); `"myopic"`: '
              "values the future as the status quo from the next round on "
              "([model.md §7](../explanation/model.md#7-solving-the-crisis-an-agent-logit-qre-over-public-beliefs))",
              range_note='`"forward"`, `"myopic"`'),
    FieldSpec("actor", "deploy_cost", "cost of `deploy` in a round", "utils per round", **_COST,
              label="cost of deploying", help="Utils paid for each round the actor deploys."),
    FieldSpec("actor", "threaten_cost", "cost of `threaten` in a round", "utils per round",
              **_COST, label="cost of threatening",
              help="Utils paid for each round the actor threatens."),
    FieldSpec("actor", "back_down_cost", "cost of `back_down` in a round", "utils per round",
              **_COST, label="cost of backing down",
              help="Utils paid in a round the actor backs down."),
    FieldSpec("actor", "doctrine", 'scripted policy (table below); required when `rule = "doctrine"`, ignored '
              "otherwise", "table", default_note="not set"),
    # --- payoffs (every actor) ---------------------------------------------------------------
    FieldSpec("payoffs", "deterrence_holds", "the horizon is reached, nobody backed down, no war", **_PAYOFF,
              default_note="per actor"),
    FieldSpec("payoffs", "coalition_backs_down", "the coalition abandons the force or it collapses", **_PAYOFF,
              default_note="per actor"),
    FieldSpec("payoffs", "russia_backs_down", "Russia drops its red line", **_PAYOFF,
              default_note="per actor"),
    FieldSpec("payoffs", "limited_clash", "force is used, fighting stays limited", **_PAYOFF,
              default_note="per actor"),
    FieldSpec("payoffs", "major_war", "the clash escalates to a wider war", **_PAYOFF,
              default_note="per actor"),
    # --- doctrine (every actor) --------------------------------------------------------------
    FieldSpec("doctrine", "opening", "the move before the actor has observed anything, and for any observed move "
              "not listed in `responses`", range_note='`"deploy"`, `"threaten"`, `"back_down"`'),
    FieldSpec("doctrine", "responses", "table: observed move → reply",
              range_note="keys and values among the three actions", default_note="`{}` (always the opening move)"),
    # --- the coalition only ------------------------------------------------------------------
    FieldSpec("coalition", "tripwire_cost", "extra cost of conceding after a strike on deployed troops: the tripwire "
              "ties hands (Fearon 1997)", **_PAYOFF | _COST),
    FieldSpec("coalition", "members", "the member states (array of tables `[[coalition.members]]`)",
              range_note=f"at most {MAX_MEMBERS} ([limits](limits.md#scenarios-runs-and-sweeps))",
              default_note="`[]` (no members: the force cannot collapse)"),
    FieldSpec("coalition", "min_troops", "troops below which the force is not viable and collapses "
              "(`coalition_backs_down`)", "same unit as `troops` (the built-in scenarios use thousands)", 0.0, 1e5,
              range_note="and at most the members' total", label="Coalition: minimum troops", step=0.5,
              help="Troops below which the force is not viable and collapses (same unit as the members' troops). "
              "At most all members' troops together."),
    # --- each member state -------------------------------------------------------------------
    FieldSpec("member", "name", "the member's name", "text", range_note="unique", default_note="**required**"),
    FieldSpec("member", "troops", "troops it contributes", "troops (thousands in the built-ins)", 0.0, 1e4,
              low_open=True, default_note="**required**", label="Troops",
              help="Troops it contributes (thousands in the built-in scenarios)."),
    FieldSpec("member", "resolve_prior", "probability, each round, that it is resolute and keeps its troops in "
              "whatever the risk", **_PROBABILITY, label="Resolve prior",
              help="Probability it is resolute: a resolute member never leaves."),
    FieldSpec("member", "war_cost", "utility it loses from a strike on the force, weighed by Russia's equilibrium "
              "strike chance and diluted by the troops others keep in "
              "([model.md §10](../explanation/model.md#10-member-states-a-cohesion-game))",
              **_PAYOFF | _COST, label="War cost",
              help="Utils it loses from a strike on the force, weighed by the risk of one."),
    FieldSpec("member", "exit_cost", "cost of walking out (reputation, alliance standing)",
              **_PAYOFF | _COST, label="Exit cost",
              help="Cost of walking out of the coalition (reputation, standing)."),
    FieldSpec("member", "mission_value", "value to it of keeping its troops in the mission this round",
              **_PAYOFF),
)  # fmt: skip
"""Every scenario field, by table, in the order the reference tables list them."""

_BY_PATH: dict[str, FieldSpec] = {spec.path: spec for spec in CATALOGUE}


def spec(path: str) -> FieldSpec:
    """The catalogue entry of a field, by its path (``russia.lambda`` or ``ACTOR.lambda``).

    Raises
    ------
    KeyError
        If no scenario field has that path.
    """
    head, _, rest = path.partition(".")
    if head in ACTORS and f"{ACTOR}.{rest}" in _BY_PATH and path not in _BY_PATH:
        return _BY_PATH[f"{ACTOR}.{rest}"]
    return _BY_PATH[path]


def group(name: str) -> list[FieldSpec]:
    """The fields of one table, in order."""
    return [item for item in CATALOGUE if item.group == name]


def constraint(group_name: str, key: str) -> Any:
    """The schema's constraint for a field: its bounds and its meaning as the description.

    Used in :mod:`sim.domain.scenario` as ``Annotated[Real, constraint("escalation", "tripwire")]``.
    """
    item = _BY_PATH[GROUP_PREFIX[group_name] + key]
    bounds: dict[str, float] = {}
    if item.low is not None:
        bounds["gt" if item.low_open else "ge"] = item.low
    if item.high is not None:
        bounds["le"] = item.high
    return Field(description=item.meaning, **bounds)  # type: ignore[call-overload]


def bounds(path: str) -> tuple[float | None, float | None]:
    """The valid (low, high) of a numeric field, by path."""
    item = spec(path)
    return item.low, item.high


def sweepable() -> Iterator[tuple[str, FieldSpec, tuple[float, float]]]:
    """Every (path, field, starting span) the app offers to sweep, per actor where the field is one."""
    for item in CATALOGUE:
        for owner, span in item.sweep.items():
            yield item.path_for(owner), item, span


def phrase(path: str) -> str:
    """How a sentence names a swept field: ``Russia's resolve prior``."""
    item = spec(path)
    owner = path.partition(".")[0]
    return item.phrase.replace("{owner}", POSSESSIVE.get(owner, ""))
