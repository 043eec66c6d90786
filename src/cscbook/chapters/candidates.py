"""The candidate definitions of the NAO's figures (``data/reference/candidates.csv``) on a chapter's data: an
exploratory table (each definition's value and its distance from the NAO's figure, and how many were tried),
a sentence per figure saying whether it is identified, consistent with some definitions, or not reproduced,
and a note on each comparison row. A candidate never changes the value or the result a row scores."""

from __future__ import annotations

import math

import pandas as pd

from cscbook import reference
from cscbook.analyse import candidates, measures
from cscbook.chapters.context import Context

#: The columns of the table shown in the chapter (one row per candidate; the figure named on its first row).
SHOWN = ["Figure (NAO)", "#", "Definition", "Ours", "Distance from the NAO", "Reproduces"]


def assess(ctx: Context, groups: list[str]) -> pd.DataFrame:
    """Every candidate of ``groups`` evaluated on the chapter's whole panel (all years and regions)."""
    panel, england = ctx.prepared.panel, ctx.prepared.england
    return pd.concat([candidates.assess(g, panel, england) for g in groups], ignore_index=True)


def shown(cand: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate: its values in the form of the NAO's figures, how far they are from them, and
    whether they reproduce them."""
    rows, seen = [], set()
    for (group, order), c in cand.groupby(["group", "order"], sort=False):
        first = group not in seen
        seen.add(group)
        rows.append(
            {
                "Figure (NAO)": f"{c['figure'].iloc[0]} (NAO: {_values(c, 'published')}; {int(c['tried'].iloc[0])} tried)"
                if first
                else "",
                "#": int(order),
                "Definition": c["definition"].iloc[0],
                "Ours": _values(c, "ours"),
                "Distance from the NAO": _distance(c),
                "Reproduces": "yes" if c["reproduces"].iloc[0] else "no",
            }
        )
    return pd.DataFrame(rows, columns=SHOWN)


def _distance(c: pd.DataFrame) -> str:
    """'+1.2 pp', '-3 per 10,000 and +0 per 10,000', '—' where there is no value."""
    out = []
    for k, d in zip(c["key"], c["distance"]):
        if not math.isfinite(d):
            out.append("—")
            continue
        unit = reference.published().loc[k, "unit"]
        out.append(f"{d:+.1f} pp" if unit == "percent" else f"{d:+,.0f}" + (" per 10,000" if "10000" in unit else ""))
    return " and ".join(out)


def _values(c: pd.DataFrame, col: str) -> str:
    """'300 to 1,342 per 10,000' for a range, '41.7% and 25.2%' for two years, '+2.5%' for a growth."""
    parts = [measures.fmt_figure(k, v) if math.isfinite(v) else "—" for k, v in zip(c["key"], c[col])]
    if len(parts) == 2 and c["key"].iloc[0].endswith("_min"):
        unit = " per 10,000"
        if all(p.endswith(unit) for p in parts):
            return f"{parts[0].removesuffix(unit)} to {parts[1]}"
        return " to ".join(parts)
    return " and ".join(parts)


def _ends(c: pd.DataFrame) -> str:
    """' (Westminster to Blackpool)': the authorities at the ends of a range, from the candidate's detail."""
    if not c["key"].iloc[0].endswith("_min"):
        return ""
    who = [str(d).split(";")[0].strip() for d in c["detail"]]
    return f" ({who[0]} to {who[-1]})" if all(who) else ""


def sentence(cand: pd.DataFrame, group: str) -> str:
    """Whether the NAO's figure is identified (one definition gives both its numbers), consistent with some of
    the definitions tried (one number), or not reproduced, with how many were tried."""
    g = cand[cand["group"] == group]
    n = int(g["order"].nunique())
    figure = g["figure"].iloc[0]
    nao = _values(g[g["order"] == g["order"].min()], "published")
    state, hit = candidates.status(cand, group)
    if state == candidates.IDENTIFIED:
        c = hit[hit["order"] == hit["order"].min()]
        more = hit["order"].nunique() - 1
        also = (
            f" ({more} other definition{'s' if more > 1 else ''} tried give{'' if more > 1 else 's'} the same)"
            if more
            else ""
        )
        return (
            f"{figure}: identified. Of the {n} definitions tried, {measures.lower_first(c['definition'].iloc[0])} "
            f"gives {_values(c, 'ours')}{_ends(c)}, both of the NAO's numbers ({nao}) to their rounding{also}."
        )
    if state == candidates.CONSISTENT:
        which = [f"{measures.lower_first(d)} ({_values(x, 'ours')})" for d, x in hit.groupby("definition", sort=False)]
        return (
            f"{figure}: consistent with {len(which)} of the {n} definitions tried ({'; '.join(which)}). One "
            f"number ({nao}) cannot tell them apart, so the definition is not identified."
        )
    near = _nearest(g)
    return (
        f"{figure}: not reproduced. None of the {n} definitions tried gives the NAO's {nao} to its rounding; "
        f"the nearest is {measures.lower_first(near['definition'].iloc[0])} ({_values(near, 'ours')})."
    )


def _nearest(g: pd.DataFrame) -> pd.DataFrame:
    gap = (g["ours"] - g["published"]).abs() / g["published"].abs()
    worst = gap.groupby(g["order"]).max().dropna()
    return g[g["order"] == (worst.idxmin() if len(worst) else g["order"].min())]


def apply(ctx: Context, rows: list[dict], cand: pd.DataFrame) -> list[dict]:
    """The comparison rows as scored, each with a note on what the definitions explored found for its figure
    (on the official statistics to 2017-18, where the NAO's figures apply). A row's value never changes."""
    if ctx.synthetic or ctx.p.region or ctx.last != reference.NAO_END:  # the NAO's figures are for England to 2017-18
        return rows
    out = []
    for row in rows:
        g = cand[cand["key"] == row["key"]]
        if g.empty:
            out.append(row)
            continue
        state, hit = candidates.status(cand, g["group"].iloc[0])
        n = int(g["order"].nunique())
        note = {
            candidates.IDENTIFIED: f"identified among {n} definitions explored (see below)",
            candidates.CONSISTENT: f"consistent with {hit['order'].nunique()} of {n} definitions explored (see below)",
            candidates.NOT_REPRODUCED: f"none of {n} definitions explored reproduces it (see below)",
        }[state]
        out.append({**row, "reason": "; ".join(p for p in (row.get("reason", ""), note) if p)})
    return out


def tables(ctx: Context, cand: pd.DataFrame) -> tuple:
    """The table of candidates for display (written as ``<chapter>_candidates.csv``, one row per candidate
    and published figure, beside the shown table) and one sentence per figure as a Markdown list."""
    ctx.table(cand, "candidates", index=False)
    text = "\n".join(f"- {sentence(cand, g)}" for g in dict.fromkeys(cand["group"]))
    return ctx.table(shown(cand), "candidates_shown", index=False), text
