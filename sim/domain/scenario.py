"""Scenario files: a validated description of one crisis, read from TOML.

A scenario is data, never code: every number the model uses lives here, with its meaning, unit,
range and default, so every assumption can be seen, documented and changed (``--set``).
Validation is done by pydantic; its errors are turned into :class:`ScenarioError`, which names
the file, the dotted field path and what is wrong.

Names: a bare name (no path separator, no ``.toml`` suffix) always means a built-in scenario, so
a file in the current folder can never change what ``coalition_2026`` means; a user's file is
named by a path (``./mine``, ``dir/mine``) or a ``.toml`` suffix. Files are read only if they
are regular files within :data:`sim.domain.limits.MAX_FILE_BYTES`, and tables nested more than
:data:`sim.domain.limits.MAX_NESTING` deep are refused before validation.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.domain.files import FileRefused, read_regular_file
from sim.domain.ladder import ACTIONS
from sim.domain.limits import MAX_FILE_BYTES, MAX_NESTING
from sim.domain.nesting import shortened, too_deep_in_text
from sim.domain.schema import (  # the schema, re-exported: a scenario's fields and loading, one import
    Accident,
    Actor,
    CoalitionActor,
    Doctrine,
    Escalation,
    Member,
    Payoffs,
    Scenario,
)


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


# ---------------------------------------------------------------------------------------------
# Loading, overriding, listing


def scenarios_dir() -> Path:
    """The built-in scenarios: inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parents[1]  # sim/
    for candidate in (package / "scenarios", package.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    return package.parent / "scenarios"


def builtin_scenarios() -> dict[str, Path]:
    """The built-in scenarios: each ``.toml`` file of :func:`scenarios_dir` by its name (the stem), sorted."""
    return {path.stem: path for path in sorted(scenarios_dir().glob("*.toml"))}


def is_builtin_name(text: str) -> bool:
    """Whether ``text`` is read as a built-in scenario's name: it has no path separator and does
    not end in ``.toml``. Everything else is a file path.

    The rule depends on the text alone, never on which files exist, so a file in the current
    folder (or beside a scenario) cannot change what a built-in name means: ``coalition_2026`` is
    always the built-in one, ``./coalition_2026`` or ``coalition_2026.toml`` a file.
    """
    separators = {separator for separator in ("/", os.sep, os.altsep) if separator}
    return not any(separator in text for separator in separators) and not text.lower().endswith(".toml")


def resolve_scenario_path(path_or_name: str | Path) -> Path:
    """The file of a scenario named on the command line or in Python.

    A string is a built-in name or a path by :func:`is_builtin_name`; a :class:`~pathlib.Path` is
    always a file (``Path("./x")`` prints as ``x``, so its text cannot tell). A relative path is
    taken from the current folder. Raises :class:`ScenarioError` if there is no such scenario.
    """
    if not isinstance(path_or_name, Path) and is_builtin_name(str(path_or_name)):
        name = str(path_or_name)
        builtin = builtin_scenarios().get(name)
        if builtin is None:
            raise ScenarioError(name, [("", _not_builtin(name, Path(name)))])
        return builtin
    path = Path(path_or_name)
    if not path.exists():
        known = ", ".join(builtin_scenarios()) or "none found"
        hint = _builtin_hint(path.stem)
        raise ScenarioError(str(path_or_name), [("", f"no such file or built-in scenario ({hint}built-in: {known})")])
    return path


def _not_builtin(name: str, local: Path) -> str:
    """Why a bare ``name`` is not a scenario: not a built-in one, and, if a file ``local`` of that
    name exists, how to name that file instead."""
    known = ", ".join(builtin_scenarios()) or "none found"
    if os.path.lexists(local):
        return (
            f"not a built-in scenario (built-in: {known}); a name without a path means a built-in one: "
            f"for the file {local}, write ./{name}"
        )
    return f"no such file or built-in scenario ({_builtin_hint(name)}built-in: {known})"


def _is_builtin_file(source: str) -> bool:
    """Whether ``source`` is one of the built-in scenarios' own files."""
    try:
        path = Path(source)
        return path.suffix == ".toml" and path.resolve().parent == scenarios_dir().resolve()
    except (OSError, ValueError):
        return False


def read_scenario_text(path: str | Path, source: str | None = None) -> str:
    """A scenario file's text: only a regular file of at most :data:`~sim.domain.limits.MAX_FILE_BYTES`
    UTF-8 bytes is read (a device, a pipe or a folder could hang the reader or fill its memory).

    Raises :class:`ScenarioError` naming the file as ``source`` (the path as the user wrote it),
    or as ``path``.
    """
    source = str(path) if source is None else source
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except FileRefused as error:
        raise ScenarioError(source, [("", f"cannot read the file: {error}")]) from None
    except OSError as error:
        raise ScenarioError(source, [("", f"cannot read the file: {error.strerror or error}")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(source, [("", f"not UTF-8 text (byte {error.start}: {error.reason})")]) from None


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
    """Read, override and validate a scenario file (or a built-in one, by name: see
    :func:`resolve_scenario_path`)."""
    path = resolve_scenario_path(path_or_name)
    # A path is named as the user wrote it (Path would print ./crisis as crisis, a built-in's name).
    source = path_or_name if isinstance(path_or_name, str) and not is_builtin_name(path_or_name) else str(path)
    raw = parse_toml(read_scenario_text(path, source), source)
    raw.setdefault("name", path.stem)
    return scenario_from_dict(raw, source, overrides)


def resolve_extends(raw: dict[str, Any], source: str, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Merge a scenario onto the one it names in ``extends`` (a built-in name or a path).

    Tables merge key by key; anything else, lists of members included, replaces the base value.
    Every problem with the parent (missing, unreadable, invalid TOML, a cycle) is reported on the
    extending file's ``extends`` field, which is where the user can fix it.
    """
    if "extends" not in raw:
        return raw
    raw = dict(raw)
    parent_name = raw.pop("extends")
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(source, [("extends", "must be a built-in scenario name or a file path")])
    if len(seen) > MAX_NESTING:
        raise ScenarioError(source, [("extends", f"a chain of more than {MAX_NESTING} scenarios extending each other")])
    parent_path = _extends_path(parent_name, source)
    if parent_path.resolve() in seen:
        raise ScenarioError(source, [("extends", f"{parent_name} extends itself (a cycle)")])
    try:
        parent_raw = parse_toml(read_scenario_text(parent_path), str(parent_path))
        parent_raw = resolve_extends(parent_raw, str(parent_path), (*seen, parent_path.resolve()))
    except ScenarioError as error:
        shown = parent_name if error.source == str(parent_path) else _shown(error.source)
        problems = [("extends", f"{shown}: {path}: {message}" if path else f"{shown}: {message}")
                    for path, message in error.problems]  # fmt: skip
        raise ScenarioError(source, problems) from None
    parent_raw.pop("name", None)
    return _deep_merge(parent_raw, raw)


def _extends_path(parent_name: str, source: str) -> Path:
    """The file an ``extends`` value names. A bare name is a built-in scenario (always, and the only
    thing a built-in scenario may extend); a relative path is looked up beside the extending file,
    then, as before names were strict, from the current folder."""
    folder = Path(source).parent
    if is_builtin_name(parent_name):
        builtin = builtin_scenarios().get(parent_name)
        if builtin is None:
            local = folder / parent_name
            raise ScenarioError(source, [("extends", f"{parent_name}: {_not_builtin(parent_name, local)}")])
        return builtin
    if _is_builtin_file(source):
        raise ScenarioError(source, [("extends", f"{parent_name}: a built-in scenario extends built-in ones only")])
    for candidate in (folder / parent_name, Path(parent_name)):
        if candidate.exists():
            return candidate
    raise ScenarioError(source, [("extends", f"{parent_name}: no such file (looked beside {_shown(source)})")])


def _deep_merge(base: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """A scenario file's TOML as a dict; an empty file is refused rather than run as the defaults,
    and tables nested more than :data:`~sim.domain.limits.MAX_NESTING` deep before anything else reads them."""
    deep = too_deep_in_text(text)
    if deep is not None:
        raise ScenarioError(source, [(deep, _TOO_DEEP)])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(source, [("", f"not valid TOML: {error}")]) from None
    except RecursionError:  # not expected after too_deep_in_text, but never a traceback
        raise ScenarioError(source, [("", _TOO_DEEP)]) from None
    check_nesting(data, source)
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


_TOO_DEEP = f"tables and arrays nested more than {MAX_NESTING} levels deep (a scenario needs 3)"


def check_nesting(data: Any, source: str) -> None:
    """Refuse tables and arrays nested more than :data:`~sim.domain.limits.MAX_NESTING` deep, naming
    the field where they go too deep. The walk is a loop, not a recursion: a recursive one (like
    ``copy.deepcopy`` and validation, which come next) would overflow on the very data it refuses.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, (dict, list, tuple)):
            continue
        if len(path) > MAX_NESTING:
            raise ScenarioError(source, [(shortened(".".join(path)), _TOO_DEEP)])
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((value, (*path, str(key))) for key, value in items)


def scenario_from_dict(
    raw: Mapping[str, Any], source: str = "<scenario>", overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Validate a scenario given as a dict (as read from TOML), after ``extends`` and overrides."""
    own_path = Path(source)
    seen = (own_path.resolve(),) if own_path.exists() else ()
    check_nesting(raw, source)
    data = apply_overrides(resolve_extends(dict(raw), source, seen), overrides or {}, source)
    return _validated(data, source, overrides or {})


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], source: str | None = None) -> Scenario:
    """A copy of a validated scenario with some fields changed, validated again.

    The scenario's dump is a fresh copy nothing else holds, and a validated scenario names no
    ``extends``: the paths are set in the dump itself (a sweep makes one of these per design point).
    """
    if not overrides:
        return scenario
    source = source or scenario.name
    data = scenario.model_dump(mode="json", by_alias=True)
    _set_paths(data, overrides, source)
    return _validated(data, source, overrides)


def _validated(data: dict[str, Any], source: str, overrides: Mapping[str, Any]) -> Scenario:
    """The scenario ``data`` describes, once overrides are set; errors name ``source``."""
    check_nesting(data, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, _describe(error, overrides)) from None


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Set dotted paths (``russia.lambda``, ``coalition.members.0.troops``) in a copy of ``raw``.

    ``a__b`` is accepted for ``a.b`` so overrides can be passed as Python keyword arguments.
    """
    data = copy.deepcopy(dict(raw))
    _set_paths(data, overrides, source)
    return data


def _set_paths(data: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    """Set each dotted path of :func:`apply_overrides` in ``data`` itself."""
    for dotted, value in overrides.items():
        keys = dotted.replace("__", ".").split(".")
        if not dotted:
            raise ScenarioError(source, [("", "an override with an empty path: name a field, e.g. russia.lambda")])
        if not all(keys):
            raise ScenarioError(source, [(dotted, "a path names a field between every two dots, e.g. russia.lambda")])
        node: Any = data
        try:
            for key in keys[:-1]:
                node = node[_position(key)] if isinstance(node, list) else node.setdefault(key, {})
            if isinstance(node, list):
                node[_position(keys[-1])] = value
            elif isinstance(node, dict):
                node[keys[-1]] = value
            else:
                raise TypeError(f"{'.'.join(keys[:-1])} is not a table")
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise ScenarioError(source, [(dotted, f"cannot set this path ({error})")]) from None


def _position(key: str) -> int:
    """A list position in a dotted path: 0, 1, 2, ... (Python's negative positions would silently
    pick an item counted from the end)."""
    if not (key.isascii() and key.isdigit()):
        raise ValueError(f"{key!r} is not a list position (0, 1, 2, ...)")
    return int(key)


def parse_assignment(text: str) -> tuple[str, Any]:
    """``path=value`` from the command line; the value is read as TOML (so ``2`` is the number 2,
    which the schema's strict types need), else kept as a string (``best_response``)."""
    if "=" not in text:
        raise ScenarioError("--set", [(text, "expected PATH=VALUE, e.g. russia.lambda=2.5")])
    path, _, value_text = text.partition("=")
    path, value_text = path.strip(), value_text.strip()
    if not path:
        raise ScenarioError("--set", [(text, "the path before '=' is empty: write PATH=VALUE, e.g. russia.lambda=2.5")])
    toml = f"v = {value_text}"
    if too_deep_in_text(toml) is not None:
        raise ScenarioError("--set", [(path, _TOO_DEEP)])
    try:
        value = tomllib.loads(toml)["v"]
    except tomllib.TOMLDecodeError:
        value = value_text
    except RecursionError:  # not expected after too_deep_in_text, but never a traceback
        raise ScenarioError("--set", [(path, _TOO_DEEP)]) from None
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
            given = item["input"]
            message += f" (got {str(given).lower() if isinstance(given, bool) else repr(given)})"
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
    "is_builtin_name",
    "load_scenario",
    "parse_assignment",
    "scenario_from_dict",
    "with_overrides",
]
