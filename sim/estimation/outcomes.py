r"""Crisis outcomes observed and predicted: counts files, and the engine's exact outcome distribution.

:func:`engine_outcome_probabilities` gives each outcome's probability ``p_k`` in a scenario exactly as
the engine (:class:`sim.engine.model.CrisisModel`) plays the crisis, with no simulation: Nature's
type draws are enumerated (eight profiles, weighted by each actor's ``resolve_prior``), and every
public history is followed forward round by round with its probability. Along a history the public
beliefs move by Bayes' rule on each move, and each round's policies are read where the engine reads
them: a node's exact solution where the policy tree holds the state
(:mod:`sim.engine.equilibrium.policy_tree`), the grid by ``policies_at``'s interpolation elsewhere;
the members' collapse, accidents, the escalation lottery and the horizon are weighted by their
chances. So

.. math:: p_k = \sum_{\theta} \pi(\theta) \sum_{h \to k} \prod_{m \in h} \sigma_m(\theta, b_m),

the sum over type profiles ``theta`` (prior ``pi``) and over histories ``h`` ending in ``k`` of the
product of each move's and chance event's probability (``sigma_m``: the mover's policy for its
type at the public beliefs ``b_m``, or the chance). Histories branch twelvefold per round (two
postures that go on, three US postures, an accident or not); identical public states are merged.
tests/estimation/test_calibrate.py checks it against the engine's simulated shares and, for one
round, against the exact game tree (:func:`sim.game.crisis.crisis_tree`) solved by the project's
logit QRE solver.

Counts files are CSV: a header ``outcome,count`` and one row per outcome of
:data:`sim.domain.ladder.OUTCOMES` (outcomes left out count zero). Free fields are numeric fields
of the field catalogue (:mod:`sim.domain.fields`), searched within its bounds.

References: McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for extensive
form games. *Experimental Economics* 1, 9-41. Fudenberg, D. and Tirole, J. (1991). *Game Theory*,
ch. 8 (public-belief states of multi-stage games with observed actions).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.domain.fields import CATALOGUE, spec
from sim.domain.files import FileRefused, read_regular_file
from sim.domain.ladder import (
    ACTORS,
    BACK_DOWN,
    COALITION_BACKS_DOWN,
    DEPLOY,
    HOLDS,
    LIMITED_CLASH,
    MAJOR_WAR_OUTCOME,
    OUTCOMES,
    RUSSIA_BACKS_DOWN,
    THREATEN,
)
from sim.domain.limits import MAX_FILE_BYTES, MAX_LAMBDA
from sim.domain.scenario import Scenario
from sim.engine.equilibrium import CONCEDE, JOIN, CrisisEquilibrium, States, bayes, equilibrium_for
from sim.engine.equilibrium.features import split_features

_TYPES = np.array([(c, r, u) for c in (0, 1) for r in (0, 1) for u in (0, 1)])
"""The eight profiles of types (coalition, russia, us), 1 = resolute."""
_Key = tuple[float, float, float, bool, bool, int]
"""A public state: the beliefs about (coalition, russia, us), incident, pledged, the coalition's last posture."""


class CalibrationError(ValueError):
    """Counts or free fields that cannot be used: names the file or field and what is wrong."""


# ------------------------------------------------------------------------------------ exact outcomes


def engine_outcome_probabilities(scenario: Scenario) -> dict[str, float]:
    """Each outcome's probability under the engine's equilibrium, summed exactly over types and histories.

    Parameters
    ----------
    scenario : Scenario
        The crisis; its equilibrium is solved (or taken from the cache) by
        :func:`sim.engine.equilibrium.equilibrium_for`.

    Returns
    -------
    dict of str to float
        Every key of :data:`~sim.domain.ladder.OUTCOMES`, in order, summing to one.

    Notes
    -----
    The recursion is the engine's round (:meth:`sim.engine.model.CrisisModel.step`) with every random
    draw replaced by a weighted branch; see the module docstring.
    """
    equilibrium = equilibrium_for(scenario)
    game, tables = equilibrium.game, equilibrium.game.tables
    priors = np.array([scenario.actor(key).resolve_prior for key in ACTORS])
    weights = np.prod(np.where(_TYPES == 1, priors, 1.0 - priors), axis=1)
    tc, tr, tu = _TYPES.T
    start = equilibrium.initial_state()
    # Each public state's probability, jointly with each type profile.
    b = [float(x) for x in start.beliefs[0]]
    frontier: dict[_Key, np.ndarray] = {(b[0], b[1], b[2], bool(start.incident[0]), False, THREATEN): weights}
    out = np.zeros(len(OUTCOMES))

    def clash(c: int, joined: bool, weight: float) -> None:
        q = tables.q[c, int(joined)]
        out[MAJOR_WAR_OUTCOME] += q * weight
        out[LIMITED_CLASH] += (1.0 - q) * weight

    for t in range(1, scenario.rounds + 1):
        keys = list(frontier)
        states = _states(keys)
        policy = _policies_read(equilibrium, t, states)
        # The engine draws each member's choice: the collapse chance of the stay chances it reads
        # (between grid states the interpolated "collapse" is not that).
        collapses = game.collapse_chance(policy["stay"])
        following: dict[_Key, np.ndarray] = {}
        for s, key in enumerate(keys):
            b_c, b_r, b_u, incident = key[0], key[1], key[2], key[3]
            collapse = float(collapses[s])
            w = frontier[key]
            out[COALITION_BACKS_DOWN] += collapse * w.sum()
            w = w * (1.0 - collapse)
            coalition, russia, us = policy["coalition"][s], policy["russia"][s], policy["us"][s]
            for c in range(3):
                wc = w * coalition[tc, c]
                if c == BACK_DOWN:
                    out[COALITION_BACKS_DOWN] += wc.sum()
                    continue
                next_c = _bayes(b_c, coalition[1, c], coalition[0, c])
                out[RUSSIA_BACKS_DOWN] += (wc * russia[c, tr, BACK_DOWN]).sum()
                struck = wc * russia[c, tr, DEPLOY]
                concede = policy["resist"][s, c, tc, CONCEDE]
                out[COALITION_BACKS_DOWN] += (struck * concede).sum()
                resisted = struck * (1.0 - concede)
                joins = policy["join"][s, c, tu, JOIN]
                clash(c, True, float((resisted * joins).sum()))
                clash(c, False, float((resisted * (1.0 - joins)).sum()))
                threatened = wc * russia[c, tr, THREATEN]
                next_r = _bayes(b_r, russia[c, 1, THREATEN], russia[c, 0, THREATEN])
                for u in range(3):
                    wu = threatened * us[c, tu, u]
                    pledged = u == DEPLOY
                    next_u = _bayes(b_u, us[c, 1, u], us[c, 0, u])
                    branches: tuple[tuple[bool, float], ...]
                    if incident:  # the incident spirals into a clash, or passes
                        clash(c, pledged, float(game.a2 * wu.sum()))
                        branches = ((False, 1.0 - game.a2),)
                    else:
                        chance = float(np.clip(game.a1[c] + game.a_backstop * pledged, 0.0, 1.0))
                        branches = ((True, chance), (False, 1.0 - chance))
                    for accident, chance in branches:
                        if chance > 0 and wu.any():
                            child = (next_c, next_r, next_u, accident, pledged, c)
                            following[child] = following.get(child, 0.0) + chance * wu
        frontier = following
    spiral = scenario.accident.incident
    for key, w in frontier.items():  # the horizon: an open incident may still spiral
        total = float(w.sum())
        if key[3]:
            clash(DEPLOY if key[5] == DEPLOY else THREATEN, key[4], spiral * total)
            total *= 1.0 - spiral
        out[HOLDS] += total
    out = np.clip(out, 0.0, None)
    return dict(zip(OUTCOMES, (out / out.sum()).tolist()))


def _policies_read(equilibrium: CrisisEquilibrium, round_number: int, states: States) -> dict[str, np.ndarray]:
    """The policies the engine reads at these states: a node's row where the policy tree holds the
    state in this round, the grid elsewhere (:mod:`sim.engine.equilibrium.policy_tree`)."""
    nodes = equilibrium.policy_tree().nodes_at(round_number, states)
    return split_features(equilibrium.policy_rows(round_number, nodes, states))


def _bayes(prior: float, resolute: float, not_resolute: float) -> float:
    """The public belief after a move (Bayes' rule, as the engine's actors learn)."""
    return float(bayes(np.asarray(prior), np.asarray(resolute), np.asarray(not_resolute)))


def _states(keys: Sequence[_Key]) -> States:
    beliefs = np.array([key[:3] for key in keys], dtype=float)
    return States(beliefs, np.array([key[3] for key in keys], np.int8), np.array([key[4] for key in keys], np.int8))


# ------------------------------------------------------------------------------------- counts


def read_counts(path: str | Path) -> tuple[dict[str, int], str]:
    """Outcome counts from a CSV file, and the SHA-256 of its bytes.

    The file has a header ``outcome,count`` and one row per outcome, named as in
    :data:`~sim.domain.ladder.OUTCOMES`; outcomes left out count zero.

    Raises
    ------
    CalibrationError
        Unreadable file, wrong header, unknown or repeated outcome (with a did-you-mean), a count
        that is not a whole number of at least zero, or no outcome counted at all.
    """
    shown = str(path)
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except FileRefused as error:
        raise CalibrationError(f"{shown}: cannot read the counts file: {error}") from None
    except OSError as error:
        raise CalibrationError(f"{shown}: cannot read the counts file: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CalibrationError(f"{shown}: not UTF-8 text (byte {error.start})") from None
    rows = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text)), 1) if any(c.strip() for c in row)]
    if not rows or [c.strip().lower() for c in rows[0][1]] != ["outcome", "count"]:
        raise CalibrationError(f"{shown}: line 1: expected the header outcome,count (then one row per outcome)")
    counts: dict[str, int] = {}
    for number, row in rows[1:]:
        if len(row) != 2:
            raise CalibrationError(f"{shown}: line {number}: expected two columns, outcome,count (got {len(row)})")
        name, value = row[0].strip(), row[1].strip()
        where = f"{shown}: line {number}"
        if name not in OUTCOMES:
            guess = difflib.get_close_matches(name, OUTCOMES, n=1, cutoff=0.6)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            raise CalibrationError(f"{where}: unknown outcome {name!r}{hint}; outcomes: {', '.join(OUTCOMES)}")
        if name in counts:
            raise CalibrationError(f"{where}: {name} is counted twice")
        counts[name] = _count(value, f"{where}: {name}")
    return check_counts(counts, shown), hashlib.sha256(data).hexdigest()


def _count(value: Any, where: str) -> int:
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise CalibrationError(f"{where}: the count must be a whole number, got {value!r}")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise CalibrationError(f"{where}: the count must be a whole number, got {value!r}")
    if value < 0:
        raise CalibrationError(f"{where}: a count cannot be negative, got {value}")
    return int(value)


def check_counts(counts: Mapping[str, Any], source: str = "counts") -> dict[str, int]:
    """Counts by outcome checked and completed (every outcome, zeros included, in ``OUTCOMES`` order).

    Raises
    ------
    CalibrationError
        An unknown outcome, a count that is not a whole number of at least zero, or all zero.
    """
    for name in counts:
        if name not in OUTCOMES:
            guess = difflib.get_close_matches(str(name), OUTCOMES, n=1, cutoff=0.6)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            raise CalibrationError(f"{source}: unknown outcome {name!r}{hint}; outcomes: {', '.join(OUTCOMES)}")
    checked = {name: _count(counts.get(name, 0), f"{source}: {name}") for name in OUTCOMES}
    if not sum(checked.values()):
        raise CalibrationError(f"{source}: every count is zero: there is nothing to fit")
    return checked


def counts_csv(counts: Mapping[str, int]) -> str:
    """Counts by outcome as the CSV :func:`read_counts` reads."""
    return "outcome,count\n" + "".join(f"{name},{int(counts.get(name, 0))}\n" for name in OUTCOMES)


# ------------------------------------------------------------------------------------- free fields


def _numeric_paths() -> list[str]:
    """Every numeric field a calibration can free, per actor where the field is one."""
    paths = []
    for item in CATALOGUE:
        if item.low is None or item.high is None or item.integer:
            continue
        owners = ACTORS if "ACTOR" in item.path else ("",)
        paths += [item.path_for(owner).replace("[]", ".0") for owner in owners]
    return paths


def field_bounds(path: str) -> tuple[float, float]:
    """The range a free field is searched in: its catalogue bounds (a lambda at most
    :data:`~sim.domain.limits.MAX_LAMBDA`).

    Raises
    ------
    CalibrationError
        No such field (with a did-you-mean), or one that is not a continuous number.
    """
    general = re.sub(r"\.\d+\.", "[].", path)  # coalition.members.0.troops -> coalition.members[].troops
    try:
        item = spec(general)
    except KeyError:
        guess = difflib.get_close_matches(re.sub(r"\.\d+(?=\.)", ".0", path), _numeric_paths(), n=1, cutoff=0.6)
        hint = f" (did you mean {guess[0]}?)" if guess else ""
        raise CalibrationError(f"--free {path}: not a scenario field{hint}") from None
    if item.low is None or item.high is None:
        raise CalibrationError(
            f"--free {path}: not a number ({item.unit or 'text'}): only numeric fields can be fitted"
        )
    if item.integer:
        raise CalibrationError(f"--free {path}: a whole number: only continuous fields can be fitted")
    low, high = float(item.low), float(item.high)
    if item.key == "lambda":
        high = min(high, MAX_LAMBDA)
    return low, high


def parse_free(free: str | Sequence[str]) -> dict[str, tuple[float, float] | None]:
    """``russia.lambda,escalation.base=0:0.5`` as {path: search range or None}; a range narrows the bounds."""
    items = [part.strip() for part in (free.split(",") if isinstance(free, str) else free)]
    parsed: dict[str, tuple[float, float] | None] = {}
    for item in items:
        if not item:
            raise CalibrationError("--free: an empty field name: list fields separated by commas, e.g. russia.lambda")
        path, _, span = item.partition("=")
        path = path.strip()
        if path in parsed:
            raise CalibrationError(f"--free {path}: named twice")
        if not span:
            parsed[path] = None
            continue
        low_text, colon, high_text = span.partition(":")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            low = high = math.nan
        if not colon or not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise CalibrationError(
                f"--free {item}: write a range as PATH=LOW:HIGH with LOW < HIGH, e.g. russia.lambda=0:10"
            )
        parsed[path] = (low, high)
    if not parsed:
        raise CalibrationError("--free: name at least one field to fit, e.g. russia.lambda")
    return parsed


__all__ = [
    "CalibrationError",
    "check_counts",
    "counts_csv",
    "engine_outcome_probabilities",
    "field_bounds",
    "parse_free",
    "read_counts",
]
