"""Formulas in the syntax of the R package ``games``, and the design matrices they describe.

``esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2`` names the outcome on the left
(one 0/1 column per decision, or one column naming the terminal node) and, on the right, one
``|``-separated part per utility of the game, in the order the model lists them. In a part:

* ``0`` fixes the utility at zero (no coefficient);
* ``1`` is an intercept alone; every other part has an intercept unless it says ``- 1``;
* a numeric column enters as it is; a text column becomes treatment dummies, one per level
  after the first in sorted order (the reference), named column + level (``regime1dem``), as R's
  ``model.matrix`` names them.

Rows with a missing value in any column the formula uses are dropped (R's ``na.omit``); the
result says how many.

References
----------
Kenkel, B. and Signorino, C. S. (2014). Estimating extensive form games in R. *Journal of
Statistical Software* 56(8), 1-27.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

INTERCEPT = "(Intercept)"
MAX_LEVELS = 100
"""The most distinct values a text column may have: each level but one becomes a dummy column."""
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


class FormulaError(ValueError):
    """A formula that cannot be used with the data: what is wrong, and what to write instead."""


@dataclass(frozen=True)
class Part:
    """One utility's right-hand side: its columns, and whether it has an intercept.

    ``fixed`` is a utility fixed at zero (written ``0``): no columns and no intercept.
    """

    terms: tuple[str, ...]
    intercept: bool
    fixed: bool = False


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the outcome columns and one :class:`Part` per utility."""

    outcome: tuple[str, ...]
    parts: tuple[Part, ...]

    @property
    def columns(self) -> list[str]:
        """Every data column the formula uses, outcome first, each once."""
        used = list(self.outcome) + [term for part in self.parts for term in part.terms]
        return list(dict.fromkeys(used))


def parse_formula(text: str, utilities: Sequence[str]) -> Formula:
    """Read a formula with one right-hand part per utility.

    Parameters
    ----------
    text : str
        The formula, ``"esc + war ~ x1 + x2 | 0 | x3 | x4"``.
    utilities : sequence of str
        The utilities of the model, in the order of the parts (for the error message).

    Returns
    -------
    Formula

    Raises
    ------
    FormulaError
        If the formula is not ``outcome ~ part | part ...`` with one part per utility, or a term is
        not a column name.
    """
    if text.count("~") != 1:
        raise FormulaError(f"a formula is `outcome ~ {' | '.join(utilities)}`: one '~' (got {text!r})")
    left, right = (side.strip() for side in text.split("~"))
    outcome = tuple(name.strip() for name in left.split("+"))
    if not all(_NAME.match(name) for name in outcome):
        raise FormulaError(f"the outcome {left!r} is not column names joined by '+' (esc + war, or outcome)")
    pieces = [piece.strip() for piece in right.split("|")]
    if len(pieces) != len(utilities):
        raise FormulaError(
            f"this model has {len(utilities)} utilities ({', '.join(utilities)}), so its formula has "
            f"{len(utilities)} parts separated by '|'; got {len(pieces)}. Write 0 for a utility fixed at zero"
        )
    return Formula(outcome, tuple(_part(piece, utility) for piece, utility in zip(pieces, utilities, strict=True)))


def _part(text: str, utility: str) -> Part:
    if text == "0":
        return Part((), intercept=False, fixed=True)
    intercept = True
    terms: list[str] = []
    for sign, term in re.findall(r"([+-]?)\s*([^+\-\s]+)", text):
        if term == "1":  # "+ 1" keeps the intercept, "- 1" drops it
            intercept = intercept and sign != "-"
            continue
        if term == "0":  # "x + 0" drops it, as in R
            intercept = False
            continue
        if sign == "-":
            raise FormulaError(f"{utility}: only '- 1' (no intercept) may be subtracted, not {term!r}")
        if not _NAME.match(term):
            raise FormulaError(
                f"{utility}: {term!r} is not a column name (interactions and functions are not read: "
                "make a column of the data for it)"
            )
        terms.append(term)
    if not terms and not intercept:
        raise FormulaError(f"{utility}: no intercept and no columns; write 0 to fix the utility at zero")
    return Part(tuple(dict.fromkeys(terms)), intercept)


def check_columns(formula: Formula, data: pd.DataFrame, source: str) -> None:
    """Refuse a formula that names a column the data does not have, saying which ones are close.

    Raises
    ------
    FormulaError
        Naming the missing column and the data's file.
    """
    for name in formula.columns:
        if name not in data.columns:
            close = difflib.get_close_matches(name, [str(column) for column in data.columns], n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (its columns: {', '.join(map(str, data.columns))})"
            raise FormulaError(f"{source} has no column {name!r}{hint}")
    for name in dict.fromkeys(term for part in formula.parts for term in part.terms):
        values = data[name].dropna()
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) or values.empty:
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().mean() >= 0.5:
            row = numbers.isna().idxmax()
            raise FormulaError(
                f"{source}: the column {name!r} holds numbers but also the text {values[row]!r} (row {row + 2} of the "
                "file, counting the header): mark a missing value by an empty cell, or make the column all text"
            )
        if values.nunique() > MAX_LEVELS:
            raise FormulaError(
                f"{source}: the text column {name!r} has {values.nunique()} distinct values, so it would become "
                f"{values.nunique() - 1} dummies (at most {MAX_LEVELS} levels): is it an identifier? Leave it out"
            )


def complete_rows(formula: Formula, data: pd.DataFrame) -> pd.DataFrame:
    """The rows with no missing value in any column the formula uses (R's ``na.omit``)."""
    return data.loc[data[formula.columns].notna().all(axis=1)].reset_index(drop=True)


def text_levels(formula: Formula, data: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """The levels of each text (or boolean) column the formula's parts use, in sorted order.

    The first is the reference level; the others become dummies. A fit keeps them, so the same
    dummies are built for new data (:meth:`sim.estimation.likelihood.FitResult.predict`).
    """
    levels: dict[str, tuple[str, ...]] = {}
    for part in formula.parts:
        for term in part.terms:
            values = data[term]
            if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
                levels[term] = tuple(sorted(str(level) for level in values.unique()))
    return levels


def design(
    part: Part, data: pd.DataFrame, levels: Mapping[str, Sequence[str]] | None = None
) -> tuple[np.ndarray, list[str]]:
    """The design matrix of one utility and its column names.

    Parameters
    ----------
    part : Part
    data : pandas.DataFrame
        Complete rows only (:func:`complete_rows`).
    levels : mapping of str to sequence of str, optional
        The levels of the text columns (:func:`text_levels`); by default those of ``data``.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns)``; zero columns for a utility fixed at zero.
    list of str
        ``(Intercept)``, then each numeric column, then each dummy (column + level).
    """
    columns: list[np.ndarray] = []
    names: list[str] = []
    if part.intercept:
        columns.append(np.ones(len(data)))
        names.append(INTERCEPT)
    for term in part.terms:
        values = data[term]
        known = levels.get(term) if levels is not None else None
        if known is not None or pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            found = sorted(str(level) for level in values.unique())
            if known is not None:
                unseen = sorted(set(found) - set(known))
                if unseen:
                    raise FormulaError(f"{term!r} has the level {unseen[0]!r}, unknown to the fit ({', '.join(known)})")
            # the first level is the reference, as in R's treatment contrasts
            for level in (known if known is not None else found)[1:]:
                columns.append((values.astype(str) == level).to_numpy(dtype=float))
                names.append(f"{term}{level}")
        else:
            columns.append(values.to_numpy(dtype=float))
            names.append(term)
    matrix = np.column_stack(columns) if columns else np.zeros((len(data), 0))
    return matrix, names
