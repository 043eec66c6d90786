"""The preventative shift: the figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters.context import Context
from cscbook.chapters.preventative.centres import CentresResult
from cscbook.chapters.preventative.spending import (
    CATEGORY_LABELS,
    DEFINITIONS,
    NAO_SHARE_YEARS,
    authority_shares,
    category_changes,
    highlight_row,
    reproducing,
    words,
)
from cscbook.chapters.since_figures import year_axis
from cscbook.present import figures


def fig_spend(ctx: Context, nominal: pd.DataFrame, real: pd.DataFrame) -> figures.Figure:
    """Spending by category over time, nominal and real, side by side with a shared axis."""
    cats = [CATEGORY_LABELS[c] for c in measures.SOCIAL_CARE]
    fig = plt.figure(figsize=(9, 6.2))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 0.2])
    axes = [fig.add_subplot(grid[0, 0])]
    axes.append(fig.add_subplot(grid[0, 1], sharey=axes[0]))
    key_ax = fig.add_subplot(grid[1, :])
    pal = figures.colours(len(cats))
    prev_b = [CATEGORY_LABELS[k] for k in DEFINITIONS["B"].numerator]
    breaks = measures.breaks_within(ctx.prepared.meta, ctx.first, ctx.last)
    broken = {CATEGORY_LABELS.get(col.removeprefix("spend_")): int(b["year"]) for col, b in breaks.items()}
    for ax, t, name in zip(axes, [nominal, real], ["Nominal", "Real terms"]):
        for colour, c in zip(pal, cats):
            style = dict(ls="-" if c in prev_b else "--", color=colour, marker="o", ms=3)
            if c in broken:  # a declared break: two pieces, never joined across it
                ax.plot(t.index[t.index < broken[c]], t.loc[t.index < broken[c], c], **style, label=c)
                ax.plot(t.index[t.index >= broken[c]], t.loc[t.index >= broken[c], c], **style)
                ax.axvline(broken[c] - 0.5, color=colour, lw=0.8, ls=":")
                ax.annotate("reclassified", (broken[c] - 0.5, 1), xycoords=("data", "axes fraction"), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7, color=colour)  # fmt: skip
            else:
                ax.plot(t.index, t[c], **style, label=c)
        ax.set_title(name, fontsize=10, loc="right")  # the left of the top is the reclassification's
        year_axis(ax, int(t.index.min()), int(t.index.max()))
    axes[0].set_ylabel("Spending, £ million")
    axes[1].tick_params(labelleft=False)
    handles, labels = axes[0].get_legend_handles_labels()
    key_ax.axis("off")
    key_ax.legend(
        handles,
        labels,
        fontsize=9,
        frameon=False,
        loc="center",
        ncol=3,
        title="Solid lines: categories counted as preventative under definition B",
        title_fontsize=9,
    )
    ch = category_changes(nominal, real, ctx.first, ctx.last, breaks).loc[cats, "Real change (%)"]
    fell, rose = ch.idxmin(), ch.idxmax()  # a category across a break has no change and is never named here
    title = (
        f"Real-terms spending, {contract.year_label(ctx.first)} to {contract.year_label(ctx.last)}: "
        f"{fell} {ch[fell]:+.0f}%, {rose} {ch[rose]:+.0f}%"
    )
    alt = (
        "Two line charts of section 251 spending by category, nominal and real terms, in £ million. "
        "Solid lines are categories in preventative definition B, dashed lines the others. Real change: "
        + "; ".join(
            f"{c} {v:+.0f}%" if v == v else f"{c} not compared (reclassified; a gap in its line)" for c, v in ch.items()
        )
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_shares(ctx: Context, shares: pd.DataFrame) -> figures.Figure:
    """The national preventative share under each definition, with the NAO's two figures."""
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    pal = figures.colours(len(DEFINITIONS))
    for colour, k in zip(pal, DEFINITIONS):
        lw = 2.6 if k == ctx.p.definition else 1.3
        ax.plot(shares.index, shares[k], color=colour, marker="o", ms=3, lw=lw, label=f"Definition {k}")
    nao = {y: reference.value(key) for y, key in NAO_SHARE_YEARS.items()}
    ax.scatter(list(nao), list(nao.values()), marker="D", s=60, color="black", zorder=5, label="NAO (England)")
    if ctx.highlight:
        hi = authority_shares(ctx.panel[ctx.panel["la_code"] == ctx.highlight], ctx.p.definition).iloc[0]
        ax.plot(
            hi.index,
            hi.values,
            ":",
            color=figures.HIGHLIGHT,
            lw=2.5,
            label=f"{ctx.highlight_name} ({ctx.p.definition})",
        )
    year_axis(ax, ctx.first, ctx.last)
    ax.set_ylabel("Preventative share of spending\nexcluding CERA (%)")
    ax.legend(fontsize=9, frameon=False)
    k = ctx.p.definition
    repro = reproducing(shares) if not ctx.p.region else []
    verb = "reproduce" if len(repro) > 1 else "reproduces"
    lead = f"{words(repro)} {verb} the NAO's figures; " if not ctx.p.region else ""
    title = (
        f"{lead}under definition {k} the preventative share went from {shares[k].iloc[0]:.0f}% "
        f"to {shares[k].iloc[-1]:.0f}%"
    )
    title = title[0].upper() + title[1:]
    alt = (
        "Line chart of the preventative share of spending by year under definitions A, B and C, with the NAO's "
        f"{nao[2011]:.0f}% (2010-11) and {nao[2017]:.0f}% (2016-17) as diamonds. "
        + "; ".join(f"definition {c}: {shares[c].iloc[0]:.1f}% to {shares[c].iloc[-1]:.1f}%" for c in shares.columns)
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_change(ctx: Context, auth: pd.DataFrame) -> figures.Figure:
    """Histogram of the change in each authority's preventative share, with the highlighted authority marked."""
    ch = auth["share_change_pp"].dropna()
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    ax.hist(ch, bins=min(30, max(8, len(ch) // 5)), color=figures.colours(1)[0], edgecolor="white")
    ax.axvline(0, color=figures.MUTED, lw=1)
    ax.axvline(ch.median(), color="black", ls="--", lw=1.2, label=f"median {ch.median():+.1f} pp")
    hi = highlight_row(ctx)
    hi_txt = ""
    if hi is not None and pd.notna(hi["share_change_pp"]):
        ax.axvline(
            hi["share_change_pp"],
            color=figures.HIGHLIGHT,
            lw=2.5,
            ls=":",
            label=f"{ctx.highlight_name} {hi['share_change_pp']:+.1f} pp",
        )
        hi_txt = f" {ctx.highlight_name} is marked at {hi['share_change_pp']:+.1f} percentage points."
    ax.set_xlabel(
        f"Change in preventative share (definition {ctx.p.definition}), "
        f"{contract.year_label(ctx.first)} to {contract.year_label(ctx.last)} (percentage points)"
    )
    ax.set_ylabel("Number of authorities")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=9, frameon=False)
    fell = int((ch < 0).sum())
    title = f"The preventative share fell in {fell} of {len(ch)} authorities (median {ch.median():+.1f} points)"
    alt = (
        f"Histogram of the change in the preventative share across {len(ch)} authorities: minimum {ch.min():+.1f}, "
        f"median {ch.median():+.1f}, maximum {ch.max():+.1f} percentage points; {fell} fell.{hi_txt}"
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_centres(ctx: Context, auth: pd.DataFrame, r: CentresResult) -> figures.Figure:
    """Change in CPP rate against the percentage of centres lost, thirds coloured, with the fitted slope."""
    d = auth[["centres_change_pct", "cpp_rate_change"]].dropna()
    red = -d["centres_change_pct"]
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    c3 = figures.colours(3)
    groups = [
        ("bottom", red <= r.bottom_cut, c3[0]),
        ("middle", (red > r.bottom_cut) & (red < r.top_cut), figures.MUTED),
        ("top", red >= r.top_cut, c3[2]),
    ]
    for name, m, colour in groups:
        ax.scatter(
            red[m], d.loc[m, "cpp_rate_change"], s=18, color=colour, alpha=0.8, label=f"{name} third of reductions"
        )
    xs = np.linspace(red.min(), red.max(), 50)
    intercept = d["cpp_rate_change"].mean() - r.slope / 10 * red.mean()
    ax.plot(xs, intercept + r.slope / 10 * xs, color="black", lw=1.2, label=f"OLS slope {r.slope:+.2f} per 10 pp")
    ax.axhline(0, color=figures.MUTED, lw=0.8)
    hi = highlight_row(ctx)
    if hi is not None and pd.notna(hi["centres_change_pct"]) and pd.notna(hi["cpp_rate_change"]):
        ax.scatter(
            [-hi["centres_change_pct"]],
            [hi["cpp_rate_change"]],
            s=220,
            marker="*",
            color=figures.HIGHLIGHT,
            edgecolor="black",
            zorder=5,
            label=ctx.highlight_name,
        )
    span = f"{contract.year_label(ctx.first)} to {contract.year_label(ctx.last)}"
    ax.set_xlabel(f"Children's centres lost, {span} (% of first-year count)")
    ax.set_ylabel("Change in CPP rate (per 10,000 aged 0-17)")
    ax.legend(fontsize=9, frameon=False)
    lead = "No clear link" if r.consistent else "A link"
    title = (
        f"{lead}: the third losing most centres differ by {r.diff:+.1f} per 10,000 in CPP change "
        f"(95% CI {r.diff_lo:+.1f} to {r.diff_hi:+.1f})"
    )
    alt = (
        f"Scatter of {r.n} authorities: percentage of children's centres lost against the change in the child "
        f"protection plan rate per 10,000. Top third mean change {r.mean_top:+.1f}, bottom third {r.mean_bottom:+.1f}; "
        f"fitted slope {r.slope:+.2f} per 10 percentage points (95% CI {r.slope_lo:+.2f} to {r.slope_hi:+.2f})."
    )
    return figures.finish(fig, title, alt, ctx.source)
