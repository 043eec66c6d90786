"""Budgets and overspending: England's children's social care budget (MHCLG's Revenue Account) against its
outturn (RO3; RSX for 2021-22) by year, nominal and real; how many authorities spend more than they budgeted and
by how much; whether those that overspend are those with the most demand; and the NAO's money figures of 2019.

``results(ctx)`` computes every number, table and figure; ``glue_all(ctx, res)`` glues them.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.analyse.stats import spearman_ci
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.chapters.since_figures import NAO_END, mark_years, year_axis
from cscbook.present import figures

#: What the chapter's notebook calls.
__all__ = ["Results", "glue_all", "results"]

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
    """England by year: the budget and the outturn as England's published rows give them (sums over the
    authorities where a year has none), and the authorities with both: how many, how many spent more than their
    budget, and the overspend summed over them (£)."""
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
            "Over budget": int((over > 0).sum()),
            "Over budget (%)": 100 * (over > 0).mean() if len(both) else np.nan,
            "Overspend, sum of excesses (£m)": over[over > 0].sum() / 1e6 if len(both) else np.nan,
            "Outturn less budget, net (£m)": over.sum() / 1e6 if len(both) else np.nan,
            "Deflator": g["deflator"].mean(),
        }
        rows.append(row)
    t = pd.DataFrame(rows).set_index("year")
    small = t["Authorities with both"] < MIN_MATCHED
    t.loc[
        small, ["Over budget", "Over budget (%)", "Overspend, sum of excesses (£m)", "Outturn less budget, net (£m)"]
    ] = np.nan
    t["Budget, real (£m)"] = t["Budget (£m)"] / t["Deflator"]
    t["Outturn, real (£m)"] = t["Outturn (£m)"] / t["Deflator"]
    return t.drop(columns="Deflator").rename_axis("Year")


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
    """England's published figure (£m), or the sum over the authorities that have one when England's row is
    absent."""
    if eng is not None and year in eng.index and pd.notna(eng.loc[year, col]):
        return float(eng.loc[year, col]) / 1e6
    s = g[col].sum(min_count=1)
    return float(s) / 1e6 if pd.notna(s) else np.nan


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


# --- the NAO's figures ------------------------------------------------------------------------------------------


def nao_rows(nao: Context) -> list[dict]:
    """The NAO's money figures beside ours on the definition its words name: England's Revenue Account budget
    rows, the outturn's net current expenditure, and for the overspend each authority's RO3 net current
    expenditure against its budget, over budget by any amount, on the 152 authorities of 2017-18."""
    eng = chapter_england(nao)
    if eng is None or nao.p.region:
        why = "the chapter is restricted to a region" if nao.p.region else "these data have no finance returns"
        keys = ["budget_2018", "budget_2019", "cla_budget_2019", "cla_budget_rise", "cla_budget_rise_pct",
                "spend_total_2018", "overspend_share_2018", "overspend_total_2018"]  # fmt: skip
        return [{"key": k, "ours": None, "reason": why} for k in keys]
    b18, b19 = eng.loc[2018, "budget_cla"], eng.loc[2019, "budget_cla"]
    both = overspend_2018(nao, "outturn_csc")
    eng_rows = "England's rows as published (they include shire districts' and other bodies' small amounts)"
    return [
        {"key": "budget_2018", "ours": eng.loc[2018, "budget_csc"], "reason": eng_rows},
        {"key": "budget_2019", "ours": eng.loc[2019, "budget_csc"], "reason": eng_rows},
        {"key": "cla_budget_2019", "ours": b19, "reason": eng_rows},
        {"key": "cla_budget_rise", "ours": b19 - b18, "reason": eng_rows},
        {"key": "cla_budget_rise_pct", "ours": 100 * (b19 / b18 - 1), "reason": eng_rows},
        {
            "key": "spend_total_2018",
            "ours": eng.loc[2018, "outturn_csc"],
            "reason": "RO3 net current expenditure, England's row (the revised outturn)",
        },  # fmt: skip
        {
            "key": "overspend_share_2018",
            "ours": 100 * both["share"],
            "reason": f"{both['over']} of {both['n']} authorities: RO3 net current expenditure (revised) above the RA budget",
        },  # fmt: skip
        {
            "key": "overspend_total_2018",
            "ours": both["excess"],
            "reason": "the excesses of the authorities over budget, summed; the folder has the revised outturn only",
        },  # fmt: skip
    ]


def overspend_2018(nao: Context, outturn: str, margin: float = 0.0, exclude: tuple = ()) -> dict:
    """How many authorities of the NAO's year spent more than ``margin`` (a share of the budget) above it, and by
    how much together (£), with ``outturn`` as the outturn column."""
    y = nao.view[(nao.view["year"] == NAO_END) & ~nao.view["la_code"].isin(exclude)].dropna(
        subset=["budget_csc", outturn]
    )
    over = y[outturn] - y["budget_csc"]
    hit = over > margin * y["budget_csc"]
    return {"n": len(y), "over": int(hit.sum()), "share": float(hit.mean()), "excess": float(over[over > 0].sum())}


def definitions(nao: Context) -> pd.DataFrame:
    """The overspend's definitions the data allow, each with its share and total: an exploration written after
    the scored definition failed, never a replacement for it."""
    tiny = [c for c in contract.TINY if c in set(nao.view["la_code"])]
    tried = [
        ("RO3 net current expenditure above the RA budget, any amount (scored)", "outturn_csc", 0.0, ()),
        ("RO3 gross expenditure above the RA budget, any amount", "outturn_csc_gross", 0.0, ()),
        ("RO3 net above the budget by more than 1% of it", "outturn_csc", 0.01, ()),
        (
            "RO3 net above the budget, without the City of London and the Isles of Scilly",
            "outturn_csc",
            0.0,
            tuple(tiny),
        ),
    ]
    rows = []
    for words, col, margin, exclude in tried:
        r = overspend_2018(nao, col, margin, exclude)
        rows.append({"Definition": words, "Authorities": r["n"], "Over budget": r["over"],
                     "Share over budget (%)": 100 * r["share"], "Sum of excesses (£m)": r["excess"] / 1e6})  # fmt: skip
    t = pd.DataFrame(rows)
    t["Share within the NAO's rounding"] = np.where(
        (t["Share over budget (%)"] - reference.value("overspend_share_2018")).abs() <= 0.5, "yes", "no"
    )
    t["Total within the NAO's rounding"] = np.where(
        (t["Sum of excesses (£m)"] * 1e6 - reference.value("overspend_total_2018")).abs() <= 5e5, "yes", "no"
    )
    return t.set_index("Definition")


# --- figures ----------------------------------------------------------------------------------------------------


def fig_england(ctx: Context, t: pd.DataFrame) -> figures.Figure:
    """Budget and outturn by year, nominal and in real terms; a year without a budget is a gap."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2), sharey=False)
    budget_c, outturn_c = figures.colours(2)
    for ax, (b, o, label) in zip(axes, [("Budget (£m)", "Outturn (£m)", "nominal"),
                                        ("Budget, real (£m)", "Outturn, real (£m)", "real terms")]):  # fmt: skip
        ax.plot(t.index, t[o] / 1e3, "-o", color=outturn_c, ms=3, label="Outturn (RO3, RSX)")
        ax.plot(t.index, t[b] / 1e3, "s", color=budget_c, ms=5, label="Budget (Revenue Account)")
        ax.plot(t.index, t[b] / 1e3, "-", color=budget_c, lw=1)  # joins consecutive budget years only
        year_axis(ax, ctx.first, ctx.last)
        if ctx.first <= NAO_END < ctx.last:
            mark_years(ax)
        ax.set_title(f"£ billion, {label}", fontsize=10, loc="left")
        ax.set_ylim(0, 1.15 * np.nanmax(t[[b, o]].to_numpy(dtype=float)) / 1e3)  # room for the legend
    axes[0].legend(frameon=False, fontsize=8, loc="upper left")
    last = t.dropna(subset=["Budget (£m)", "Outturn (£m)"]).index.max()
    gap = t.loc[last, "Outturn (£m)"] - t.loc[last, "Budget (£m)"]
    title = (
        f"In {contract.year_label(int(last))} {ctx.scope}'s outturn was £{gap / 1e3:,.2f}bn above its budget "
        f"(£{t.loc[last, 'Outturn (£m)'] / 1e3:,.1f}bn against £{t.loc[last, 'Budget (£m)'] / 1e3:,.1f}bn)"
    )
    missing = [contract.year_label(int(y)) for y in t.index[t["Budget (£m)"].isna()]]
    alt = (
        "Two line charts of children's social care budget and outturn by year, nominal and real. "
        + "; ".join(
            f"{contract.year_label(int(y))}: budget "
            + (f"£{r['Budget (£m)'] / 1e3:.2f}bn" if pd.notna(r["Budget (£m)"]) else "none published")
            + f", outturn £{r['Outturn (£m)'] / 1e3:.2f}bn"
            for y, r in t.iterrows()
            if pd.notna(r["Outturn (£m)"])
        )
        + (f". No budget file for {measures.and_list(missing)}." if missing else "")
    )
    data = t[["Budget (£m)", "Outturn (£m)", "Budget, real (£m)", "Outturn, real (£m)"]]
    return figures.finish(fig, title, alt, ctx.source, data=data.rename(index=contract.year_label).rename_axis("Year"))


def fig_overspend(ctx: Context, t: pd.DataFrame, pct: pd.DataFrame) -> figures.Figure:
    """The share of authorities over budget by year, and the spread of each authority's overspend (% of budget)."""
    years = compared_years(t)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.5, 4.2))
    colour = figures.colours(1)[0]
    a1.bar(years, t.loc[years, "Over budget (%)"], color=colour, width=0.7)
    a1.set_ylim(0, 100)
    a1.set_title("Authorities over budget (%)", fontsize=10, loc="left")
    year_axis(a1, min(years), max(years))
    shown = pct[~pct["la_code"].isin(contract.TINY)]  # the two very small authorities' percentages dwarf the rest
    data = [shown.loc[shown["year"] == y, "Overspend (% of budget)"].dropna() for y in years]
    a2.boxplot(data, positions=years, widths=0.6, showfliers=True, flierprops={"markersize": 2})
    a2.axhline(0, color=figures.MUTED, lw=0.8)
    a2.set_title("Outturn above budget, each authority (% of budget)", fontsize=10, loc="left")
    year_axis(a2, min(years), max(years))
    hi = ctx.highlight_row(pct[pct["year"] == max(years)])
    if hi is not None:
        one = pct[pct["la_code"] == ctx.highlight]
        a2.plot(one["year"], one["Overspend (% of budget)"], "o", color=figures.HIGHLIGHT, ms=6)
        figures.mark_key(a2, ctx.highlight_name)
    last = max(years)
    title = (
        f"In {contract.year_label(last)} {t.loc[last, 'Over budget']:.0f} of {t.loc[last, 'Authorities with both']:.0f} "
        f"authorities spent more than they budgeted ({t.loc[last, 'Over budget (%)']:.0f}%)"
    )
    alt = (
        "Bar chart of the share of authorities over budget, and box plots of each authority's overspend. "
        + "; ".join(
            f"{contract.year_label(y)}: {t.loc[y, 'Over budget (%)']:.0f}% over, median {np.median(d):+.1f}% of budget"
            for y, d in zip(years, data)
            if len(d)
        )
    )
    return figures.finish(fig, title, alt, ctx.source)


# --- everything the chapter shows -------------------------------------------------------------------------------


@dataclass
class Results:
    """Every number, table and figure the chapter shows, computed once."""

    table: pd.DataFrame  # England by year
    years: list[int]  # the years with budget and outturn for most authorities
    latest: int | None
    auth: pd.DataFrame  # authorities in the latest compared year
    pct: pd.DataFrame  # every authority-year's overspend (% of budget)
    assoc: pd.DataFrame
    nao: pd.DataFrame
    definitions: pd.DataFrame | None
    fig_england: figures.Figure | str
    fig_overspend: figures.Figure | str


ABSENT = "These data have no finance returns: synthetic England does not model budgets or outturn."


def results(ctx: Context) -> Results:
    t = by_year(ctx)
    years = compared_years(t)
    nao = ctx.nao()  # the NAO's figures: its year, on the authorities of then
    if not years:
        empty = pd.DataFrame()
        return Results(t, [], None, empty, empty, empty, chapter.nao_comparison(nao_rows(nao)), None, ABSENT, ABSENT)
    latest = max(years)
    pct = pd.concat([authority_table(ctx, y).assign(year=y) for y in years]).reset_index()
    auth = authority_table(ctx, latest)
    return Results(
        table=t,
        years=years,
        latest=latest,
        auth=auth,
        pct=pct,
        assoc=associations(auth),
        nao=chapter.nao_comparison(nao_rows(nao)),
        definitions=definitions(nao) if chapter_england(nao) is not None else None,
        fig_england=fig_england(ctx, t),
        fig_overspend=fig_overspend(ctx, t, pct),
    )


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows."""
    t = res.table
    ctx.glue("first", contract.year_label(ctx.first))
    ctx.glue("last", contract.year_label(ctx.last))
    ctx.glue_figure("fig-budgets-england", res.fig_england)
    shown = t.drop(columns=["Budget, real (£m)", "Outturn, real (£m)"])
    ctx.glue_table("tbl-budgets-england", ctx.table(shown, "england"))
    ctx.table(t, "england_with_real")
    ctx.glue_figure("fig-budgets-overspend", res.fig_overspend)
    no_budget = [contract.year_label(int(y)) for y in t.index[t["Budget (£m)"].isna() & t["Outturn (£m)"].notna()]]
    ctx.glue("no_budget_years", measures.and_list(no_budget) if no_budget else "none")
    if res.latest is None:
        ctx.glue("latest", ABSENT)
        ctx.glue("latest_over", ABSENT)
        ctx.glue("latest_n", ABSENT)
        ctx.glue("latest_share", ABSENT)
        ctx.glue("latest_excess", ABSENT)
        ctx.glue("latest_net", ABSENT)
        ctx.glue("ends", ABSENT)
        ctx.glue("assoc_text", ABSENT)
        ctx.glue("held_text", ABSENT)
        ctx.glue("money_now", ABSENT)
        ctx.glue("n_definitions", 0)
        ctx.glue_md("highlight_text", ctx.unmarked)
        for name in ("authorities", "factors", "definitions"):  # the downloads, each a note
            ctx.table(pd.DataFrame({"Note": [ABSENT]}), name, index=False)
        ctx.glue_table("tbl-budgets-factors", ABSENT)
        ctx.glue_table("tbl-budgets-definitions", ABSENT)
    else:
        y = res.latest
        ctx.glue("latest", contract.year_label(y))
        ctx.glue("latest_over", int(t.loc[y, "Over budget"]))
        ctx.glue("latest_n", int(t.loc[y, "Authorities with both"]))
        ctx.glue("latest_share", t.loc[y, "Over budget (%)"], "{:.0f}%")
        ctx.glue("latest_excess", t.loc[y, "Overspend, sum of excesses (£m)"], "£{:,.0f}m")
        ctx.glue("latest_net", t.loc[y, "Outturn less budget, net (£m)"], "£{:,.0f}m")
        ctx.glue("ends", ends_words(res.auth))
        ctx.glue("assoc_text", association_words(res.assoc))
        ctx.glue_md("highlight_text", highlight_words(ctx, res))
        ctx.glue_table("tbl-budgets-factors", ctx.table(res.assoc, "factors").format(precision=2))
        cols = ["Authority", "Budget (£m)", "Outturn (£m)", "Overspend (£m)", "Overspend (% of budget)", *FACTORS]
        ctx.table(res.pct.rename(columns={"year": "Year"})[["la_code", "Year", *cols]], "authorities", index=False)
        ctx.glue("held_text", held_words(t, res.years))
        ctx.glue(
            "money_now",
            f"In {contract.year_label(y)}, {int(t.loc[y, 'Over budget'])} of {int(t.loc[y, 'Authorities with both'])} "
            f"councils ({t.loc[y, 'Over budget (%)']:.0f}%) spent more on children's social care than they had "
            f"budgeted, £{t.loc[y, 'Overspend, sum of excesses (£m)']:,.0f}m together.",
        )
        if res.definitions is not None:
            ctx.glue_table("tbl-budgets-definitions", ctx.table(res.definitions, "definitions").format(precision=1))
            ctx.glue("n_definitions", len(res.definitions))
        else:
            ctx.glue_table("tbl-budgets-definitions", ABSENT)
            ctx.glue("n_definitions", 0)
    ctx.glue("nao_budget_2018", reference.value("budget_2018") / 1e9, "£{:.1f} billion")
    ctx.glue("nao_budget_2019", reference.value("budget_2019") / 1e9, "£{:.1f} billion")
    ctx.glue("nao_cla_rise", reference.value("cla_budget_rise") / 1e6, "£{:,.0f} million")
    ctx.glue("nao_cla_rise_pct", reference.value("cla_budget_rise_pct"), "{:.1f}%")
    ctx.glue("nao_spend_2018", reference.value("spend_total_2018") / 1e9, "£{:.1f} billion")
    ctx.glue("nao_over_share", reference.value("overspend_share_2018"), "{:.0f}%")
    ctx.glue("nao_over_total", reference.value("overspend_total_2018") / 1e6, "£{:,.0f}m")
    chapter.glue_comparison(ctx, "tbl-budgets-nao", res.nao, "budgets_nao_pass", "budgets_nao_rows")


def ends_words(auth: pd.DataFrame) -> str:
    """The overspend (% of budget) at the 10th and 90th percentiles of authorities, and the authorities at each end
    apart from the two very small ones (which stay in the table)."""
    pct = auth["Overspend (% of budget)"]
    p10, p90 = pct.quantile([0.1, 0.9])
    rest = auth[~auth.index.isin(contract.TINY)].sort_values("Overspend (% of budget)")
    lo, hi = rest.iloc[0], rest.iloc[-1]
    return (
        f"{p10:+.1f}% of budget at the 10th percentile of authorities to {p90:+.1f}% at the 90th (the ends, leaving "
        f"out the City of London and the Isles of Scilly, whose budgets are tiny: {lo['Overspend (% of budget)']:+.1f}% "
        f"in {lo['Authority']} and {hi['Overspend (% of budget)']:+.1f}% in {hi['Authority']})"
    )


def highlight_words(ctx: Context, res: Results) -> str:
    """Where the highlighted authority's outturn stood against its budget in the latest year with both."""
    if not ctx.highlight:
        return ctx.unmarked
    if ctx.highlight not in res.auth.index:
        return f"{ctx.highlight_md} has no budget and outturn to compare in {contract.year_label(res.latest)}."
    r = res.auth.loc[ctx.highlight]
    rank = int((res.auth["Overspend (% of budget)"] < r["Overspend (% of budget)"]).sum()) + 1
    word = "above" if r["Overspend (£m)"] > 0 else "below"
    return (
        f"In {contract.year_label(res.latest)} {ctx.highlight_md}'s outturn was £{abs(r['Overspend (£m)']):,.1f}m "
        f"{word} its budget ({r['Overspend (% of budget)']:+.1f}% of it), {rank} of {len(res.auth)} from the lowest."
    )


def held_words(t: pd.DataFrame, years: list[int]) -> str:
    """Since the NAO's year: the share over budget and the overspend in each compared year after it."""
    after = [y for y in years if y > NAO_END]
    if not after:
        return "These data have no budget and outturn after 2017-18."
    parts = [
        f"{contract.year_label(y)}: {t.loc[y, 'Over budget']:.0f} of {t.loc[y, 'Authorities with both']:.0f} "
        f"({t.loc[y, 'Over budget (%)']:.0f}%), £{t.loc[y, 'Overspend, sum of excesses (£m)']:,.0f}m"
        for y in after
    ]
    return "Authorities over budget, and their excesses summed, in the years since with both: " + "; ".join(parts) + "."
