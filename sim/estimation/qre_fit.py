r"""Logit QRE maximum likelihood: the precision ``lam`` that best explains observed action counts.

Given a game and counts ``n_ha`` of how often each action ``a`` was chosen at each agent ``h``
(a player of a normal form, an information set of a tree), the log-likelihood of ``lam`` is

.. math::

    \ell(\lambda) = \sum_h \sum_{a \in A_h} n_{ha} \log \sigma_{ha}(\lambda),

where ``sigma(lam)`` is the logit QRE on the *principal branch* at ``lam``: the branch of
solutions of ``sigma_h = softmax(lam * v_h(sigma))`` that starts at uniform play at ``lam = 0``
(McKelvey and Palfrey 1995; for trees the agent QRE, McKelvey and Palfrey 1998). Where the branch
bends back and passes a ``lam`` more than once, the likelihood is a function of the position on
the branch, not of ``lam`` (Turocy 2005). As in Gambit's ``logit_estimate`` (pygambit 16.3 and
later; Bland and Turocy 2023):

1. the branch is traced from ``lam = 0`` to ``lam_max`` (:func:`sim.game.qre.trace`, in
   log-probabilities ``x``, where ``ell = n . x`` is linear);
2. the traced point with the highest log-likelihood is taken, and the maximum is refined between
   its neighbours, where ``d ell / ds = n . dx/ds`` along the tangent changes sign;
3. the curvature gives the standard error, ``se = (-d^2 ell / d lam^2)^{-1/2}`` at the maximum,
   with ``dx/dlam = -(dH/dx)^{-1} dH/dlam`` from the implicit function theorem; and the 95%
   likelihood-ratio interval is the range of ``lam`` on the stretch of branch around the maximum
   where ``2 (ell_max - ell) <= chi2_1(0.95) = 3.841``, found by root-finding between traced points.

A maximum at ``lam_max`` means the data are best explained by (the limit of the branch at) a Nash
equilibrium: the fit reports it with ``boundary = "lam_max"``, no standard error and an interval
that is unbounded above. Only ``lam`` times the payoffs enters the QRE, so a common payoff scale
is not identified apart from ``lam``: payoffs multiplied by ``k`` give ``lam / k``.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
*Games and Economic Behavior* 10(1), 6-38.
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for extensive form games.
*Experimental Economics* 1, 9-41.
Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic quantal response
equilibrium correspondence. *Games and Economic Behavior* 51, 243-263.
Bland, J. R. and Turocy, T. L. (2023). Quantal response equilibrium as a structural model for
estimation: the missing manual. SSRN working paper 4425515.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from sim._version import __version__
from sim.domain.files import read_regular_file
from sim.domain.limits import MAX_DATA_BYTES, MAX_LAMBDA
from sim.game.io import read_game
from sim.game.normal import NormalFormGame
from sim.game.qre import (
    Agent,
    AgentForm,
    Homotopy,
    Settings,
    agent_form,
    corrector,
    land,
    profile_from_logs,
    tangent,
    trace,
)
from sim.game.tree import ExtensiveFormGame, Node

LR_CUTOFF = 3.841458820694124 / 2  # 1.9207...: half the 95% point of chi-square(1)
COUNTS_COLUMNS = ("player", "infoset", "action", "count")


class CountsError(ValueError):
    """Counts that cannot be fitted: says which file, line or agent and what is wrong."""


@dataclass(frozen=True, eq=False)
class QREFit:
    """A logit QRE fitted by maximum likelihood along the principal branch.

    Attributes
    ----------
    lam : float
        The maximum likelihood estimate of the precision.
    se : float
        Its standard error from the curvature of the log-likelihood (``nan`` at a boundary or
        where the curvature is not negative).
    interval : tuple of float
        The 95% likelihood-ratio interval for ``lam`` (``inf`` above when the data cannot rule out
        any larger ``lam`` up to ``lam_max``).
    loglik, loglik_uniform : float
        The log-likelihood at the estimate and at ``lam = 0`` (uniform play).
    profile : list of numpy.ndarray
        The fitted QRE: one probability vector per agent, in the game's agent order.
    agents : list of Agent
        The agents (player, actions, key) the counts and the profile are given for.
    counts : list of numpy.ndarray
        The counts fitted.
    boundary : str
        ``""`` for an interior maximum, ``"zero"`` or ``"lam_max"`` when it lies at an end of the
        branch, ``"flat"`` when the likelihood is the same all along it (``lam`` is not identified).
    players : tuple of str
        The game's player names, to label the agents.
    data_sha256, version : str
        The SHA-256 of the counts (of the file's bytes when read from one) and the ``sim`` version.
    """

    lam: float
    se: float
    interval: tuple[float, float]
    loglik: float
    loglik_uniform: float
    profile: list[np.ndarray]
    agents: list[Agent]
    counts: list[np.ndarray]
    boundary: str
    players: tuple[str, ...]
    lam_max: float = MAX_LAMBDA
    data_sha256: str = ""
    version: str = __version__
    game_title: str = field(default="")

    @property
    def n(self) -> float:
        """The number of observed choices (the sum of the counts)."""
        return float(sum(c.sum() for c in self.counts))

    def to_dict(self) -> dict[str, Any]:
        """The fit as plain JSON-ready data (``inf`` becomes ``null``)."""

        def number(value: float) -> float | None:
            return float(value) if np.isfinite(value) else None

        agents = [
            {"player": self.players[agent.player], "infoset": agent.key, "actions": list(agent.actions),
             "counts": counts.tolist(), "probabilities": probabilities.tolist()}
            for agent, counts, probabilities in zip(self.agents, self.counts, self.profile)
        ]  # fmt: skip
        return {
            "model": "logit QRE", "game": self.game_title, "lam": self.lam, "se": number(self.se),
            "ci95": [number(self.interval[0]), number(self.interval[1])], "loglik": self.loglik,
            "loglik_uniform": self.loglik_uniform, "n": self.n, "boundary": self.boundary or None,
            "lam_max": self.lam_max, "agents": agents, "data_sha256": self.data_sha256, "version": self.version,
        }  # fmt: skip

    def summary(self) -> str:
        """A few lines for a terminal: the estimate, its uncertainty and the fitted probabilities."""
        low, high = self.interval
        se = f"{self.se:.4g}" if np.isfinite(self.se) else "n/a"
        lines = [
            f"logit QRE fit{': ' + self.game_title if self.game_title else ''}",
            f"{self.n:g} choices, data sha256 {self.data_sha256[:12]}, sim {self.version}",
            "",
            f"lambda     {self.lam:.6g}   (se {se}; 95% LR interval [{low:.4g}, {high:.4g}])",
            f"log-lik    {self.loglik:.4f}   (uniform play, lambda = 0: {self.loglik_uniform:.4f})",
        ]
        if self.boundary == "lam_max":
            lines.append(f"the likelihood still rises at lambda = {self.lam_max:g}: the data look like Nash play")
        elif self.boundary == "flat":
            lines.append("the likelihood is the same at every lambda on the branch: these counts say nothing about it")
        elif self.boundary == "zero":
            lines.append("the maximum is at lambda = 0: the data look like uniform play")
        rows = [
            (self.players[agent.player], agent.key, action, f"{count:g}",
             f"{count / counts.sum():.4f}" if counts.sum() > 0 else "-", f"{p:.4f}")
            for agent, counts, probabilities in zip(self.agents, self.counts, self.profile)
            for action, count, p in zip(agent.actions, counts, probabilities)
        ]  # fmt: skip
        header = ("player", "infoset", "action", "count", "observed", "fitted")
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
        lines.append("")
        for row in [header, *rows]:
            cells = [cell.ljust(w) if k < 3 else cell.rjust(w) for k, (cell, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- the fit


def fit_qre(
    game: NormalFormGame | ExtensiveFormGame | str | os.PathLike[str],
    counts: Sequence[Sequence[float] | np.ndarray] | np.ndarray | str | os.PathLike[str],
    *,
    lam_max: float = MAX_LAMBDA,
    settings: Settings | None = None,
) -> QREFit:
    """Fit the logit QRE's ``lam`` to observed action counts by maximum likelihood.

    Parameters
    ----------
    game : NormalFormGame, ExtensiveFormGame or path
        The game, or a game file (``.nfg``, ``.efg``, ``.toml``) read by :func:`sim.game.io.read_game`.
    counts : sequence of sequences of float, or path
        One vector of counts per agent in the game's agent order (a normal form's players; a
        tree's information sets in :meth:`ExtensiveFormGame.infosets` order), each in the order of
        the agent's actions; or a counts CSV file (see :func:`read_counts`). Counts may be
        non-integer weights; they must be finite, non-negative and not all zero.
    lam_max : float
        How far the branch is followed (Gambit's ``logit_estimate`` also stops at 10^6).
    settings : Settings, optional
        Step control of the continuation (:class:`sim.game.qre.Settings`).

    Returns
    -------
    QREFit
        The estimate, standard error, 95% likelihood-ratio interval, log-likelihood and fitted profile.

    Raises
    ------
    CountsError
        If the counts do not match the game's agents and actions, or are negative, not finite or all zero.
    GameError
        If the game file cannot be read.
    """
    if isinstance(game, str | os.PathLike):
        game = read_game(game)
    if not isinstance(game, NormalFormGame | ExtensiveFormGame):
        raise CountsError(f"fit_qre needs a NormalFormGame or an ExtensiveFormGame, not a {type(game).__name__}")
    if not (np.isfinite(lam_max) and lam_max > 0):
        raise CountsError(f"lam_max must be a positive finite number, not {lam_max}")
    form = agent_form(solvable(game))
    if isinstance(counts, str | os.PathLike):
        vectors, digest = read_counts(counts, game)
    else:
        vectors = check_counts(form, counts)
        digest = hashlib.sha256(json.dumps([v.tolist() for v in vectors]).encode()).hexdigest()
    branch = Branch(form, np.concatenate(vectors), settings or Settings())
    lam, x, boundary = branch.maximise(float(lam_max))
    loglik = branch.loglik(x)
    if branch.flat(loglik):
        boundary, se, interval = "flat", float("nan"), (0.0, float("inf"))
    else:
        se = branch.standard_error(lam, x) if not boundary else float("nan")
        interval = branch.interval(loglik)
    return QREFit(
        lam=lam,
        se=se,
        interval=interval,
        loglik=loglik,
        loglik_uniform=branch.loglik(branch.points[0][:-1]),
        profile=profile_from_logs(form, x),
        agents=form.agents,
        counts=vectors,
        boundary=boundary,
        players=game.players,
        lam_max=float(lam_max),
        data_sha256=digest,
        game_title=game.title,
    )


def solvable(game: NormalFormGame | ExtensiveFormGame) -> NormalFormGame | ExtensiveFormGame:
    """The game, with a one-player normal form (a decision problem) as its one-node tree: the same
    agent (keyed by the player's name) and values, in a form the QRE continuation can batch."""
    if isinstance(game, NormalFormGame) and game.n_players == 1:
        leaves = {label: Node.terminal([u]) for label, u in zip(game.strategies[0], game.payoffs[0])}
        return ExtensiveFormGame(game.players, Node.decision(0, leaves, infoset=game.players[0]), game.title)
    return game


class Branch:
    """The traced principal branch with the log-likelihood of counts ``c`` along it (``ell = c . x``)."""

    def __init__(self, form: AgentForm, counts: np.ndarray, settings: Settings) -> None:
        self.form, self.counts, self.settings = form, counts, settings
        self.homotopy = Homotopy(form)
        self.points: list[np.ndarray] = []  # (x, lam) along the branch, in order of arclength

    def loglik(self, x: np.ndarray) -> float:
        """``sum n log p``; zero counts contribute nothing even where ``log p`` is very negative."""
        return float(self.counts @ x)

    def maximise(self, lam_max: float) -> tuple[float, np.ndarray, str]:
        """``(lam, x, boundary)`` at the highest log-likelihood on the branch up to ``lam_max``: as in
        Gambit, the best of the branch's ends and of the local maxima, refined wherever the slope along
        the branch turns from rising to falling between traced points (then inserted in :attr:`points`)."""
        self.points = [np.append(x, lam) for lam, x in trace(self.form, lam_max, self.settings)]
        if self.homotopy.n == 0 or len(self.points) < 2:
            return 0.0, self.points[0][:-1], "zero"
        slopes = [self.slope_at(k) for k in range(len(self.points))]
        candidates = [(self.loglik(self.points[0][:-1]), 0, self.points[0])]
        for k in range(len(self.points) - 1):
            if slopes[k] > 0 >= slopes[k + 1]:
                y = self.refine(k, k + 1)
                candidates.append((self.loglik(y[:-1]), k + 1, y))
        last = len(self.points) - 1
        candidates.append((self.loglik(self.points[last][:-1]), last, self.points[last]))
        _, where, y = max(candidates, key=lambda candidate: candidate[0])
        if where == last:
            return float(y[-1]), y[:-1], "lam_max"
        if where > 0:
            self.points.insert(where, y)
        return float(y[-1]), y[:-1], "zero" if y[-1] <= 0 else ""

    def flat(self, loglik: float) -> bool:
        """Whether the log-likelihood is the same all along the branch (to round-off): then the
        counts carry no information on ``lam`` (for example where uniform play is a QRE at every ``lam``)."""
        values = [self.loglik(y[:-1]) for y in self.points]
        return loglik - min(values) <= 1e-9 * (1.0 + abs(loglik))

    def slope_at(self, k: int) -> float:
        """``d ell / ds`` at traced point ``k``, the tangent oriented along the branch (increasing ``k``)."""
        ahead = self.points[min(k + 1, len(self.points) - 1)] - self.points[max(k - 1, 0)]
        direction = tangent(self.homotopy.jacobian(self.points[k])[0], ahead)
        return float(self.counts @ direction[:-1])

    def on_branch(self, i: int, j: int, u: float) -> np.ndarray:
        """The branch point whose projection on the chord from point ``i`` to point ``j`` is at ``u``
        in ``[0, 1]``: Newton from the chord point, kept in the plane orthogonal to the chord."""
        a, b = self.points[i], self.points[j]
        if u <= 0 or u >= 1:
            return (a if u <= 0 else b).copy()
        chord = (b - a) / np.linalg.norm(b - a)
        y, _, _ = corrector(self.homotopy, a + u * (b - a), chord, self.settings)
        if y is None:  # a short chord of a smooth branch: fall back to the chord point, corrected at its lam
            guess = a + u * (b - a)
            x = land(self.homotopy, guess[:-1], float(guess[-1]))
            y = np.append(x if x is not None else guess[:-1], guess[-1])
        return y

    def slope_along(self, i: int, j: int, u: float) -> float:
        """``d ell / ds`` at :meth:`on_branch` ``(i, j, u)``, with the tangent pointing from ``i`` to ``j``."""
        y = self.on_branch(i, j, u)
        jacobian = self.homotopy.jacobian(y)[0]
        direction = tangent(jacobian, self.points[j] - self.points[i])
        return float(self.counts @ direction[:-1])

    def refine(self, i: int, j: int) -> np.ndarray:
        """The maximum of the log-likelihood between points ``i`` and ``j``: the zero of its slope
        along the branch where the slope changes sign (Gambit refines the same zero), else the
        best value by bounded Brent search on the chord."""
        left, right = self.slope_along(i, j, 0.0), self.slope_along(i, j, 1.0)
        if left > 0 > right:
            u = optimize.brentq(lambda t: self.slope_along(i, j, t), 0.0, 1.0, xtol=1e-14, rtol=1e-13)
        else:
            found = optimize.minimize_scalar(
                lambda t: -self.loglik(self.on_branch(i, j, t)[:-1]), bounds=(0.0, 1.0), method="bounded",
                options={"xatol": 1e-12},
            )  # fmt: skip
            u = float(found.x)
        return self.on_branch(i, j, u)

    def dlam_slope(self, lam: float, x: np.ndarray) -> float:
        """``d ell / d lam = c . dx/dlam`` at a branch point where ``dH/dx`` is regular."""
        jacobian = self.homotopy.jacobian(np.append(x, lam))[0]
        dx = np.linalg.solve(jacobian[:, :-1], -jacobian[:, -1])
        return float(self.counts @ dx)

    def standard_error(self, lam: float, x: np.ndarray) -> float:
        """``(-d^2 ell / d lam^2)^{-1/2}`` by central differences of the exact slope (one-sided near 0)."""
        h = 1e-4 * max(lam, 1e-2)
        try:
            up = land(self.homotopy, x, lam + h)
            if up is None:
                return float("nan")
            if lam - h > 0:
                down = land(self.homotopy, x, lam - h)
                if down is None:
                    return float("nan")
                curvature = (self.dlam_slope(lam + h, up) - self.dlam_slope(lam - h, down)) / (2 * h)
            else:
                curvature = (self.dlam_slope(lam + h, up) - self.dlam_slope(lam, x)) / h
        except np.linalg.LinAlgError:  # a turning point of the branch: lam is not a local coordinate
            return float("nan")
        return float(1 / np.sqrt(-curvature)) if curvature < 0 else float("nan")

    def interval(self, loglik: float) -> tuple[float, float]:
        """The 95% likelihood-ratio interval: the range of ``lam`` on the stretch of branch around
        the maximum where ``ell >= ell_max - 1.92``; each end found by Brent's method on a chord."""
        cutoff = loglik - LR_CUTOFF
        values = [self.loglik(y[:-1]) for y in self.points]
        best = int(np.argmax(values))

        def crossing(i: int, j: int) -> float:
            u = optimize.brentq(
                lambda t: self.loglik(self.on_branch(i, j, t)[:-1]) - cutoff, 0.0, 1.0, xtol=1e-13, rtol=1e-12
            )
            return float(self.on_branch(i, j, u)[-1])

        lams = [float(y[-1]) for y in self.points]
        low, high = 0.0, float("inf")
        below = [k for k in range(best) if values[k] < cutoff]
        if below:
            k = below[-1]
            low = min([crossing(k, k + 1), *lams[k + 1 : best + 1]])
        above = [k for k in range(best + 1, len(values)) if values[k] < cutoff]
        if above:
            k = above[0]
            high = max([crossing(k, k - 1), *lams[best:k]])
        return low, high


# ---------------------------------------------------------------------------------- counts


def check_counts(form: AgentForm, counts: Sequence[Sequence[float] | np.ndarray] | np.ndarray) -> list[np.ndarray]:
    """The counts as one float vector per agent, checked against the game's agents and actions.

    Raises
    ------
    CountsError
        The wrong number of agents or actions, a count that is negative or not a finite number,
        or no observations at all.
    """
    if isinstance(counts, np.ndarray) and counts.ndim == 1:
        counts = form.split(counts) if len(counts) == form.n_unknowns else [counts]
    if len(counts) != len(form.agents):
        agents = "; ".join(f"{agent.key} ({', '.join(agent.actions)})" for agent in form.agents)
        raise CountsError(f"counts for {len(counts)} agents, but the game has {len(form.agents)}: {agents}")
    vectors = []
    for agent, given in zip(form.agents, counts):
        try:
            vector = np.asarray(given, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise CountsError(f"counts for {agent.key!r} are not numbers: {given!r}") from None
        if len(vector) != len(agent.actions):
            raise CountsError(
                f"{len(vector)} counts for {agent.key!r}, which has {len(agent.actions)} actions {list(agent.actions)}"
            )
        if not np.all(np.isfinite(vector)) or np.any(vector < 0):
            raise CountsError(f"counts for {agent.key!r} must be finite and non-negative, got {vector.tolist()}")
        vectors.append(vector)
    if not any(v.sum() > 0 for v in vectors):
        raise CountsError("every count is zero: there is nothing to fit")
    return vectors


def read_counts(path: str | os.PathLike[str], game: NormalFormGame | ExtensiveFormGame) -> tuple[list[np.ndarray], str]:
    """A counts CSV file as one vector per agent, and the SHA-256 of the file's bytes.

    The file has a header and one row per observed action: ``player,infoset,action,count``.
    ``player`` is the player's name (or number, from 1); ``infoset`` is the information set's key
    as ``sim solve GAME --qre 1`` shows it in brackets (an ``.efg`` file's information set name, else its number),
    and may be left empty, or the column left out, when the player has one information set (every
    player of a normal form). Actions not listed count zero; listing one twice is an error.

    Raises
    ------
    CountsError
        With the file and line: a missing column, an unknown player, information set or action
        (with the closest names), a count that is not a non-negative number, a repeated row, or
        no observations at all.
    """
    source = str(path)
    content = read_regular_file(path, MAX_DATA_BYTES)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CountsError(f"{source}: not a UTF-8 text file") from None
    form = agent_form(solvable(game))
    vectors = parse_counts(text, source, game.players, form)
    return check_counts(form, vectors), hashlib.sha256(content).hexdigest()


def parse_counts(text: str, source: str, players: Sequence[str], form: AgentForm) -> list[np.ndarray]:
    """The rows of a counts CSV (see :func:`read_counts`) summed into one vector per agent."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in ("player", "action", "count") if name not in header]
    if missing:
        raise CountsError(
            f"{source}:1: the header needs the columns player, action and count (and infoset for trees); "
            f"missing {', '.join(missing)} in {','.join(header) or '(empty file)'}"
        )
    unknown = [name for name in header if name not in COUNTS_COLUMNS]
    if unknown:
        raise CountsError(f"{source}:1: unknown column {unknown[0]!r}{suggest(unknown[0], COUNTS_COLUMNS)}")
    column = {name: header.index(name) for name in COUNTS_COLUMNS if name in header}
    vectors = [np.zeros(len(agent.actions)) for agent in form.agents]
    seen: dict[tuple[int, int], int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise CountsError(f"{source}:{line}: {len(row)} fields, but the header has {len(header)}")
        cells = {name: row[k].strip() for name, k in column.items()}
        h = find_agent(cells, players, form, f"{source}:{line}")
        actions = form.agents[h].actions
        if cells["action"] not in actions:
            raise CountsError(
                f"{source}:{line}: field 'action': {form.agents[h].key!r} has no action {cells['action']!r}"
                f"{suggest(cells['action'], actions)} (its actions: {', '.join(actions)})"
            )
        a = actions.index(cells["action"])
        vectors[h][a] = parse_count(cells["count"], f"{source}:{line}")
        if (h, a) in seen:
            raise CountsError(f"{source}:{line}: action {cells['action']!r} of {form.agents[h].key!r} "
                              f"is listed twice (also on line {seen[(h, a)]})")  # fmt: skip
        seen[(h, a)] = line
    if not any(v.sum() > 0 for v in vectors):
        raise CountsError(f"{source}: no positive count (every count is zero, or no rows): there is nothing to fit")
    return vectors


def parse_count(text: str, where: str) -> float:
    """A count: a finite non-negative number."""
    try:
        value = float(text)
    except ValueError:
        raise CountsError(f"{where}: field 'count': expected a number, got {text!r}") from None
    if not np.isfinite(value) or value < 0:
        raise CountsError(f"{where}: field 'count': a count must be a finite number >= 0, got {text}")
    return value


def find_agent(cells: dict[str, str], players: Sequence[str], form: AgentForm, where: str) -> int:
    """The agent a row names, by player (name or number from 1) and information set key."""
    name = cells["player"]
    if name in players:
        player = list(players).index(name)
    elif name.isdigit() and 1 <= int(name) <= len(players):
        player = int(name) - 1
    else:
        raise CountsError(
            f"{where}: field 'player': no player {name!r}{suggest(name, players)} (players: {', '.join(players)})"
        )
    own = [h for h, agent in enumerate(form.agents) if agent.player == player]
    key = cells.get("infoset", "")
    if not own:
        raise CountsError(f"{where}: player {players[player]!r} never moves in this game")
    if not key:
        if len(own) > 1:
            several = ", ".join(form.agents[h].key for h in own)
            raise CountsError(f"{where}: field 'infoset': player {players[player]!r} has several ({several}): name one")
        return own[0]
    for h in own:
        if form.agents[h].key == key:
            return h
    keys = [form.agents[h].key for h in own]
    raise CountsError(
        f"{where}: field 'infoset': player {players[player]!r} has no information set {key!r}"
        f"{suggest(key, keys)} (its information sets: {', '.join(keys)})"
    )


def suggest(word: str, options: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest option, or nothing."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
