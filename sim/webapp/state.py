"""Every setting of the app, kept in the session and mirrored in the URL.

A setting is declared once (:class:`Setting`: key, default, type, bounds). On a session's first
run the URL's query parameters fill the settings; at the end of every run the settings that
differ from their defaults are written back, so a link reopens exactly the same view. An
instructor can hand a class one link.

The scenario the user works on is a base (a built-in file or an uploaded one) plus *edits*:
dotted field paths and values (``russia.resolve_prior = 0.7``), kept in ``st.session_state``
and in the URL as ``?russia.resolve_prior=0.7``. An edit that makes the scenario invalid is
kept (nothing typed is lost) and reported next to its field; the results then use the scenario
without that edit, so the app goes on working.
"""

from __future__ import annotations

import base64
import binascii
import tomllib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import streamlit as st

from sim.domain.limits import MAX_ROUNDS, run_work
from sim.domain.scenario import (
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    parse_toml,
    scenario_from_dict,
    with_overrides,
)

DEFAULT_SCENARIO = "coalition_2026"
UPLOADED = "uploaded"
"""The scenario choice that stands for the file the user uploaded."""

MAX_RUNS = 200_000
"""Runs per Monte Carlo in the browser; keeps a shared classroom server responsive (the CLI has no cap)."""
MAX_UPLOAD_BYTES = 64_000
"""Largest scenario file accepted (built-in ones are about 5 kB). Streamlit's own cap is in .streamlit/config.toml."""
MAX_LINKED_UPLOAD = 6_000
"""Largest compressed upload carried in the URL, written or read; browsers and servers refuse much longer links."""
MAX_LINK_VALUE = 200
"""Longest value of any other link parameter read (a number, a field's value, a scenario name)."""
MAX_LINK_PARAMETERS = 100
"""Link parameters read at most; a link with more is cut there (every setting and edit fits many times)."""
MAX_WORLD_CELLS = 4_000_000
"""Random numbers one round of a Monte Carlo may draw in the browser: the engine draws runs x (5 +
members) of them every round (32 MB of float64 per array), so a scenario with many members gets
fewer runs, never a server out of memory (Issue 10)."""
MAX_SESSION_WORK = 40_000_000
"""Random numbers one Monte Carlo may draw in the browser in all, ``runs x rounds x (5 + members)``
(:func:`sim.domain.limits.run_work`; the command line's cap is :data:`sim.domain.limits.MAX_RUN_WORK`). The
default scenario at :data:`MAX_RUNS` runs draws 32 million (a few seconds); a scenario of 1,000
rounds gets 5,000 runs, so no link can hold a shared server's core for minutes."""
MAX_APP_ROUNDS = 100
"""Rounds of a crisis in the browser (the command line takes up to ``sim.domain.limits.MAX_ROUNDS``): the
equilibrium is solved round by round before anything is simulated, about 0.07 s a round, so a
1,000-round scenario held a core for over a minute per edit; the built-in scenarios use 1 to 20."""
MAX_SWEEP_WORK = 400_000_000
"""Random numbers one sweep request may draw in the browser in all (every point's runs): the sweep
page's cap on crises per request (2,000,000 of the default scenario) shrinks for a longer or larger
scenario, so a request stays under a minute or two of one core."""

ALWAYS_IN_URL = ("page", "scenario", "runs", "seed")
"""Written even at their defaults, so a link still means the same if a later version changes a default."""

OVERRIDES = "overrides"
UPLOAD = "upload"
NOTES = "url_notes"
EDIT_GENERATION = "edit_generation"


@dataclass(frozen=True)
class Setting:
    """One app setting: its session key (also its URL parameter), default, type and bounds."""

    key: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    @property
    def kind(self) -> type:
        """The setting's type: that of its default (``bool``, ``int``, ``float`` or ``str``)."""
        return type(self.default)

    def parse(self, text: str) -> Any | None:
        """The value of a URL parameter, or None if it is not a valid value of this setting."""
        if self.kind is bool:
            return {"1": True, "true": True, "0": False, "false": False}.get(text.lower())
        if self.kind is str:
            return text if not self.choices or text in self.choices else None
        try:
            number = float(text)
        except ValueError:
            return None
        if number != number or abs(number) >= 2**53:  # NaN, infinite, or beyond what the browser's inputs hold
            return None
        if self.kind is int:
            if number != int(number):
                return None
            number = int(number)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            return None
        if self.choices and number not in self.choices:
            return None
        return number

    def to_text(self, value: Any) -> str:
        """The value as a URL parameter, read back by :meth:`parse` (booleans as ``1`` and ``0``)."""
        if self.kind is bool:
            return "1" if value else "0"
        return str(value)


CORE_SETTINGS: tuple[Setting, ...] = (
    Setting("page", "simulate"),
    Setting("scenario", DEFAULT_SCENARIO),
    Setting("runs", 10_000, low=1),
    Setting("seed", 7, low=0),
)


# ---------------------------------------------------------------------------------------------
# The session and the URL


def start_run(settings: Iterable[Setting]) -> None:
    """Call first in every run: read the URL once per session, keep widget values across pages.

    Streamlit forgets a widget's value when a run does not draw it (another page is shown);
    assigning each key to itself keeps it (the documented way to keep widget state across pages).
    """
    settings = list(settings)
    if not st.session_state.get("_started"):
        st.session_state["_started"] = True
        _read_url(settings)
    for setting in settings:
        if setting.key in st.session_state:
            st.session_state[setting.key] = st.session_state[setting.key]
        else:
            st.session_state[setting.key] = setting.default
    st.session_state.setdefault(OVERRIDES, {})
    st.session_state.setdefault(EDIT_GENERATION, 0)


def _read_url(settings: list[Setting]) -> None:
    """Read a link with the same limits as writing one: nothing in a link can take the server's memory."""
    params = dict(st.query_params)
    notes: list[str] = []
    if len(params) > MAX_LINK_PARAMETERS:
        notes.append(f"The link has {len(params):,} settings; only the first {MAX_LINK_PARAMETERS} were read.")
        params = dict(list(params.items())[:MAX_LINK_PARAMETERS])
    by_key = {setting.key: setting for setting in settings}
    upload_text = params.pop(UPLOAD, None)
    if upload_text is not None and len(upload_text) > MAX_LINKED_UPLOAD:
        notes.append(
            f"The link's uploaded scenario is longer than {MAX_LINKED_UPLOAD:,} characters (the most a link carries); "
            "it was left out. Upload the file on the Scenario page."
        )
        upload_text = None
    if upload_text is not None:
        upload = decode_upload(upload_text)
        if upload is None:
            notes.append("The link's uploaded scenario could not be read; it was left out.")
        else:
            st.session_state[UPLOAD] = upload
    edits: dict[str, Any] = {}
    for key, text in params.items():
        if len(key) > MAX_LINK_VALUE or len(text) > MAX_LINK_VALUE:
            notes.append(f"A setting in the link is longer than {MAX_LINK_VALUE} characters; it was left out.")
            continue
        if key in by_key:
            value = by_key[key].parse(text)
            if value is None:
                notes.append(f"The link's `{key}={text}` is not a valid value; the default is used.")
            else:
                st.session_state[key] = value
        elif key.startswith("_"):
            continue
        else:
            edits[key] = parse_value(text)
    st.session_state[OVERRIDES] = edits
    choice = st.session_state.get("scenario", DEFAULT_SCENARIO)
    if choice == UPLOADED and UPLOAD not in st.session_state:
        st.session_state["scenario"] = DEFAULT_SCENARIO
    elif choice not in (*builtin_scenarios(), UPLOADED):
        notes.append(f"The link's scenario `{choice}` is not a built-in one; `{DEFAULT_SCENARIO}` is shown.")
        st.session_state["scenario"] = DEFAULT_SCENARIO
    st.session_state[NOTES] = notes


def save_to_url(settings: Iterable[Setting]) -> None:
    """Write the settings that differ from their defaults, and every edit, into the URL."""
    params: dict[str, str] = {}
    for setting in settings:
        value = st.session_state.get(setting.key, setting.default)
        if value != setting.default or setting.key in ALWAYS_IN_URL:
            params[setting.key] = setting.to_text(value)
    params.update({path: value_text(value) for path, value in edits().items()})
    upload = st.session_state.get(UPLOAD)
    if upload is not None and st.session_state.get("scenario") == UPLOADED:
        encoded = encode_upload(*upload)
        if len(encoded) <= MAX_LINKED_UPLOAD:
            params[UPLOAD] = encoded
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def url_notes() -> list[str]:
    """Parts of the opening link that could not be used (the sidebar shows them for the whole session)."""
    return st.session_state.get(NOTES, [])


def parse_value(text: str) -> Any:
    """A URL value read as TOML (``0.7``, ``true``, ``"x"``), else kept as the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def value_text(value: Any) -> str:
    """A scenario edit's value as a URL parameter, read back by :func:`parse_value` (booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_upload(name: str, text: str) -> str:
    """An uploaded file in a URL parameter: its name and text, compressed, in URL-safe base64."""
    return base64.urlsafe_b64encode(zlib.compress(f"{name}\n{text}".encode(), 9)).decode().rstrip("=")


def decode_upload(encoded: str) -> tuple[str, str] | None:
    """The (name, text) of :func:`encode_upload`, or None; never inflates past the upload limit."""
    try:
        data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(data, MAX_UPLOAD_BYTES + 256)
        if inflater.unconsumed_tail or not inflater.eof:  # too large, or cut short
            return None
        name, _, text = raw.decode("utf-8").partition("\n")
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        return None
    return name, text


# ---------------------------------------------------------------------------------------------
# Edits to the scenario


def edits() -> dict[str, Any]:
    """Dotted path -> value of every field the user changed."""
    return st.session_state.setdefault(OVERRIDES, {})


def set_edit(path: str, value: Any, base_value: Any) -> None:
    """Record a changed field; a value equal to the base's own removes the edit."""
    store = edits()
    if value == base_value:
        store.pop(path, None)
    else:
        store[path] = value


def reset_edits() -> None:
    """Forget every edit (a new scenario brings its own values)."""
    st.session_state[OVERRIDES] = {}
    st.session_state[EDIT_GENERATION] = st.session_state.get(EDIT_GENERATION, 0) + 1


def edit_generation() -> int:
    """Bumped on every reset: table editors put it in their key so they forget their own edits too."""
    return st.session_state.get(EDIT_GENERATION, 0)


def field_value(scenario: Scenario, path: str) -> Any:
    """The value of a dotted field (``russia.lambda``) as it would be written in TOML."""
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


# ---------------------------------------------------------------------------------------------
# The current scenario


@dataclass
class Current:
    """What every page works on: the scenario with the user's valid edits, runs and seed."""

    choice: str
    base: Scenario | None
    scenario: Scenario | None
    runs: int
    seed: int
    edits: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    load_error: ScenarioError | None = None
    runs_asked: int | None = None
    """The runs asked for, when the scenario's size cut them (see :data:`MAX_WORLD_CELLS`)."""

    @property
    def loaded(self) -> Scenario:
        """The scenario, on a page drawn only once it has loaded (``scenario`` is None after a load error)."""
        if self.scenario is None:
            raise RuntimeError("no scenario is loaded")
        return self.scenario

    @property
    def scenario_json(self) -> str:
        """The scenario as JSON: the hashable form the cached computations take."""
        assert self.scenario is not None
        return self.scenario.model_dump_json(by_alias=True)

    @property
    def applied_edits(self) -> dict[str, Any]:
        """The user's edits the scenario accepted (by field path); those with a problem are left out."""
        return {path: value for path, value in self.edits.items() if path not in self.problems}


def current() -> Current:
    """The scenario the pages show, from the session's choice, upload and edits."""
    choice = st.session_state.get("scenario", DEFAULT_SCENARIO)
    runs = min(int(st.session_state.get("runs", 10_000)), MAX_RUNS)
    seed = int(st.session_state.get("seed", 7))
    store = dict(edits())
    try:
        base = base_scenario(choice)
    except ScenarioError as error:
        return Current(choice, None, None, runs, seed, store, load_error=error)
    scenario, problems = apply_valid_edits(base, store)
    fitting = runs_that_fit(scenario)
    if runs > fitting:
        return Current(choice, base, scenario, fitting, seed, store, problems, runs_asked=runs)
    return Current(choice, base, scenario, runs, seed, store, problems)


def runs_that_fit(scenario: Scenario) -> int:
    """The most runs of this scenario one Monte Carlo may have in the browser (:data:`MAX_RUNS`,
    :data:`MAX_WORLD_CELLS` per round and :data:`MAX_SESSION_WORK` in all)."""
    members = len(scenario.coalition.members)
    per_run = run_work(1, scenario.rounds, members)
    return max(1, min(MAX_RUNS, MAX_WORLD_CELLS // (5 + members), MAX_SESSION_WORK // per_run))


def crises_that_fit(scenario: Scenario) -> int:
    """The most crises of this scenario one sweep request may simulate in the browser, all its
    points together (:data:`MAX_SWEEP_WORK`)."""
    return max(1, MAX_SWEEP_WORK // run_work(1, scenario.rounds, len(scenario.coalition.members)))


def base_scenario(choice: str) -> Scenario:
    """The scenario chosen, before the user's edits: a built-in one by name (cached), or the upload.

    Parameters
    ----------
    choice : str
        A built-in scenario's name, or :data:`UPLOADED` for the file the user uploaded.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the scenario does not load, or the upload is chosen but no file has been uploaded.
    """
    if choice == UPLOADED:
        upload = st.session_state.get(UPLOAD)
        if upload is None:
            raise ScenarioError("uploaded file", [("", "no file has been uploaded")])
        return scenario_from_upload(*upload)
    return _builtin(choice)


@st.cache_data(show_spinner=False, max_entries=32)
def _builtin(name: str) -> Scenario:
    return load_scenario(name)


def scenario_from_upload(name: str, text: str) -> Scenario:
    """Validate an uploaded TOML file. It is data only: no code runs, and it can only
    ``extend`` a built-in scenario, never a path on the server."""
    source = f"uploaded file {name}"
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise ScenarioError(source, [("", f"the file is larger than {MAX_UPLOAD_BYTES // 1000} kB")])
    raw = parse_toml(text, source)
    parent = raw.get("extends")
    if parent is not None and parent not in builtin_scenarios():
        known = ", ".join(builtin_scenarios())
        raise ScenarioError(source, [("extends", f"an uploaded file can only extend a built-in scenario ({known})")])
    raw.setdefault("name", PurePath(name).stem or "uploaded")
    scenario = scenario_from_dict(raw, source)
    if scenario.rounds > MAX_APP_ROUNDS:
        raise ScenarioError(source, [("rounds", _too_many_rounds(scenario.rounds))])
    return scenario


def _too_many_rounds(rounds: int) -> str:
    return (
        f"{rounds:,} rounds: the app solves and simulates at most {MAX_APP_ROUNDS} rounds (a shared server); "
        f"`sim run` takes up to {MAX_ROUNDS:,}"
    )


def apply_valid_edits(base: Scenario, store: Mapping[str, Any]) -> tuple[Scenario, dict[str, str]]:
    """The base with every edit that keeps it valid, and the problem of each edit left out."""
    pending = dict(store)
    problems: dict[str, str] = {}
    while True:
        try:
            scenario = with_overrides(base, pending, source="your edits")
        except ScenarioError as error:
            for path, message in error.problems:
                culprits = [edit for edit in pending if _related(edit, path)] or list(pending)
                for edit in culprits:
                    problems[edit] = message.removesuffix(" [overridden]")
                    pending.pop(edit)
            continue
        if scenario.rounds <= MAX_APP_ROUNDS or "rounds" not in pending:
            return scenario, problems
        problems["rounds"] = _too_many_rounds(scenario.rounds)
        pending.pop("rounds")


def _related(edit: str, problem_path: str) -> bool:
    edit = edit.replace("__", ".")
    return edit == problem_path or edit.startswith(f"{problem_path}.") or problem_path.startswith(f"{edit}.")


def scenario_titles() -> dict[str, str]:
    """Choice -> title for the scenario picker (built-ins, and the upload if there is one)."""
    titles = {}
    for name in builtin_scenarios():
        try:
            titles[name] = _builtin(name).title or name
        except ScenarioError:
            titles[name] = f"{name} (cannot be loaded)"
    upload = st.session_state.get(UPLOAD)
    if upload is not None:
        titles[UPLOADED] = f"Uploaded: {upload[0]}"
    return titles
