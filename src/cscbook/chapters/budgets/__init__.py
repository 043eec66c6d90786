"""Budgets and overspending: England's children's social care budget (MHCLG's Revenue Account) against its
outturn (RO3; RSX for 2021-22) by year, nominal and real; how many authorities spend more than they budgeted and
by how much; whether those that overspend are those with the most demand; and the NAO's money figures of 2019.

``results(ctx)`` computes every number, table and figure; ``glue_all(ctx, res)`` glues them. The tables and the
test are in ``tables``, England by line in ``lines``, the NAO's figures in ``nao``.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters import context as chapter
from cscbook.chapters.budgets.lines import NO_LINES, fig_lines, glue_lines, lines_table
from cscbook.chapters.budgets.nao import definitions, nao_rows
from cscbook.chapters.budgets.tables import (
    FACTORS,
    SHOWN,
    association_words,
    associations,
    authority_table,
    budget_gaps,
    by_year,
    chapter_england,
    compared_years,
)
from cscbook.chapters.context import Context, dfe_years, styled_table
from cscbook.chapters.since_figures import NAO_END, mark_years, year_axis
from cscbook.present import figures

#: What the chapter's notebook calls.
__all__ = ["Results", "glue_all", "results"]


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
    no_file, no_row = budget_gaps(t)
    alt = (
        "Two line charts of children's social care budget and outturn by year, nominal and real. "
        + "; ".join(
            f"{contract.year_label(int(y))}: budget "
            + (f"£{r['Budget (£m)'] / 1e3:.2f}bn" if pd.notna(r["Budget (£m)"]) else "none")
            + f", outturn £{r['Outturn (£m)'] / 1e3:.2f}bn"
            for y, r in t.iterrows()
            if pd.notna(r["Outturn (£m)"])
        )
        + (f". No budget file for {measures.and_list(no_file)}" if no_file else "")
        + (f". No England row in the budget file for {measures.and_list(no_row)}" if no_row else "")
        + "."
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
    lines: pd.DataFrame | None = None  # England by line, the years of today's lines
    fig_lines: figures.Figure | str = ""


ABSENT = "These data have no finance returns: synthetic England does not model budgets or outturn."


def results(ctx: Context) -> Results:
    t = by_year(ctx)
    years = compared_years(t)
    nao = ctx.nao()  # the NAO's figures: its year, on the authorities of then
    if not years:
        empty = pd.DataFrame()
        return Results(t, [], None, empty, empty, empty, chapter.nao_comparison(nao_rows(nao)), None, ABSENT, ABSENT)
    latest = max(years)
    lines = lines_table(ctx)
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
        lines=lines,
        fig_lines=fig_lines(ctx, lines) if lines is not None else NO_LINES,
    )


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows."""
    t = res.table
    ctx.glue("first", contract.year_label(ctx.first))
    ctx.glue("last", contract.year_label(ctx.last))
    ctx.glue_figure("fig-budgets-england", res.fig_england)
    ctx.table(t.drop(columns=["Budget, real (£m)", "Outturn, real (£m)"]), "england")
    shown = t[list(SHOWN)].rename(columns=SHOWN)
    ctx.glue_table("tbl-budgets-england", styled_table(dfe_years(shown)).set_uuid("budgets_england"))
    ctx.table(t, "england_with_real")
    ctx.glue_figure("fig-budgets-overspend", res.fig_overspend)
    ctx.glue("gaps_text", gaps_words(ctx, t))
    ctx.glue("prices", contract.year_label(ctx.last))
    glue_lines(ctx, res.lines, res.fig_lines)
    if res.latest is None:
        ctx.glue("latest", ABSENT)
        ctx.glue("latest_over", ABSENT)
        ctx.glue("latest_n", ABSENT)
        ctx.glue("latest_share", ABSENT)
        ctx.glue("latest_excess", ABSENT)
        ctx.glue("latest_net", ABSENT)
        ctx.glue("ends", ABSENT)
        ctx.glue("assoc_text", ABSENT)
        ctx.glue("truth_text", "")
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
        ctx.glue("truth_text", truth_words(ctx, res.assoc))
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
            why = "The overspend's definitions are tried on MHCLG's returns only (these data have none)."
            ctx.glue_table("tbl-budgets-definitions", why)
            ctx.table(pd.DataFrame({"Note": [why]}), "definitions", index=False)
            ctx.glue("n_definitions", 0)
    ctx.glue("nao_budget_2018", reference.value("budget_2018") / 1e9, "£{:.1f} billion")
    ctx.glue("nao_budget_2019", reference.value("budget_2019") / 1e9, "£{:.1f} billion")
    ctx.glue("nao_cla_rise", reference.value("cla_budget_rise") / 1e6, "£{:,.0f} million")
    ctx.glue("nao_cla_rise_pct", reference.value("cla_budget_rise_pct"), "{:.1f}%")
    ctx.glue("nao_spend_2018", reference.value("spend_total_2018") / 1e9, "£{:.1f} billion")
    ctx.glue("nao_over_share", reference.value("overspend_share_2018"), "{:.0f}%")
    ctx.glue("nao_over_total", reference.value("overspend_total_2018") / 1e6, "£{:,.0f}m")
    chapter.glue_comparison(ctx, "tbl-budgets-nao", res.nao, "budgets_nao_pass", "budgets_nao_rows")


def gaps_words(ctx: Context, t: pd.DataFrame) -> str:
    """The years without England's budget, and why: no file, or a file without an England row."""
    no_file, no_row = budget_gaps(t)
    words = []
    if no_file:
        words.append(
            f"No budget file is published here for {measures.and_list(no_file)}: those years are gaps, not zeros."
        )
    if no_row:
        unreturned = ctx.view[ctx.view["year"].map(contract.year_label).isin(no_row)]["budget_csc"].isna().sum()
        words.append(
            f"The budget file for {measures.and_list(no_row)} has no England row, and {unreturned} of the authorities' "
            "returns were not received, so England's budget is a gap there too; the authorities that made both "
            "returns are still compared, in the table's last columns."
        )
    return " ".join(words)


def truth_words(ctx: Context, assoc: pd.DataFrame) -> str:
    """On synthetic England, the relation the budgets were made with, and whether the test above finds it; on real
    data, nothing."""
    truth = (ctx.prepared.truth or {}).get("overspend")
    if not truth:
        return ""
    row = assoc.loc[FACTORS["cla_rate_change"]]
    found = row["95% CI low"] > 0
    return (
        f"Synthetic England's budgets were made so that the overspend rises by {truth['per_sd_of_cla_rate_change']:g} "
        f"percentage points of the budget for each standard deviation of the {truth['driver']}, with nothing else "
        f"behind it but noise (sd {truth['noise_sd_pct']:g} points). The test "
        + ("finds it" if found else "misses it")
        + f": rho {row['Spearman rho']:+.2f} ({row['95% CI low']:+.2f} to {row['95% CI high']:+.2f})."
    )


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
