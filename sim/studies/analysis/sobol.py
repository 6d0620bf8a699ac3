"""Sobol sensitivity indices of a Saltelli sweep: which parameters drive an outcome (``sim sensitivity``).

First-order (S1), total (ST) and second-order (S2) indices with 95% bootstrap intervals, computed by
SALib (``SALib.analyze.sobol``) from a complete sweep of ``--design saltelli``, after checking that
its rows are the Saltelli design's, in SALib's order.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.analysis.table import is_categorical, require_output, swept_parameters

HOW_TO_RUN_SALTELLI = (
    "run one with: sim sweep SCENARIO --param PATH=LOW:HIGH ... --design saltelli --samples N --out DIR"
    " (add --second-order for S2)"
)


def sobol_indices(
    frame: pd.DataFrame,
    metadata: dict[str, Any],
    outcome: str,
    *,
    num_resamples: int = 1000,
    seed: int = 1,
) -> pd.DataFrame:
    """Sobol first-order (S1), total (ST) and, if the design has them, second-order (S2) indices.

    The sweep must be a complete Saltelli design, its rows in the order of
    ``SALib.sample.sobol.sample(problem, N, calc_second_order=...)``; the indices come from
    ``SALib.analyze.sobol.analyze``, their 95% intervals from its bootstrap.

    The Monte Carlo noise of each point's probability (finite runs) is variance no parameter
    explains: it lowers the first-order indices, raises every total index by about its share,
    and widens the intervals. More runs per point shrink it.

    Parameters
    ----------
    frame
        The sweep's table (:func:`~sim.studies.analysis.table.load_sweep`).
    metadata
        Its metadata: the design must be ``saltelli``.
    outcome
        An outcome name (``major_war``: the column ``p_major_war``), ``mean_rounds`` or
        ``mean_payoff_<actor>``.
    num_resamples
        Bootstrap resamples for the intervals.
    seed
        The bootstrap's seed, so the same sweep gives the same intervals.

    Returns
    -------
    pandas.DataFrame
        A tidy table, one row per index: ``index`` ("S1", "ST" or "S2"), ``parameter``,
        ``parameter_2`` (the second parameter of an S2 index, else None), ``estimate``, ``conf``
        (half the width of the 95% interval), ``ci_low`` and ``ci_high``. The S1 and ST rows come
        first, the parameters ordered by ST from the largest; then the S2 rows by estimate.
        ``attrs`` carries the output column, N, the number of points, whether S2 was computed, and
        the bootstrap's resamples and seed.

    Raises
    ------
    ValueError
        When the sweep is not a complete Saltelli design in SALib's order, a parameter has no
        numeric range, or the outcome is missing somewhere or the same at every point.
    """
    from SALib.analyze import sobol

    column = require_output(frame, outcome)
    design = metadata.get("design")
    if design != "saltelli":
        raise ValueError(
            f"Sobol indices need a Saltelli design, and this sweep's design is {design!r}; {HOW_TO_RUN_SALTELLI}"
        )
    params = swept_parameters(frame, metadata)
    names = [param["path"] for param in params]
    expected = metadata.get("n_points")
    if not isinstance(expected, int):
        raise ValueError("the sweep's metadata does not say how many design points it has (n_points)")
    if len(frame) != expected:
        raise ValueError(
            f"the sweep is incomplete: {len(frame):,} of {expected} design points; Sobol indices need every "
            f"point of the Saltelli design. Finish it with sim sweep ... --out DIR --resume, or {HOW_TO_RUN_SALTELLI}"
        )
    if not isinstance(num_resamples, int) or num_resamples < 2:
        raise ValueError(f"num_resamples must be a whole number of at least 2, got {num_resamples!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 1:
        raise ValueError(f"seed must be a whole number of at least 1 (SALib ignores a seed of 0), got {seed!r}")
    bounds = []
    for param in params:
        if is_categorical(frame[param["path"]]) or param.get("low") is None or param.get("high") is None:
            raise ValueError(f"parameter {param['path']}: a Saltelli design needs a numeric range (low and high)")
        bounds.append([float(param["low"]), float(param["high"])])
    d = len(names)
    second = metadata.get("calc_second_order")
    if second is None:  # not recorded: the design size tells, given N
        second = metadata.get("samples") == len(frame) // (2 * d + 2) and len(frame) % (2 * d + 2) == 0
    second = bool(second)
    step = 2 * d + 2 if second else d + 2
    if len(frame) % step:
        raise ValueError(
            f"{len(frame):,} points is not a Saltelli design of {d} parameters "
            f"({'with' if second else 'without'} second order, a multiple of {step})"
        )
    ordered = frame.sort_values("point", kind="stable") if "point" in frame.columns else frame
    _check_saltelli_order(ordered[names].to_numpy(dtype=float), d, second)
    values = ordered[column].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        missing = int(np.sum(~np.isfinite(values)))
        raise ValueError(f"{column} is missing (NaN) at {missing} points; Sobol indices need every point")
    if np.ptp(values) <= 1e-12 * max(1.0, float(np.max(np.abs(values)))):
        raise ValueError(
            f"{column} is {values[0]:g} at every point, so no parameter changes it and its Sobol indices are undefined"
        )

    problem = {"num_vars": d, "names": names, "bounds": bounds}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns about constant resamples; the intervals still hold
        result = sobol.analyze(
            problem,
            values,
            calc_second_order=second,
            num_resamples=num_resamples,
            conf_level=0.95,
            print_to_console=False,
            seed=seed,
        )
    first_rows: list[dict[str, Any]] = []
    order = np.argsort(-np.asarray(result["ST"]), kind="stable")
    for i in order:
        for index in ("ST", "S1"):
            first_rows.append(_index_row(index, names[i], None, result[index][i], result[f"{index}_conf"][i]))
    second_rows = []
    if second:
        for i in range(d):
            for j in range(i + 1, d):
                second_rows.append(_index_row("S2", names[i], names[j], result["S2"][i, j], result["S2_conf"][i, j]))
        second_rows.sort(key=lambda row: -row["estimate"])
    table = pd.DataFrame(
        first_rows + second_rows,
        columns=["index", "parameter", "parameter_2", "estimate", "conf", "ci_low", "ci_high"],
    )
    table["parameter_2"] = pd.Series([row["parameter_2"] for row in first_rows + second_rows], dtype=object)
    table.attrs.update(
        {
            "column": column,
            "N": len(frame) // step,
            "points": len(frame),
            "calc_second_order": second,
            "num_resamples": num_resamples,
            "seed": seed,
        }
    )
    return table


def _index_row(index: str, parameter: str, other: str | None, estimate: float, conf: float) -> dict[str, Any]:
    estimate, conf = float(estimate), float(conf)
    return {
        "index": index,
        "parameter": parameter,
        "parameter_2": other,
        "estimate": estimate,
        "conf": conf,
        "ci_low": estimate - conf,
        "ci_high": estimate + conf,
    }


def _check_saltelli_order(x: np.ndarray, d: int, second: bool) -> None:
    """Rows must come in SALib's blocks: A, A with column j from B (j = 1..d), [B with column j from A], B."""
    step = 2 * d + 2 if second else d + 2
    blocks = x.reshape(-1, step, d)
    a, b = blocks[:, 0, :], blocks[:, -1, :]
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    for j in range(d):
        expected_ab = a.copy()
        expected_ab[:, j] = b[:, j]
        candidates = [(1 + j, expected_ab)]
        if second:
            expected_ba = b.copy()
            expected_ba[:, j] = a[:, j]
            candidates.append((1 + d + j, expected_ba))
        for row, expected in candidates:
            bad = np.abs(blocks[:, row, :] - expected) > 1e-9 * scale
            if bad.any():
                block = int(np.argwhere(bad.any(axis=1))[0][0])
                raise ValueError(
                    f"the sweep's rows are not in SALib's Saltelli order (point {block * step + row} does not "
                    f"match its block); Sobol indices need the points exactly as the design made them"
                )
