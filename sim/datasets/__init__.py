"""Data sets shipped with the package, for fitting games to data (``sim fit --data NAME``).

``war1800``: militarized interstate disputes 1816-1899, one row per dispute dyad (313 rows, 282
complete for the usual specification), the data Signorino's strategic estimators are usually
shown on. Source: the Correlates of War project's Militarized Interstate Dispute data (Jones,
Bremer and Singer 1996, *Conflict Management and Peace Science* 15(2), 163-213), as shipped by the
R package ``games`` (Kenkel and Signorino 2014, *Journal of Statistical Software* 56(8)).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

CODEBOOK: dict[str, dict[str, str]] = {
    "war1800": {
        "ccode1": "COW country code of the initiator",
        "ccode2": "COW country code of the respondent",
        "year": "year of the dispute",
        "cap_1": "initiator's military capabilities, share of the system's",
        "cap_2": "respondent's military capabilities, share of the system's",
        "balanc": "initiator's share of the dyad's capabilities, cap_1 / (cap_1 + cap_2)",
        "s_wt_re1": "S-score of alliance-portfolio similarity, weighted by the initiator's region",
        "s_wt_re2": "S-score of alliance-portfolio similarity, weighted by the respondent's region",
        "dem1": "initiator's Polity score",
        "dem2": "respondent's Polity score",
        "distance": "miles between the two",
        "peaceyrs": "years since the dyad's last dispute",
        "midnum": "the dispute's number in the MID data",
        "revis1": "1 if the initiator had revisionist aims",
        "revis2": "1 if the respondent had revisionist aims",
        "sq": "1 if the dispute ended in the status quo",
        "capit": "1 if the respondent capitulated",
        "war": "1 if it ended in war",
        "esc": "1 if the initiator escalated (capitulation or war followed)",
        "regime1": "initiator's regime from its Polity score: autoc, dem or mixed",
        "regime2": "respondent's regime from its Polity score: autoc, dem or mixed",
    }
}
"""What each column of each data set means."""


def names() -> list[str]:
    """The data sets shipped, by name."""
    return sorted(path.stem for path in HERE.glob("*.csv"))


def path_of(name: str) -> Path:
    """The file of a shipped data set (its bytes are what a fit's ``data_sha256`` hashes)."""
    return HERE / f"{name}.csv"


def load(name: str) -> pd.DataFrame:
    """A shipped data set as a frame.

    Parameters
    ----------
    name : str
        Its name (``war1800``).

    Returns
    -------
    pandas.DataFrame
        One row per observation; missing values as NaN.

    Raises
    ------
    KeyError
        If no data set has that name.
    """
    if name not in names():
        raise KeyError(f"no data set named {name!r} (shipped: {', '.join(names())})")
    return pd.read_csv(path_of(name))
