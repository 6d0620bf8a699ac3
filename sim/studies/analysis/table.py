"""A finished sweep as a table: reading it, naming its outcome columns and its swept parameters.

A sweep (written by ``sim sweep``) is a table with one row per design point: the swept parameters
under their dotted scenario paths (``russia.resolve_prior``), the runs, and for every outcome its
probability ``p_<outcome>`` with the 95% interval ``ci_low_<outcome>``/``ci_high_<outcome>``, plus
``mean_rounds`` and ``mean_payoff_<actor>``. Its metadata names the parameters, the design (grid,
lhs, sobol or saltelli) and the provenance (scenario, SHA-256, seed, version).

Every analysis (:mod:`~sim.studies.analysis.sobol`, :mod:`~sim.studies.analysis.prim`,
:mod:`~sim.studies.analysis.figures`) reads its columns through the checks here, so a misspelt
outcome or parameter is reported in one line (a ``ValueError``) before any work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.domain.ladder import ACTORS, OUTCOMES
from sim.studies.sweeps import read_sweep

SCATTERED_DESIGNS = ("lhs", "sobol", "saltelli")
"""The designs whose points are scattered over the parameters (not on a grid of levels)."""


def load_sweep(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a sweep directory written by ``sim sweep --out``, every design point exactly once.

    No analysis may silently count a point twice or describe half a sweep as the whole, so the
    sweep is read complete or not at all.

    Parameters
    ----------
    path
        The sweep directory.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The table of design points and the sweep's metadata.

    Raises
    ------
    ValueError
        A ``SweepError`` naming the points duplicated or missing, or a message that the sweep
        has no finished points yet.
    """
    frame, metadata = read_sweep(path, complete=True)
    if frame.empty:
        raise ValueError(
            f"{path}: the sweep has no finished points yet; finish it with sim sweep ... --out {path} --resume"
        )
    return frame, metadata


def output_column(outcome: str) -> str:
    """The sweep column of an outcome: ``major_war`` -> ``p_major_war``.

    Parameters
    ----------
    outcome
        An outcome name (``major_war``) or its column (``p_major_war``), ``mean_rounds``, or
        ``mean_payoff_<actor>``.

    Returns
    -------
    str
        The column's name.

    Raises
    ------
    ValueError
        For a name that is none of these.
    """
    name = str(outcome).strip()
    if name in OUTCOMES:
        return f"p_{name}"
    if name.startswith("p_") and name[2:] in OUTCOMES:
        return name
    if name == "mean_rounds" or (name.startswith("mean_payoff_") and name[len("mean_payoff_") :] in ACTORS):
        return name
    raise ValueError(
        f"unknown outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}, mean_rounds, "
        f"or mean_payoff_ACTOR with ACTOR one of {', '.join(ACTORS)}"
    )


def output_label(column: str, short: bool = False) -> str:
    """Plain words for an output column: ``P(major war)`` (or ``major war``), ``mean rounds``, ...

    Parameters
    ----------
    column
        An output column (``p_major_war``, ``mean_rounds``, ``mean_payoff_us``).
    short
        Leave out the ``P(...)`` around an outcome's name.

    Returns
    -------
    str
        The label.
    """
    if column.startswith("p_"):
        words = column[2:].replace("_", " ")
        return words if short else f"P({words})"
    if column.startswith("mean_payoff_"):
        return f"mean payoff of {column[len('mean_payoff_') :]}"
    return column.replace("_", " ")


def threshold_text(column: str, above: float) -> str:
    """A threshold on an output column as printed: two decimals for a probability, else as given.

    Parameters
    ----------
    column
        The output column the threshold applies to.
    above
        The threshold.

    Returns
    -------
    str
        The threshold in words (``0.10``, ``2.5``).
    """
    return f"{above:.2f}" if column.startswith("p_") else f"{above:g}"


def require_output(frame: pd.DataFrame, outcome: str) -> str:
    """The column of ``outcome`` (see :func:`output_column`), checked to be in ``frame``.

    Parameters
    ----------
    frame
        A sweep's table.
    outcome
        An outcome name or output column.

    Returns
    -------
    str
        The column's name.

    Raises
    ------
    ValueError
        For an unknown outcome, or one the sweep has no column for.
    """
    column = output_column(outcome)
    if column not in frame.columns:
        raise ValueError(f"the sweep has no column {column!r} (for outcome {outcome!r})")
    return column


def swept_parameters(frame: pd.DataFrame, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The swept parameters listed in the metadata, each checked to be a column of the frame.

    Parameters
    ----------
    frame
        A sweep's table.
    metadata
        Its metadata.

    Returns
    -------
    list of dict
        The metadata's ``params`` entries (``path``, ``low``, ``high``, ``steps``, ``values``).

    Raises
    ------
    ValueError
        When the metadata lists no parameter, one without a path, or one the frame has no column for.
    """
    params = metadata.get("params")
    if not isinstance(params, list) or not params:
        raise ValueError("the sweep's metadata lists no swept parameters ('params')")
    for param in params:
        if not isinstance(param, dict) or "path" not in param:
            raise ValueError(f"the sweep's metadata has a parameter without a path: {param!r}")
        if param["path"] not in frame.columns:
            raise ValueError(f"the sweep has no column {param['path']!r} for its swept parameter {param['path']}")
    return params


def swept_parameter(frame: pd.DataFrame, metadata: dict[str, Any], name: str) -> dict[str, Any]:
    """One swept parameter's metadata entry, by its path.

    Parameters
    ----------
    frame
        A sweep's table.
    metadata
        Its metadata.
    name
        The parameter's dotted path (``russia.resolve_prior``).

    Returns
    -------
    dict
        Its entry of the metadata's ``params``.

    Raises
    ------
    ValueError
        When the sweep did not sweep that parameter (the message lists those it did).
    """
    params = swept_parameters(frame, metadata)
    for param in params:
        if param["path"] == name:
            return param
    known = ", ".join(param["path"] for param in params)
    raise ValueError(f"no parameter column {name!r} in this sweep; its swept parameters are: {known}")


def is_categorical(series: pd.Series) -> bool:
    """Whether a parameter column holds names (or true/false) rather than numbers.

    Parameters
    ----------
    series
        A parameter column.

    Returns
    -------
    bool
        True for names or booleans.
    """
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def provenance(metadata: dict[str, Any]) -> dict[str, Any]:
    """Where a sweep came from: scenario, its SHA-256, design, points, runs, seed and version.

    Parameters
    ----------
    metadata
        The sweep's metadata.

    Returns
    -------
    dict
        Those entries of the metadata (None where missing), for a JSON report.
    """
    keys = ("scenario", "scenario_sha256", "design", "n_points", "runs", "seed", "version")
    return {key: metadata.get(key) for key in keys}


def provenance_line(metadata: dict[str, Any], points: int) -> str:
    """Where a sweep came from, in one line for the head of a printed report.

    Parameters
    ----------
    metadata
        The sweep's metadata.
    points
        The number of design points the report covers.

    Returns
    -------
    str
        The line.
    """
    sha = str(metadata.get("scenario_sha256") or "")[:12]
    runs = metadata.get("runs")
    runs_text = f"{runs:,} runs each" if isinstance(runs, int) else "runs unknown"
    return (
        f"sweep of {metadata.get('scenario', '?')}: {metadata.get('design', '?')} design, {points:,} points, "
        f"{runs_text}, seed {metadata.get('seed')}, scenario sha256 {sha}, sim {metadata.get('version', '?')}"
    )
