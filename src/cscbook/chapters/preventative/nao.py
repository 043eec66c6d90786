"""The preventative shift beside the NAO's figures, and why a figure differs."""

from __future__ import annotations

import pandas as pd

from cscbook import contract
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context
from cscbook.chapters.preventative.centres import CentresResult, centres_note
from cscbook.chapters.preventative.spending import NAO_SHARE_YEARS, complete_spend, reproducing


def nao_rows(ctx: Context, shares: pd.DataFrame, r: CentresResult) -> list[dict]:
    """Our shares (chosen definition) and change in centres beside the NAO's figures."""
    k = ctx.p.definition
    rows = []
    for year, key in NAO_SHARE_YEARS.items():
        if ctx.p.region:
            rows.append(
                {"key": key, "ours": None, "reason": "the NAO's figure is for England; this run covers one region"}
            )
        elif year not in shares.index or pd.isna(shares.loc[year, k]):
            rows.append(
                {
                    "key": key,
                    "ours": None,
                    "reason": f"{contract.year_label(year)} is outside the chapter's years or has no spending data",
                }
            )
        else:
            ours = float(shares.loc[year, k])
            note = f"definition {k}"
            if not ctx.synthetic and not nao_notes.within(key, ours):
                note = nao_notes.join([note, share_note(ctx, shares, year, key)])
            rows.append({"key": key, "ours": ours, "reason": note})
    if ctx.p.region:
        rows.append(
            {
                "key": "centres_change",
                "ours": None,
                "reason": "the NAO's figure is for England; this run covers one region",
            }
        )
    elif not r.available:
        rows.append({"key": "centres_change", "ours": None, "reason": nao_notes.join([r.reason, centres_note(ctx)])})
    else:
        effect = "include 0 (no consequential increase)" if r.consistent else "exclude 0"
        rows.append(
            {
                "key": "centres_change",
                "ours": r.centres_last - r.centres_first,
                "reason": f"{contract.year_label(ctx.first)} to {contract.year_label(ctx.last)}; "
                f"CIs of the effect on CPP rates {effect}",
            }
        )
    return rows


def share_note(ctx: Context, shares: pd.DataFrame, year: int, key: str) -> str:
    """Why the chosen definition misses the NAO's share in ``year``: which definitions and which
    years of the chosen definition would match, and how many authorities the sums cover."""
    k = ctx.p.definition
    n = complete_spend(ctx.view[ctx.view["year"] == year])["la_code"].nunique()
    parts = [f"{shares.loc[year, k]:.1f}% over the {n} authorities with spending in every category"]
    others = [
        f"{d} ({shares.loc[year, d]:.1f}%)"
        for d in shares.columns
        if d != k and nao_notes.within(key, shares.loc[year, d])
    ]
    label = contract.year_label(year)
    if others:
        parts.append(f"in {label} the NAO's figure is matched by definition {', '.join(others)}")
    else:
        parts.append(f"no definition matches it in {label}")
    repro = reproducing(shares)
    if others and not repro:
        parts.append("but no single definition matches both of the NAO's years")
    hits = nao_notes.years_matching(shares[k].drop(year), key, "{:.1f}%")
    if hits:
        parts.append(f"definition {k} gives it in {', '.join(hits)}")
    parts.append(f"the NAO's bucket or year appears to differ from definition {k} in {label}")
    return nao_notes.join(parts)
