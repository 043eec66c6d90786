"""Carrying each chapter's NAO-period finding past 2017-18, on today's authorities over every year the
official data reach (``ctx.later()``): the later context, the years a series lacks with the rule that says
why, and the chart marks for the NAO's last year and for a change of source. Synthetic England has one
footprint and the chapters' years, so there the sections say that they need the official statistics."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters.context import Context
from cscbook.chapters.since_figures import brief_figure, line_figure, mark_years, reorganised_words, year_axis
from cscbook.present import figures

NAO_END = reference.NAO_END
#: Names of the series, as the chapters give them.
LABELS = {
    **measures.SERIES,
    "cpp_starts": "Child protection plans started",
    "cin_episodes": "Children in need during the year",
    "spend_pc": "Spending per child",
}
ABSENT = "These figures need the official statistics: synthetic England stops at its last year."
#: The last year where the data have none past the NAO's period ("The data now reach ...").
NO_LATER = "no year past the NAO's period"


@dataclass
class Since:
    """A chapter's finding carried past 2017-18: a table, a sentence and a figure (notes when absent)."""

    table: pd.DataFrame | str
    text: str
    fig: figures.Figure | str
    last: str  # the last year, as a label ('2024-25'), or words saying there is none
    headline: str = ""  # the finding now, in one short sentence for the home page ('' when absent)
    brief: figures.Figure | str = ""  # a small chart of the finding now, for the home page ('' when absent)


def absent() -> Since:
    return Since(ABSENT, ABSENT, ABSENT, NO_LATER)


def later_context(ctx: Context) -> Context | None:
    """A context on today's authorities over every year (region filter kept), or None on synthetic data."""
    prep = ctx.later()
    if prep is None:
        return None
    panel = prep.panel
    view = panel[panel["region"] == ctx.p.region].copy() if ctx.p.region else panel
    return Context(ctx.chapter, ctx.p, prep, panel, view, None, None)


def last_year(later: Context, cols: list[str]) -> int:
    """The last year with a value in any of ``cols``."""
    have = later.view.dropna(how="all", subset=[c for c in cols if c in later.view.columns])["year"]
    return int(have.max())


def gaps(later: Context, cols: list[str], first: int, last: int) -> str:
    """'children in need at any time in the year: none after 2021-22 (rule S-CINEP: ...)' for every column
    of ``cols`` without a value in some years from ``first`` to ``last``; empty when none is missing."""
    out = []
    rules = later.prepared.meta.get("rules", {})
    for col in cols:
        have = set(later.view.loc[later.view[col].notna(), "year"].astype(int))
        missing = [y for y in range(first, last + 1) if y not in have]
        if not missing:
            continue
        f = later.prepared.flags
        f = f[(f["column"] == col) & (f["flag"] == "missing") & f["year"].isin(missing)]
        rule = f["rule"].mode().iloc[0] if len(f) else ""
        why = f" (rule {rule}: {rules.get(rule, '').rstrip('.')})" if rule else ""
        out.append(f"{LABELS.get(col, col)}: no value in {span_words(missing)}{why}")
    return "; ".join(out)


def table_a1_last(later: Context) -> int | None:
    """The last year whose spending comes from section 251 Table A1: the year before LAIT's outturn lines
    start (the cells flagged L-LAIT-S251); None when LAIT fills no year."""
    f = later.prepared.flags
    lait = f.loc[f["rule"] == "L-LAIT-S251", "year"]
    return int(lait.min()) - 1 if len(lait) else None


def span_words(years: list[int]) -> str:
    """'2022-23 to 2024-25' for consecutive years, otherwise the years listed."""
    ys = sorted(years)
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{contract.year_label(ys[0])} to {contract.year_label(ys[-1])}"
    return ", ".join(contract.year_label(y) for y in ys)


# --- demand ------------------------------------------------------------------------------------

#: The demand series carried past 2017-18.
DEMAND = ["referrals", "s47_enquiries", "cpp_starts", "cpp_31mar", "cin_31mar", "cin_episodes", "cla_31mar"]
#: The series of the home page's small chart, and their names there.
BRIEF = ["s47_enquiries", "referrals", "cpp_31mar", "cla_31mar"]
BRIEF_NAMES = {
    LABELS["s47_enquiries"]: "Investigations",
    LABELS["referrals"]: "Referrals",
    LABELS["cpp_31mar"]: "Protection plans",
    LABELS["cla_31mar"]: "In care",
}


def demand_rates(later: Context, last: int) -> tuple[pd.DataFrame, pd.Series, dict[str, str]]:
    """Counts per 10,000 children by year and the basis of each series: the England rows as published
    where they reach ``last``, otherwise sums over the authorities for every year, so that no series changes
    basis part way. The children are always the panel's population summed over the authorities (one
    series: the England rows' population is the estimates of each release's time, which change basis)."""
    view, eng = later.view, later.prepared.england
    sums = view.groupby("year")[[*DEMAND, "pop_0_17"]].sum(min_count=1)
    by_sum = sums[DEMAND].div(sums["pop_0_17"], axis=0) * measures.PER
    if later.p.region or eng is None or eng.empty:
        return by_sum, sums["pop_0_17"], {c: f"sums over {later.scope}'s authorities" for c in DEMAND}
    e = eng.set_index("year").reindex(sums.index)
    pop = sums["pop_0_17"]
    rates, basis = by_sum.copy(), {}
    for col in DEMAND:
        if col in e and e[col].notna().any() and int(e[col].dropna().index.max()) >= last:
            rates[col], basis[col] = e[col] / pop * measures.PER, "England rows as published"
        else:
            basis[col] = "sums over authorities (the England rows stop earlier)"
    return rates, pop, basis


def demand(ctx: Context) -> Since:
    """Has demand kept rising against the child population since 2017-18?"""
    later = later_context(ctx)
    if later is None:
        return absent()
    last = last_year(later, DEMAND)
    rates, pop, basis = demand_rates(later, last)
    first = int(rates.index.min())
    rates = rates.loc[first:last]
    rows, rose, fell = [], [], []
    for col in DEMAND:
        s = rates[col].dropna()
        if s.empty or NAO_END not in s.index:
            continue
        end = int(s.index.max())
        since = (s[end] / s[NAO_END] - 1) * 100
        base = s.get(2011)
        rows.append(
            {
                "Series": LABELS[col],
                "Rate 2010-11": base,
                "Rate 2017-18": s[NAO_END],
                "Last year": contract.year_label(end),
                "Rate in the last year": s[end],
                "Change 2010-11 to 2017-18 (%)": (s[NAO_END] / base - 1) * 100 if pd.notna(base) else None,
                "Change since 2017-18 (%)": since,
                "Basis": basis[col],
            }
        )
        name = measures.lower_first(LABELS[col]) + ("" if end == last else f" (to {contract.year_label(end)})")
        (rose if since > 0 else fell).append(f"{name} {since:+.0f}%")
    table = pd.DataFrame(rows).set_index("Series")
    pop_g = (pop[last] / pop[NAO_END] - 1) * 100
    verdict = "has continued on most of them" if len(rose) > len(fell) else "has not continued on most of them"
    text = (
        f"From 2017-18 to {contract.year_label(last)} the number of children aged 0-17 changed by {pop_g:+.1f}%. "
        f"Per 10,000 children, {measures.and_list(rose) or 'no measure'} rose and {measures.and_list(fell) or 'no measure'} fell. Against "
        f"population, demand rose on {len(rose)} of the {len(rows)} measures and fell on {len(fell)}: the rise the "
        f"NAO reported {verdict}."
    )
    if gap := gaps(later, DEMAND, first, last):
        text += f" Gaps: {gap}."
    index = rates / rates.loc[NAO_END] * 100
    index.columns = [LABELS[c] for c in index.columns]
    alt = "Line chart of rates per 10,000 children, 2017-18 = 100, by year: " + "; ".join(
        f"{r.name} {r['Change since 2017-18 (%)']:+.0f}% since 2017-18" for _, r in table.iterrows()
    )
    fig = line_figure(
        index,
        "Rate per 10,000 (2017-18 = 100)",
        f"Demand against population to {contract.year_label(last)}",
        alt,
        ctx.source,
    )
    main = [LABELS[c] for c in BRIEF if LABELS[c] in table.index]
    changes = measures.and_list(
        [f"{BRIEF_NAMES[m].lower()} {table.loc[m, 'Change since 2017-18 (%)']:+.0f}%" for m in main]
    )
    headline = f"Since 2017-18, to {contract.year_label(last)}, per 10,000 children: {changes}."
    brief = brief_figure(
        index.loc[NAO_END:, [LABELS[c] for c in BRIEF if LABELS[c] in index.columns]].rename(columns=BRIEF_NAMES),
        "Rate per 10,000 children (2017-18 = 100)",
        f"Demand since 2017-18, to {contract.year_label(last)}",
        f"Line chart of rates per 10,000 children from 2017-18 (= 100) to {contract.year_label(last)}: {changes}.",
        ctx.source,
    )
    return Since(table, text, fig, contract.year_label(last), headline, brief)


def glue(ctx: Context, s: Since, *, text: str, now: str, table: str, fig: str = "", precision: int | None = None):
    """Glue a chapter's finding carried past 2017-18 under the chapter's own keys, each passed whole so that a
    search for a key finds it: the last year (``since_last``), the sentence, the headline, the figure (when the
    chapter shows one) and the table."""
    ctx.glue("since_last", s.last)
    ctx.glue_md(text, s.text)
    ctx.glue(now, s.headline)
    if fig:
        ctx.glue_figure(fig, s.fig)
    ctx.glue_table(table, shown(ctx, s, precision))


def shown(ctx: Context, s: Since, precision: int | None = None):
    """The table for display, written as ``<chapter>_since.csv`` (a one-line note where it is absent)."""
    if isinstance(s.table, pd.DataFrame):
        styled = ctx.table(s.table, "since")
        return styled if precision is None else styled.format(precision=precision, na_rep="—")
    ctx.table(pd.DataFrame({"Note": [s.table]}), "since", index=False)
    return s.table


# --- variation ---------------------------------------------------------------------------------

#: The spread between authorities carried past 2017-18: rates per 10,000 (and spending per child).
SPREAD = {"cpp_starts": "rate", "cpp_31mar": "rate", "cin_31mar": "rate", "cla_31mar": "rate", "spend_pc": "spend"}


def spread_by_year(later: Context) -> pd.DataFrame:
    """The ratio of the 90th to the 10th percentile of authorities' values, by year, for each measure."""
    v = later.view
    values = {c: measures.rate(v, c) for c, kind in SPREAD.items() if kind == "rate"}
    values["spend_pc"] = measures.spend_per_child(v)
    frame = pd.DataFrame(values).assign(year=v["year"].to_numpy())
    q = frame.groupby("year").quantile([0.1, 0.9]).unstack()
    ratio = pd.DataFrame({c: q[(c, 0.9)] / q[(c, 0.1)] for c in SPREAD})
    counts = frame.groupby("year")[list(SPREAD)].count()
    return ratio.where(counts >= 10)  # too few authorities for percentiles: a gap


def variation(ctx: Context) -> Since:
    """Has the spread between authorities widened since 2017-18?"""
    later = later_context(ctx)
    if later is None:
        return absent()
    ratio = spread_by_year(later)
    a1_last = table_a1_last(later)
    last = last_year(later, [c for c in SPREAD if c != "spend_pc"])
    ratio = ratio.loc[: max(last, int(ratio["spend_pc"].dropna().index.max()))]
    rows, wider, narrower = [], [], []
    for col in SPREAD:
        s = ratio[col].dropna()
        if s.empty or NAO_END not in s.index:
            continue
        end = int(s.index.max())
        change = s[end] - s[NAO_END]
        rows.append(
            {
                "Measure": LABELS[col],
                "90th/10th 2010-11": s.get(2011),
                "90th/10th 2017-18": s[NAO_END],
                "Last year": contract.year_label(end),
                "90th/10th in the last year": s[end],
                "Change since 2017-18": change,
            }
        )
        (wider if change > 0 else narrower).append(
            f"{measures.lower_first(LABELS[col])} ({s[NAO_END]:.1f} to {s[end]:.1f})"
        )
    table = pd.DataFrame(rows).set_index("Measure")
    text = (
        "The spread is the ratio of the authority at the 90th percentile to the one at the 10th, so that the very "
        f"smallest authorities do not set it. From 2017-18 to the last year, it widened for {measures.and_list(wider) or 'no measure'} "
        f"and narrowed for {measures.and_list(narrower) or 'no measure'}: the differences the NAO found "
        + ("have grown on most measures." if len(wider) > len(narrower) else "have not grown on most measures.")
        + (
            f" Spending comes from section 251 Table A1 to {contract.year_label(a1_last)} and from LAIT's outturn "
            "lines after; the dotted line marks the change."
            if a1_last is not None
            else ""
        )
    )
    if gap := gaps(later, [c for c in SPREAD if c != "spend_pc"], int(ratio.index.min()), last):
        text += f" Gaps: {gap}."
    frame = ratio.rename(columns=LABELS)
    alt = "Line chart of the ratio of the 90th to the 10th percentile of authorities' values by year: " + "; ".join(
        f"{m} {r['90th/10th 2017-18']:.1f} in 2017-18, {r['90th/10th in the last year']:.1f} in {r['Last year']}"
        for m, r in table.iterrows()
    )
    text += f" {reorganised_words()}"
    fig = line_figure(
        frame, "90th / 10th percentile", "The spread between authorities", alt, ctx.source, a1_last, reorganised=True
    )
    headline = (
        f"Since 2017-18, to {contract.year_label(last)}, the gap between high and low authorities widened on "
        f"{len(wider)} of {len(rows)} measures."
    )
    return Since(table, text, fig, contract.year_label(last), headline)


# --- Ofsted ------------------------------------------------------------------------------------


def ofsted(ctx: Context) -> Since:
    """Does spending still bear no relation to Ofsted's judgements? Spearman's rho by year since 2017-18."""
    from cscbook.analyse.stats import spearman_ci
    from cscbook.chapters.ofsted.stats import judgement_frame, score_for_scale

    later = later_context(ctx)
    if later is None:
        return absent()
    last = int(later.view.loc[later.view["ofsted_overall"].notna(), "year"].max())
    spend_last = int(later.view.dropna(subset=["spend_cla"])["year"].max())
    rows = []
    for year in range(NAO_END, min(last, spend_last) + 1):
        jf = judgement_frame(later, year)
        sp = spearman_ci(score_for_scale(jf, ctx.p.judgement_scale), jf["spend_pc"])
        rows.append({"Year": contract.year_label(year), "Authorities": sp["n"], "Spearman rho": sp["rho"],
                     "95% CI low": sp["lo"], "95% CI high": sp["hi"], "p": sp["p"]})  # fmt: skip
    table = pd.DataFrame(rows).set_index("Year")
    holds = (table["95% CI low"] <= 0) & (table["95% CI high"] >= 0)
    end = table.iloc[-1]
    below = list(table.index[table["95% CI high"] < 0])
    above = list(table.index[table["95% CI low"] > 0])
    text = (
        f"From 2017-18 to {table.index[-1]}, the 95% interval of the rank correlation between an authority's "
        f"spending per child and its latest Ofsted judgement includes zero in {int(holds.sum())} of {len(table)} years"
    )
    if below:
        text += f"; in {measures.and_list(below)} it lies below zero (authorities with better judgements spent less per child)"
    if above:
        text += f"; in {measures.and_list(above)} it lies above zero (authorities with better judgements spent more)"
    text += (
        f". In {table.index[-1]} it is {end['Spearman rho']:+.2f} ({end['95% CI low']:+.2f} to "
        f"{end['95% CI high']:+.2f}, {int(end['Authorities'])} authorities): the NAO's finding of no link "
        + (
            "holds in every year."
            if holds.all()
            else "holds in the last year but not in every year since."
            if holds.iloc[-1]
            else "does not hold in the last year."
        )
    )
    text += (
        " Ofsted's ILACS framework replaced the single inspection framework in January 2018 (the dash-dot line), "
        "so an authority's judgement at 31 March comes from either framework until its next inspection. "
        + reorganised_words()
    )
    fig, ax = plt.subplots(figsize=(8, 4))
    years = [int(y[:4]) + 1 for y in table.index]
    ax.fill_between(years, table["95% CI low"], table["95% CI high"], color=figures.colours(1)[0], alpha=0.2, lw=0)
    ax.plot(years, table["Spearman rho"], marker="o", color=figures.colours(1)[0])
    ax.axhline(0, color=figures.MUTED, lw=1)
    mark_years(ax, table_a1_last(later), ilacs=True, reorganised=True)
    year_axis(ax, min(years), max(years))
    ax.set_ylabel("Spearman rho (95% interval)")
    alt = "Spearman correlation of spending per child and Ofsted judgement by year, with 95% intervals: " + "; ".join(
        f"{y} {r['Spearman rho']:+.2f} ({r['95% CI low']:+.2f} to {r['95% CI high']:+.2f})" for y, r in table.iterrows()
    )
    fig = figures.finish(fig, "Spending and Ofsted judgements since 2017-18", alt, ctx.source)
    headline = (
        f"In {table.index[-1]} the correlation is {end['Spearman rho']:+.2f} ({end['95% CI low']:+.2f} to "
        f"{end['95% CI high']:+.2f}); its interval excluded zero in {len(below) + len(above)} of the "
        f"{len(table)} years since 2017-18."
    )
    return Since(table, text, fig, table.index[-1], headline)


# --- the preventative share ---------------------------------------------------------------------


def preventative(ctx: Context) -> Since:
    """Has the preventative share kept falling? Every definition by year, with the change of source marked
    and the years both sources cover computed both ways."""
    from cscbook.chapters.preventative.spending import DEFINITIONS, national_shares

    later = later_context(ctx)
    if later is None:
        return absent()
    shares = national_shares(later.view).dropna(how="all")
    a1_last = table_a1_last(later)
    both = overlap_shares(later, DEFINITIONS[ctx.p.definition])
    k = ctx.p.definition
    end = int(shares[k].dropna().index.max())
    table = shares.rename(columns=lambda c: f"Definition {c} (%)")
    table.index = [contract.year_label(int(y)) for y in table.index]
    table.index.name = "Year"
    if both is not None:
        table = table.join(both.rename(lambda y: contract.year_label(int(y))), how="left")
    change = shares.loc[end, k] - shares.loc[NAO_END, k]
    text = (
        f"Under definition {k}, the preventative share went from {shares.loc[2011, k]:.1f}% in 2010-11 to "
        f"{shares.loc[NAO_END, k]:.1f}% in 2017-18 and {shares.loc[end, k]:.1f}% in {contract.year_label(end)} "
        f"({change:+.1f} points since 2017-18): it has "
        + ("kept falling." if change < 0 else "not kept falling.")
        + (
            f" Spending comes from Table A1 to {contract.year_label(a1_last)} and from LAIT's outturn lines after."
            if a1_last is not None
            else ""
        )
    )
    if both is not None and len(both):
        gap = (both["Table A1 (%)"] - both["LAIT (%)"]).abs().max()
        text += (
            f" In the years both give ({span_words([int(y) for y in both.index])}), over the "
            f"{int(both['Authorities'].min())} authorities both cover, the two sources give shares within {gap:.2f} "
            "points of each other, so the change of source does not move the line."
        )
    frame = shares.rename(columns=lambda c: f"Definition {c}")
    alt = "Line chart of the preventative share by year under each definition: " + "; ".join(
        f"definition {c} {shares.loc[NAO_END, c]:.1f}% in 2017-18, {shares[c].dropna().iloc[-1]:.1f}% in the last year"
        for c in shares.columns
    )
    fig = line_figure(frame, "Preventative share (%)", "The preventative share since 2010-11", alt, ctx.source, a1_last)
    headline = f"By {contract.year_label(end)} it was {shares.loc[end, k]:.1f}% ({change:+.1f} points since 2017-18)."
    return Since(table, text, fig, contract.year_label(end), headline)


def overlap_shares(later: Context, d) -> pd.DataFrame | None:
    """The share under definition ``d`` from Table A1 and from LAIT in the years both cover, over the
    authorities both give every category for."""
    o = later.prepared.extra.get("lait_overlap")
    if o is None or not len(o):
        return None
    cols = [f"spend_{c}" for c in dict.fromkeys((*d.numerator, *d.denominator))]
    out = {}
    for src in ("primary", "lait"):
        wide = o.pivot_table(index=["la_code", "year"], columns="measure", values=f"value_{src}")
        wide = wide.reindex(columns=cols).dropna()
        out[src] = wide
    keep = out["primary"].index.intersection(out["lait"].index)
    rows = {}
    for src, label in (("primary", "Table A1 (%)"), ("lait", "LAIT (%)")):
        w = out[src].loc[keep].groupby(level="year").sum()
        num = w[[f"spend_{c}" for c in d.numerator]].sum(axis=1)
        rows[label] = num / w[[f"spend_{c}" for c in d.denominator]].sum(axis=1) * 100
    res = pd.DataFrame(rows)
    res["Authorities"] = pd.Series(keep.get_level_values("year")).value_counts().sort_index().to_numpy()
    return res
