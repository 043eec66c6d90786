"""Demand trends: national activity series as counts, rates and indices; growth against
population; regions; how much of the growth in children in need is population."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from cscbook import contract
from cscbook.analyse import measures
from cscbook.chapters import candidates, since
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.chapters.demand_nao import ENGLAND_ROWS, england_rows, has_figure, nao_rows
from cscbook.chapters.since_figures import NAO_END, PANDEMIC, mark_years, year_axis
from cscbook.contract import POP_PUBLISHED
from cscbook.present import figures

INDEX_SERIES = [*measures.SERIES, "pop_0_17"]


def tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """National counts, rates per 10,000 and indices (first year = 100) of every series."""
    cols = list(measures.SERIES) + ["pop_0_17"]
    counts = measures.national(ctx.view, cols).round(6)  # apportioned parts sum back to whole numbers
    rates = measures.national_rates(ctx.view, list(measures.SERIES))
    index = measures.indexed(counts, ctx.first)
    rate_index = measures.indexed(rates, ctx.first)
    return {"counts": counts, "rates": rates, "index": index, "rate_index": rate_index}


def growth_table(ctx: Context, t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Growth of counts and of rates over the chapter's period, against population growth."""
    a, b = ctx.first, ctx.last
    pop_g = measures.growth(t["counts"], "pop_0_17", a, b)
    rows = []
    for col, label in measures.SERIES.items():
        g = measures.growth(t["counts"], col, a, b)
        rows.append(
            {
                "Series": label,
                f"{contract.year_label(a)}": t["counts"].loc[a, col],
                f"{contract.year_label(b)}": t["counts"].loc[b, col],
                "Growth in count (%)": g,
                "Growth in rate per 10,000 (%)": measures.growth(t["rates"], col, a, b),
                "Growth beyond population (pp)": g - pop_g,
            }
        )
    return pd.DataFrame(rows).set_index("Series")


#: The home page's headline series (its first finding).
HEADLINE = {"referrals": "h_ref", "s47_enquiries": "h_s47", "cpp_31mar": "h_cpp", "cla_31mar": "h_cla"}


def headline_growth(ctx: Context, growth: pd.DataFrame) -> tuple[dict[str, float], str]:
    """Growth of the headline series over the chapter's years, and its basis: DfE's England rows as published
    where the data carry both years (they include DfE's estimates for authorities that made no return, as the
    NAO's figures do), else the sum over the authorities, which lacks an authority missing in either year."""
    eng = None if ctx.p.region else england_rows(ctx)
    out, basis = {}, set()
    for col in HEADLINE:
        if eng is not None and has_figure(eng, col, ctx.first) and has_figure(eng, col, ctx.last):
            out[col] = measures.growth(eng, col, ctx.first, ctx.last)
            basis.add("England rows as DfE publishes them")
        else:
            out[col] = growth.loc[measures.SERIES[col], "Growth in count (%)"]
            basis.add("the sum over authorities")
    return out, " and ".join(sorted(basis))


def headline_note(growth: pd.DataFrame, basis: str) -> str:
    """The basis of the headline growth, in brackets: DfE's England rows (with the sums over the authorities,
    which the tables and charts use, beside them), or the sum over the authorities alone."""
    if "England rows" not in basis:
        return "(summed over the authorities)."
    sums = ", ".join(f"{growth.loc[measures.SERIES[col], 'Growth in count (%)']:+.1f}%" for col in HEADLINE)
    return (
        f"({basis}, which include DfE's estimates for authorities that made no return; the tables and charts below "
        f"sum the authorities, on which the same four changed by {sums})."
    )


def highlight_index(ctx: Context, cols: list[str]) -> pd.DataFrame | None:
    if not ctx.highlight:
        return None
    one = ctx.panel[ctx.panel["la_code"] == ctx.highlight].set_index("year")[cols].astype("float64")
    return measures.indexed(one, ctx.first)


#: The series the index chart draws: the NAO's five and the child population (the rest are in the tables).
CHART_SERIES = ["referrals", "s47_enquiries", "cpp_31mar", "cin_31mar", "cla_31mar", "pop_0_17"]


def fig_index(ctx: Context, t: dict[str, pd.DataFrame]) -> figures.Figure:
    idx = t["index"][CHART_SERIES]
    labels = {**measures.SERIES, **measures.POPULATION}
    fig, ax = plt.subplots(figsize=(8.5, 5))
    pal = [*figures.colours(len(CHART_SERIES) - 1), "#333333"]  # population: dark grey, dashed
    ends = []
    for colour, col in zip(pal, CHART_SERIES):
        style = "--" if col == "pop_0_17" else "-"
        ax.plot(idx.index, idx[col], style, color=colour, marker="o", ms=3)
        last = idx[col].dropna()
        if len(last):
            ends.append((labels[col], last.index[-1], last.iloc[-1], colour))
    hi = highlight_index(ctx, ["cpp_31mar"])
    if hi is not None:
        ax.plot(hi.index, hi["cpp_31mar"], ":", color=figures.HIGHLIGHT, lw=2.5)
        last = hi["cpp_31mar"].dropna()
        if len(last):
            ends.append((f"{ctx.highlight_name}: plans", last.index[-1], last.iloc[-1], figures.HIGHLIGHT))
    ax.axhline(100, color=figures.MUTED, lw=0.8)
    year_axis(ax, ctx.first, ctx.last)
    if ctx.first <= NAO_END < ctx.last:
        mark_years(ax, reorganised=True)
    ax.set_ylabel(f"Index, {contract.year_label(ctx.first)} = 100")
    figures.label_ends(ax, ends)
    g = growth_table(ctx, t)
    top = g["Growth in count (%)"].idxmax()
    title = f"{top} grew most: {g.loc[top, 'Growth in count (%)']:+.0f}% from {contract.year_label(ctx.first)} to {contract.year_label(ctx.last)}"
    alt = "Line chart of national activity indexed to the first year. " + "; ".join(
        f"{labels[c]} ends at {idx[c].iloc[-1]:.0f}" for c in CHART_SERIES
    )
    data = idx.rename(columns=labels, index=contract.year_label).rename_axis("Year")
    return figures.finish(fig, title, alt, ctx.source, data=data)


def fig_rates(ctx: Context, t: dict[str, pd.DataFrame]) -> figures.Figure:
    """Growth in counts against growth in rates. Population growth is marked on the count bars only: a rate
    has removed it already, so a rate is read against zero."""
    g = growth_table(ctx, t).dropna(subset=["Growth in count (%)", "Growth in rate per 10,000 (%)"], how="all")
    pop_g = measures.growth(t["counts"], "pop_0_17", ctx.first, ctx.last)
    fig, ax = plt.subplots(figsize=(8, 4.6))
    y = np.arange(len(g))
    count_c, rate_c = figures.colours(2)
    ax.barh(y - 0.2, g["Growth in count (%)"], height=0.4, color=count_c, label="Growth in count (%)")
    ax.barh(
        y + 0.2, g["Growth in rate per 10,000 (%)"], height=0.4, color=rate_c, label="Growth in rate per 10,000 (%)"
    )
    ax.plot([pop_g] * len(g), y - 0.2, ls="none", marker="|", ms=16, mew=2, color="#333333",
            label=f"Child population {pop_g:+.1f}% (compare with the counts)")  # fmt: skip
    ax.axvline(0, color=figures.MUTED, lw=0.8)
    ax.set_yticks(y, list(g.index))
    ax.invert_yaxis()
    ax.set_xlabel(f"Change {contract.year_label(ctx.first)} to {contract.year_label(ctx.last)} (%)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    beyond = (g["Growth beyond population (pp)"] > 0).sum()
    title = f"{beyond} of {len(g)} series grew faster than the child population ({pop_g:+.1f}%)"
    alt = "Bar chart of growth in counts and in rates per 10,000 for each series. " + "; ".join(
        f"{s}: count {r['Growth in count (%)']:+.1f}%, rate {r['Growth in rate per 10,000 (%)']:+.1f}%"
        for s, r in g.iterrows()
    )
    return figures.finish(fig, title, alt, ctx.source, data=g)


def region_rates(ctx: Context, col: str) -> pd.DataFrame:
    p = ctx.panel[ctx.panel[col].notna()]
    g = p.groupby(["region", "year"])[[col, "pop_0_17"]].sum()
    return (g[col] / g["pop_0_17"] * measures.PER).rename("rate").reset_index()


def fig_regions(ctx: Context, col: str = "cpp_31mar") -> figures.Figure:
    r = region_rates(ctx, col)
    nat = measures.national_rates(ctx.panel, [col])[col]
    regions = sorted(r["region"].unique())
    ncol = 3
    nrow = -(-len(regions) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(8.7, 2.0 * nrow + 0.4), sharex=True, sharey=True, squeeze=False)
    hi_region = None
    if ctx.highlight:
        one = ctx.panel[ctx.panel["la_code"] == ctx.highlight].set_index("year")
        hi_region = one["region"].iloc[0]
    colour = figures.colours(1)[0]
    for ax, region in zip(axes.flat, regions):
        reg = r[r["region"] == region]
        ax.plot(nat.index, nat.values, color=figures.MUTED, lw=1, ls="--", label="England")
        ax.plot(reg["year"], reg["rate"], color=colour, marker="o", ms=3, label="The region")
        if region == hi_region:
            ax.plot(one.index, measures.rate(one, col), color=figures.HIGHLIGHT, lw=2, ls=":", label=ctx.highlight_name)
        ax.set_title(region, fontsize=9)
    keyed = axes.flat[regions.index(hi_region) if hi_region in regions else 0]
    figures.top_key(fig, *keyed.get_legend_handles_labels())
    for ax in axes.flat[len(regions) :]:
        ax.set_visible(False)
    for ax in axes.flat[: len(regions)]:
        year_axis(ax, ctx.first, ctx.last)
        if ctx.first <= NAO_END < ctx.last:
            ax.axvline(NAO_END, color=figures.MUTED, ls="--", lw=0.8)
            ax.axvspan(PANDEMIC - 0.5, PANDEMIC + 0.5, color="#ececec", zorder=0, lw=0)
    fig.supylabel("Per 10,000 children aged 0-17", fontsize=10)  # once, not on every row
    axes[0, 0].yaxis.set_major_locator(MaxNLocator(nbins=5))
    last = r[r["year"] == ctx.last].set_index("region")["rate"]
    title = f"{measures.SERIES[col]}: {last.idxmax()} has the highest rate, {last.max():.0f} per 10,000 in {contract.year_label(ctx.last)}"
    label = measures.SERIES[col]
    alt = f"Small multiples of the {label[0].lower() + label[1:]} rate by region, with England dashed. " + "; ".join(
        f"{k}: {v:.0f}" for k, v in last.items()
    )
    return figures.finish(fig, title, alt, ctx.source)


def highlight_sentence(ctx: Context, t: dict[str, pd.DataFrame]) -> str:
    """The highlighted authority's child protection plans over the period beside the national series,
    as Markdown (its name links to its profile)."""
    if not ctx.highlight:
        return ctx.unmarked
    one = ctx.panel[ctx.panel["la_code"] == ctx.highlight].set_index("year")
    a, b = ctx.first, ctx.last
    if a not in one.index or b not in one.index or one.loc[[a, b], ["cpp_31mar", "pop_0_17"]].isna().any().any():
        return (
            f"{ctx.highlight_md}'s child protection plans are not known for both {contract.year_label(a)} and "
            f"{contract.year_label(b)} (missing or suppressed), so its change is not shown."
        )
    rates = measures.rate(one, "cpp_31mar")
    mine = measures.growth(one, "cpp_31mar", a, b)
    whole = measures.growth(t["counts"], "cpp_31mar", a, b)
    where = "England" if not ctx.p.region else ctx.scope
    return (
        f"In {ctx.highlight_md} the number of child protection plans changed by {mine:+.1f}% between "
        f"{contract.year_label(a)} and {contract.year_label(b)} ({where}: {whole:+.1f}%), and its rate went from "
        f"{rates[a]:.0f} to {rates[b]:.0f} per 10,000 children."
    )


def cin_split(ctx: Context, t: dict[str, pd.DataFrame]) -> dict[str, float]:
    c = t["counts"]
    return measures.population_rate_split(c["cin_31mar"], c["pop_0_17"], ctx.first, ctx.last)


def cla16_sentence(ctx: Context, growth: float) -> str:
    """The change in looked-after children aged 16 and over, or in words why these data cannot give it."""
    span = f"{contract.year_label(ctx.first)} and {contract.year_label(ctx.last)}"
    if pd.isna(growth):
        return f"These data do not give looked-after children aged 16 and over in both {span}."
    return f"Looked-after children aged 16 and over changed by {growth:+.1f}%."


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Readable column names for a national table."""
    return df.rename(columns={**measures.SERIES, **measures.POPULATION}).rename_axis("Year ending 31 March")


# --- everything the chapter shows ------------------------------------------------------------


@dataclass
class Results:
    """Every number, table and figure the chapter shows, computed once."""

    tables: dict[str, pd.DataFrame]  # counts, rates, index, rate_index
    growth: pd.DataFrame
    cin_split: dict[str, float]
    highlight_sentence: str
    nao: pd.DataFrame
    nao_growth: pd.DataFrame  # growth in counts and rates over the NAO's period, on its authorities
    nao_pop_growth: float  # growth of the population aged 0-17 then (%)
    candidates: pd.DataFrame  # the definitions declared for the NAO's figures
    since: since.Since  # the finding carried past 2017-18
    fig_index: figures.Figure
    fig_rates: figures.Figure
    fig_regions_cpp: figures.Figure
    fig_regions_cla: figures.Figure


#: Authorities of at least this many children can name the largest gap between two population estimates.
BIG = 5_000


def population_sentence(ctx: Context) -> str:
    """Why the number of children depends on the estimate: growth on the estimates as first published and on
    the consistent series, and the authority where the two differ most. Empty where the data have one series."""
    view = ctx.view
    if POP_PUBLISHED not in view or view[POP_PUBLISHED].isna().all():
        return ""
    cons = measures.CONSISTENT if measures.CONSISTENT in view else "pop_0_17"
    a, b = ctx.first, ctx.last
    _, _, gp, _ = measures.population_growth(view, POP_PUBLISHED, a, b)
    _, _, gc, _ = measures.population_growth(view, cons, a, b)
    both = view.dropna(subset=[POP_PUBLISHED, cons])
    gap = both[(both[POP_PUBLISHED] != both[cons]) & (both[cons] >= BIG)]  # not a tiny authority's proportion
    if not len(gap) or not (np.isfinite(gp) and np.isfinite(gc)):
        return ""
    year = int(gap["year"].max())
    last = gap[gap["year"] == year].assign(d=lambda d: d[POP_PUBLISHED] / d[cons] - 1)
    top = last.loc[last["d"].idxmax()]
    used = "these estimates" if ctx.p.population == "as-published" else "the rebased series"
    return (
        "How many children there are depends on the estimate. ONS rebased its estimates for mid-2012 to "
        "mid-2020 on the 2021 Census, which found fewer children than the earlier estimates had carried forward: "
        f"in {contract.year_label(year)} the largest gap among authorities of {BIG:,} children or more is "
        f"{top['la_name']}'s, {top[POP_PUBLISHED]:,.0f} children "
        f"as first published against {top[cons]:,.0f} rebased. On the estimates as first published, which the NAO "
        f"used, England's children aged 0-17 grew {gp:+.1f}% from {contract.year_label(a)} to "
        f"{contract.year_label(b)}; on the rebased series, {gc:+.1f}%. Every rate in this chapter uses {used}."
    )


def results(ctx: Context) -> Results:
    """Everything the chapter shows, computed once."""
    t = tables(ctx)
    nao = ctx.nao()
    nt = tables(nao)
    cand = candidates.assess(nao, ["cin_growth", "pop_growth", "cla16_growth"])
    return Results(
        tables=t,
        growth=growth_table(ctx, t),
        cin_split=cin_split(ctx, t),
        highlight_sentence=highlight_sentence(ctx, t),
        nao=chapter.nao_comparison(candidates.apply(nao, nao_rows(nao, nt), cand)),
        nao_growth=growth_table(nao, nt),
        nao_pop_growth=measures.growth(nt["counts"], "pop_0_17", nao.first, nao.last),
        candidates=cand,
        since=since.demand(ctx),
        fig_index=fig_index(ctx, t),
        fig_rates=fig_rates(ctx, t),
        fig_regions_cpp=fig_regions(ctx, "cpp_31mar"),
        fig_regions_cla=fig_regions(ctx, "cla_31mar"),
    )


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows."""
    g, counts = res.growth, res.tables["counts"]
    count, rate = "Growth in count (%)", "Growth in rate per 10,000 (%)"
    ctx.glue("first", contract.year_label(ctx.first))
    ctx.glue("last", contract.year_label(ctx.last))
    ctx.glue("g_ref", g.loc[measures.SERIES["referrals"], count], "{:+.1f}%")
    ctx.glue("r_ref", g.loc[measures.SERIES["referrals"], rate], "{:+.1f}%")
    ctx.glue("g_s47", g.loc[measures.SERIES["s47_enquiries"], count], "{:+.1f}%")
    ctx.glue("r_s47", g.loc[measures.SERIES["s47_enquiries"], rate], "{:+.1f}%")
    ctx.glue("g_cpp", g.loc[measures.SERIES["cpp_31mar"], count], "{:+.1f}%")
    ctx.glue("r_cpp", g.loc[measures.SERIES["cpp_31mar"], rate], "{:+.1f}%")
    ctx.glue("g_cin", g.loc[measures.SERIES["cin_31mar"], count], "{:+.1f}%")
    ctx.glue("r_cin", g.loc[measures.SERIES["cin_31mar"], rate], "{:+.1f}%")
    ctx.glue("g_cla", g.loc[measures.SERIES["cla_31mar"], count], "{:+.1f}%")
    ctx.glue("r_cla", g.loc[measures.SERIES["cla_31mar"], rate], "{:+.1f}%")
    ctx.glue("g_cla16", g.loc[measures.SERIES["cla_16plus"], count], "{:+.1f}%")
    ctx.glue("cla16_sentence", cla16_sentence(ctx, g.loc[measures.SERIES["cla_16plus"], count]))
    ctx.glue("r_cla16", g.loc[measures.SERIES["cla_16plus"], rate], "{:+.1f}%")
    ctx.glue("g_icpc", g.loc[measures.SERIES["icpcs"], count], "{:+.1f}%")
    ctx.glue("r_icpc", g.loc[measures.SERIES["icpcs"], rate], "{:+.1f}%")
    ctx.glue("g_pop", measures.growth(counts, "pop_0_17", ctx.first, ctx.last), "{:+.1f}%")
    head, basis = headline_growth(ctx, g)
    ctx.glue("h_ref", head["referrals"], "{:+.1f}%")
    ctx.glue("h_s47", head["s47_enquiries"], "{:+.1f}%")
    ctx.glue("h_cpp", head["cpp_31mar"], "{:+.1f}%")
    ctx.glue("h_cla", head["cla_31mar"], "{:+.1f}%")
    ctx.glue("h_basis", basis)
    ctx.glue("h_note", headline_note(g, basis))
    nao_head, nao_basis = headline_growth(ctx.nao(), res.nao_growth)
    ctx.glue("nao_h_ref", nao_head["referrals"], "{:+.1f}%")
    ctx.glue("nao_h_s47", nao_head["s47_enquiries"], "{:+.1f}%")
    ctx.glue("nao_h_cpp", nao_head["cpp_31mar"], "{:+.1f}%")
    ctx.glue("nao_h_cla", nao_head["cla_31mar"], "{:+.1f}%")
    ctx.glue("nao_h_basis", nao_basis)
    ctx.glue("n_ref_last", counts.loc[ctx.last, "referrals"], "{:,.0f}")
    ctx.glue("cin_pop_share", res.cin_split["population_share"], "{:.0f}%")
    ctx.glue("cin_rate_share", 100 - res.cin_split["population_share"], "{:.0f}%")
    ctx.glue("cin_change", res.cin_split["change"], "{:+,.0f}")
    ctx.glue_md("highlight_sentence", res.highlight_sentence)
    ctx.glue_md("population_sentence", population_sentence(ctx))
    ctx.glue_figure("fig-demand-index", res.fig_index)
    ctx.glue_figure("fig-demand-rates", res.fig_rates)
    ctx.glue_table("tbl-demand-growth", ctx.table(g, "growth"))
    ctx.glue_figure("fig-demand-regions-cpp", res.fig_regions_cpp)
    ctx.glue_figure("fig-demand-regions-cla", res.fig_regions_cla)
    ctx.glue_table("tbl-demand-counts", ctx.table(labelled(counts), "counts"))
    ctx.glue_table("tbl-demand-rates", ctx.table(labelled(res.tables["rates"]), "rates"))
    ctx.glue_table("tbl-demand-index", ctx.table(labelled(res.tables["index"]), "index"))
    nao = ctx.nao()
    ctx.glue("nao_first", contract.year_label(nao.first))
    ctx.glue("nao_last", contract.year_label(nao.last))
    ng = res.nao_growth
    ctx.glue("n_g_cpp", ng.loc[measures.SERIES["cpp_31mar"], count], "{:+.1f}%")
    ctx.glue("n_r_cpp", ng.loc[measures.SERIES["cpp_31mar"], rate], "{:+.1f}%")
    ctx.glue("n_g_pop", res.nao_pop_growth, "{:+.1f}%")
    ctx.glue_table("tbl-demand-growth-nao", ctx.table(ng, "growth_nao"))
    chapter.glue_comparison(ctx, "tbl-demand-nao", res.nao, "demand_nao_pass", "demand_nao_rows", ENGLAND_ROWS)
    cand_table, cand_text = candidates.tables(ctx.nao(), res.candidates)
    ctx.glue_table("tbl-demand-candidates", cand_table)
    ctx.glue_md("demand_candidates_text", cand_text)
    since.glue(ctx, res.since, text="demand_since_text", now="demand_now", fig="fig-demand-since",
               table="tbl-demand-since")  # fmt: skip
    # the home page's chart: demand since 2017-18 on the official data, else the NAO period's index
    ctx.glue_figure("home_chart", res.fig_index if isinstance(res.since.brief, str) else res.since.brief)
