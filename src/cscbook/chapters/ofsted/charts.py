"""Spending against Ofsted: the figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from cscbook import contract
from cscbook.chapters.context import Context
from cscbook.chapters.ofsted.stats import CHANGE_OF, association_words, labels
from cscbook.present import figures


def fig_spend(ctx: Context, jf: pd.DataFrame, sp: dict) -> figures.Figure:
    """Spending per child by judgement: box and points, with the highlighted authority."""
    order = [x for x in labels(ctx) if x in set(jf["group"])]
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    figures.box_points(ax, jf, x="group", y="spend_pc", order=order, size=3.5)
    hit = jf[jf["la_code"] == ctx.highlight] if ctx.highlight else jf.iloc[0:0]
    if not hit.empty:
        figures.mark(ax, order.index(hit["group"].iloc[0]), hit["spend_pc"].iloc[0], "")  # named in the key
        figures.mark_key(ax, ctx.highlight_name)
    ax.set_yscale("log")
    ticks = [500, 750, 1000, 2000, 3000, 5000]
    ax.set_yticks(ticks, [f"£{t:,}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel(f"Latest overall Ofsted judgement as at 31 March {ctx.last}")
    ax.set_ylabel("Spending per child aged 0-17 (£, log scale)")
    med = jf.groupby("group")["spend_pc"].median().reindex(order)
    words = association_words(
        sp["lo"], sp["hi"], "better-rated authorities spend more", "better-rated authorities spend less"
    )
    title = (
        f"{words.capitalize()} between spending per child and Ofsted judgement "
        f"(rank correlation {sp['rho']:+.2f}, 95% CI {sp['lo']:+.2f} to {sp['hi']:+.2f})"
    )
    alt = (
        f"Box plots with one point per authority of spending per child in {contract.year_label(ctx.last)} by Ofsted "
        f"judgement in {ctx.scope}. Medians: "
        + "; ".join(f"{g} £{m:,.0f} ({(jf['group'] == g).sum()} authorities)" for g, m in med.items())
        + (
            f". {ctx.highlight_name}: {hit['group'].iloc[0]}, £{hit['spend_pc'].iloc[0]:,.0f}."
            if not hit.empty
            else "."
        )
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_change(ctx: Context, ch: pd.DataFrame, tests: pd.DataFrame) -> figures.Figure:
    """Later % change in the CPP and looked-after rates by the earlier judgement."""
    order = [x for x in labels(ctx) if x in set(ch["group"])]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=False)
    hit = ch[ch["la_code"] == ctx.highlight] if ctx.highlight else ch.iloc[0:0]
    for ax, (col, label) in zip(axes, CHANGE_OF.items()):
        y = f"{col}_change"
        d = ch.dropna(subset=[y])
        figures.box_points(ax, d, x="group", y=y, order=order, colour=figures.colours(2)[1])
        ax.axhline(0, color=figures.MUTED, lw=0.8)
        if not hit.empty and pd.notna(hit[y].iloc[0]):
            figures.mark(ax, order.index(hit["group"].iloc[0]), hit[y].iloc[0], "")  # named once, in the key
            figures.mark_key(ax, ctx.highlight_name)
        r = tests.loc[label.capitalize()]
        ax.set_title(
            f"{label.capitalize()}: rho {r['Spearman rho']:+.2f} ({r['CI low']:+.2f} to {r['CI high']:+.2f})",
            fontsize=9,
            loc="left",
        )
        ax.set_xlabel("Judgement at the start")
        ax.set_ylabel(f"Change to {contract.year_label(ctx.last)} (%)")
        ax.tick_params(axis="x", labelsize=8, labelrotation=15)
    none = all(r["CI low"] <= 0 <= r["CI high"] for _, r in tests.iterrows())
    title = (
        "Earlier Ofsted judgements do not indicate the later change in CPP or looked-after rates"
        if none
        else "An earlier Ofsted judgement is associated with a later change in at least one rate"
    )
    alt = (
        "Two panels of box plots with one point per authority: percentage change in the CPP rate and in the looked-after rate from the year of the judgement to the last year, by judgement. "
        + "; ".join(
            f"{label.lower()}: Spearman {r['Spearman rho']:+.2f} (95% CI {r['CI low']:+.2f} to {r['CI high']:+.2f}), Kruskal-Wallis p = {r['K-W p']:.2f}"
            for label, r in tests.iterrows()
        )
    )
    return figures.finish(fig, title, alt, ctx.source)
