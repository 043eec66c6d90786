"""Published figures (the NAO's headline numbers and England totals), read from data/reference/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

#: The NAO's period: years ending 31 March 2011 to 2018 (2010-11 to 2017-18).
NAO_START, NAO_END = 2011, 2018

#: Tolerances used when our figure is compared with a published one, by kind of figure.
TOLERANCE = {
    "level": ("relative", 0.01),  # national totals within 1%
    "growth": ("points", 1.0),  # growth rates within 1 percentage point
    "range_min": ("relative", 0.10),  # ends of ranges within 10%
    "range_max": ("relative", 0.10),
    "share": ("points", 1.0),  # shares within 1 percentage point
    "change": ("relative", 0.10),
}


def reference_dir() -> Path:
    """The folder of published reference figures: the repository's data/reference, or a copy in the package."""
    here = Path(__file__).resolve()
    for cand in (here.parents[3] / "data" / "reference", here.parent / "reference_data"):
        if (cand / "published.csv").exists():
            return cand
    raise FileNotFoundError("data/reference/published.csv not found")


@cache
def published() -> pd.DataFrame:
    """All published figures, indexed by key."""
    return pd.read_csv(reference_dir() / "published.csv").set_index("key")


@cache
def _texts() -> pd.Series:
    return pd.read_csv(reference_dir() / "published.csv", dtype=str).set_index("key")["value"]


def published_text(key: str) -> str:
    """A published figure exactly as it was published (its digits give its precision: 301, 5.2)."""
    return str(_texts()[key])


def value(key: str) -> float:
    return float(published().loc[key, "value"])


def within(kind: str, ours: float, theirs: float) -> tuple[bool, str]:
    """Whether ``ours`` matches ``theirs`` within the tolerance for ``kind``, and the tolerance in words."""
    how, tol = TOLERANCE[kind]
    if how == "relative":
        ok = abs(ours - theirs) <= tol * abs(theirs)
        return bool(ok), f"±{tol:.0%}"
    ok = abs(ours - theirs) <= tol
    return bool(ok), f"±{tol:g} pp"
