"""The EES tidy layout shared by DfE's long files: one row per time_period x geographic_level x area."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import check_duplicates, long_frame, require

LEVELS = {"national": "england", "local authority": "la"}


def find_col(header: list[str], name: str) -> str | None:
    """The header cell equal to ``name`` ignoring case, or None."""
    low = name.lower()
    return next((h for h in header if h.lower() == low), None)


#: Years (ending 31 March) that any published file can hold.
YEAR_RANGE = (2000, 2100)
#: Upper-tier English authority codes; joint rows join several with " / ".
LA_CODE_RE = r"E(06|08|09|10)\d{6}( / E(06|08|09|10)\d{6})*"


def is_ees(header: list[str]) -> bool:
    return {"time_period", "geographic_level"} <= {h.lower() for h in header}


def ees_frame(df: pd.DataFrame, measures: dict[str, str], path: Path, year_offset: int = 0) -> tuple[pd.DataFrame, int]:
    """National and LA rows of an EES file in the long schema; returns (table, latest time_period)."""
    require(list(df.columns), ["time_period", "geographic_level", "new_la_code"], path)
    tp = pd.to_numeric(df["time_period"].str.strip().str[:4], errors="coerce")
    tp = tp + (df["time_period"].str.strip().str.len() == 6)  # financial years '201718' -> year ending 2018
    if tp.isna().any():
        i = tp[tp.isna()].index[0]
        raise UserError(
            path, f"column 'time_period', row {i + 2}: not a year ({df['time_period'][i]!r})", "non-numeric"
        )
    level = df["geographic_level"].str.strip().str.lower().map(LEVELS)
    keep = level.notna()
    bad_year = keep & ((tp < YEAR_RANGE[0]) | (tp > YEAR_RANGE[1]))
    if bad_year.any():
        i = bad_year[bad_year].index[0]
        raise UserError(
            path,
            f"column 'time_period', row {i + 2}: year {int(tp[i])} is outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}",
            "year-range",
        )
    la_codes = df["new_la_code"].where(level == "la").dropna().str.strip()
    bad_code = la_codes[~la_codes.str.fullmatch(LA_CODE_RE) & ~la_codes.isin(["", "x", "z", ":"])]
    if len(bad_code):
        i = bad_code.index[0]
        raise UserError(
            path,
            f"column 'new_la_code', row {i + 2}: {bad_code[i]!r} is not an English authority code (E06, E08, E09 or E10 and six digits)",
            "authority-code",
        )
    df, tp, level = df[keep], tp[keep], level[keep]
    extra = [c for c in ("category", "population_count", "population_type", "age_group") if c in df.columns]
    check_duplicates(df[level == "la"].assign(_y=tp), ["_y", "new_la_code", *extra], path)
    old = df["old_la_code"] if "old_la_code" in df.columns else None
    name = df["la_name"] if "la_name" in df.columns else None
    code = df["new_la_code"].where(level == "la")
    out = long_frame(df, measures, path, (tp + year_offset).astype("int64"), code, old, name, level)
    if "region_name" in df.columns:  # kept for the panel's region column
        n = len(measures)
        out["region"] = pd.concat([df["region_name"]] * n, ignore_index=True).astype("string").values if n else pd.NA
    return out, int(tp.max())
