"""Budgets and outturn of children's social care (MHCLG's RA, RO3 and RSX returns) as panel columns and England
rows: MHCLG's authority codes carried to ONS codes, one return chosen per cell, and the lines summed in the years
before a children's total was published (rules F-CODES, F-BUDGET, F-OUTTURN, F-LINES)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The panel column each return's measure feeds, in order of preference; a list of measures is summed (the years
#: before a total: RA to 2011-12, RO3 to 2010-11).
EARLY_LINES = ("strategy", "asylum", "other_families", "safety")
CHOICES: dict[str, list[tuple[str, ...]]] = {
    "budget_csc": [("ra_total_net",), tuple(f"ra_{x}_net" for x in EARLY_LINES)],
    "budget_cla": [("ra_cla_net",)],
    "outturn_csc": [("ro3_total_net",), ("rsx_total_net",), tuple(f"ro3_{x}_net" for x in EARLY_LINES)],
    "outturn_csc_gross": [("ro3_total_gross",), ("rsx_total_gross",), tuple(f"ro3_{x}_gross" for x in EARLY_LINES)],
    "outturn_cla": [("ro3_cla_net",)],
}
#: Lines that must add up to their return's total, within this share of it (or £1,000, rounding).
LINE_TOLERANCE = 0.001


def with_codes(fin: pd.DataFrame, recode: dict[str, str]) -> pd.DataFrame:
    """The finance rows with an ONS code for every authority: the one its MHCLG code carries in the latest file that
    gives both (F-CODES; a file's own ONS code can be a misprint: RO3 2015-16 gives North Yorkshire E10000022), the
    same-area recodes applied. Rows of an MHCLG code that no file pairs with an ONS code (the counties before the
    2009 reorganisation) are left out."""
    if not len(fin):
        return fin
    pairs = fin.dropna(subset=["la_code", "ecode"]).sort_values("year", kind="stable")
    to_ons = pairs.drop_duplicates("ecode", keep="last").set_index("ecode")["la_code"]
    out = fin.copy()
    la = out["level"] == "la"
    out.loc[la, "la_code"] = out.loc[la, "ecode"].map(to_ons).replace(recode)
    return out[~la | out["la_code"].notna()]


def choose(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One value per (keys..., column): the first choice of ``CHOICES`` that the returns give (a sum of lines: of
    the lines the return has)."""
    out = []
    for column, options in CHOICES.items():
        taken = pd.DataFrame(columns=[*keys, "value"])
        for measures in options:
            part = rows[rows["measure"].isin(measures)]
            if not len(part):
                continue
            sums = part.groupby(keys, dropna=False)["value"].sum(min_count=1).reset_index()
            have = taken.set_index(keys).index
            sums = sums[~sums.set_index(keys).index.isin(have)]
            taken = pd.concat([taken, sums], ignore_index=True)
        out.append(taken.assign(measure=column))
    return pd.concat(out, ignore_index=True)


def panel_parts(fin: pd.DataFrame, flags: list) -> list[pd.DataFrame]:
    """The finance panel columns as (la_code, year, value, measure) rows, £ nominal; lines that do not add up to
    their total flagged suspect (F-LINES)."""
    la = fin[fin["level"] == "la"] if len(fin) else fin
    if not len(la):
        return []
    check_lines(la, flags)
    return [choose(la, ["la_code", "year"])[["la_code", "year", "value", "measure"]]]


def check_lines(la: pd.DataFrame, flags: list) -> None:
    """F-LINES: an authority-year whose lines do not sum to its published total (RA net, RO3 net, gross, income)."""
    parts = la["measure"].str.extract(r"^(?P<product>ra|ro3)_(?P<line>.+)_(?P<kind>net|gross|income)$").join(la)
    parts = parts.dropna(subset=["product"])
    for (product, kind), g in parts.groupby(["product", "kind"]):
        wide = g.pivot_table(index=["la_code", "year"], columns="line", values="value", aggfunc="first")
        if "total" not in wide:
            continue
        lines = wide.drop(columns="total").sum(axis=1, min_count=1)
        gap = (lines - wide["total"]).abs()
        bad = gap[gap > np.maximum(1000.0, LINE_TOLERANCE * wide["total"].abs())]
        column = "budget_csc" if product == "ra" else "outturn_csc_gross" if kind == "gross" else "outturn_csc"
        for la_code, year in bad.index:
            flags.append((la_code, int(year), column, "suspect", "F-LINES"))


def england(fin: pd.DataFrame) -> dict[str, pd.Series]:
    """England's rows as published (they include shire districts, other bodies and MHCLG's estimates for returns
    not received), by column and year."""
    eng = fin[fin["level"] == "england"] if len(fin) else fin
    if not len(eng):
        return {}
    chosen = choose(eng, ["year"])
    return {c: g.set_index("year")["value"].astype("float64") for c, g in chosen.groupby("measure")}
