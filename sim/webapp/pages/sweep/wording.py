"""How the Sweep page says things: numbers as people read them, PRIM boxes and Sobol indices as
sentences, and how much of a sample's variation is Monte Carlo noise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.studies.analysis import Box
from sim.webapp.pages.sweep.parameters import phrase
from sim.webapp.style import capitalised, words


def outcome_name(outcome: str) -> str:
    """``P(major war)``: how the page names an outcome's probability."""
    return f"P({words(outcome).lower()})"


def percent(share: float) -> str:
    """0.125 -> ``12.5%``, 0.1 -> ``10%``, 0.004 -> ``0.4%``."""
    text = f"{100 * share:.1f}".removesuffix(".0")
    return f"{text}%"


def share(fraction: float) -> str:
    """A share of points or of variance, to the whole percent: estimates are not more precise."""
    return f"{fraction:.0%}"


def number(value: float) -> str:
    """A parameter's value in four significant figures (``0.15``, ``1.5e+04``)."""
    return f"{value:.4g}"


# ---------------------------------------------------------------------------------------------
# Scenario discovery


def condition_words(path: str, low: float | None, high: float | None) -> str:
    """``Russia's resolve prior is above 0.46`` (or below, or between)."""
    name = phrase(path)
    if low is not None and high is not None:
        return f"{name} is between {number(low)} and {number(high)}"
    if low is not None:
        return f"{name} is above {number(low)}"
    return f"{name} is below {number(high)}"  # type: ignore[arg-type]


def box_sentence(box: Box, outcome: str) -> str:
    """A PRIM box in plain words: where, how often, and how much of the sweep it holds."""
    what = f"{words(outcome)} is above {percent(box.above)}"
    scope = "of the points"
    if box.outside:
        scope = "of the points outside box " + " and ".join(str(earlier) for earlier in box.outside)
    conditions = [condition_words(path, *box.limits[path]) for path in box.order if path in box.limits]
    conditions += [f"{phrase(path)} is {' or '.join(map(str, values))}" for path, values in box.categories.items()]
    where = f"where {' and '.join(conditions)}" if conditions else "anywhere (no parameter restricts it)"
    return (
        f"**Box {box.number}.** {what} in {share(box.density)} {scope} {where}. The box holds {box.points:,} "
        f"points ({share(box.mass)} of the sweep) and {share(box.coverage)} of all the points where "
        f"{words(outcome).lower()} is above {percent(box.above)}."
    )


# ---------------------------------------------------------------------------------------------
# Sobol indices


def noise_share(frame: pd.DataFrame, outcome: str) -> float:
    """Share of the outcome's variance across points that is Monte Carlo noise (docs/how-to/sweeps.md, section 2)."""
    p = frame[f"p_{outcome}"].to_numpy(dtype=float)
    spread = float(np.var(p, ddof=1)) if p.size > 1 else 0.0
    if spread <= 0:
        return math.inf
    return float(np.mean(p * (1 - p) / frame["runs"].to_numpy(dtype=float)) / spread)


def sobol_sentences(table: pd.DataFrame, outcome: str) -> list[str]:
    """What the Sobol indices say, in words: which parameter drives the outcome, and how surely."""
    first = table[table["index"] == "S1"].set_index("parameter")
    total = table[table["index"] == "ST"].set_index("parameter")  # ordered by ST, the largest first
    names = list(total.index)
    lines = [_driver(first, total, names[0], outcome)]
    if len(names) > 1:
        lines.append(_runner_up(total, names[0], names[1]))
    minor = [name for name in names if total.loc[name, "ci_high"] < 0.05]
    if minor:
        lines.append(_hardly_matter(minor))
    s1_sum = float(first["estimate"].sum())
    lines.append(
        f"The first-order indices add up to {s1_sum:.2f}: about {share(max(0.0, 1 - s1_sum))} of the variation "
        "comes from interactions between the parameters (and Monte Carlo noise)."
    )
    return lines


def _driver(first: pd.DataFrame, total: pd.DataFrame, top: str, outcome: str) -> str:
    """The parameter with the largest total index, and how much it explains alone and in all."""
    return (
        f"**{capitalised(phrase(top))} drives {outcome_name(outcome)} most**: alone it explains about "
        f"{share(max(0.0, first.loc[top, 'estimate']))} of its variation across the sample (first-order index S1), "
        f"and {share(max(0.0, total.loc[top, 'estimate']))} counting its interactions with the others (total index "
        "ST)."
    )


def _runner_up(total: pd.DataFrame, top: str, second: str) -> str:
    """The second parameter, and whether the sample can tell it from the first."""
    if total.loc[top, "ci_low"] <= total.loc[second, "ci_high"]:
        return (
            f"The 95% intervals of {phrase(top)} and {phrase(second)} overlap, so this sample cannot rank the "
            "two for sure: a larger N would."
        )
    return (
        f"Next comes {phrase(second)} (ST {share(max(0.0, total.loc[second, 'estimate']))}); the "
        f"intervals show that {phrase(top)} matters more."
    )


def _hardly_matter(minor: list[str]) -> str:
    """The parameters whose total index is surely below 5%."""
    which = capitalised(" and ".join(phrase(name) for name in minor))
    one = len(minor) == 1
    return (
        f"{which} hardly {'matters' if one else 'matter'} here (total index below 5% with 95% confidence): "
        f"{'it' if one else 'each'} could be fixed anywhere in its range without changing the answer."
    )
