"""Variation between authorities: the funnel plot (exact binomial limits and limits allowing for
overdispersion), the authorities' ranks with intervals, what both say together, and the chapter's data
file ``variation.json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import measures, stats
from cscbook.chapters.context import Context
from cscbook.chapters.variation.stats import england_rate, measures_frame, wide


def funnel(ctx: Context, col: str = "cpp_31mar") -> pd.DataFrame:
    """Each authority's rate in the last year against England's, with its position in the funnel: against
    the exact binomial limits (``position``) and against the limits that allow for overdispersion
    (``position_od``); the estimate of overdispersion is in ``attrs["od"]``, how far the ranks can be told
    apart in ``attrs["ranks"]``."""
    d = ctx.view[(ctx.view["year"] == ctx.last) & ctx.view[col].notna()]
    n = d["pop_0_17"].astype("float64").to_numpy()
    x = d[col].astype("float64").to_numpy()
    theta = england_rate(ctx, col, ctx.last) / measures.PER
    out = stats.funnel_frame(x, n, theta, measures.PER)
    out.insert(0, "la_name", d["la_name"].values)
    out.insert(0, "la_code", d["la_code"].values)
    ranks = stats.rank_intervals(x, n, ctx.p.n_boot, ctx.p.boot_seed)
    out["rank"], out["rank_lo"], out["rank_hi"] = ranks["rank"].values, ranks["lo"].values, ranks["hi"].values
    out.attrs["ranks"] = stats.distinguishable(ranks)
    return out


def funnel_summary(f: pd.DataFrame) -> dict[str, float]:
    n = len(f)
    above = int((f["position"] == "above 99.8%").sum())
    below = int((f["position"] == "below 99.8%").sum())
    within95 = int((f["position"] == "within 95%").sum())
    od: stats.Overdispersion = f.attrs["od"]
    od_above = int((f["position_od"] == "above 99.8%").sum())
    od_below = int((f["position_od"] == "below 99.8%").sum())
    return {
        "n": n,
        "above": above,
        "below": below,
        "outside": above + below,
        "expected": 0.002 * n,
        "within95_share": within95 / n * 100 if n else float("nan"),
        "rate": f.attrs.get("theta", float("nan")) * measures.PER,
        "od_above": od_above,
        "od_below": od_below,
        "od_outside": od_above + od_below,
        "phi": od.phi,
        "tau": od.tau * measures.PER,
        "od_p": od.p,
    }


def expected_text(x: float) -> str:
    """An expected count for prose: one decimal, or two when it is below 0.1."""
    return f"{x:.1f}" if x >= 0.1 else f"{x:.2f}"


def funnel_verdict(s: dict[str, float]) -> str:
    """What the count beyond the 99.8% limits says, against the number chance would put there."""
    if not s["n"]:
        return "There are no authorities to plot."
    if s["outside"] <= max(1, 3 * s["expected"]):
        return "That is about what chance alone would give: the spread is consistent with random variation."
    return "Authorities differ by far more than chance would produce: most of the spread reflects real differences."


def reconcile_sentence(ctx: Context, f: pd.DataFrame) -> str:
    """How the funnel (most of the spread is more than chance) and the ranks (places shift from year to year)
    are both true, in the data's numbers: how far apart the middle authorities lie against the width of the
    band that chance alone gives, and how far authorities inside and beyond the limits moved in rank."""
    w = wide(measures_frame(ctx.view), "cpp_rate")
    years = sorted(w.columns)
    if len(years) < 2 or f.empty:
        return ""
    a, b = years[-2], years[-1]
    both = w[[a, b]].dropna()
    moved = (both[a].rank(ascending=False) - both[b].rank(ascending=False)).abs()
    pos = f.set_index("la_code")["position"].reindex(moved.index)
    inner, outer = moved[pos == "within 95%"], moved[pos.str.contains("99.8", na=False)]
    rates = f["rate"]
    middle = float(rates.quantile(0.75) - rates.quantile(0.25))
    band = float((f["hi_95"] - f["lo_95"]).median())
    text = (
        "The funnel and the ranks answer different questions. The funnel asks whether an authority differs "
        "from England; a rank, whether it differs from the authorities next to it. The middle half of "
        f"authorities lie within {middle:.0f} plans per 10,000 of each other, while chance alone moves a "
        f"typical authority's rate within a band {band:.0f} wide, so in the middle small changes reorder them."
    )
    if len(inner) and len(outer):
        text += (
            f" From {contract.year_label(a)} to {contract.year_label(b)}, authorities within the 95% limits "
            f"moved a median {inner.median():.0f} places and those beyond the 99.8% limits {outer.median():.0f}"
        )
        text += (
            ": the differences chance cannot explain are at the ends, the reordering in the middle."
            if inner.median() > outer.median()
            else ", so here even the authorities beyond the limits move as much as those inside them."
        )
    return text


#: The funnel frame's columns as the table and its CSV name them.
TABLE_COLUMNS = {
    "la_code": "Code",
    "la_name": "Authority",
    "pop_0_17": "Children aged 0-17",
    "count": "Child protection plans",
    "rate": "Rate per 10,000",
    "rank": "Rank (1 = highest)",
    "rank_lo": "Rank, 95% interval from",
    "rank_hi": "Rank, 95% interval to",
    "lo_95": "95% lower",
    "hi_95": "95% upper",
    "lo_998": "99.8% lower",
    "hi_998": "99.8% upper",
    "position": "Position",
    "lo_od_998": "99.8% lower, allowing for overdispersion",
    "hi_od_998": "99.8% upper, allowing for overdispersion",
    "position_od": "Position allowing for overdispersion",
}


def funnel_table(f: pd.DataFrame) -> pd.DataFrame:
    """The funnel plot's data with readable column names, highest rate first."""
    out = f.sort_values("rate", ascending=False)[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
    return out.reset_index(drop=True)


MEANING = {
    "within 95%": "within the 95% limits: its difference from England is consistent with chance",
    "above 95%": "above the 95% limits but within 99.8%: a possible signal, not a clear one",
    "below 95%": "below the 95% limits but within 99.8%: a possible signal, not a clear one",
    "above 99.8%": "above the 99.8% limits: higher than chance alone would explain",
    "below 99.8%": "below the 99.8% limits: lower than chance alone would explain",
}


def highlight_funnel_sentence(ctx: Context, f: pd.DataFrame) -> str:
    """Where the highlighted authority lies in the funnel plot and in the ranking, as Markdown (its name
    links to its profile)."""
    if not ctx.highlight:
        return ctx.unmarked
    r = ctx.highlight_row(f)
    if r is None:
        return f"{ctx.highlight_md} is not in the funnel plot (outside the region shown, or its count is suppressed)."
    od = r["position_od"]
    od_text = (
        "and beyond the wider limits that allow for overdispersion too"
        if "99.8" in od
        else "but within the wider 99.8% limits that allow for overdispersion"
    )
    text = (
        f"{ctx.highlight_md} ({r['rate']:.0f} per 10,000, {r['pop_0_17']:,.0f} children) lies {MEANING[r['position']]}"
    )
    text += f", {od_text}." if "99.8" in r["position"] else "."
    return text + f" It ranks {r['rank']:.0f} of {len(f)} (1 = highest){rank_interval_text(ctx, r)}."


def rank_interval_text(ctx: Context, r: pd.Series) -> str:
    if not ctx.p.n_boot:
        return ""
    return f", with a 95% interval from {r['rank_lo']:.0f} to {r['rank_hi']:.0f}"


def overdispersion_sentence(s: dict[str, float]) -> str:
    """What allowing for overdispersion does to the count beyond the limits."""
    if not s["n"] or not np.isfinite(s["phi"]):
        return ""
    head = (
        "Exact binomial limits assume every authority has England's underlying rate, so that chance alone "
        "separates them. Spiegelhalter's limits allow for overdispersion instead: the ordinary spread between "
        "authorities, estimated from the middle 80% of their z-scores, is added to chance. "
    )
    if s["tau"] == 0:
        return head + (
            f"Here the z-scores spread no more than chance gives (φ = {s['phi']:.2f}), so the two sets of limits "
            f"agree, and {s['od_outside']} of {s['n']} authorities lie beyond the 99.8% limits."
        )
    return head + (
        f"Here the squared z-scores average {s['phi']:.1f} where chance alone gives 1 (φ; between "
        f"authorities, a standard deviation of τ = {s['tau']:.0f} plans per 10,000). Against the wider 99.8% limits, "
        f"{s['od_outside']} of {s['n']} authorities stand out ({s['od_above']} above, {s['od_below']} below), "
        f"against {s['outside']} beyond the binomial limits: these are the authorities whose rates the ordinary "
        "spread between authorities does not explain."
    )


def rank_sentence(ctx: Context, f: pd.DataFrame) -> str:
    """How many ranks are really distinguishable, from the rank intervals."""
    if not ctx.p.n_boot or f.empty:
        return "This build draws no replicates, so the ranks are shown without intervals."
    d = f.attrs["ranks"]
    return (
        f"A rank is uncertain too. Redrawing every authority's count {ctx.p.n_boot} times from its own rate "
        f"gives each rank a 95% interval: the median interval spans {d['median_width']:.0f} places of "
        f"{d['units']}. {d['top']} authorities are placed with confidence in the highest quarter (their whole "
        f"interval within the top {d['quarter']}) and {d['bottom']} in the lowest; the other {d['middle']} "
        "cannot be placed with confidence in either."
    )


def write_json(ctx: Context, res, path: str = "variation.json") -> Path:
    """Write the funnel's overdispersion, the counts beyond each set of limits and every authority's rank
    with its interval to ``path`` in the working directory (beside the executed chapter); ``res`` is the
    chapter's ``Results``, with the funnel and its summary."""
    f, s = res.funnel, res.fs
    od: stats.Overdispersion = f.attrs["od"]
    rows = f[
        ["la_code", "la_name", "pop_0_17", "count", "rate", "rank", "rank_lo", "rank_hi", "position", "position_od"]
    ]
    out = {
        "chapter": "variation",
        "region": ctx.p.region or "England",
        "data": ctx.source,
        "year": contract.year_label(ctx.last),
        "measure": "child protection plans at 31 March per 10,000 children aged 0-17",
        "funnel": {
            "england_rate": round(s["rate"], 6),
            "method": "exact binomial limits; additive random-effects limits theta +/- z sqrt(s^2 + tau^2) "
            "(Spiegelhalter 2005), tau^2 from z-scores Winsorised at each end",
            "winsorised_share_each_end": od.winsor,
            "phi": round(od.phi, 6),
            "tau2_proportion": od.tau2,
            "tau_per_10000": round(s["tau"], 6),
            "p_no_overdispersion": od.p,
            "authorities": s["n"],
            "expected_beyond_998_by_chance": round(s["expected"], 6),
            "beyond_998_binomial": {"above": s["above"], "below": s["below"], "total": s["outside"]},
            "beyond_998_overdispersed": {"above": s["od_above"], "below": s["od_below"], "total": s["od_outside"]},
        },
        "ranks": {
            "method": "parametric bootstrap: each count drawn from a binomial on the authority's own rate",
            "n_boot": ctx.p.n_boot,
            "boot_seed": ctx.p.boot_seed,
            "level": stats.LEVEL,
            "summary": f.attrs["ranks"],
            "authorities": json.loads(rows.to_json(orient="records")),
        },
    }
    target = Path(path)
    target.write_text(json.dumps(_finite(out), indent=1, allow_nan=False) + "\n")
    return target


def _finite(x):
    """``x`` with every float that is not finite as None (a small region can leave phi undefined)."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x
