"""Variation between authorities: the figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures, stats
from cscbook.chapters.context import Context
from cscbook.chapters.variation.funnel import expected_text, funnel_summary
from cscbook.chapters.variation.stats import (
    MEASURES,
    SHORT,
    distribution,
    england_rate,
    fmt_value,
    measures_frame,
    region_share,
    stability_words,
    wide,
)
from cscbook.present import figures


def fig_distributions(ctx: Context, cs: pd.DataFrame) -> figures.Figure:
    """Box and points for each of the four measures in the last year."""
    fig, axes = plt.subplots(1, 4, figsize=(10, 3.8))
    hi = ctx.highlight_row(cs)
    for ax, col in zip(axes, MEASURES):
        v = cs[col].dropna()
        figures.box_points(ax, y=v, width=0.45, size=2.5)
        keep = hi[col] if hi is not None and pd.notna(hi[col]) else None
        figures.clip_high(ax, v, cs["la_name"], keep=keep, fmt="£{:,.0f}" if "spend" in col else "{:,.0f}")
        if keep is not None:
            figures.mark(ax, 0, keep, "")
        ax.set_ylabel(MEASURES[col], fontsize=8)
        ax.set_title(SHORT[col].capitalize(), fontsize=9, loc="center")
        ax.set_xticks([])
    if hi is not None:
        figures.mark_key(axes[0], ctx.highlight_name)
    dist = distribution(cs)
    widest = dist["90th / 10th"].idxmax()
    title = (
        f"In {ctx.scope} in {contract.year_label(ctx.last)}, the {SHORT[_col_of(widest)]} at the 90th percentile "
        f"of authorities is {dist.loc[widest, '90th / 10th']:.1f} times that at the 10th"
    )
    alt = f"Four box plots with points, one per authority, for {contract.year_label(ctx.last)}. " + "; ".join(
        f"{SHORT[c]}: minimum {fmt_value(c, dist.loc[MEASURES[c], 'Minimum'])}, median "
        f"{fmt_value(c, dist.loc[MEASURES[c], 'Median'])}, maximum {fmt_value(c, dist.loc[MEASURES[c], 'Maximum'])}"
        for c in MEASURES
    )
    return figures.finish(fig, title, alt, ctx.source)


def _col_of(label: str) -> str:
    return {v: k for k, v in MEASURES.items()}[label]


def fig_ranked(ctx: Context, cs: pd.DataFrame, fun: pd.DataFrame) -> figures.Figure:
    """Authorities ordered by their CPP rate, each with the 95% interval of its rank, England's rate and the
    highlighted authority."""
    d = cs.dropna(subset=["cpp_rate"]).sort_values("cpp_rate").reset_index(drop=True)
    d["rank"] = np.arange(1, len(d) + 1)
    nat = england_rate(ctx, "cpp_31mar", ctx.last)
    fig, ax = plt.subplots(figsize=(9, 4.6))
    q1, q3 = d["cpp_rate"].quantile([0.25, 0.75])
    ax.axhspan(q1, q3, color=figures.MUTED, alpha=0.15, lw=0, label="Middle half of authorities")
    iv = fun.set_index("la_code")[["rank_lo", "rank_hi"]].reindex(d["la_code"])
    if ctx.p.n_boot and iv.notna().all().all():
        # the interval's places counted from the lowest rate, as the x-axis runs
        units = len(fun)
        ax.hlines(
            d["cpp_rate"],
            units + 1 - iv["rank_hi"].to_numpy(),
            units + 1 - iv["rank_lo"].to_numpy(),
            color=figures.colours(1)[0],
            alpha=0.35,
            lw=1.2,
            label="95% interval of its rank",
        )
    ax.scatter(d["rank"], d["cpp_rate"], s=14, color=figures.colours(1)[0], label="Authority")
    ax.axhline(nat, color="#444444", ls="--", lw=1, label=f"England {nat:.0f}")
    hi = ctx.highlight_row(d)
    if hi is not None:
        figures.mark(
            ax,
            hi["rank"],
            hi["cpp_rate"],
            f"{ctx.highlight_name}: ranked {len(d) + 1 - hi['rank']:.0f} of {len(d)} (1 = highest)",
        )
    for i in (0, len(d) - 1):
        ax.annotate(
            d.loc[i, "la_name"],
            (d.loc[i, "rank"], d.loc[i, "cpp_rate"]),
            xytext=(4 if i == 0 else -4, 8),
            textcoords="offset points",
            fontsize=7,
            ha="left" if i == 0 else "right",
            color="#444444",
        )
    ax.set_xlabel("Authorities ranked from lowest to highest rate")
    ax.set_ylabel("Child protection plans per 10,000 aged 0-17")
    ax.set_ylim(0, d["cpp_rate"].max() * 1.12)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    lo, top = d["cpp_rate"].iloc[0], d["cpp_rate"].iloc[-1]
    title = (
        f"Child protection plan rates run from {lo:.0f} to {top:.0f} per 10,000 in {contract.year_label(ctx.last)}; "
        f"the middle half lie between {q1:.0f} and {q3:.0f}"
    )
    alt = (
        f"Dot plot of {len(d)} authorities in {ctx.scope} ordered by their rate of child protection plans at 31 March "
        f"{ctx.last}, from {lo:.0f} ({d['la_name'].iloc[0]}) to {top:.0f} ({d['la_name'].iloc[-1]}) per 10,000; "
        f"England {nat:.0f}."
        + (
            f" {ctx.highlight_name} is ranked {len(d) + 1 - hi['rank']:.0f} (1 = highest) with {hi['cpp_rate']:.0f}."
            if hi is not None
            else ""
        )
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_regions(ctx: Context) -> figures.Figure:
    """CPP rates of every authority by region (all regions), with the chosen region and authority marked."""
    cs = measures_frame(ctx.panel[ctx.panel["year"] == ctx.last]).dropna(subset=["cpp_rate"])
    order = cs.groupby("region")["cpp_rate"].median().sort_values(ascending=False).index.tolist()
    fig, ax = plt.subplots(figsize=(9, 4.8))
    figures.box_points(ax, cs, y="region", x="cpp_rate", order=order, width=0.6)
    nat = england_rate(ctx, "cpp_31mar", ctx.last)
    ax.axvline(nat, color="#444444", ls="--", lw=1)
    ax.text(nat, -0.7, f" England {nat:.0f}", fontsize=8, color="#444444")
    hi = ctx.highlight_row(cs)
    if hi is not None:
        figures.mark(ax, hi["cpp_rate"], order.index(hi["region"]), ctx.highlight_name)
    if ctx.p.region:
        for lab in ax.get_yticklabels():
            if lab.get_text() == ctx.p.region:
                lab.set_fontweight("bold")
                lab.set_color(figures.HIGHLIGHT)
    ax.set_xlabel("Child protection plans per 10,000 aged 0-17")
    ax.set_ylabel("")
    share = region_share(cs)
    title = f"Regions account for {share:.0f}% of the variation in CPP rates between authorities; the rest is within regions"
    med = cs.groupby("region")["cpp_rate"].median()
    alt = (
        f"Box plots of authorities' CPP rates by region in {contract.year_label(ctx.last)}, England {nat:.0f}. "
        + "; ".join(f"{r}: median {med[r]:.0f}" for r in order)
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_stability(ctx: Context, stab: pd.DataFrame) -> figures.Figure:
    """Left: consecutive-year rank correlations by measure. Right: every authority's CPP rank by year."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4.4))
    consecutive = stab[~stab.index.str.startswith("First")]
    xs = [contract.year_label(int(i.split(" to ")[1][:4]) + 1) for i in consecutive.index]
    for colour, col in zip(figures.colours(len(MEASURES)), consecutive.columns):
        a1.plot(xs, consecutive[col], marker="o", ms=3, color=colour, label=SHORT[_col_of(col)].capitalize())
    a1.set_ylim(min(0.0, float(consecutive.min().min()) - 0.05), 1.02)
    a1.set_xlabel("Second year of the pair")
    a1.set_ylabel("Rank correlation with year before")
    a1.tick_params(axis="x", labelrotation=45, labelsize=8)
    a1.legend(frameon=False, fontsize=8, loc="lower left")
    frame = measures_frame(ctx.view)
    ranks = wide(frame, "cpp_rate").rank(axis=0, ascending=False)
    _rank_slopes(ctx, a2, ranks)
    cpp = MEASURES["cpp_rate"]
    first_last = stab.loc[stab.index.str.startswith("First"), cpp].iloc[0]
    mean = consecutive[cpp].mean()
    verdict = stability_words(mean)
    title = f"{verdict}: CPP rank correlation {mean:.2f} year to year, {first_last:.2f} first to last"
    alt = (
        "Left: line chart of Spearman rank correlations between consecutive years. "
        + "; ".join(
            f"{SHORT[_col_of(c)]}: mean {consecutive[c].mean():.2f}, first to last {stab.loc[stab.index.str.startswith('First'), c].iloc[0]:.2f}"
            for c in stab.columns
        )
        + f". Right: each authority's rank of CPP rate in {contract.year_label(ctx.first)} and in "
        + f"{contract.year_label(ctx.last)}, the three that rose and the three that fell furthest named"
        + (f", and {ctx.highlight_name} highlighted." if ctx.highlight in ranks.index else ".")
    )
    return figures.finish(fig, title, alt, ctx.source)


def _rank_slopes(ctx: Context, ax, ranks: pd.DataFrame, movers: int = 3) -> None:
    """Each authority's CPP rank in the first and the last year as one grey line, the largest movers
    either way named, and the highlighted authority drawn over them: a slope chart, not a line per year."""
    first, last = ctx.first, ctx.last
    both = ranks[[first, last]].dropna() if {first, last} <= set(ranks.columns) else ranks.iloc[:, [0, -1]].dropna()
    a, b = both.columns
    for _, row in both.iterrows():
        ax.plot([0, 1], [row[a], row[b]], color=figures.MUTED, lw=0.5, alpha=0.45)
    change = both[a] - both[b]  # positive: a higher rate, ranked nearer the top
    names = ctx.panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    named = list(change.nlargest(movers).index) + list(change.nsmallest(movers).index)
    up, _, down = figures.colours(3)  # neither near the highlight's vermilion
    ends = []
    for code, colour in zip(named, [up] * movers + [down] * movers):
        ax.plot([0, 1], [both.loc[code, a], both.loc[code, b]], color=colour, lw=1.6)
        way = "up" if change[code] > 0 else "down"
        ends.append((f"{names.get(code, code)} ({way} {abs(change[code]):.0f})", 1, both.loc[code, b], colour))
    if ctx.highlight in both.index:
        ax.plot([0, 1], both.loc[ctx.highlight, [a, b]], color=figures.HIGHLIGHT, lw=2.8)
        ends.append((ctx.highlight_name, 1, both.loc[ctx.highlight, b], figures.HIGHLIGHT))
    ax.set_ylim(len(ranks) + 2, -2)
    figures.label_ends(ax, ends, room=0.9, size=8)
    ax.set_xticks([0, 1], [contract.year_label(int(a)), contract.year_label(int(b))])
    ax.set_ylabel("Rank of CPP rate (1 = highest)")
    ax.grid(axis="x", visible=False)


def fig_funnel(ctx: Context, f: pd.DataFrame) -> figures.Figure:
    """Funnel plot of CPP rates against child population: exact binomial 95% and 99.8% limits around
    England's rate, and the 99.8% limits that allow for overdispersion."""
    theta = f.attrs["theta"]
    od: stats.Overdispersion = f.attrs["od"]
    grid = np.unique(np.round(np.geomspace(max(f["pop_0_17"].min() * 0.8, 100), f["pop_0_17"].max() * 1.2, 300)))
    fig, ax = plt.subplots(figsize=(9, 5))
    for cov, ls, lab in ((0.95, "--", "95% limits"), (0.998, ":", "99.8% limits")):
        lo, hi = stats.funnel_limits(theta, grid, cov)
        ax.plot(grid / 1000, hi * measures.PER, ls, color="#444444", lw=1, label=lab)
        ax.plot(grid / 1000, lo * measures.PER, ls, color="#444444", lw=1)
    if np.isfinite(od.phi):
        lo, hi = stats.funnel_limits_overdispersed(od, grid, 0.998)
        wide_c = figures.colours(3)[2]
        ax.plot(grid / 1000, hi * measures.PER, "-", color=wide_c, lw=1.4, label="99.8%, allowing for overdispersion")
        ax.plot(grid / 1000, lo * measures.PER, "-", color=wide_c, lw=1.4)
    ax.axhline(theta * measures.PER, color="#444444", lw=0.8)
    out = f["position"].str.contains("99.8")
    c = figures.colours(2)
    ax.scatter(f.loc[~out, "pop_0_17"] / 1000, f.loc[~out, "rate"], s=14, color=c[0], label="Within 99.8% limits")
    ax.scatter(
        f.loc[out, "pop_0_17"] / 1000, f.loc[out, "rate"], s=16, color=c[1], marker="D", label="Beyond 99.8% limits"
    )
    hi = ctx.highlight_row(f)
    if hi is not None:
        figures.mark(ax, hi["pop_0_17"] / 1000, hi["rate"], ctx.highlight_name)
    ax.set_xscale("log")
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500) if grid[0] / 1000 <= t <= grid[-1] / 1000]
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("Children aged 0-17 (thousands, log scale)")
    ax.set_ylabel("Child protection plans per 10,000 aged 0-17")
    # headroom above the highest point or limit, so that the key covers no authority
    ax.set_ylim(top=max(ax.get_ylim()[1], f["rate"].max()) * 1.3)
    ax.legend(frameon=False, fontsize=8, loc="upper right", ncol=2)
    s = funnel_summary(f)
    title = (
        f"{s['outside']} of {s['n']} authorities lie beyond the 99.8% limits, against {expected_text(s['expected'])} "
        f"expected by chance; {s['od_outside']} allowing for overdispersion"
    )
    alt = (
        f"Funnel plot of {s['n']} authorities' CPP rates in {contract.year_label(ctx.last)} against child population, "
        f"with 95% and 99.8% control limits around England's rate of {s['rate']:.0f} per 10,000. "
        f"{s['above']} lie above and {s['below']} below the 99.8% limits; allowing for overdispersion "
        f"(a between-authority standard deviation of {s['tau']:.0f} per 10,000), {s['od_above']} lie above and "
        f"{s['od_below']} below."
        + (f" {ctx.highlight_name}: {hi['rate']:.0f} per 10,000, {hi['position']}." if hi is not None else "")
    )
    return figures.finish(fig, title, alt, ctx.source)
