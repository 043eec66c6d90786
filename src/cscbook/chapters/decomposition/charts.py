"""The decomposition's figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from cscbook.analyse import models
from cscbook.chapters.context import Context
from cscbook.chapters.decomposition.fit import MAIN, OLS_SHAPLEY, Results, nao_shares, truth_comparable, truth_shares
from cscbook.chapters.decomposition.tables import _effect_unit, _interval_text, highlight_sentence
from cscbook.present import figures


def _stack(ax, rows: dict[str, dict[str, float]]) -> None:
    """Horizontal stacked bars, one per row, segments in component order, labelled with percentages."""
    pal = figures.colours(len(models.COMPONENTS))
    names = list(rows)[::-1]
    for y, name in enumerate(names):
        left = 0.0
        for c, k in zip(pal, models.COMPONENTS):
            w = rows[name][k]
            ax.barh(y, w, left=left, color=c, edgecolor="white", label=models.LABELS[k] if y == 0 else None)
            if w >= 5:
                ax.text(
                    left + w / 2,
                    y,
                    f"{w:.0f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=figures.text_colour(c),
                    fontweight="bold",
                )
            left += w
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, 100)


def fig_shares(ctx: Context, res: Results) -> figures.Figure:
    """Stacked shares (ours, the NAO's, the truth) and each share with its 95% interval."""
    ours = {k: 100 * res.main.shares[k] for k in models.COMPONENTS}
    nao = nao_shares()
    truth = truth_shares(ctx) if not truth_comparable(ctx, res) else None
    rows = {"This model": ours, "NAO (2019)": nao}
    if truth:
        rows["Generator's truth"] = truth
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 7.2), gridspec_kw={"height_ratios": [1, 1.2]})
    _stack(a1, rows)
    a1.set_xlabel("Share of variance in CPP rates (%)")
    a1.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.45, -0.25), ncol=3)
    pal = figures.colours(len(models.COMPONENTS))
    ys = np.arange(len(models.COMPONENTS))[::-1]
    for y, c, k in zip(ys, pal, models.COMPONENTS):
        lo, hi = 100 * res.ci.loc[k, "low"], 100 * res.ci.loc[k, "high"]
        if not np.isnan(lo):
            a2.plot([lo, hi], [y, y], color=c, lw=3, alpha=0.6, solid_capstyle="round")
        a2.plot(ours[k], y, "o", color=c, ms=7, label="This model" if k == "authority" else None)
        a2.plot(nao[k], y, "D", mfc="none", mec="black", ms=7, label="NAO" if k == "authority" else None)
        if truth:
            a2.plot(truth[k], y, "x", color="black", ms=7, label="Truth" if k == "authority" else None)
    a2.set_yticks(ys, [models.LABELS[k] for k in models.COMPONENTS])
    a2.set_xlabel("Share of variance (%), with 95% bootstrap interval")
    a2.legend(fontsize=8, frameon=False, loc="lower right")
    a2.set_xlim(0, max(70, 5 + 100 * np.nanmax(res.ci["high"].to_numpy(dtype=float), initial=0)))
    top = max(models.COMPONENTS, key=lambda k: ours[k])
    ci = _interval_text(res.ci.loc[top, "low"], res.ci.loc[top, "high"])
    title = f"{models.LABELS[top]} explain the largest share: {ours[top]:.0f}%" + (
        f" (95% interval {ci})" if ci != "—" else ""
    )
    title += f"; the NAO found {nao[top]:.0f}%"
    alt = (
        "Stacked bar chart of shares of variance in child protection plan rates, and a dot chart of each share with its interval. "
        + "; ".join(
            f"{models.LABELS[k]}: ours {ours[k]:.0f}% ({_interval_text(res.ci.loc[k, 'low'], res.ci.loc[k, 'high'])}), NAO {nao[k]:.0f}%"
            + (f", truth {truth[k]:.0f}%" if truth else "")
            for k in models.COMPONENTS
        )
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_robustness(ctx: Context, res: Results) -> figures.Figure:
    """Each share under every specification, with 95% intervals, in one dot chart."""
    fits = {MAIN: (res.main.shares, res.ci), **{k: (v.shares, res.variant_ci[k]) for k, v in res.variants.items()}}
    fits[OLS_SHAPLEY] = (res.orders.iloc[2].to_dict(), None)
    names = list(fits)
    fig, ax = plt.subplots(figsize=(8, 0.62 * len(names) + 1.6))
    pal = figures.colours(len(models.COMPONENTS))
    ys = np.arange(len(names))[::-1]
    offsets = np.linspace(0.28, -0.28, len(models.COMPONENTS))
    for c, off, k in zip(pal, offsets, models.COMPONENTS):
        for y, n in zip(ys, names):
            sh, ci = fits[n]
            if ci is not None and not np.isnan(ci.loc[k, "low"]):
                ax.plot([100 * ci.loc[k, "low"], 100 * ci.loc[k, "high"]], [y + off] * 2, color=c, lw=2, alpha=0.55)
            ax.plot(
                100 * sh[k],
                y + off,
                "o" if n != OLS_SHAPLEY else "s",
                color=c,
                ms=5,
                label=models.LABELS[k] if y == ys[0] else None,
            )
    for y in ys[:-1]:
        ax.axhline(y - 0.5, color="#dddddd", lw=0.8)
    ax.set_yticks(ys, names, fontsize=9)
    ax.set_ylim(-0.5, len(names) - 0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel("Share of variance in CPP rates (%), with 95% bootstrap interval")
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.4, -0.12), ncol=3)
    auth = {n: 100 * fits[n][0]["authority"] for n in names}
    title = f"The authority share ranges from {min(auth.values()):.0f}% to {max(auth.values()):.0f}% across {len(names)} specifications"
    alt = "Dot chart of the share of variance of each component under each specification. " + "; ".join(
        f"{n}: " + ", ".join(f"{models.LABELS[k]} {100 * fits[n][0][k]:.0f}%" for k in models.COMPONENTS) for n in names
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_orders(ctx: Context, res: Results) -> figures.Figure:
    """OLS shares by order of entry beside the mixed model."""
    rows = {n: {k: 100 * float(r[k]) for k in models.COMPONENTS} for n, r in res.orders.iterrows()}
    rows[MAIN] = {k: 100 * res.main.shares[k] for k in models.COMPONENTS}
    fig, ax = plt.subplots(figsize=(8, 3.8))
    _stack(ax, rows)
    ax.set_xlabel("Share of variance in CPP rates (%)")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.45, -0.22), ncol=5)
    o = 100 * res.orders
    title = (
        f"Entered first, authority dummies absorb deprivation: its share falls from {o.iloc[0]['deprivation']:.0f}% to "
        f"{o.iloc[1]['deprivation']:.0f}%"
    )
    alt = "Stacked bars of OLS shares by order of entry and of the mixed model. " + "; ".join(
        f"{n}: " + ", ".join(f"{models.LABELS[k]} {v:.0f}%" for k, v in r.items()) for n, r in rows.items()
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_effects(ctx: Context, res: Results) -> figures.Figure:
    """Caterpillar plot of the authority effects (random intercepts) with 95% intervals; the highlight marked."""
    eff = models.authority_effects(res.main)
    x = np.arange(1, len(eff) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.4))
    ax.vlines(x, eff["low"], eff["high"], color=figures.MUTED, lw=1)
    ax.plot(x, eff["effect"], "o", color=figures.colours(1)[0], ms=3)
    ax.axhline(0, color="black", lw=0.8)
    hit = eff.index[eff["la_code"] == ctx.highlight] if ctx.highlight else []
    for i in hit:
        r = eff.loc[i]
        ax.vlines(i + 1, r["low"], r["high"], color=figures.HIGHLIGHT, lw=2.5)
        ax.plot(i + 1, r["effect"], "o", color=figures.HIGHLIGHT, ms=8)
        ax.annotate(  # above the panel, over its place: never over another authority's interval
            ctx.highlight_name,
            (i + 1, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="right" if i > 0.7 * len(eff) else "left" if i < 0.3 * len(eff) else "center",
            va="bottom",
            color=figures.HIGHLIGHT,
            fontsize=9,
        )
    unit = _effect_unit(res)
    ax.set_xlabel("Authorities, ranked by estimated effect (1 = lowest)")
    ax.set_ylabel(f"Authority effect ({unit.removeprefix('on the ')})")
    clear = int(((eff["low"] > 0) | (eff["high"] < 0)).sum())
    title = f"{clear} of {len(eff)} authorities differ clearly from the average authority"
    if len(hit):
        title = f"{ctx.highlight_name} ranks {int(hit[0]) + 1} of {len(eff)}; {clear} authorities differ clearly from the average"
    alt = (
        f"Caterpillar plot of {len(eff)} estimated authority effects with 95% intervals, from {eff['effect'].min():+.2f} to "
        f"{eff['effect'].max():+.2f} {unit}; {clear} intervals exclude zero."
        + (f" {highlight_sentence(ctx, res)}" if ctx.highlight else "")
    )
    return figures.finish(fig, title, alt, ctx.source)
