"""The scenario schema: the validated form of one crisis, as pydantic models.

Every field's bounds and meaning come from the field catalogue (:mod:`sim.domain.fields`) through
:func:`~sim.domain.fields.constraint`; defaults are here. Models are strict (an unknown field is an
error), frozen, and refuse ``inf``/``nan``, booleans and quoted numbers where a number is expected.
Reading files, ``extends``, overrides and error messages are in :mod:`sim.domain.scenario`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from sim.domain.fields import constraint
from sim.domain.ladder import ACCIDENT_RUNGS, OUTCOMES, START_RUNGS
from sim.domain.limits import MAX_MEMBERS


def _refuse_bool_and_text(kind: str) -> BeforeValidator:
    """A check run before pydantic's own, which would read ``true`` as 1 and ``"20"`` as 20: a
    boolean or a quoted number where a number belongs is a mistake in the file (a wrong field, a
    stray pair of quotes), and running it as a number would change results silently."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError("number_type", "Input should be {kind}, not true or false", {"kind": kind})
        if isinstance(value, str):
            raise PydanticCustomError(
                "number_type", "Input should be {kind}, not text: write it without quotes", {"kind": kind}
            )
        return value

    return BeforeValidator(check)


Real = Annotated[float, _refuse_bool_and_text("a number")]
"""A number: an integer or a decimal (``6`` or ``6.0``), never a boolean or a string."""
Whole = Annotated[int, _refuse_bool_and_text("a whole number")]
"""A whole number (``20``, or ``20.0``), never a boolean or a string."""
Action = Literal["deploy", "threaten", "back_down"]
RuleName = Literal["logit", "best_response", "doctrine"]
Foresight = Literal["forward", "myopic"]
StartRung = Literal[START_RUNGS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Payoffs(_Strict):
    """Utility of each terminal outcome for one actor, in utils.

    Adding a constant to all five changes no choice. Under logit choice the scale matters
    together with lambda: doubling every utility acts like doubling lambda.
    """

    deterrence_holds: Annotated[Real, constraint("payoffs", "deterrence_holds")]
    coalition_backs_down: Annotated[Real, constraint("payoffs", "coalition_backs_down")]
    russia_backs_down: Annotated[Real, constraint("payoffs", "russia_backs_down")]
    limited_clash: Annotated[Real, constraint("payoffs", "limited_clash")]
    major_war: Annotated[Real, constraint("payoffs", "major_war")]

    def as_tuple(self) -> tuple[float, ...]:
        """The five utilities in the order of :data:`sim.domain.ladder.OUTCOMES`, for indexing by outcome code."""
        return tuple(getattr(self, outcome) for outcome in OUTCOMES)


DEFAULT_PAYOFFS: dict[str, dict[str, float]] = {
    # Orderings from docs/reference/scenarios.md ("Default payoffs"): assumptions to vary, not findings.
    "coalition": dict(
        deterrence_holds=6, coalition_backs_down=-4, russia_backs_down=5, limited_clash=-8, major_war=-25
    ),
    "russia": dict(deterrence_holds=0, coalition_backs_down=10, russia_backs_down=-4, limited_clash=-8, major_war=-20),
    "us": dict(deterrence_holds=4, coalition_backs_down=-3, russia_backs_down=4, limited_clash=-2, major_war=-15),
}


class Doctrine(_Strict):
    """A scripted policy: an opening move, then a reply to the move the actor last observed.

    The observed move is the coalition's move this round (for Russia), Russia's move this round
    (for the US), or Russia's move in the previous round (for the coalition).
    """

    opening: Action = "threaten"
    responses: dict[Action, Action] = Field(default_factory=dict)

    def action_for(self, observed: str | None) -> str:
        """The scripted move after seeing ``observed``.

        Parameters
        ----------
        observed : str or None
            The move the actor last observed (``"deploy"``, ``"threaten"`` or ``"back_down"``), or
            None when it has seen none yet.

        Returns
        -------
        str
            The reply the doctrine gives to that move; the opening move when nothing was observed or
            the doctrine has no reply for it.
        """
        if observed is None:
            return self.opening
        return self.responses.get(observed, self.opening)  # type: ignore[call-overload]


class Actor(_Strict):
    """One strategic actor: its payoffs, costs, private resolve and how it decides."""

    name: str = ""
    rule: RuleName = "logit"
    rationality: Annotated[Real, constraint("actor", "lambda"), Field(alias="lambda")] = 1.0
    payoffs: Payoffs
    resolve_prior: Annotated[Real, constraint("actor", "resolve_prior")] = 0.5
    believed_resolve: Annotated[Real, constraint("actor", "believed_resolve")] | None = None
    war_bonus: Annotated[Real, constraint("actor", "war_bonus")] = 0.0
    force_in_place: Annotated[Real, constraint("actor", "force_in_place")] = 0.0
    backstop_effect: Annotated[Real, constraint("actor", "backstop_effect")] = 0.0
    audience_cost: Annotated[Real, constraint("actor", "audience_cost")] = 0.0
    deploy_cost: Annotated[Real, constraint("actor", "deploy_cost")] = 0.0
    threaten_cost: Annotated[Real, constraint("actor", "threaten_cost")] = 0.0
    back_down_cost: Annotated[Real, constraint("actor", "back_down_cost")] = 0.0
    commitment: Annotated[Real, constraint("actor", "commitment")] = 0.0
    foresight: Foresight = "forward"
    doctrine: Doctrine | None = None

    @model_validator(mode="after")
    def _doctrine_needs_a_script(self) -> Actor:
        if self.rule == "doctrine" and self.doctrine is None:
            raise ValueError("rule = 'doctrine' needs a [doctrine] table with an opening move")
        return self

    @property
    def initial_belief(self) -> float:
        """What the others believe at the start: the probability that this actor is resolute."""
        return self.resolve_prior if self.believed_resolve is None else self.believed_resolve

    def action_costs(self) -> tuple[float, float, float]:
        """The cost of each move, ``(deploy, threaten, back_down)``, in the order of ``ACTIONS``."""
        return (self.deploy_cost, self.threaten_cost, self.back_down_cost)


class Member(_Strict):
    """A member state of the coalition, with its own troops and private resolve."""

    name: str
    troops: Annotated[Real, constraint("member", "troops")]
    resolve_prior: Annotated[Real, constraint("member", "resolve_prior")] = 0.5
    war_cost: Annotated[Real, constraint("member", "war_cost")] = 0.0
    exit_cost: Annotated[Real, constraint("member", "exit_cost")] = 0.0
    mission_value: Annotated[Real, constraint("member", "mission_value")] = 0.0


class CoalitionActor(Actor):
    """The coalition: an actor with its member states, the troops it needs to stay viable, and the
    extra cost of conceding after its deployed troops are struck (the tripwire).

    Raises
    ------
    pydantic.ValidationError
        If ``min_troops`` is more than all members' troops together, or two members share a name.
    """

    tripwire_cost: Annotated[Real, constraint("coalition", "tripwire_cost")] = 0.0
    members: list[Member] = Field(default_factory=list, max_length=MAX_MEMBERS)
    min_troops: Annotated[Real, constraint("coalition", "min_troops")] = 0.0

    @model_validator(mode="after")
    def _threshold_reachable(self) -> CoalitionActor:
        total = sum(member.troops for member in self.members)
        if self.members and self.min_troops > total:
            raise ValueError(f"min_troops = {self.min_troops} is more than all members' troops together ({total})")
        if len({member.name for member in self.members}) != len(self.members):
            raise ValueError("member names must be unique")
        return self


class Escalation(_Strict):
    """How likely a clash is to become a major war: base + tripwire + backstop, clipped to [0, 1]."""

    base: Annotated[Real, constraint("escalation", "base")] = 0.1
    tripwire: Annotated[Real, constraint("escalation", "tripwire")] = 0.15
    backstop: Annotated[Real, constraint("escalation", "backstop")] = 0.15


class Accident(_Strict):
    """Chance per round of an unintended incident on each rung (Schelling's risk left to chance)."""

    declared_intent: Annotated[Real, constraint("accident", "declared_intent")] = 0.005
    standoff: Annotated[Real, constraint("accident", "standoff")] = 0.03
    incident: Annotated[Real, constraint("accident", "incident")] = 0.2
    backstop: Annotated[Real, constraint("accident", "backstop")] = 0.0

    def by_rung(self) -> dict[str, float]:
        """The incident chance on each rung of :data:`sim.domain.ladder.ACCIDENT_RUNGS`, by rung name."""
        return {rung: getattr(self, rung) for rung in ACCIDENT_RUNGS}


class Scenario(_Strict):
    """A whole crisis: the three actors, the ladder's risks and the horizon."""

    name: str = "unnamed"
    title: str = ""
    description: str = ""
    rounds: Annotated[Whole, constraint("top", "rounds")] = 20
    discount: Annotated[Real, constraint("top", "discount")] = 0.95
    start_rung: StartRung = "declared_intent"
    escalation: Escalation = Field(default_factory=Escalation)
    accident: Accident = Field(default_factory=Accident)
    coalition: CoalitionActor
    russia: Actor
    us: Actor

    @model_validator(mode="before")
    @classmethod
    def _fill_default_payoffs(cls, data: Any) -> Any:
        """Missing actors or payoff entries take the documented defaults, per actor."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for actor, defaults in DEFAULT_PAYOFFS.items():
            table = data.get(actor, {})
            if not isinstance(table, dict):
                continue
            table = dict(table)
            given = table.get("payoffs", {})
            if isinstance(given, dict):
                table["payoffs"] = {**defaults, **given}
            data[actor] = table
        return data

    def actor(self, key: str) -> Actor:
        """The actor named ``key``: ``"coalition"``, ``"russia"`` or ``"us"`` (:data:`sim.domain.ladder.ACTORS`)."""
        return getattr(self, key)

    def sha256(self) -> str:
        """Hash of the validated content (not the file's bytes): overrides change it, comments don't."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()
