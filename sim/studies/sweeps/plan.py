"""The one set-up of every sweep: from a scenario, parameter specs and design options to checked
design points, for ``sim sweep``, :func:`sim.sweep` and the app's Sweep page alike.

:func:`plan_sweep` reads the parameters, checks the runs per point, draws the design
(:func:`~sim.studies.sweeps.design.design_points`, refused past :mod:`sim.domain.limits` before
anything is allocated), checks the caller's own caps (the app's, on a shared server), checks
that every point makes a valid scenario of a size one Monte Carlo may run, and fixes the
:class:`~sim.studies.sweeps.store.SweepSpec` that defines the sweep's numbers. Nothing runs: that
is :func:`sim.studies.sweeps.run.sweep`'s (or the app's, in cached chunks), with point ``i``
seeded by ``SeedSequence(seed, spawn_key=(i,))`` wherever it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sim.domain.limits import MAX_RUNS
from sim.domain.scenario import Scenario, ScenarioError, scenario_from_dict, with_overrides
from sim.runs.montecarlo import check_run_size
from sim.studies.sweeps.design import Parameter, Point, SweepError, design_points
from sim.studies.sweeps.store import SweepSpec


@dataclass(frozen=True)
class SweepPlan:
    """A sweep set up and checked, nothing run yet.

    Attributes
    ----------
    scenario
        The base scenario; each point overrides its swept fields.
    parameters
        The swept parameters, in the order of the design's columns.
    points
        The design points, ``(index, {path: value})``, values as plain Python numbers or strings.
    spec
        Everything that defines the sweep's numbers (what ``_sweep.json`` records).
    """

    scenario: Scenario
    parameters: tuple[Parameter, ...]
    points: list[Point]
    spec: SweepSpec

    def metadata(self) -> dict[str, Any]:
        """The sweep's metadata: its spec, the package version and the whole scenario."""
        return self.spec.metadata(self.scenario)


def plan_sweep(
    scenario: Scenario,
    params: Mapping[str, Any] | Iterable[Parameter],
    design: str = "grid",
    samples: int | None = None,
    runs: int = 1_000,
    seed: int = 0,
    *,
    calc_second_order: bool = False,
    check_ends: bool = True,
    max_points: int | None = None,
    max_crises: int | None = None,
) -> SweepPlan:
    """Set up a sweep and check it before any work: the design points and the spec.

    Parameters
    ----------
    scenario
        The base scenario.
    params
        Parameter path -> ``(low, high)``, ``(low, high, steps)`` or a list of values; or
        :class:`~sim.studies.sweeps.design.Parameter` objects.
    design, samples, calc_second_order
        The design (``grid``, ``lhs``, ``sobol`` or ``saltelli``), its number of samples (N of a
        Saltelli sample), and whether a Saltelli sample serves second-order indices too.
    runs
        Crises per design point, at most :data:`~sim.domain.limits.MAX_RUNS`.
    seed
        The sweep's seed: the design is drawn from ``SeedSequence(seed)``.
    check_ends
        Refuse, before the design is drawn, a parameter whose range end or listed value its field
        does not take, naming it as ``--param PATH=SPEC`` (the words of the command line and of
        :func:`sim.sweep`). False leaves it to the check of the design points, whose message
        names the first point refused (the app's words).
    max_points, max_crises
        The caller's own caps, beyond :mod:`sim.domain.limits`: design points, and crises in all
        (points x runs). The app passes those of a shared server; None for none.

    Returns
    -------
    SweepPlan
        The scenario, the parameters, the design points and the spec.

    Raises
    ------
    SweepError
        Naming the setting that is wrong: runs, a parameter, the design, a cap, or the first
        design point that makes an invalid scenario or too large a Monte Carlo.
    """
    parameters = as_parameters(params)
    if runs < 1 or int(runs) != runs:
        raise SweepError(f"--runs must be a whole number of at least 1 (got {runs})")
    if runs > MAX_RUNS:
        raise SweepError(f"--runs {runs:,}: at most {MAX_RUNS:,} runs per point (sim.domain.limits.MAX_RUNS)")
    if check_ends:
        check_parameter_values(scenario, parameters)
    table = design_points(parameters, design, samples, seed, calc_second_order)
    check_caps(len(table), int(runs), max_points, max_crises)
    points = [(index, plain(row)) for index, row in enumerate(table.to_dict("records"))]
    check_points_validate(scenario, points, int(runs))
    spec = SweepSpec(
        scenario.name, scenario.sha256(), [asdict(p) for p in parameters], design, samples,
        calc_second_order, int(seed), int(runs), len(points),
    )  # fmt: skip
    return SweepPlan(scenario, tuple(parameters), points, spec)


def as_parameters(params: Mapping[str, Any] | Iterable[Parameter]) -> list[Parameter]:
    """The swept parameters from a mapping of path -> spec (:meth:`Parameter.from_spec`), or as given."""
    if isinstance(params, Mapping):
        return [Parameter.from_spec(path, spec) for path, spec in params.items()]
    return list(params)


def check_caps(points: int, runs: int, max_points: int | None, max_crises: int | None) -> None:
    """Refuse a sweep over the caller's caps on design points or on crises in all (points x runs).

    Raises
    ------
    SweepError
        Naming the size asked for and the cap.
    """
    if max_points is not None and points > max_points:
        raise SweepError(
            f"the sweep would have {points:,} design points; at most {max_points:,} are allowed here: use fewer "
            "steps or samples"
        )
    if max_crises is not None and points * runs > max_crises:
        raise SweepError(
            f"{points:,} points x {runs:,} runs would simulate {points * runs:,} crises; at most {max_crises:,} are "
            "allowed here: use fewer runs or points"
        )


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """Design values as plain Python numbers/strings, so they round-trip through JSON and TOML."""
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}


def check_parameter_values(scenario: Scenario, parameters: Sequence[Parameter]) -> None:
    """Fail before any design point is drawn if a parameter names no field, or if an end of its
    range (or one of its listed values) is a value its field does not take, naming the parameter:
    ``--param russia.resolve_prior=0.5:1.5`` is refused for its end 1.5, not for whichever design
    point first falls past 1.

    Raises
    ------
    SweepError
        Naming the parameter, the field and the schema's message.
    """
    raw = scenario.model_dump(mode="json", by_alias=True)
    for parameter in parameters:
        if parameter.values is not None:
            tried, spec = parameter.values, ",".join(map(str, parameter.values))
        else:
            tried, spec = (parameter.low, parameter.high), f"{parameter.low:g}:{parameter.high:g}"
        for value in dict.fromkeys(tried):
            try:
                scenario_from_dict(raw, "--param", {parameter.path: value})
            except ScenarioError as error:
                field, message = error.problems[0]
                message = message.removesuffix(" [overridden]")
                known = parameter.values is None and not message.startswith("unknown field")
                where = " (both ends of a range must be values the field takes)" if known else ""
                raise SweepError(f"--param {parameter.path}={spec}: {field}: {message}{where}") from None


def check_points_validate(scenario: Scenario, points: list[Point], runs: int) -> None:
    """Fail before any work if a design point, alone or by its combination of values, makes an
    invalid scenario, or one whose ``runs`` would be more work than one Monte Carlo may be
    (:func:`sim.runs.montecarlo.check_run_size`: a swept ``rounds``); about 0.3 ms a point, cheap next
    to running it.

    Raises
    ------
    SweepError
        Naming the first design point refused and why.
    """
    for index, values in points:
        try:
            check_run_size(with_overrides(scenario, values, source=f"design point {index}"), runs)
        except ScenarioError as error:
            raise SweepError(str(error)) from None
        except ValueError as error:
            raise SweepError(f"design point {index}: {error}") from None
