"""The candidate definitions of the NAO's figures (``data/reference/candidates.csv``) on a chapter's data:
the table of candidates, a sentence per figure, and the comparison rows that use the candidate that
reproduces the NAO's figure (on the official statistics; synthetic England keeps its calibrated rows)."""

from __future__ import annotations

import math

import pandas as pd

from cscbook.analyse import candidates, measures, reference
from cscbook.chapters.context import Context

#: The columns of the table shown in the chapter (one row per candidate; the figure named on its first row).
SHOWN = ["Figure (NAO)", "#", "Definition", "Ours", "Reproduces", "Used"]


def assess(ctx: Context, groups: list[str]) -> pd.DataFrame:
    """Every candidate of ``groups`` evaluated on the chapter's whole panel (all years and regions)."""
    panel, england = ctx.prepared.panel, ctx.prepared.england
    return pd.concat([candidates.assess(g, panel, england) for g in groups], ignore_index=True)


def shown(cand: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate: its values in the form of the NAO's figures, and whether it reproduces them."""
    rows, seen = [], set()
    for (group, order), c in cand.groupby(["group", "order"], sort=False):
        first = group not in seen
        seen.add(group)
        rows.append(
            {
                "Figure (NAO)": f"{c['figure'].iloc[0]} (NAO: {_values(c, 'published')})" if first else "",
                "#": int(order),
                "Definition": c["definition"].iloc[0],
                "Ours": _values(c, "ours"),
                "Reproduces": "yes" if c["reproduces"].iloc[0] else "no",
                "Used": "used" if c["used"].iloc[0] else "",
            }
        )
    return pd.DataFrame(rows, columns=SHOWN)


def _values(c: pd.DataFrame, col: str) -> str:
    """'300 to 1,342 per 10,000' for a range, '41.7% and 25.2%' for two years, '+2.5%' for a growth."""
    parts = [measures.fmt_figure(k, v) if math.isfinite(v) else "—" for k, v in zip(c["key"], c[col])]
    if len(parts) == 2 and c["key"].iloc[0].endswith("_min"):
        unit = " per 10,000"
        if all(p.endswith(unit) for p in parts):
            return f"{parts[0].removesuffix(unit)} to {parts[1]}"
        return " to ".join(parts)
    return " and ".join(parts)


def sentence(cand: pd.DataFrame, group: str) -> str:
    """How many declared definitions reproduce the figure, and which one is used (or the nearest, when none)."""
    g = cand[cand["group"] == group]
    per = g.groupby("order", sort=True)
    n, ok = per.ngroups, int(per["reproduces"].first().sum())
    figure, nao = g["figure"].iloc[0], _values(g[g["order"] == g["order"].min()], "published")
    if ok:
        use = g[g["used"]]
        return (
            f"{figure}: {ok} of the {n} definitions declared reproduce the NAO's {nao} to its rounding; the first "
            f"in declared order is used: {measures.lower_first(use['definition'].iloc[0])} ({_values(use, 'ours')})."
        )
    near = _nearest(g)
    return (
        f"{figure}: none of the {n} definitions declared reproduces the NAO's {nao} to its rounding, so the "
        f"figure is not reproduced here; the nearest is {measures.lower_first(near['definition'].iloc[0])} "
        f"({_values(near, 'ours')})."
    )


def _nearest(g: pd.DataFrame) -> pd.DataFrame:
    gap = (g["ours"] - g["published"]).abs() / g["published"].abs()
    worst = gap.groupby(g["order"]).max().dropna()
    return g[g["order"] == (worst.idxmin() if len(worst) else g["order"].min())]


def apply(ctx: Context, rows: list[dict], cand: pd.DataFrame) -> list[dict]:
    """The comparison rows with, on the official statistics, the value of the candidate used for each key
    that has one, and the definitions tried named in every row with candidates."""
    if ctx.synthetic or ctx.p.region or ctx.last != reference.NAO_END:  # the NAO's figures are for England to 2017-18
        return rows
    out = []
    for row in rows:
        g = cand[cand["key"] == row["key"]]
        if g.empty:
            out.append(row)
            continue
        n, use = g["order"].nunique(), g[g["used"]]
        tried = f"{n} definitions declared in data/reference/candidates.csv"
        if len(use):
            note = f"definition used: {measures.lower_first(use['definition'].iloc[0])}, the first of {tried} to reproduce the NAO's figures"
            out.append({**row, "ours": float(use["ours"].iloc[0]), "reason": note})
        else:
            note = f"none of the {tried} reproduces the NAO's figures to their rounding"
            out.append({**row, "reason": "; ".join(p for p in (row.get("reason", ""), note) if p)})
    return out


def tables(ctx: Context, cand: pd.DataFrame) -> tuple:
    """The table of candidates for display (written as ``<chapter>_candidates.csv``, one row per candidate
    and published figure, beside the shown table) and one sentence per figure as a Markdown list."""
    ctx.table(cand, "candidates", index=False)
    text = "\n".join(f"- {sentence(cand, g)}" for g in dict.fromkeys(cand["group"]))
    return ctx.table(shown(cand), "candidates_shown", index=False), text
