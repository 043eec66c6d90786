"""Children looked after: SFR underlying data (wide, 2011-2017) and the EES number-and-rate file."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import Parsed, check_duplicates, check_negative, long_frame, read_text_csv
from cscbook.ingest.ees import ees_frame, find_col, is_ees


def detect_sfr(header: list[str]) -> bool:
    return {"geog_l", "geog_c", "geog_n"} <= set(header) and any(re.fullmatch(r"CLA_Mar\d{4}", h) for h in header)


def read_sfr(path: Path) -> Parsed:
    """One year's file (2011-2017: ``CLA_Mar<year>``) or, from the 2018 release, five years of totals
    (``CLA_Mar2014`` ... ``CLA_Mar2018``, earlier years as revised) with the age split for the latest year
    only. The release is the latest year the file holds."""
    df = read_text_csv(path)
    cols = sorted((h for h in df.columns if re.fullmatch(r"CLA_Mar\d{4}", h)), key=lambda h: int(h[-4:]))
    year = int(cols[-1][-4:])
    geog = df["geog_l"].str.strip().str.upper()
    # one authority row (Isles of Scilly 2017) is published with a blank level: a 3-digit code marks an authority
    geog = geog.where(geog != "", df["geog_c"].str.strip().str.fullmatch(r"\d{3}").map({True: "LA", False: ""}))
    level = geog.map({"NATIONAL": "england", "LA": "la"})
    df, level = df[level.notna()], level[level.notna()]
    check_duplicates(df[level == "la"], ["geog_c"], path)
    code = df["New_geog_code"] if "New_geog_code" in df.columns else None
    parts = [long_frame(df, {c: "cla_31mar"}, path, int(c[-4:]), code, df["geog_c"], df["geog_n"], level) for c in cols]
    if "CLA_16over" in df.columns:  # the latest year's age split
        parts.append(long_frame(df, {"CLA_16over": "cla_16plus"}, path, year, code, df["geog_c"], df["geog_n"], level))
    out = pd.concat(parts, ignore_index=True)
    out.loc[out["level"] == "england", ["old_la_code", "la_code"]] = pd.NA
    check_negative(out, path)
    return Parsed("cla", f"SFR {year}", {"cla": out})


def detect_ees(header: list[str]) -> bool:
    return (
        is_ees(header)
        and bool(find_col(header, "population_estimate"))
        and bool(find_col(header, "population_count") or find_col(header, "population_type"))
    )


def read_ees(path: Path) -> Parsed:
    """Rows for 'looked after at 31 March' and for 'starting to be looked after'. The category sits in
    ``population_type`` (2025) or, as published in 2022, in ``population_count``; rows whose count is 'z'
    (the authority did not exist that year: the 2025 file carries predecessors and successors side by side)
    are dropped."""
    df = read_text_csv(path)
    head = list(df.columns)
    cat = find_col(head, "population_type") or find_col(head, "population_count")
    num = find_col(head, "number") or find_col(head, "children_count")
    if num is None:
        raise UserError(path, "missing required column: number (or children_count)", "missing-columns")
    if not find_col(head, "new_la_code"):
        raise UserError(path, "missing required column: new_la_code (the layout has changed)", "missing-columns")
    # a row of an authority that did not exist that year: no population and a count of 'z'; an authority that
    # existed keeps its 'z' (not applicable), which is a symbol, not a zero
    pop = find_col(head, "population_estimate")
    gone = df[pop].str.strip().str.lower().isin(["x", "z"]) if pop else True
    z = (df[num].str.strip().str.lower() == "z") & gone
    notes = [f"dropped {int(z.sum())} rows with count 'z' (authority did not exist that year)"] if z.any() else []
    df = df[~z]
    label = df[cat].str.lower()
    stock = df[label.str.contains("31 march", na=False)]
    starts = df[label.str.contains("start", na=False)]
    out, vintage = ees_frame(stock, {num: "cla_31mar", find_col(head, "population_estimate"): "cla_pop_0_17"}, path)
    parts = [out]
    if len(starts):
        parts.append(ees_frame(starts, {num: "cla_starts"}, path)[0])
    out = pd.concat(parts, ignore_index=True)
    check_negative(out, path)
    return Parsed("cla", f"EES {vintage}", {"cla": out}, notes)
