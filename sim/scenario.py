"""Scenario files: a validated description of one crisis, read from TOML.

A scenario is data, never code: every number the model uses lives here, with its meaning, unit,
range and default, so every assumption can be seen, documented and changed (``--set``).
Validation is done by pydantic; its errors are turned into :class:`ScenarioError`, which names
the file, the dotted field path and what is wrong.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.ladder import ACCIDENT_RUNGS, ACTIONS, OUTCOMES, START_RUNGS

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Payoff = Annotated[float, Field(ge=-1e6, le=1e6)]
Cost = Annotated[float, Field(ge=0.0, le=1e6)]
Action = Literal["deploy", "threaten", "back_down"]
RuleName = Literal["logit", "best_response", "doctrine"]
Foresight = Literal["forward", "myopic"]
MAX_MEMBERS = 16
"""Member states a coalition may list: the solver sums over every subset of them (2**16 at most)."""
StartRung = Literal[START_RUNGS]  # type: ignore[valid-type]


def _shown(source: str) -> str:
    """A built-in scenario file as ``scenarios/NAME.toml`` (wherever the package is installed);
    any other source as the user gave it."""
    try:
        path = Path(source)
        if path.is_absolute() and path.parent.resolve() == scenarios_dir().resolve():
            return f"scenarios/{path.name}"
    except OSError:
        pass
    return source


class ScenarioError(ValueError):
    """A scenario that cannot be used: the file, each bad field's dotted path, and the problem."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        shown = _shown(source)
        lines = [f"{shown}: {path}: {message}" if path else f"{shown}: {message}" for path, message in problems]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return (ScenarioError, (self.source, self.problems))  # survives the trip back from a worker process


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Payoffs(_Strict):
    """Utility of each terminal outcome for one actor, in utils.

    Adding a constant to all five changes no choice. Under logit choice the scale matters
    together with lambda: doubling every utility acts like doubling lambda.
    """

    deterrence_holds: Payoff
    coalition_backs_down: Payoff
    russia_backs_down: Payoff
    limited_clash: Payoff
    major_war: Payoff

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, outcome) for outcome in OUTCOMES)


DEFAULT_PAYOFFS: dict[str, dict[str, float]] = {
    # Orderings from docs/scenarios.md ("Default payoffs"): assumptions to vary, not findings.
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
        if observed is None:
            return self.opening
        return self.responses.get(observed, self.opening)  # type: ignore[call-overload]


class Actor(_Strict):
    """One strategic actor: its payoffs, costs, private resolve and how it decides."""

    name: str = ""
    rule: RuleName = "logit"
    rationality: Annotated[float, Field(ge=0.0, le=1e4, alias="lambda")] = 1.0
    payoffs: Payoffs
    resolve_prior: Probability = 0.5
    believed_resolve: Probability | None = None
    war_bonus: Annotated[float, Field(ge=0.0, le=1e6)] = 0.0
    force_in_place: Payoff = 0.0
    backstop_effect: Payoff = 0.0
    audience_cost: Cost = 0.0
    deploy_cost: Cost = 0.0
    threaten_cost: Cost = 0.0
    back_down_cost: Cost = 0.0
    commitment: Annotated[float, Field(ge=0.0, le=1e3)] = 0.0
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
        return (self.deploy_cost, self.threaten_cost, self.back_down_cost)


class Member(_Strict):
    """A member state of the coalition, with its own troops and private resolve."""

    name: str
    troops: Annotated[float, Field(gt=0.0, le=1e4)]
    resolve_prior: Probability = 0.5
    war_cost: Cost = 0.0
    exit_cost: Cost = 0.0
    mission_value: Payoff = 0.0


class CoalitionActor(Actor):
    tripwire_cost: Cost = 0.0
    members: list[Member] = Field(default_factory=list, max_length=MAX_MEMBERS)
    min_troops: Annotated[float, Field(ge=0.0, le=1e5)] = 0.0

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

    base: Probability = 0.1
    tripwire: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.15
    backstop: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.15


class Accident(_Strict):
    """Chance per round of an unintended incident on each rung (Schelling's risk left to chance)."""

    declared_intent: Probability = 0.005
    standoff: Probability = 0.03
    incident: Probability = 0.2
    backstop: Probability = 0.0

    def by_rung(self) -> dict[str, float]:
        return {rung: getattr(self, rung) for rung in ACCIDENT_RUNGS}


class Scenario(_Strict):
    """A whole crisis: the three actors, the ladder's risks and the horizon."""

    name: str = "unnamed"
    title: str = ""
    description: str = ""
    rounds: Annotated[int, Field(ge=1, le=1000)] = 20
    discount: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95
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
        return getattr(self, key)

    def sha256(self) -> str:
        """Hash of the validated content (not the file's bytes): overrides change it, comments don't."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Loading, overriding, listing


def scenarios_dir() -> Path:
    """The built-in scenarios: inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "scenarios", package.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    return package.parent / "scenarios"


def builtin_scenarios() -> dict[str, Path]:
    return {path.stem: path for path in sorted(scenarios_dir().glob("*.toml"))}


def resolve_scenario_path(path_or_name: str | Path) -> Path:
    path = Path(path_or_name)
    if path.exists():
        return path
    builtins = builtin_scenarios()
    if str(path_or_name) in builtins:
        return builtins[str(path_or_name)]
    known = ", ".join(builtins) or "none found"
    hint = _builtin_hint(path.stem)
    raise ScenarioError(str(path_or_name), [("", f"no such file or built-in scenario ({hint}built-in: {known})")])


def _builtin_hint(name: str) -> str:
    """``did you mean korea_1953_tripwire? `` for a built-in name begun or misspelt, else nothing."""
    builtins = list(builtin_scenarios())
    close = [key for key in builtins if name and key.startswith(name)]
    close = close or difflib.get_close_matches(name, builtins, n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


def starter_scenario(name: str, source: str = "coalition_2026") -> str:
    """The text of a new scenario file to start from (``sim new``): a built-in scenario's file with
    every comment kept (each field's meaning and the source of its number), retitled for ``name``.

    Raises :class:`ScenarioError` if ``source`` is not a built-in scenario.
    """
    builtins = builtin_scenarios()
    if source not in builtins:
        hint = _builtin_hint(source)
        raise ScenarioError(source, [("", f"not a built-in scenario ({hint}built-in: {', '.join(builtins)})")])
    lines = builtins[source].read_text(encoding="utf-8").split("\n")
    header = [
        f"# {name}: a scenario started from the built-in {source} (sim new). Change any number below;",
        f"# `sim validate {name}.toml` checks the file, `sim run {name}.toml` runs it.",
        "#",
    ]
    if lines and lines[0].startswith(f"# {source}:"):
        rest = lines[0][len(f"# {source}:") :].strip()
        lines[0] = f"# {rest[:1].upper()}{rest[1:]}"
    titled = False
    for i, line in enumerate(lines):
        if not titled and re.match(r"title\s*=", line):
            lines[i] = f"title = {json.dumps(f'{name} (from {source})')}"
            titled = True
    return "\n".join(header + lines)


def edited_scenario_text(text: str, edits: Mapping[str, Any], name: str, source: str = "the file") -> str | None:
    """A scenario file's text with ``edits`` (dotted path -> value) written into it, every comment
    and unchanged line kept as it was; ``None`` where that cannot be done faithfully (an edit inside
    a list the file does not write out, a file ``tomlkit`` cannot round-trip). The caller checks
    the result and falls back to writing every field.

    Each changed line says so in its comment (``# was 0.5 in coalition_2026: ...``). The file's
    ``name`` is written if it had none (a built-in file takes its name from the file's name).
    """
    import tomlkit  # only the app's download needs it

    try:
        document = tomlkit.parse(text)
        if "name" not in document:
            document.add("name", name)
        for path, value in edits.items():
            node: Any = document
            parts = path.split(".")
            for part in parts[:-1]:
                if part.isdigit():
                    node = node[int(part)]
                    continue
                if part not in node:
                    node[part] = tomlkit.table()
                node = node[part]
            key = parts[-1]
            old = node.get(key)
            item = tomlkit.item(value)
            previous = "" if old is None else f"was {_toml_text(old)} in {source}"
            comment = old.trivia.comment.lstrip("# ").strip() if old is not None and hasattr(old, "trivia") else ""
            note = "; ".join(part for part in (previous or f"added to {source}", comment) if part)
            item.comment(f"{note} (changed in the app)")
            node[key] = item
        return tomlkit.dumps(document)
    except Exception:  # a structure this simple writer does not handle: the caller writes every field
        return None


def _toml_text(value: Any) -> str:
    """A TOML item's value as it would be written (``0.5``, ``true``, ``"logit"``)."""
    plain = value.unwrap() if hasattr(value, "unwrap") else value
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return json.dumps(plain) if isinstance(plain, str) else str(plain)


def load_scenario(path_or_name: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file (or a built-in one, by name)."""
    path = resolve_scenario_path(path_or_name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(str(path), [("", f"cannot read the file: {error}")]) from None
    raw = parse_toml(text, str(path))
    raw.setdefault("name", path.stem)
    return scenario_from_dict(raw, str(path), overrides)


def resolve_extends(raw: dict[str, Any], source: str, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Merge a scenario onto the one it names in ``extends`` (a built-in name or a path).

    Tables merge key by key; anything else, lists of members included, replaces the base value.
    """
    if "extends" not in raw:
        return raw
    raw = dict(raw)
    parent_name = raw.pop("extends")
    if not isinstance(parent_name, str):
        raise ScenarioError(source, [("extends", "must be a built-in scenario name or a file path")])
    relative = Path(source).parent / parent_name
    parent_path = relative if relative.suffix == ".toml" and relative.exists() else resolve_scenario_path(parent_name)
    if parent_path.resolve() in seen:
        raise ScenarioError(source, [("extends", f"{parent_name} extends itself (a cycle)")])
    try:
        parent_text = parent_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, [("extends", f"cannot read {parent_path}: {error}")]) from None
    parent_raw = parse_toml(parent_text, str(parent_path))
    parent_raw = resolve_extends(parent_raw, str(parent_path), (*seen, parent_path.resolve()))
    parent_raw.pop("name", None)
    return _deep_merge(parent_raw, raw)


def _deep_merge(base: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """A scenario file's TOML as a dict; an empty file is refused rather than run as the defaults."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(source, [("", f"not valid TOML: {error}")]) from None
    if not data:
        raise ScenarioError(
            source,
            [
                (
                    "",
                    'the file is empty: a scenario states at least its title (title = "...") or what it extends',
                )
            ],
        )
    return data


def scenario_from_dict(
    raw: Mapping[str, Any], source: str = "<scenario>", overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Validate a scenario given as a dict (as read from TOML), after ``extends`` and overrides."""
    own_path = Path(source)
    seen = (own_path.resolve(),) if own_path.exists() else ()
    data = apply_overrides(resolve_extends(dict(raw), source, seen), overrides or {}, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, _describe(error, overrides or {})) from None


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], source: str | None = None) -> Scenario:
    """A copy of a validated scenario with some fields changed, validated again."""
    if not overrides:
        return scenario
    raw = scenario.model_dump(mode="json", by_alias=True)
    return scenario_from_dict(raw, source or scenario.name, overrides)


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Set dotted paths (``russia.lambda``, ``coalition.members.0.troops``) in a copy of ``raw``.

    ``a__b`` is accepted for ``a.b`` so overrides can be passed as Python keyword arguments.
    """
    data = copy.deepcopy(dict(raw))
    for dotted, value in overrides.items():
        keys = dotted.replace("__", ".").split(".")
        node: Any = data
        try:
            for key in keys[:-1]:
                node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
            if isinstance(node, list):
                node[int(keys[-1])] = value
            elif isinstance(node, dict):
                node[keys[-1]] = value
            else:
                raise TypeError(f"{'.'.join(keys[:-1])} is not a table")
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise ScenarioError(source, [(dotted, f"cannot set this path ({error})")]) from None
    return data


def parse_assignment(text: str) -> tuple[str, Any]:
    """``path=value`` from the command line; the value is read as TOML, else kept as a string."""
    if "=" not in text:
        raise ScenarioError("--set", [(text, "expected PATH=VALUE, e.g. russia.lambda=2.5")])
    path, _, value_text = text.partition("=")
    path, value_text = path.strip(), value_text.strip()
    try:
        value = tomllib.loads(f"v = {value_text}")["v"]
    except tomllib.TOMLDecodeError:
        value = value_text
    return path, value


SYNONYMS = {"rationality": "lambda", "resolve": "resolve_prior", "precision": "lambda", "horizon": "rounds"}
"""Names people reach for, and the field each means (for "did you mean" hints)."""


def known_paths(model: type[BaseModel] | None = None, prefix: str = "") -> list[str]:
    """Every field's dotted path in a scenario file (by its TOML name; list items as ``0``)."""
    model = model or Scenario
    paths = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}{key}"
        paths.append(path)
        for inner in (info.annotation, *typing.get_args(info.annotation)):
            for candidate in (inner, *typing.get_args(inner)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    item = ".0." if typing.get_origin(inner) in (list, tuple) else "."
                    paths += known_paths(candidate, path + item)
    return sorted(set(paths))


def _did_you_mean(path: str) -> str:
    """`` (did you mean russia.lambda?)`` for a misspelt or synonymous field, else nothing."""
    parts = path.split(".")
    general = ".".join("0" if part.isdigit() else part for part in parts)
    known = known_paths()
    synonym = SYNONYMS.get(parts[-1])
    guesses = []
    if synonym and ".".join([*general.split(".")[:-1], synonym]) in known:
        guesses = [".".join([*general.split(".")[:-1], synonym])]
    guesses = guesses or difflib.get_close_matches(general, known, n=1, cutoff=0.75)
    if not guesses:
        return ""
    # Put the user's own list positions back.
    guess = guesses[0].split(".")
    guess = [mine if mine.isdigit() and theirs == "0" else theirs for mine, theirs in zip(parts, guess)] + guess[
        len(parts) :
    ]
    return f" (did you mean {'.'.join(guess)}?)"


def _describe(error: ValidationError, overrides: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One (dotted path, message) per problem; marks problems that an override caused."""
    problems = []
    set_paths = {path.replace("__", ".") for path in overrides}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field" + _did_you_mean(path)
        elif item["type"] != "missing" and not isinstance(item.get("input"), (dict, list)):
            message += f" (got {item['input']!r})"
        if any(changed == path or changed.startswith(f"{path}.") for changed in set_paths):
            message += " [overridden]"
        problems.append((path, message))
    return problems


__all__ = [
    "ACTIONS",
    "Accident",
    "Actor",
    "CoalitionActor",
    "Doctrine",
    "Escalation",
    "Member",
    "Payoffs",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "builtin_scenarios",
    "load_scenario",
    "parse_assignment",
    "scenario_from_dict",
    "with_overrides",
]
