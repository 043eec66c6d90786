"""ONS mid-year population: the DfE-formatted 0-17 file (EES layout) and Nomis single-age-band exports."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import Parsed, check_negative, head_lines, long_frame, read_text_csv
from cscbook.ingest.ees import LA_CODE_RE, ees_frame, find_col, is_ees


def detect_dfe(header: list[str]) -> bool:
    return is_ees(header) and bool(find_col(header, "age_group")) and bool(find_col(header, "population_estimate"))


def read_dfe(path: Path) -> Parsed:
    """Children aged 0-17. ``time_period`` is the mid-year of the estimate; it is the denominator for the
    year ending the following 31 March (mid-2017 -> 2017-18), which is the year stored."""
    df = read_text_csv(path)
    df = df[df[find_col(list(df.columns), "age_group")].str.contains("0 to 17", na=False)]
    if df.empty:
        raise UserError(path, "no rows with age_group 'Children aged 0 to 17 years'", "missing-rows")
    out, vintage = ees_frame(df, {find_col(list(df.columns), "population_estimate"): "pop_0_17"}, path, year_offset=1)
    check_negative(out, path)
    return Parsed("population", f"ONS MYE (DfE format) to mid-{vintage}", {"population": out})


def _nomis_header_index(lines: list[str]) -> int | None:
    return next(
        (i for i, ln in enumerate(lines) if "mnemonic" in ln and ln.lower().startswith('"local authority')), None
    )


def detect_nomis(lines: list[str]) -> bool:
    return _nomis_header_index(lines) is not None and any("Nomis" in ln for ln in lines)


def read_nomis(path: Path) -> Parsed:
    """English upper-tier rows only (Welsh, Scottish and Northern Irish rows and footer lines dropped)."""
    lines = head_lines(path, 20)
    i = _nomis_header_index(lines)
    age = next((re.sub(r'[",]', "", ln.split(":", 1)[1]).strip() for ln in lines[:i] if ln.startswith('"Age')), "")
    band = re.sub(r"\D+", "_", age.lower().replace("age", "")).strip("_") or "all"
    df = read_text_csv(path, skiprows=i)
    geo = re.search(r"as of (April \d{4})", df.columns[0])  # the authorities the export is on
    df = df[df["mnemonic"].str.fullmatch(LA_CODE_RE, na=False)]
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    parts = [
        long_frame(df, {y: f"pop_{band}"}, path, int(y) + 1, df["mnemonic"], None, df[df.columns[0]], "la")
        for y in years
    ]
    out = pd.concat(parts, ignore_index=True)
    check_negative(out, path)
    on = f" ({geo.group(1)} authorities)" if geo else ""
    return Parsed("population_nomis", f"Nomis MYE {band} to mid-{max(years)}{on}", {"population_nomis": out})
