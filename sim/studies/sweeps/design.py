"""What a sweep varies and where: swept parameters, and designs of points over their ranges.

A :class:`Parameter` is a scenario field (by dotted path) with a numeric range ``low:high`` or a
list of values. A design is a table of points, one column per parameter: a full ``grid``, a Latin
hypercube (``lhs``), a scrambled Sobol sequence (``sobol``), or a Saltelli sample (``saltelli``,
for Sobol indices). The random designs are drawn from ``SeedSequence(seed)``. The size of a
design is counted, and refused past :mod:`sim.domain.limits`, before any of it is allocated.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.domain.choices import DESIGNS
from sim.domain.limits import MAX_DESIGN_POINTS, MAX_GRID_STEPS
from sim.domain.scenario import parse_assignment

DEFAULT_GRID_STEPS = 5

Point = tuple[int, dict[str, Any]]
"""A design point: its index in the design and its values (parameter path -> value)."""


class SweepError(ValueError):
    """A sweep that cannot be run or resumed: says which setting is wrong and how to fix it."""


@dataclass(frozen=True)
class Parameter:
    """A swept scenario field: a numeric range ``low:high`` (``steps`` points on a grid), or a
    list of values (numbers, or categories such as decision rules)."""

    path: str
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    values: tuple[Any, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> Parameter:
        """``path=low:high``, ``path=low:high:steps`` or ``path=a,b,c`` (values read as TOML)."""
        if "=" not in text:
            raise SweepError(f"--param {text}: expected PATH=LOW:HIGH[:STEPS] or PATH=A,B,C")
        path, _, spec = text.partition("=")
        path, spec = path.strip(), spec.strip()
        dashed = re.fullmatch(r"(-?[\d.]+)\s*-\s*(-?[\d.]+)", spec)
        if dashed:
            low, high = dashed.groups()
            raise SweepError(
                f"--param {text}: write a range as LOW:HIGH ({path}={low}:{high}), or LOW:HIGH:STEPS for a grid"
            )
        if ":" in spec and "," not in spec:
            parts = spec.split(":")
            try:
                numbers = [float(part) for part in parts[:2]]
                steps = int(parts[2]) if len(parts) == 3 else None
            except ValueError:
                raise SweepError(f"--param {text}: LOW and HIGH must be numbers, STEPS a whole number") from None
            if len(parts) not in (2, 3):
                raise SweepError(f"--param {text}: expected LOW:HIGH or LOW:HIGH:STEPS")
            return cls.range(path, numbers[0], numbers[1], steps)
        values = tuple(parse_assignment(f"{path}={item.strip()}")[1] for item in spec.split(",") if item.strip())
        return cls.choice(path, values)

    @classmethod
    def range(cls, path: str, low: float, high: float, steps: int | None = None) -> Parameter:
        """A numeric range ``low:high``, with ``steps`` points on a grid (None: the default 5)."""
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise SweepError(f"{path}: the range needs finite LOW <= HIGH (got {low}:{high})")
        if steps is not None and steps < 1:
            raise SweepError(f"{path}: STEPS must be at least 1 (got {steps})")
        return cls(path, float(low), float(high), steps)

    @classmethod
    def choice(cls, path: str, values: Sequence[Any]) -> Parameter:
        """A list of values (numbers or categories), each taken in turn on a grid."""
        if not values:
            raise SweepError(f"{path}: give at least one value")
        return cls(path, values=tuple(values))

    @classmethod
    def from_spec(cls, path: str, spec: Any) -> Parameter:
        """From Python: ``(low, high)``, ``(low, high, steps)`` or a list of values."""
        if isinstance(spec, Parameter):
            return spec
        if isinstance(spec, tuple) and len(spec) in (2, 3) and all(isinstance(x, (int, float)) for x in spec):
            return cls.range(path, spec[0], spec[1], int(spec[2]) if len(spec) == 3 else None)
        if isinstance(spec, (list, tuple)):
            return cls.choice(path, list(spec))
        raise SweepError(f"{path}: give (low, high), (low, high, steps) or a list of values, not {spec!r}")

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a numeric range (not a list of values)."""
        return self.values is None

    def ends(self) -> tuple[float, float]:
        """``(low, high)`` of a range parameter."""
        if self.low is None or self.high is None:
            raise SweepError(f"{self.path}: a list of values has no range")
        return self.low, self.high

    def grid(self) -> list[Any]:
        """The parameter's values on a grid: its list, or ``steps`` evenly spaced from low to high."""
        if self.values is not None:
            return list(self.values)
        low, high = self.ends()
        steps = self.steps or DEFAULT_GRID_STEPS
        return np.linspace(low, high, steps).tolist() if steps > 1 else [low]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map points of [0, 1) to the parameter: scaled into the range, or a category per bin."""
        if self.values is None:
            low, high = self.ends()
            return (low + u * (high - low)).tolist()
        index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[k] for k in index]


def saltelli_size(samples: int, parameters: int, second_order: bool = False) -> int:
    """The points of a Saltelli sample of base size N for D parameters: ``N (D + 2)``, or
    ``N (2D + 2)`` with second-order indices."""
    return samples * ((2 if second_order else 1) * parameters + 2)


def design_size(params: Sequence[Parameter], design: str, samples: int | None, second_order: bool = False) -> int:
    """How many design points a sweep will have, counted without building them: the product of
    the grid's steps, the ``samples`` of a Latin hypercube or Sobol design, and
    :func:`saltelli_size` for a Saltelli design. 0 when the design cannot be built (no samples
    given); the sweep then says what is missing."""
    if design == "grid":
        counts = [len(p.values) if p.values is not None else p.steps or DEFAULT_GRID_STEPS for p in params]
        return math.prod(counts)
    if samples is None:
        return 0
    if design == "saltelli":
        return saltelli_size(samples, len(params), second_order)
    return samples


def check_sweep_size(params: Sequence[Parameter], design: str, samples: int | None, second_order: bool) -> None:
    """Refuse a sweep that asks for more than :data:`~sim.domain.limits.MAX_GRID_STEPS` values of one
    parameter or more than :data:`~sim.domain.limits.MAX_DESIGN_POINTS` points in all, before it starts:
    a billion grid steps would otherwise be allocated (and fail with a MemoryError) before the
    sweep could say anything.

    Raises
    ------
    SweepError
        Naming the parameter or the design, the size asked for and the limit.
    """
    for parameter in params:
        count = len(parameter.values) if parameter.values is not None else parameter.steps or DEFAULT_GRID_STEPS
        if count > MAX_GRID_STEPS:
            raise SweepError(
                f"--param {parameter.path}: {count:,} values; at most {MAX_GRID_STEPS:,} are allowed per parameter "
                "(sim.domain.limits.MAX_GRID_STEPS)"
            )
    points = design_size(params, design, samples, second_order)
    if points > MAX_DESIGN_POINTS:
        if design == "grid":
            how = "the product of the grid's steps"
        elif design == "saltelli":
            factor = (2 if second_order else 1) * len(params) + 2
            how = f"--samples {samples:,} x {factor} for a Saltelli design of {len(params)} parameters"
        else:
            how = f"--samples of the {design} design"
        raise SweepError(
            f"the sweep would have {points:,} design points ({how}); at most {MAX_DESIGN_POINTS:,} are allowed "
            "(sim.domain.limits.MAX_DESIGN_POINTS): use fewer steps or samples, or split the sweep"
        )


def design_points(
    params: Sequence[Parameter], design: str, samples: int | None, seed: int, calc_second_order: bool = False
) -> pd.DataFrame:
    """The design as a table: one row per point, one column per parameter path.

    Raises
    ------
    SweepError
        For an unknown design, no parameter or one swept twice, a design too big
        (:func:`check_sweep_size`), a random design without ``samples``, or a Saltelli design of
        a list of values.
    """
    if design not in DESIGNS:
        raise SweepError(f"--design {design}: choose one of {', '.join(DESIGNS)}")
    if not params:
        raise SweepError("give at least one --param to sweep")
    paths = [p.path for p in params]
    if len(set(paths)) != len(paths):
        raise SweepError("each parameter may be swept only once")
    check_sweep_size(params, design, samples, calc_second_order)  # before anything is allocated
    if design == "grid":
        rows = pd.MultiIndex.from_product([p.grid() for p in params]).to_list()
        return pd.DataFrame(rows, columns=paths)
    if samples is None or samples < 1:
        raise SweepError(f"--design {design} needs --samples (a whole number of at least 1)")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if design == "saltelli":
        return _saltelli(params, samples, calc_second_order, int(rng.integers(2**31)))
    from scipy.stats import qmc

    engine = qmc.LatinHypercube(len(params), rng=rng) if design == "lhs" else qmc.Sobol(len(params), rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Sobol prefers powers of two; docs say so
        unit = engine.random(samples)
    return pd.DataFrame({p.path: p.from_unit(unit[:, k]) for k, p in enumerate(params)})


def _saltelli(params: Sequence[Parameter], samples: int, calc_second_order: bool, seed: int) -> pd.DataFrame:
    from SALib.sample import sobol

    if not all(p.is_range for p in params):
        raise SweepError("--design saltelli needs numeric ranges (Sobol indices are for continuous inputs)")
    problem = saltelli_problem(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when N is not a power of two
        matrix = sobol.sample(problem, samples, calc_second_order=calc_second_order, seed=seed)
    return pd.DataFrame(matrix, columns=[p.path for p in params])


def saltelli_problem(params: Sequence[Parameter]) -> dict[str, Any]:
    """The parameters as SALib's ``problem``: their number, paths and ``[low, high]`` bounds."""
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[p.low, p.high] for p in params]}
