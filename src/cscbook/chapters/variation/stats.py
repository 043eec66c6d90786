"""Variation between authorities: the distributions, the smallest authorities, rank stability, the
comparison with the NAO and the sentences (the funnel plot and the rank intervals are in ``funnel``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.analyse.stats import spearman_stability
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context

#: The chapter's measures: column of the measures frame -> label with its unit.
MEASURES = {
    "cin_episode_rate": "Children-in-need episodes per 10,000 aged 0-17",
    "cpp_rate": "Child protection plans per 10,000 aged 0-17",
    "cla_rate": "Looked-after children per 10,000 aged 0-17",
    "spend_pc": "Spending per child aged 0-17 (£)",
}


SHORT = {
    "cin_episode_rate": "children-in-need episode rate",
    "cpp_rate": "child protection plan rate",
    "cla_rate": "looked-after rate",
    "spend_pc": "spending per child",
}


#: Short labels for tables.
TABLE_LABEL = {
    "cin_episode_rate": "CIN episodes per 10,000",
    "cpp_rate": "CPPs per 10,000",
    "cla_rate": "Looked after per 10,000",
    "spend_pc": "Spending per child (£)",
}


#: Rates and the panel counts they come from.
RATE_OF = {"cin_episode_rate": "cin_episodes", "cpp_rate": "cpp_31mar", "cla_rate": "cla_31mar"}


#: The NAO's 2017-18 ranges: measure -> (key of the minimum, key of the maximum).
NAO_KEYS = {
    "cin_episode_rate": ("cin_episode_rate_min", "cin_episode_rate_max"),
    "cpp_rate": ("cpp_rate_min", "cpp_rate_max"),
    "spend_pc": ("spend_pc_min", "spend_pc_max"),
}


STATS = ["Minimum", "Lower quartile", "Median", "Upper quartile", "Maximum"]


def fmt_value(col: str, x: float) -> str:
    return f"£{x:,.0f}" if col == "spend_pc" else f"{x:,.0f}"


def measures_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One row per authority-year with the chapter's four measures (suppressed counts stay missing)."""
    out = df[["la_code", "la_name", "region", "year", "pop_0_17"]].copy()
    out["pop_0_17"] = out["pop_0_17"].astype("float64")
    for m, col in RATE_OF.items():
        out[m] = measures.rate(df, col)
    out["spend_pc"] = measures.spend_per_child(df)
    return out.reset_index(drop=True)


def cross_section(ctx: Context, year: int | None = None) -> pd.DataFrame:
    """The measures of every authority in the chapter's view (region filter applied) for one year."""
    year = ctx.last if year is None else year
    return measures_frame(ctx.view[ctx.view["year"] == year])


def summarise(values: pd.Series) -> dict[str, float]:
    """Number, minimum, quartiles (linear interpolation) and maximum of the known values."""
    v = pd.Series(values, dtype="float64").dropna()
    if v.empty:
        return {"Authorities": 0, **{s: float("nan") for s in STATS}}
    q = v.quantile([0.25, 0.5, 0.75])
    return {
        "Authorities": int(v.size),
        "Minimum": float(v.min()),
        "Lower quartile": float(q[0.25]),
        "Median": float(q[0.5]),
        "Upper quartile": float(q[0.75]),
        "Maximum": float(v.max()),
    }


def distribution(cs: pd.DataFrame, cols: list[str] | None = None) -> pd.DataFrame:
    """Minimum, quartiles and maximum of each measure, with the authorities at each end."""
    rows = []
    for col in cols or list(MEASURES):
        s = summarise(cs[col])
        known = cs.dropna(subset=[col])
        lo = known.loc[known[col].idxmin(), "la_name"] if len(known) else ""
        hi = known.loc[known[col].idxmax(), "la_name"] if len(known) else ""
        ratio = s["Maximum"] / s["Minimum"] if s["Authorities"] and s["Minimum"] > 0 else float("nan")
        p10, p90 = known[col].quantile([0.1, 0.9]) if len(known) else (float("nan"), float("nan"))
        spread = p90 / p10 if p10 > 0 else float("nan")
        rows.append(
            {"Measure": MEASURES[col], **s, "Highest / lowest": ratio, "Lowest": lo, "Highest": hi,
             "10th percentile": p10, "90th percentile": p90, "90th / 10th": spread}
        )  # fmt: skip
    order = ["Authorities", "Minimum", "10th percentile", "Lower quartile", "Median", "Upper quartile",
             "90th percentile", "Maximum", "90th / 10th", "Highest / lowest", "Lowest", "Highest"]  # fmt: skip
    return pd.DataFrame(rows).set_index("Measure")[order]


def short_labels(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the long measure labels (in its index or columns) replaced by the short ones."""
    m = {MEASURES[k]: v for k, v in TABLE_LABEL.items()}
    return df.rename(index=m, columns=m)


def tiny_codes(ctx: Context) -> list[str]:
    """Codes of the two very small authorities: from the synthetic truth, or the real ones."""
    if ctx.synthetic and ctx.prepared.truth:
        return list(ctx.prepared.truth.get("tiny_authorities", []))
    return [c for c in contract.TINY if c in set(ctx.panel["la_code"])]


def tiny_table(ctx: Context, cs: pd.DataFrame) -> pd.DataFrame:
    """The very small authorities in the view: population, which counts are suppressed, spending rank."""
    rows = []
    rank = cs["spend_pc"].rank(ascending=False)
    for code in tiny_codes(ctx):
        hit = cs.index[cs["la_code"] == code]
        if hit.empty:
            continue
        i = hit[0]
        missing = [SHORT[m] for m in RATE_OF if pd.isna(cs.loc[i, m])]
        rows.append(
            {
                "Authority": cs.loc[i, "la_name"],
                "Children aged 0-17": cs.loc[i, "pop_0_17"],
                "Suppressed": ", ".join(missing) or "none",
                "Spending per child (£)": cs.loc[i, "spend_pc"],
                "Spending rank (1 = highest)": rank[i],
            }
        )
    return pd.DataFrame(rows)


def tiny_sentence(ctx: Context, cs: pd.DataFrame, tiny: pd.DataFrame) -> str:
    """Prose on the very small authorities, computed from ``tiny_table``."""
    if tiny.empty:
        return f"Neither of the two very small authorities is in {ctx.scope}."
    year = contract.year_label(ctx.last)
    parts = []
    for _, r in tiny.iterrows():
        supp = r["Suppressed"].split(", ")
        what = (
            "no count is suppressed"
            if supp == ["none"]
            else f"its {' and '.join(supp)} {'is' if len(supp) == 1 else 'are'} suppressed because the count is small"
        )
        parts.append(
            f"{r['Authority']} ({r['Children aged 0-17']:,.0f} children): in {year} {what}, and it ranks "
            f"{r['Spending rank (1 = highest)']:.0f} of {cs['spend_pc'].notna().sum()} on spending per child "
            f"(£{r['Spending per child (£)']:,.0f})"
        )
    return "; ".join(parts) + "."


def ends_sentence(dist: pd.DataFrame, col: str) -> str:
    """The spread of one measure as the headline gives it: the 10th to the 90th percentile and their ratio, so
    that no single authority (the two very small ones above all) sets it; the whole range follows in brackets."""
    r = dist.loc[MEASURES[col]]
    ratio = r["90th / 10th"]
    said = (
        f"a ratio of {ratio:.1f} to 1"
        if pd.notna(ratio) and np.isfinite(ratio)
        else "so no ratio can be given (the 10th percentile is zero)"
    )
    return (
        f"{fmt_value(col, r['10th percentile'])} at the 10th percentile of authorities to "
        f"{fmt_value(col, r['90th percentile'])} at the 90th, {said} (the whole range: {fmt_value(col, r['Minimum'])} "
        f"in {r['Lowest']} to {fmt_value(col, r['Maximum'])} in {r['Highest']})"
    )


def wide(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    """Authorities by years for one measure."""
    return frame.pivot_table(index="la_code", columns="year", values=col, aggfunc="first")


def stability_words(rho: float) -> str:
    """A verdict on a rank correlation between years, for titles and prose."""
    if rho >= 0.9:
        return "Authorities keep their places"
    if rho >= 0.7:
        return "Authorities largely keep their places"
    if rho >= 0.4:
        return "Authorities' places shift a good deal from year to year"
    return "Authorities' places change a lot from year to year"


def rank_stability(ctx: Context) -> pd.DataFrame:
    """Spearman rank correlations between years for each measure, over the chapter's view."""
    frame = measures_frame(ctx.view)
    return pd.DataFrame({MEASURES[c]: spearman_stability(wide(frame, c)) for c in MEASURES})


def england_rate(ctx: Context, col: str, year: int) -> float:
    """England's rate per 10,000 in ``year`` (all regions, authorities with a known count)."""
    return float(measures.national_rates(ctx.panel, [col]).loc[year, col])


def region_share(cs: pd.DataFrame, col: str = "cpp_rate") -> float:
    """Share of the variance between authorities that lies between regions (eta squared), percent."""
    d = cs.dropna(subset=[col])
    grand = d[col].mean()
    between = d.groupby("region")[col].agg(lambda s: len(s) * (s.mean() - grand) ** 2).sum()
    total = ((d[col] - grand) ** 2).sum()
    return float(between / total * 100) if total > 0 else float("nan")


#: What each compared measure is, in words, for the Note.
DEFINED_AS = {
    "cin_episode_rate": "children in need at any time in the year per 10,000 aged 0-17",
    "cpp_rate": "children on a plan at 31 March per 10,000 aged 0-17",
    "spend_pc": "gross section 251 spending in every category except CERA, nominal, per child aged 0-17",
}


def nao_rows(ctx: Context, dist: pd.DataFrame) -> list[dict]:
    """Our 2017-18 ranges beside the NAO's (other years or a region are marked n/a)."""
    reason = ""
    if ctx.last != reference.NAO_END:
        reason = f"the chapter's last year is {contract.year_label(ctx.last)}, not 2017-18"
    elif ctx.p.region:
        reason = f"the chapter is restricted to {ctx.p.region}; the NAO's ranges cover England"
    rows = []
    for col, (kmin, kmax) in NAO_KEYS.items():
        for key, stat in ((kmin, "Minimum"), (kmax, "Maximum")):
            if reason:
                rows.append({"key": key, "ours": None, "reason": reason})
            else:
                ours = float(dist.loc[MEASURES[col], stat])
                note = (
                    "synthetic England is calibrated to this figure, so a match is expected rather than evidence"
                    if ctx.synthetic
                    else range_end_note(ctx, col, key, stat, dist)
                )
                who = dist.loc[MEASURES[col], "Lowest" if stat == "Minimum" else "Highest"]
                rows.append({"key": key, "ours": ours, "reason": note, "authority": None if ctx.synthetic else who})
    return rows


def range_end_note(ctx: Context, col: str, key: str, stat: str, dist: pd.DataFrame) -> str:
    """Why our end of a range differs from the NAO's: who is at the end, the year and definition,
    the authority nearest the NAO's figure, and whether another year gives it."""
    row = dist.loc[MEASURES[col]]
    ours = float(row[stat])
    who = row["Lowest" if stat == "Minimum" else "Highest"]
    end = "lowest" if stat == "Minimum" else "highest"
    parts = [
        f"{end}: {who}, {fmt_value(col, ours)} in {contract.year_label(ctx.last)} ({DEFINED_AS[col]}; "
        f"{int(row['Authorities'])} authorities with a value)"
    ]
    if nao_notes.within(key, ours):
        return nao_notes.join(parts)
    theirs = reference.value(key)
    cs = cross_section(ctx)
    parts.append(beyond_or_nearest(cs[col], cs["la_name"], theirs, col, contract.year_label(ctx.last)))
    every = measures_frame(ctx.prepared.panel if not ctx.p.region else ctx.view)
    by_year = every.groupby("year")[col].agg("min" if stat == "Minimum" else "max")
    others = by_year.drop(ctx.last, errors="ignore")
    hits = nao_notes.years_matching(others, key)
    span = f"{contract.year_label(int(by_year.index.min()))} to {contract.year_label(int(by_year.index.max()))}"
    if hits:
        parts.append(
            f"the {end} value matches in {', '.join(hits)}, so the NAO's figure appears to be for another year"
        )
    else:
        parts.append(
            f"no year from {span} gives an end within tolerance ({end} {fmt_value(col, others.min())} to "
            f"{fmt_value(col, others.max())} in the other years), so the NAO's figure appears to use another "
            "definition, denominator or set of authorities"
        )
    return nao_notes.join(parts)


def beyond_or_nearest(values: pd.Series, labels: pd.Series, theirs: float, col: str, year: str) -> str:
    """Where the NAO's figure falls among the authorities' values: beyond them all, or nearest one."""
    v = values.dropna()
    if v.empty:
        return ""
    text = fmt_value(col, theirs)
    if theirs < v.min() or theirs > v.max():
        return f"the NAO's {text} lies outside every authority's value in {year}"
    fmt = "£{:,.0f}" if col == "spend_pc" else "{:,.0f}"
    return f"the NAO's {text} is nearest {nao_notes.nearest(v, labels, theirs, fmt)}"


#: Spending per child on three definitions: section 251 (the book's, and the one the NAO's words suggest), and the
#: revenue outturn's children's social care total, gross (as DfE's dashboard divides it) and net.
SPEND_MEASURES = {
    "Section 251 spending except CERA per child (the book's measure)": None,
    "Revenue outturn, gross expenditure per child (DfE's dashboard)": "outturn_csc_gross",
    "Revenue outturn, net current expenditure per child": "outturn_csc",
}


def spend_measures(ctx: Context, year: int) -> pd.DataFrame:
    """The range of spending per child aged 0-17 across the authorities of ``ctx`` in ``year`` on each definition
    of ``SPEND_MEASURES``: the authorities at each end, the 10th and 90th percentiles and the median (£)."""
    d = ctx.view[ctx.view["year"] == year]
    rows = []
    for words, col in SPEND_MEASURES.items():
        v = measures.spend_per_child(d) if col is None else d[col].astype("float64") / d["pop_0_17"].astype("float64")
        v = pd.Series(v.to_numpy(), index=d["la_name"].to_numpy()).dropna()
        if v.empty:
            rows.append({"Definition": words, "Year": contract.year_label(year), "Authorities": 0})
            continue
        q = v.quantile([0.1, 0.5, 0.9])
        rows.append({"Definition": words, "Year": contract.year_label(year), "Authorities": len(v),
                     "Lowest (£)": v.min(), "Lowest": v.idxmin(), "10th percentile (£)": q[0.1], "Median (£)": q[0.5],
                     "90th percentile (£)": q[0.9], "Highest (£)": v.max(), "Highest": v.idxmax()})  # fmt: skip
    return pd.DataFrame(rows)
