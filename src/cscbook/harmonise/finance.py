"""Budgets and outturn of children's social care (MHCLG's RA, RO3 and RSX returns) as panel columns and England
rows: MHCLG's authority codes carried to ONS codes, one return chosen per cell, and the lines summed in the years
before a children's total was published (rules F-CODES, F-BUDGET, F-OUTTURN, F-LINES, F-LATER, F-RETURN); and
England's rows line by line (F-ENGLAND-LINES)."""

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


def choose(rows: pd.DataFrame, keys: list[str], flags: list | None = None) -> pd.DataFrame:
    """One value per (keys..., column): the first choice of ``CHOICES`` that the returns give (a sum of lines: of
    the lines the return has). A total left empty by its first return (not received in time) is taken from a later
    one's total where that has it (F-LATER); a cell no return fills is missing with the first return's reason
    (F-RETURN). Both are flagged in ``flags`` when it is given. A sum of lines never stands in for an empty total."""
    out = []
    for column, options in CHOICES.items():
        taken = pd.DataFrame(columns=[*keys, "value"])
        empty = pd.DataFrame(columns=[*keys, "symbol"])  # keys an earlier return gave with an empty cell
        for measures in options:
            part = rows[rows["measure"].isin(measures)]
            if not len(part):
                continue
            sums = part.groupby(keys, dropna=False)["value"].sum(min_count=1).reset_index()
            sums = sums[~_keyed(sums, keys).isin(_keyed(taken, keys))]
            if len(measures) > 1:  # lines summed: only where no total was published
                sums = sums[~_keyed(sums, keys).isin(_keyed(empty, keys))]
            got = sums.dropna(subset=["value"])
            if flags is not None:
                for k in got[_keyed(got, keys).isin(_keyed(empty, keys))][keys].itertuples(index=False):
                    flags.append((*k, column, "revised", "F-LATER"))
            taken = pd.concat([taken, got], ignore_index=True)
            gaps = part[part["value"].isna() & ~_keyed(part, keys).isin(_keyed(empty, keys))]
            gaps = gaps.reindex(columns=[*keys, "symbol"]).drop_duplicates(keys)
            empty = pd.concat([empty, gaps], ignore_index=True)
        if flags is not None:
            left = empty[~_keyed(empty, keys).isin(_keyed(taken, keys))]
            for *k, symbol in left[[*keys, "symbol"]].itertuples(index=False):
                flags.append((*k, column, "missing", "F-RETURN", _reason(symbol)))
        out.append(taken.assign(measure=column))
    return pd.concat(out, ignore_index=True)


def _keyed(df: pd.DataFrame, keys: list[str]) -> pd.Index:
    return pd.MultiIndex.from_frame(df[keys]) if len(keys) > 1 else pd.Index(df[keys[0]])


def _reason(symbol) -> str:
    """The publisher's reason for an empty cell, as the ingest read it."""
    if not isinstance(symbol, str) or symbol in ("", "blank"):
        return "the cell is blank"
    return symbol


def panel_parts(fin: pd.DataFrame, flags: list) -> list[pd.DataFrame]:
    """The finance panel columns as (la_code, year, value, measure) rows, £ nominal; lines that do not add up to
    their total flagged suspect (F-LINES)."""
    la = fin[fin["level"] == "la"] if len(fin) else fin
    if not len(la):
        return []
    check_lines(la, flags)
    return [choose(la, ["la_code", "year"], flags)[["la_code", "year", "value", "measure"]]]


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


#: Each children's line in words, in the order the chapter shows them (the ingest's line keys).
LINE_WORDS = {
    "cla": "Children looked after",
    "safeguarding": "Safeguarding children and young people",
    "family_support": "Family support services",
    "sure_start": "Sure Start children's centres and early years",
    "young_people": "Services for young people",
    "youth_justice": "Youth justice",
    "asylum": "Asylum seekers",
    "other_families": "Other children's and families' services",
    "commissioning": "Commissioning and social work",
    "safety": "Young people's safety",
    "strategy": "Children's services strategy",
    "total": "Total children's social care",
}
LINE_COLUMNS = ["year", "line", "line_name", "budget", "outturn", "outturn_source"]


def england_lines(fin: pd.DataFrame) -> pd.DataFrame | None:
    """England's rows line by line, net current expenditure in £ (F-ENGLAND-LINES): the Revenue Account budget
    and the outturn, RO3 where a year has it, else the service expenditure summary's total (RSX gives no lines).
    A year whose budget file has no England row (2023-24) has no budget here: a sum over the authorities that
    made a return would not be England's figure."""
    eng = fin[fin["level"] == "england"] if len(fin) else fin
    if not len(eng):
        return None
    parts = eng["measure"].str.extract(r"^(?P<product>ra|ro3|rsx)_(?P<line>.+)_net$").join(eng[["year", "value"]])
    parts = parts.dropna(subset=["product"])
    wide = parts.pivot_table(index=["year", "line"], columns="product", values="value", aggfunc="first")
    wide = wide.reindex(columns=["ra", "ro3", "rsx"])
    ro3_years = set(parts.loc[parts["product"] == "ro3", "year"])
    use_rsx = ~wide.index.get_level_values("year").isin(ro3_years)
    out = pd.DataFrame(
        {
            "budget": wide["ra"],
            "outturn": np.where(use_rsx, wide["rsx"], wide["ro3"]),
            "outturn_source": np.where(use_rsx, "RSX", "RO3"),
        },
        index=wide.index,
    ).reset_index()
    out = out.dropna(subset=["budget", "outturn"], how="all")
    out.loc[out["outturn"].isna(), "outturn_source"] = ""
    out["line_name"] = out["line"].map(LINE_WORDS)
    order = {k: i for i, k in enumerate(LINE_WORDS)}
    out = out.sort_values(["year", "line"], key=lambda c: c.map(order) if c.name == "line" else c, kind="stable")
    return out[LINE_COLUMNS].reset_index(drop=True)
