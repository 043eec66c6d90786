"""Demand trends: national activity series as counts, rates and indices; growth against
population; regions; how much of the growth in children in need is population."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from cscbook import figures, measures
from cscbook.chapter import Context

NAO_GROWTH = {  # series -> key of the NAO's growth figure
    "referrals": "referrals_growth",
    "s47_enquiries": "s47_growth",
    "cpp_31mar": "cpp_growth",
    "cin_31mar": "cin_growth",
    "cla_31mar": "cla_growth",
    "cla_16plus": "cla16_growth",
    "pop_0_17": "pop_growth",
}
INDEX_SERIES = [*measures.SERIES, "pop_0_17"]


def tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """National counts, rates per 10,000 and indices (first year = 100) of every series."""
    cols = list(measures.SERIES) + ["pop_0_17"]
    counts = measures.national(ctx.view, cols)
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
                f"{measures.year_label(a)}": t["counts"].loc[a, col],
                f"{measures.year_label(b)}": t["counts"].loc[b, col],
                "Growth in count (%)": g,
                "Growth in rate per 10,000 (%)": measures.growth(t["rates"], col, a, b),
                "Growth beyond population (pp)": g - pop_g,
            }
        )
    return pd.DataFrame(rows).set_index("Series")


def highlight_index(ctx: Context, cols: list[str]) -> pd.DataFrame | None:
    if not ctx.highlight:
        return None
    one = ctx.panel[ctx.panel["la_code"] == ctx.highlight].set_index("year")[cols].astype("float64")
    return measures.indexed(one, ctx.first)


def fig_index(ctx: Context, t: dict[str, pd.DataFrame]) -> figures.Figure:
    idx = t["index"][INDEX_SERIES]
    labels = {**measures.SERIES, **measures.POPULATION}
    fig, ax = plt.subplots(figsize=(8.5, 5))
    pal = figures.colours(len(INDEX_SERIES))
    for colour, col in zip(pal, INDEX_SERIES):
        style = "--" if col == "pop_0_17" else "-"
        ax.plot(idx.index, idx[col], style, color=colour, marker="o", ms=3, label=labels[col])
    hi = highlight_index(ctx, ["cpp_31mar"])
    if hi is not None:
        ax.plot(hi.index, hi["cpp_31mar"], ":", color=figures.HIGHLIGHT, lw=2.5, label=f"{ctx.highlight_name}: CPPs")
    ax.axhline(100, color=figures.MUTED, lw=0.8)
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel(f"Index, {measures.year_label(ctx.first)} = 100")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    g = growth_table(ctx, t)
    top = g["Growth in count (%)"].idxmax()
    title = f"{top} grew most: {g.loc[top, 'Growth in count (%)']:+.0f}% from {measures.year_label(ctx.first)} to {measures.year_label(ctx.last)}"
    alt = "Line chart of national activity indexed to the first year. " + "; ".join(
        f"{labels[c]} ends at {idx[c].iloc[-1]:.0f}" for c in INDEX_SERIES
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_rates(ctx: Context, t: dict[str, pd.DataFrame]) -> figures.Figure:
    """Growth in counts against growth in rates: the gap is population growth."""
    g = growth_table(ctx, t)
    long = (
        g[["Growth in count (%)", "Growth in rate per 10,000 (%)"]]
        .reset_index()
        .melt(id_vars="Series", var_name="Measure", value_name="Growth (%)")
    )
    fig, ax = plt.subplots(figsize=(8, 4.6))
    sns.barplot(long, y="Series", x="Growth (%)", hue="Measure", ax=ax)
    pop_g = measures.growth(t["counts"], "pop_0_17", ctx.first, ctx.last)
    ax.axvline(pop_g, color=figures.MUTED, ls="--", lw=1)
    ax.text(pop_g, -0.6, f" population {pop_g:+.1f}%", fontsize=8, color="#444444")
    ax.set_xlabel(f"Change {measures.year_label(ctx.first)} to {measures.year_label(ctx.last)} (%)")
    ax.set_ylabel("")
    ax.legend(frameon=False, fontsize=8, title="")
    beyond = (g["Growth beyond population (pp)"] > 0).sum()
    title = f"{beyond} of {len(g)} series grew faster than the child population ({pop_g:+.1f}%)"
    alt = "Bar chart of growth in counts and in rates per 10,000 for each series. " + "; ".join(
        f"{s}: count {r['Growth in count (%)']:+.1f}%, rate {r['Growth in rate per 10,000 (%)']:+.1f}%"
        for s, r in g.iterrows()
    )
    return figures.finish(fig, title, alt, ctx.source)


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
        ax.plot(nat.index, nat.values, color=figures.MUTED, lw=1, ls="--")
        ax.plot(reg["year"], reg["rate"], color=colour, marker="o", ms=3)
        if region == hi_region:
            ax.plot(one.index, measures.rate(one, col), color=figures.HIGHLIGHT, lw=2, ls=":")
        ax.set_title(region, fontsize=9)
    for ax in axes.flat[len(regions) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Year ending 31 March")
    for ax in axes[:, 0]:
        ax.set_ylabel("Per 10,000 aged 0-17")
    last = r[r["year"] == ctx.last].set_index("region")["rate"]
    title = f"{measures.SERIES[col]}: {last.idxmax()} has the highest rate, {last.max():.0f} per 10,000 in {measures.year_label(ctx.last)}"
    alt = f"Small multiples of the {measures.SERIES[col].lower()} rate by region, with England dashed. " + "; ".join(
        f"{k}: {v:.0f}" for k, v in last.items()
    )
    return figures.finish(fig, title, alt, ctx.source)


def cin_split(ctx: Context, t: dict[str, pd.DataFrame]) -> dict[str, float]:
    c = t["counts"]
    return measures.population_rate_split(c["cin_31mar"], c["pop_0_17"], ctx.first, ctx.last)


def nao_rows(ctx: Context, t: dict[str, pd.DataFrame]) -> list[dict]:
    """Our growth figures beside the NAO's (2010-11 to 2017-18; other periods are marked n/a)."""
    nao_period = ctx.first <= 2011 and ctx.last >= 2018 and not ctx.p.region
    rows = []
    for col, key in NAO_GROWTH.items():
        if nao_period:
            rows.append({"key": key, "ours": measures.growth(t["counts"], col, 2011, 2018)})
        else:
            rows.append({"key": key, "ours": None, "reason": "the chapter's years or region differ from the NAO's"})
    return rows


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Readable column names for a national table."""
    return df.rename(columns={**measures.SERIES, **measures.POPULATION}).rename_axis("Year ending 31 March")
