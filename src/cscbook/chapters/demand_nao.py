"""The demand chapter's comparison with the NAO: growth from 2010-11 to 2017-18 in each series, taken from
DfE's England rows where the data carry them, with the sum over authorities and what it lacks in the Note."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context
from cscbook.contract import POP_PUBLISHED

NAO_GROWTH = {  # series -> key of the NAO's growth figure
    "referrals": "referrals_growth",
    "s47_enquiries": "s47_growth",
    "cpp_31mar": "cpp_growth",
    "cin_31mar": "cin_growth",
    "cla_31mar": "cla_growth",
    "cla_16plus": "cla16_growth",
    "pop_0_17": "pop_growth",
}
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
        elif has_figure(eng, col, NAO_START) and has_figure(eng, col, NAO_END):
            rows.append(_england_row(ctx, t, eng, col, key, la_sum))
        elif col == "pop_0_17":
            rows.append(_population_row(ctx, eng, key))
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


def has_figure(df: pd.DataFrame, col: str, year: int) -> bool:
    """Whether ``df`` (years x columns) holds a figure for ``col`` in ``year``."""
    return col in df.columns and year in df.index and bool(pd.notna(df.loc[year, col]))


def _label(col: str) -> str:
    return {**measures.SERIES, **measures.POPULATION}[col].lower().replace("(31 march)", "").strip()


def _sum_gaps(ctx: Context, t: dict[str, pd.DataFrame], eng: pd.DataFrame, col: str) -> str:
    """Years where the authorities' sum falls short of England's figure, with the authorities missing."""
    out = []
    for y in (NAO_START, NAO_END):
        if not has_figure(eng, col, y) or y not in t["counts"].index:
            continue
        s, e = float(t["counts"].loc[y, col]), float(eng.loc[y, col])
        miss = nao_notes.missing_codes(ctx.prepared.flags, ctx.view, col, y)
        if miss and abs(s - e) >= GAP_SHARE * e:
            out.append(
                f"in {contract.year_label(y)} authorities sum to {s:,.0f} against England's {e:,.0f}: "
                f"no figure for {nao_notes.names(miss, ctx.view)}"
            )
    return nao_notes.join(out)


def _other_periods(eng: pd.DataFrame, col: str, key: str) -> str:
    """Whether another start or end year of the England rows gives the NAO's growth."""
    starts = [y for y in eng.index if y <= NAO_START + 1 and has_figure(eng, col, y)]
    ends = [y for y in eng.index if y >= NAO_END - 2 and has_figure(eng, col, y)]
    hits, tried = [], 0
    for a in starts:
        for b in ends:
            if (a, b) == (NAO_START, NAO_END) or b - a < 3:
                continue
            tried += 1
            g = measures.growth(eng, col, a, b)
            if nao_notes.within(key, g):
                hits.append(f"{contract.year_label(a)} to {contract.year_label(b)} ({g:+.1f}%)")
    theirs = reference.value(key)
    if hits:
        return (
            f"in the England rows the NAO's {theirs:+g}% appears to match {', '.join(hits)}, "
            "a different period from the one it states"
        )
    if tried:
        span = f"{contract.year_label(min(starts))}-{contract.year_label(max(starts))}"
        return (
            f"no other start ({span}) or end year in the England rows gives the NAO's {theirs:+g}%; "
            "its measure appears to differ"
        )
    return ""


#: What the table says once of every row that uses DfE's England rows.
ENGLAND_ROWS = "DfE's published England rows include its estimates for authorities that made no return"


def _england_row(
    ctx: Context, t: dict[str, pd.DataFrame], eng: pd.DataFrame, col: str, key: str, la_sum: float
) -> dict:
    a, b = float(eng.loc[NAO_START, col]), float(eng.loc[NAO_END, col])
    g = (b / a - 1) * 100
    parts = [
        f"England rows as published, {a:,.0f} to {b:,.0f}",
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
    gone = [y for y in (NAO_START, NAO_END) if not has_figure(eng, col, y)]
    parts = [f"the England rows have no {label} for {' or '.join(contract.year_label(y) for y in gone)}"]
    for y in gone:
        miss = nao_notes.missing_codes(ctx.prepared.flags, ctx.view, col, y)
        n = ctx.view.loc[ctx.view["year"] == y, "la_code"].nunique()
        if miss:
            who = f"any of the {n} authorities" if len(miss) == n else f"{len(miss)} of {n} authorities"
            parts.append(f"nor has {who} in {contract.year_label(y)}")
    rules = [f"rule {r}: {txt.rstrip('.')}" for r, txt in ctx.prepared.meta.get("rules", {}).items() if col in txt]
    parts.extend(rules)
    have = [y for y in eng.index if NAO_START <= y <= NAO_END and has_figure(eng, col, y)]
    if has_figure(eng, col, NAO_START) and len(have) > 1:
        last = max(have)
        g = measures.growth(eng, col, NAO_START, last)
        parts.append(
            f"in the England rows it grew {g:+.1f}% from {contract.year_label(NAO_START)} to "
            f"{contract.year_label(last)}, the last year with a figure, against the NAO's "
            f"{reference.value(key):+g}% to {contract.year_label(NAO_END)}"
            + ("" if nao_notes.within(key, g) else "; the NAO's figure appears to be another measure")
        )
    ours = la_sum if np.isfinite(la_sum) else None
    return {"key": key, "ours": ours, "reason": nao_notes.join(parts)}


def _population_row(ctx: Context, eng: pd.DataFrame, key: str) -> dict:
    """Population growth when the England rows lack the first year: summed over the authorities with both
    years, on the estimates as ONS first published them, which the NAO used in 2019 (its own definition);
    the consistent series the book's rates use, and any back-derived year (rule Y-POP), in the Note."""
    col, a, b = "pop_0_17", NAO_START, NAO_END
    view = ctx.view
    published = POP_PUBLISHED if POP_PUBLISHED in view else col
    consistent = measures.CONSISTENT if measures.CONSISTENT in view else col
    a0, b0, g, n = measures.population_growth(view, published, a, b)
    gone = [contract.year_label(y) for y in (a, b) if not has_figure(eng, col, y)]
    parts = [f"the England rows have no population for {' or '.join(gone)}, so the sum over authorities is used"]
    if n:
        parts.append(
            f"{n} authorities with both years, {a0:,.0f} to {b0:,.0f} children"
            + (", on the estimates as ONS first published them" if published != col else "")
        )
    if published != col:
        _, _, gc, _ = measures.population_growth(view, consistent, a, b)
        parts.append(
            f"on the consistent series every rate in this book uses (rebased to the 2021 Census) growth is {gc:+.1f}%"
        )
    derived = nao_notes.flagged_codes(ctx.prepared.flags, col, a, "Y-POP")
    if derived:
        parts.append(
            f"for {len(derived)} authorities the {contract.year_label(a)} population is back-derived as CIN count "
            "x 10,000 / DfE's published CIN rate (rule Y-POP)"
        )
    miss = nao_notes.missing_codes(ctx.prepared.flags, view, col, a)
    if miss:
        parts.append(f"{nao_notes.names(miss, view)} have no {contract.year_label(a)} population")
    return {"key": key, "ours": g if np.isfinite(g) else None, "reason": nao_notes.join(parts)}
