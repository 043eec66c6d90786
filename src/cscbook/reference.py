"""Published figures (the NAO's headline numbers and England totals), read from data/reference/."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd

from cscbook import ROOT

#: The NAO's period: years ending 31 March 2011 to 2018 (2010-11 to 2017-18).
NAO_START, NAO_END = 2011, 2018


def reference_dir() -> Path:
    """The folder of published reference figures: the repository's data/reference, or a copy in the package."""
    for cand in (ROOT / "data" / "reference", Path(__file__).resolve().parent / "reference_data"):
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


def rounding(text: str) -> float:
    """Half a unit of the last digit a figure was published with: its own rounding ('7' -> 0.5, '5.2' -> 0.05,
    '301' -> 0.5; a figure rounded to millions is written '8.8e9' -> 5e7)."""
    return 0.5 * 10 ** Decimal(text.strip()).as_tuple().exponent


def tolerance(key: str) -> tuple[float, str]:
    """A figure's tolerance in its own units and why: the publisher's rounding, or a wider one the reference
    table gives with its reason (column ``tolerance``, ``tolerance_reason``)."""
    ref = published().loc[key]
    wider = ref.get("tolerance")
    if wider is not None and pd.notna(wider):
        return float(wider), str(ref.get("tolerance_reason") or "")
    return rounding(published_text(key)), "the published figure's rounding"


def within(key: str, ours: float) -> tuple[bool, str]:
    """Whether ``ours`` matches the published figure ``key`` within its tolerance, and the tolerance in words."""
    tol, _ = tolerance(key)
    ref = published().loc[key]
    ok = abs(ours - float(ref["value"])) <= tol + 1e-9 * max(1.0, abs(tol))
    unit = str(ref["unit"])
    if unit == "percent":
        words = f"±{tol:g} pp"
    elif unit.startswith("pounds") and tol >= 1e5:  # a sum rounded to millions or more
        words = f"±£{tol / 1e6:,.6g}m"
    elif unit.startswith("pounds"):
        words = f"±£{tol:,.6g}"
    elif unit.startswith("per 10000"):
        words = f"±{tol:,.6g} per 10,000"
    else:
        words = f"±{tol:,.6g}"
    return bool(ok), words


def named_authority(key: str) -> str | None:
    """The authority the publisher names at this end of a range, where it names one."""
    ref = published().loc[key]
    a = ref.get("authority")
    return str(a) if a is not None and pd.notna(a) and str(a) else None
