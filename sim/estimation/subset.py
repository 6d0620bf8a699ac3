"""Row filters for fits: ``--subset "year >= 1850 and regime1 == 'dem'"``.

A filter is comparisons joined by ``and`` (or ``&``): a column, one of ``== != >= <= > <``, and a
number or a quoted text. Nothing else is read (no code is evaluated), so a filter is safe to take
from anyone; anything else is refused in words.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from sim.estimation.formula import FormulaError

_COMPARISON = re.compile(
    r"""^\s*(?P<column>[A-Za-z_.][A-Za-z0-9_.]*)\s*(?P<op>==|!=|>=|<=|>|<)\s*
    (?P<value>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|'[^']*'|"[^"]*")\s*$""",
    re.VERBOSE,
)
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}  # fmt: skip


def apply_subset(data: pd.DataFrame, subset: str, source: str) -> pd.DataFrame:
    """The rows of ``data`` that meet every comparison of ``subset``.

    Parameters
    ----------
    data : pandas.DataFrame
    subset : str
        ``"year >= 1850 and regime1 == 'dem'"``; empty keeps every row.
    source : str
        The data's name, for messages.

    Raises
    ------
    FormulaError
        For a comparison that cannot be read, a column the data lacks (did you mean...), a number
        compared with a text column, or a filter that keeps no row.
    """
    if not subset.strip():
        return data
    keep = pd.Series(True, index=data.index)
    for text in re.split(r"\s+and\s+|\s*&\s*", subset.strip()):
        found = _COMPARISON.match(text)
        if not found:
            raise FormulaError(
                f"--subset: cannot read {text!r}: write comparisons such as year >= 1850 or regime1 == 'dem', "
                "joined by 'and'"
            )
        column, op, raw = found["column"], found["op"], found["value"]
        if column not in data.columns:
            close = difflib.get_close_matches(column, [str(name) for name in data.columns], n=1)
            raise FormulaError(
                f"--subset: {source} has no column {column!r}" + (f"; did you mean {close[0]}?" if close else "")
            )
        values = data[column]
        quoted = raw[0] in "'\""
        if not quoted and not pd.api.types.is_numeric_dtype(values):
            raise FormulaError(f"--subset: {column!r} holds text, so compare it with a quoted value ({column} == 'x')")
        value: object = raw[1:-1] if quoted else float(raw)
        keep &= _OPERATORS[op](values.astype(str) if quoted else values, value).fillna(False).astype(bool)
    kept = data.loc[keep]
    if kept.empty:
        raise FormulaError(f"--subset {subset!r} keeps no row of {source}")
    return kept.reset_index(drop=True)
