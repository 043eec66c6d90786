"""The budgets chapter's tables: England's budget and outturn by year, the authorities with both, each authority's
overspend beside its demand, and the test of one against the other."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures
from cscbook.analyse.stats import spearman_ci
from cscbook.chapters.context import Context

#: An authority-year is compared only where both its budget and its outturn are published.
BOTH = ["budget_csc", "outturn_csc"]


#: A year is shown in the comparison when at least this many authorities have both.
MIN_MATCHED = 100


#: The authority factors an overspend is set against: (column of ``authority_table``, words).
FACTORS = {
    "cla_rate": "looked-after children per 10,000",
    "cpp_rate": "child protection plans per 10,000",
    "cla_rate_change": "change in the looked-after rate over the three years before (%)",
    "idaci_score": "deprivation (IDACI score)",
    "ofsted_score": "Ofsted judgement (0 Inadequate to 3 Outstanding)",
}


def by_year(ctx: Context) -> pd.DataFrame:
    """England by year: the budget and the outturn as England's published rows give them (a year whose file has no
    England row is a gap: a sum over the returns received is not England's figure; a region's are its authorities'
    sums), and the authorities with both: how many, their budgets and outturns summed, how many spent more than
    their budget, and the overspend summed over them (£m)."""
    v = ctx.view
    eng = None if ctx.p.region else chapter_england(ctx)
    shared = contract.apportioned_rows(ctx.prepared.flags)
    rows = []
    for year, g in v.groupby("year"):
        both = as_they_were(g, shared).dropna(subset=BOTH)
        over = both["outturn_csc"] - both["budget_csc"]
        row = {
            "year": int(year),
            "Budget (£m)": _england(eng, g, "budget_csc", year),
            "Outturn (£m)": _england(eng, g, "outturn_csc", year),
            "Authorities with both": len(both),
            "Their budgets (£m)": both["budget_csc"].sum() / 1e6 if len(both) else np.nan,
            "Their outturns (£m)": both["outturn_csc"].sum() / 1e6 if len(both) else np.nan,
            "Over budget": int((over > 0).sum()),
            "Over budget (%)": 100 * (over > 0).mean() if len(both) else np.nan,
            "Overspend, sum of excesses (£m)": over[over > 0].sum() / 1e6 if len(both) else np.nan,
            "Outturn less budget, net (£m)": over.sum() / 1e6 if len(both) else np.nan,
            "Deflator": g["deflator"].mean(),
        }
        rows.append(row)
    t = pd.DataFrame(rows).set_index("year")
    small = t["Authorities with both"] < MIN_MATCHED
    t.loc[small, MATCHED] = np.nan
    t["Budget, real (£m)"] = t["Budget (£m)"] / t["Deflator"]
    t["Outturn, real (£m)"] = t["Outturn (£m)"] / t["Deflator"]
    return t.drop(columns="Deflator").rename_axis("Year")


#: The columns of :func:`by_year` the page shows, with shorter names (the download has every column, in full).
SHOWN = {
    "Budget (£m)": "Budget (£m)",
    "Outturn (£m)": "Outturn (£m)",
    "Authorities with both": "With both",
    "Their budgets (£m)": "Their budgets (£m)",
    "Their outturns (£m)": "Their outturns (£m)",
    "Over budget": "Over budget",
    "Over budget (%)": "Over (%)",
    "Overspend, sum of excesses (£m)": "Excesses (£m)",
}


#: The columns of :func:`by_year` that compare the authorities with both: empty in a year with too few.
MATCHED = ["Their budgets (£m)", "Their outturns (£m)", "Over budget", "Over budget (%)",
           "Overspend, sum of excesses (£m)", "Outturn less budget, net (£m)"]  # fmt: skip


def as_they_were(g: pd.DataFrame, shared: dict[tuple[str, int], str]) -> pd.DataFrame:
    """Budgets and outturns by authority as it was that year: successors whose figures are their predecessor's
    shared out by population (``shared``: :func:`cscbook.contract.apportioned_rows`) are added back into one, so
    that a split authority counts once before its split."""
    keys = [shared.get((c, int(y)), c) for c, y in zip(g["la_code"], g["year"])]
    return g.assign(unit=keys).groupby("unit")[BOTH].sum(min_count=1)


def chapter_england(ctx: Context) -> pd.DataFrame | None:
    eng = ctx.prepared.england
    if eng is None or not len(eng) or "budget_csc" not in eng:
        return None
    return eng.set_index(eng["year"].astype("int64"))


def _england(eng: pd.DataFrame | None, g: pd.DataFrame, col: str, year: int) -> float:
    """England's published figure (£m), NaN in a year without an England row; with no England rows at all (a
    region), the sum over the authorities that have one."""
    if eng is None:
        s = g[col].sum(min_count=1)
        return float(s) / 1e6 if pd.notna(s) else np.nan
    return float(eng.loc[year, col]) / 1e6 if year in eng.index and pd.notna(eng.loc[year, col]) else np.nan


def compared_years(t: pd.DataFrame) -> list[int]:
    return [int(y) for y in t.index[t["Authorities with both"] >= MIN_MATCHED]]


def authority_table(ctx: Context, year: int) -> pd.DataFrame:
    """Each authority's budget, outturn and overspend (£ and % of budget) in ``year``, beside its demand,
    deprivation and Ofsted judgement."""
    v = ctx.view
    now = v[v["year"] == year].set_index("la_code")
    before = v[v["year"] == year - 3].set_index("la_code")
    out = pd.DataFrame(index=now.index)
    out["Authority"] = now["la_name"]
    out["Budget (£m)"] = now["budget_csc"] / 1e6
    out["Outturn (£m)"] = now["outturn_csc"] / 1e6
    out["Overspend (£m)"] = out["Outturn (£m)"] - out["Budget (£m)"]
    out["Overspend (% of budget)"] = 100 * out["Overspend (£m)"] / out["Budget (£m)"]
    out["cla_rate"] = measures.rate(now, "cla_31mar")
    out["cpp_rate"] = measures.rate(now, "cpp_31mar")
    out["cla_rate_change"] = 100 * (out["cla_rate"] / measures.rate(before.reindex(now.index), "cla_31mar") - 1)
    out["idaci_score"] = now["idaci_score"].astype("float64")
    out["ofsted_score"] = now["ofsted_overall"].map(contract.OFSTED_SCORE).astype("float64")
    return out.dropna(subset=["Overspend (% of budget)"])


def associations(auth: pd.DataFrame) -> pd.DataFrame:
    """Spearman's correlation of the overspend (% of budget) with each factor, with its 95% interval."""
    rows = []
    for col, words in FACTORS.items():
        sp = spearman_ci(auth["Overspend (% of budget)"], auth[col])
        rows.append({"Factor": words, "Authorities": sp["n"], "Spearman rho": sp["rho"], "95% CI low": sp["lo"],
                     "95% CI high": sp["hi"], "p": sp["p"]})  # fmt: skip
    return pd.DataFrame(rows).set_index("Factor")


def association_words(assoc: pd.DataFrame) -> str:
    clear = assoc[(assoc["95% CI low"] > 0) | (assoc["95% CI high"] < 0)]
    if clear.empty:
        return "none of the factors goes clearly with the overspend: every interval includes zero"
    parts = [
        f"{f} ({r['Spearman rho']:+.2f}, 95% interval {r['95% CI low']:+.2f} to {r['95% CI high']:+.2f})"
        for f, r in clear.iterrows()
    ]
    return "the overspend goes with " + measures.and_list(parts) + "; the other intervals include zero"


def budget_gaps(t: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The years with an outturn but no England budget: those without a budget file, and those whose file has no
    England row (its authorities' budgets are compared in the matched columns)."""
    gap = t["Budget (£m)"].isna() & t["Outturn (£m)"].notna()
    row = gap & t["Authorities with both"].ge(MIN_MATCHED)
    label = [contract.year_label(int(y)) for y in t.index]
    return [y for y, g, r in zip(label, gap, row) if g and not r], [y for y, r in zip(label, row) if r]
