"""Demand trends: national activity series as counts, rates and indices; growth against
population; regions; how much of the growth in children in need is population."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from cscbook.analyse import measures, reference
from cscbook.chapters import candidates, nao_notes, since
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.publish import figures

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


#: The series the index chart draws: the NAO's five and the child population (the rest are in the tables).
CHART_SERIES = ["referrals", "s47_enquiries", "cpp_31mar", "cin_31mar", "cla_31mar", "pop_0_17"]


def fig_index(ctx: Context, t: dict[str, pd.DataFrame]) -> figures.Figure:
    from cscbook.chapters.since_figures import year_axis

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
    ax.set_ylabel(f"Index, {measures.year_label(ctx.first)} = 100")
    figures.label_ends(ax, ends)
    g = growth_table(ctx, t)
    top = g["Growth in count (%)"].idxmax()
    title = f"{top} grew most: {g.loc[top, 'Growth in count (%)']:+.0f}% from {measures.year_label(ctx.first)} to {measures.year_label(ctx.last)}"
    alt = "Line chart of national activity indexed to the first year. " + "; ".join(
        f"{labels[c]} ends at {idx[c].iloc[-1]:.0f}" for c in CHART_SERIES
    )
    data = idx.rename(columns=labels, index=measures.year_label).rename_axis("Year")
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
    ax.set_xlabel(f"Change {measures.year_label(ctx.first)} to {measures.year_label(ctx.last)} (%)")
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
        ax.plot(nat.index, nat.values, color=figures.MUTED, lw=1, ls="--")
        ax.plot(reg["year"], reg["rate"], color=colour, marker="o", ms=3)
        if region == hi_region:
            ax.plot(one.index, measures.rate(one, col), color=figures.HIGHLIGHT, lw=2, ls=":")
        ax.set_title(region, fontsize=9)
    for ax in axes.flat[len(regions) :]:
        ax.set_visible(False)
    from cscbook.chapters.since_figures import year_axis

    for ax in axes.flat[: len(regions)]:
        year_axis(ax, ctx.first, ctx.last)
    fig.supylabel("Per 10,000 children aged 0-17", fontsize=10)  # once, not on every row
    axes[0, 0].yaxis.set_major_locator(MaxNLocator(nbins=5))
    last = r[r["year"] == ctx.last].set_index("region")["rate"]
    title = f"{measures.SERIES[col]}: {last.idxmax()} has the highest rate, {last.max():.0f} per 10,000 in {measures.year_label(ctx.last)}"
    label = measures.SERIES[col]
    alt = f"Small multiples of the {label[0].lower() + label[1:]} rate by region, with England dashed. " + "; ".join(
        f"{k}: {v:.0f}" for k, v in last.items()
    )
    return figures.finish(fig, title, alt, ctx.source)


def highlight_sentence(ctx: Context, t: dict[str, pd.DataFrame]) -> str:
    """The highlighted authority's child protection plans over the period beside the national series,
    as Markdown (its name links to its profile)."""
    if not ctx.highlight:
        return "No authority is highlighted; set the highlight parameter to follow one on the charts."
    one = ctx.panel[ctx.panel["la_code"] == ctx.highlight].set_index("year")
    a, b = ctx.first, ctx.last
    if a not in one.index or b not in one.index or one.loc[[a, b], ["cpp_31mar", "pop_0_17"]].isna().any().any():
        return (
            f"{ctx.highlight_md}'s child protection plans are not known for both {measures.year_label(a)} and "
            f"{measures.year_label(b)} (missing or suppressed), so its change is not shown."
        )
    rates = measures.rate(one, "cpp_31mar")
    mine = measures.growth(one, "cpp_31mar", a, b)
    whole = measures.growth(t["counts"], "cpp_31mar", a, b)
    where = "England" if not ctx.p.region else ctx.scope
    return (
        f"In {ctx.highlight_md} the number of child protection plans changed by {mine:+.1f}% between "
        f"{measures.year_label(a)} and {measures.year_label(b)} ({where}: {whole:+.1f}%), and its rate went from "
        f"{rates[a]:.0f} to {rates[b]:.0f} per 10,000 children."
    )


def cin_split(ctx: Context, t: dict[str, pd.DataFrame]) -> dict[str, float]:
    c = t["counts"]
    return measures.population_rate_split(c["cin_31mar"], c["pop_0_17"], ctx.first, ctx.last)


#: The NAO's period (years ending 31 March).
NAO_START, NAO_END = reference.NAO_START, reference.NAO_END
#: A gap between the sum over authorities and England's published figure worth explaining.
GAP_SHARE = 0.005


def nao_rows(ctx: Context, t: dict[str, pd.DataFrame]) -> list[dict]:
    """Our growth figures beside the NAO's (2010-11 to 2017-18; other periods are marked n/a).

    The NAO quotes England totals, which include DfE's estimates for authorities that made no
    return. When the data carry England rows as published (official data), growth is taken from
    them and the sum over authorities goes in the Note; otherwise it is the sum over authorities.
    """
    nao_period = ctx.first <= NAO_START and ctx.last >= NAO_END and not ctx.p.region
    eng = england_rows(ctx)
    rows = []
    for col, key in NAO_GROWTH.items():
        if not nao_period:
            rows.append({"key": key, "ours": None, "reason": "the chapter's years or region differ from the NAO's"})
            continue
        la_sum = measures.growth(t["counts"], col, NAO_START, NAO_END)
        if eng is None:
            rows.append({"key": key, "ours": la_sum})
        elif _has(eng, col, NAO_START) and _has(eng, col, NAO_END):
            rows.append(_england_row(ctx, t, eng, col, key, la_sum))
        elif col == "pop_0_17":
            rows.append(_population_row(ctx, t, eng, key, la_sum))
        else:
            rows.append(_no_england_row(ctx, t, eng, col, key, la_sum))
    return rows


def england_rows(ctx: Context) -> pd.DataFrame | None:
    """England rows as published (year x count columns), or None when the data have none (synthetic)."""
    eng = ctx.prepared.england
    if eng is None or not len(eng) or "year" not in eng.columns:
        return None
    out = eng.set_index(eng["year"].astype("int64")).drop(columns="year")
    return out.apply(pd.to_numeric, errors="coerce").astype("float64")


def _has(df: pd.DataFrame, col: str, year: int) -> bool:
    return col in df.columns and year in df.index and bool(pd.notna(df.loc[year, col]))


def _label(col: str) -> str:
    return {**measures.SERIES, **measures.POPULATION}[col].lower().replace("(31 march)", "").strip()


def _sum_gaps(ctx: Context, t: dict[str, pd.DataFrame], eng: pd.DataFrame, col: str) -> str:
    """Years where the authorities' sum falls short of England's figure, with the authorities missing."""
    out = []
    for y in (NAO_START, NAO_END):
        if not _has(eng, col, y) or y not in t["counts"].index:
            continue
        s, e = float(t["counts"].loc[y, col]), float(eng.loc[y, col])
        miss = nao_notes.missing_codes(ctx.prepared.flags, ctx.view, col, y)
        if miss and abs(s - e) >= GAP_SHARE * e:
            out.append(
                f"in {measures.year_label(y)} authorities sum to {s:,.0f} against England's {e:,.0f}: "
                f"no figure for {nao_notes.names(miss, ctx.view)}"
            )
    return nao_notes.join(out)


def _other_periods(eng: pd.DataFrame, col: str, key: str) -> str:
    """Whether another start or end year of the England rows gives the NAO's growth."""
    starts = [y for y in eng.index if y <= NAO_START + 1 and _has(eng, col, y)]
    ends = [y for y in eng.index if y >= NAO_END - 2 and _has(eng, col, y)]
    hits, tried = [], 0
    for a in starts:
        for b in ends:
            if (a, b) == (NAO_START, NAO_END) or b - a < 3:
                continue
            tried += 1
            g = measures.growth(eng, col, a, b)
            if nao_notes.within(key, g):
                hits.append(f"{measures.year_label(a)} to {measures.year_label(b)} ({g:+.1f}%)")
    theirs = reference.value(key)
    if hits:
        return (
            f"in the England rows the NAO's {theirs:+g}% appears to match {', '.join(hits)}, "
            "a different period from the one it states (not verified)"
        )
    if tried:
        span = f"{measures.year_label(min(starts))}-{measures.year_label(max(starts))}"
        return (
            f"no other start ({span}) or end year in the England rows gives the NAO's {theirs:+g}%; "
            "its measure appears to differ (not verified)"
        )
    return ""


def _england_row(
    ctx: Context, t: dict[str, pd.DataFrame], eng: pd.DataFrame, col: str, key: str, la_sum: float
) -> dict:
    a, b = float(eng.loc[NAO_START, col]), float(eng.loc[NAO_END, col])
    g = (b / a - 1) * 100
    parts = [
        f"England rows as published, {a:,.0f} to {b:,.0f} (they include DfE's estimates for authorities "
        "that made no return)",
        f"sum over authorities {la_sum:+.1f}%" if np.isfinite(la_sum) else "",
        _sum_gaps(ctx, t, eng, col),
    ]
    if not nao_notes.within(key, g):
        parts.append(_other_periods(eng, col, key))
    return {"key": key, "ours": g, "reason": nao_notes.join(parts)}


def _no_england_row(
    ctx: Context, t: dict[str, pd.DataFrame], eng: pd.DataFrame, col: str, key: str, la_sum: float
) -> dict:
    """A series the England rows lack in the NAO's first or last year: say where it stops and why."""
    label = _label(col)
    gone = [y for y in (NAO_START, NAO_END) if not _has(eng, col, y)]
    parts = [f"the England rows have no {label} for {' or '.join(measures.year_label(y) for y in gone)}"]
    for y in gone:
        miss = nao_notes.missing_codes(ctx.prepared.flags, ctx.view, col, y)
        n = ctx.view.loc[ctx.view["year"] == y, "la_code"].nunique()
        if miss:
            who = f"any of the {n} authorities" if len(miss) == n else f"{len(miss)} of {n} authorities"
            parts.append(f"nor has {who} in {measures.year_label(y)}")
    rules = [f"rule {r}: {txt.rstrip('.')}" for r, txt in ctx.prepared.meta.get("rules", {}).items() if col in txt]
    parts.extend(rules)
    have = [y for y in eng.index if NAO_START <= y <= NAO_END and _has(eng, col, y)]
    if _has(eng, col, NAO_START) and len(have) > 1:
        last = max(have)
        g = measures.growth(eng, col, NAO_START, last)
        parts.append(
            f"in the England rows it grew {g:+.1f}% from {measures.year_label(NAO_START)} to "
            f"{measures.year_label(last)}, the last year with a figure, against the NAO's "
            f"{reference.value(key):+g}% to {measures.year_label(NAO_END)}"
            + ("" if nao_notes.within(key, g) else "; the NAO's figure appears to be another measure (not verified)")
        )
    ours = la_sum if np.isfinite(la_sum) else None
    return {"key": key, "ours": ours, "reason": nao_notes.join(parts)}


def _population_row(ctx: Context, t: dict[str, pd.DataFrame], eng: pd.DataFrame, key: str, la_sum: float) -> dict:
    """Population growth when the England rows lack the first year: the sum over authorities, and
    what the back-derived early years (rule Y-POP) and the missing authorities do to it."""
    col, a, b = "pop_0_17", NAO_START, NAO_END
    flags, view = ctx.prepared.flags, ctx.view
    gone = [measures.year_label(y) for y in (a, b) if not _has(eng, col, y)]
    parts = [f"the England rows have no population for {' or '.join(gone)}, so the sum over authorities is used"]
    derived = nao_notes.flagged_codes(flags, col, a, "Y-POP")
    if derived:
        early = sorted({int(y) for y in flags.loc[(flags["rule"] == "Y-POP") & (flags["column"] == col), "year"]})
        parts.append(
            f"for {len(derived)} authorities the population in {', '.join(measures.year_label(y) for y in early)} "
            "is back-derived as CIN count x 10,000 / DfE's published CIN rate (rule Y-POP)"
        )
    miss = nao_notes.missing_codes(flags, view, col, a)
    wide = view.pivot_table(index="la_code", columns="year", values=col, aggfunc="first").astype("float64")
    both = wide[[a, b]].dropna().index if {a, b} <= set(wide.columns) else wide.index[:0]
    if miss and len(both):
        share = float(wide.loc[wide.index.isin(miss), b].sum() / wide[b].sum() * 100)
        lfl = float((wide.loc[both, b].sum() / wide.loc[both, a].sum() - 1) * 100)
        parts.append(
            f"{nao_notes.names(miss, view)} have no {measures.year_label(a)} population (no CIN count to derive it "
            f"from) and hold {share:.1f}% of children in {measures.year_label(b)}; over the {len(both)} authorities "
            f"with both years growth is {lfl:+.1f}%"
        )
    years = [y for y in range(a, b + 1) if y in wide.columns]
    full = wide[years].dropna()
    if len(full) > 0 and len(years) > 3:
        tot = full.sum()
        steps = (tot / tot.shift(1) - 1).dropna() * 100
        big = int(steps.idxmax())
        rest = float(steps.drop(big).median())
        if steps[big] > 2 * max(rest, 0.1):
            parts.append(
                f"for the {len(full)} authorities with every year the total rises {steps[big]:+.1f}% from "
                f"{measures.year_label(big - 1)} to {measures.year_label(big)}, against a median {rest:+.1f}% a year "
                f"otherwise, so DfE's {measures.year_label(big - 1)} rates appear to use an older population "
                "estimate than later years (not verified)"
            )
        else:
            parts.append(
                f"for the {len(full)} authorities with every year the yearly change runs from {steps.min():+.1f}% "
                f"to {steps.max():+.1f}%, with no break where the back-derived years meet the ONS estimates"
            )
        if _has(eng, col, b):
            scaled = float(tot[a] * eng.loc[b, col] / tot[b])
            implied = float(eng.loc[b, col]) / (1 + reference.value(key) / 100)
            parts.append(
                f"scaled to England's {measures.year_label(b)} figure the back-derived {measures.year_label(a)} "
                f"population is {scaled:,.0f}, {(scaled / implied - 1) * 100:+.1f}% from the {implied:,.0f} the "
                f"NAO's {reference.value(key):+g}% implies"
            )
    if _has(eng, "cin_31mar", a) and _has(eng, "cin_rate", a) and _has(eng, col, b):
        imp = float(eng.loc[a, "cin_31mar"] * measures.PER / eng.loc[a, "cin_rate"])
        parts.append(
            f"the England rows' CIN count and rate imply {imp:,.0f} children in {measures.year_label(a)}, "
            f"growth {(float(eng.loc[b, col]) / imp - 1) * 100:+.1f}%"
        )
    else:
        parts.append(
            "the England rows carry no CIN rate, so the England population implied by DfE's England count and "
            "rate is not checked here"
        )
    ours = la_sum if np.isfinite(la_sum) else None
    return {"key": key, "ours": ours, "reason": nao_notes.join(parts)}


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
    candidates: pd.DataFrame  # the definitions declared for the NAO's figures
    since: since.Since  # the finding carried past 2017-18
    fig_index: figures.Figure
    fig_rates: figures.Figure
    fig_regions_cpp: figures.Figure
    fig_regions_cla: figures.Figure


def results(ctx: Context) -> Results:
    """Everything the chapter shows, computed once."""
    t = tables(ctx)
    cand = candidates.assess(ctx, ["cin_growth", "pop_growth", "cla16_growth"])
    return Results(
        tables=t,
        growth=growth_table(ctx, t),
        cin_split=cin_split(ctx, t),
        highlight_sentence=highlight_sentence(ctx, t),
        nao=chapter.nao_comparison(candidates.apply(ctx, nao_rows(ctx, t), cand)),
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
    ctx.glue("first", measures.year_label(ctx.first))
    ctx.glue("last", measures.year_label(ctx.last))
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
    ctx.glue("r_cla16", g.loc[measures.SERIES["cla_16plus"], rate], "{:+.1f}%")
    ctx.glue("g_icpc", g.loc[measures.SERIES["icpcs"], count], "{:+.1f}%")
    ctx.glue("r_icpc", g.loc[measures.SERIES["icpcs"], rate], "{:+.1f}%")
    ctx.glue("g_pop", measures.growth(counts, "pop_0_17", ctx.first, ctx.last), "{:+.1f}%")
    ctx.glue("n_ref_last", counts.loc[ctx.last, "referrals"], "{:,.0f}")
    ctx.glue("cin_pop_share", res.cin_split["population_share"], "{:.0f}%")
    ctx.glue("cin_rate_share", 100 - res.cin_split["population_share"], "{:.0f}%")
    ctx.glue("cin_change", res.cin_split["change"], "{:+,.0f}")
    ctx.glue_md("highlight_sentence", res.highlight_sentence)
    ctx.glue_figure("fig-demand-index", res.fig_index)
    ctx.glue_figure("fig-demand-rates", res.fig_rates)
    ctx.glue_table("tbl-demand-growth", ctx.table(g, "growth"))
    ctx.glue_figure("fig-demand-regions-cpp", res.fig_regions_cpp)
    ctx.glue_figure("fig-demand-regions-cla", res.fig_regions_cla)
    ctx.glue_table("tbl-demand-counts", ctx.table(labelled(counts), "counts"))
    ctx.glue_table("tbl-demand-rates", ctx.table(labelled(res.tables["rates"]), "rates"))
    ctx.glue_table("tbl-demand-index", ctx.table(labelled(res.tables["index"]), "index"))
    ctx.glue_table("tbl-demand-nao", chapter.comparison_table(ctx, res.nao, "demand_nao_pass", "demand_nao_rows"))
    cand_table, cand_text = candidates.tables(ctx, res.candidates)
    ctx.glue_table("tbl-demand-candidates", cand_table)
    ctx.glue_md("demand_candidates_text", cand_text)
    ctx.glue("since_last", res.since.last)
    ctx.glue_md("demand_since_text", res.since.text)
    ctx.glue("demand_now", res.since.headline)
    ctx.glue_figure("fig-demand-since", res.since.fig)
    # the home page's chart: demand since 2017-18 on the official data, else the NAO period's index
    ctx.glue_figure("home_chart", res.fig_index if isinstance(res.since.fig, str) else res.since.fig)
    ctx.glue_table("tbl-demand-since", since.shown(ctx, res.since))
