"""Children looked after: SFR underlying data (wide, 2011-2017) and the EES number-and-rate file."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import Parsed, Workbook, check_duplicates, check_negative, long_frame, read_text_csv
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
    df, level = _sfr_rows(df, path)
    cells = [(c, "cla_31mar", int(c[-4:])) for c in cols] + [("CLA_16over", "cla_16plus", year)]  # its own year's age
    return Parsed("cla", f"SFR {year}", {"cla": _sfr_long(df, level, cells, path)})


#: Published files whose headers name the wrong year, recognised by their content: (the column, England's
#: figure in it) -> the year the column holds. SFR34/2015's starts file names its 2014-15 totals
#: ``CLA_started2014`` (England 31,070; the 2014 release's own 2013-14 figure is 30,430).
MISLABELLED = {("CLA_started2014", 31070.0): 2015}


def detect_sfr_starts(header: list[str]) -> bool:
    return {"geog_l", "geog_c", "geog_n"} <= set(header) and any(re.fullmatch(r"CLA_started\d{4}", h) for h in header)


def read_sfr_starts(path: Path) -> Parsed:
    """Children who started to be looked after (SFR underlying data, ``ADM`` files): each ``CLA_started<year>``
    column a year (five from the 2018 release, earlier years as revised), and those aged 16 and over on
    starting (``SCLA_16over``) for the file's own year."""
    df = read_text_csv(path)
    cols = sorted((h for h in df.columns if re.fullmatch(r"CLA_started\d{4}", h)), key=lambda h: int(h[-4:]))
    years = {c: int(c[-4:]) for c in cols}
    notes = []
    df, level = _sfr_rows(df, path)
    england = pd.to_numeric(df.loc[level == "england", cols[-1]].str.replace(",", ""), errors="coerce")
    if len(cols) == 1 and len(england) and (fixed := MISLABELLED.get((cols[0], float(england.iloc[0])))):
        notes.append(f"{cols[0]} holds {fixed - 1}-{fixed % 100:02d} (the publisher's header names the year before)")
        years = {cols[0]: fixed}
    year = max(years.values())
    cells = [(c, "cla_starts", y) for c, y in years.items()] + [("SCLA_16over", "cla_starts_16plus", year)]
    return Parsed("cla", f"SFR {year}", {"cla": _sfr_long(df, level, cells, path)}, notes)


def _sfr_rows(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """England and authority rows of an SFR looked-after file, and their level. One authority row (the Isles
    of Scilly, 2017) is published with a blank level: a 3-digit code marks an authority."""
    geog = df["geog_l"].str.strip().str.upper()
    geog = geog.where(geog != "", df["geog_c"].str.strip().str.fullmatch(r"\d{3}").map({True: "LA", False: ""}))
    level = geog.map({"NATIONAL": "england", "LA": "la"})
    df, level = df[level.notna()], level[level.notna()]
    check_duplicates(df[level == "la"], ["geog_c"], path)
    return df, level


def _sfr_long(df: pd.DataFrame, level: pd.Series, cells: list[tuple[str, str, int]], path: Path) -> pd.DataFrame:
    """An SFR file's (column, measure, year) cells in the long schema, a column the file lacks left out;
    England's row carries no authority code."""
    code = df["New_geog_code"] if "New_geog_code" in df.columns else None
    parts = [
        long_frame(df, {col: measure}, path, year, code, df["geog_c"], df["geog_n"], level)
        for col, measure, year in cells
        if col in df.columns
    ]
    out = pd.concat(parts, ignore_index=True)
    out.loc[out["level"] == "england", ["old_la_code", "la_code"]] = pd.NA
    check_negative(out, path)
    return out


def detect_ees_starts_by_age(header: list[str]) -> bool:
    return is_ees(header) and {"cla_group", "characteristic", "number", "new_la_code"} <= set(header)


def read_ees_starts_by_age(path: Path) -> Parsed:
    """Children who started to be looked after aged 16 and over, by authority (EES, starts by characteristics:
    the 'Age group' rows '16 years and over')."""
    df = read_text_csv(path)
    age = df[(df["cla_group"].str.strip() == "Age group") & df["characteristic"].str.contains("16", na=False)]
    if age.empty:
        raise UserError(path, "no 'Age group' rows for children aged 16 and over", "missing-rows")
    z = age["number"].str.strip().str.lower() == "z"  # an authority that did not exist that year
    out, vintage = ees_frame(age[~z], {"number": "cla_starts_16plus"}, path)
    check_negative(out, path)
    return Parsed("cla", f"EES {vintage} starts by age", {"cla": out})


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


def detect_starts_table(wb: Workbook) -> bool:
    """The SFR27/2010-style table LAC3: children who started to be looked after, by age on starting."""
    if "LAC3" not in wb.sheets:
        return False
    head = " ".join(str(v) for v in wb.sheet("LAC3").iloc[:4, :3].stack().dropna())
    return "started to be looked after" in head and "age on starting" in head.lower()


def read_starts_table(wb: Workbook) -> Parsed:
    """England's row of LAC3 (authorities are named, not coded, and rounded to 5): children who started to be
    looked after in the year and those aged 16 and over on starting. The year is in the title block."""
    t = wb.sheet("LAC3")
    title = " ".join(str(v) for v in t.iloc[:4, :3].stack().dropna())
    m = re.search(r"31 March (\d{4})", title)
    if not m:
        raise UserError(wb.path, "sheet LAC3: no 'Year ending 31 March <year>' in its title rows", "missing-year")
    cols = {}
    for i in range(min(len(t), 14)):  # the header block above England's row
        for j, v in enumerate(t.iloc[i]):
            text = " ".join(str(v).split())
            if text == "16 and over":  # the numbers come first, the percentages to their right
                cols.setdefault("16", j)
            elif text.startswith("All Children"):
                cols.setdefault("all", j)
    rows = t.index[t.iloc[:, 0].astype(str).str.strip() == "England"]
    if len(rows) != 1 or set(cols) != {"16", "all"}:
        raise UserError(
            wb.path, "sheet LAC3: no England row with 'All Children' and '16 and over' columns", "missing-rows"
        )
    eng = t.loc[rows].rename(columns={t.columns[cols["all"]]: "all", t.columns[cols["16"]]: "age16"}).astype(str)
    out = long_frame(
        eng,
        {"all": "cla_starts", "age16": "cla_starts_16plus"},
        wb.path,
        int(m.group(1)),
        None,
        None,
        eng[0],
        "england",
    )
    return Parsed(
        "cla", f"SFR {m.group(1)} table LAC3", {"cla": out}, ["England only: authorities are named and rounded"]
    )
