"""Variation between authorities: distributions in the last year, authorities ranked by their rate
of child protection plans, regions, year-to-year rank stability, and a funnel plot that separates
chance variation from authorities whose rates differ by more than chance.

``results(ctx)`` computes every number, table and figure; ``glue_all(ctx, res)`` glues them.
The statistics and sentences are in ``stats``, the figures in ``charts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cscbook import contract, reference
from cscbook.chapters import candidates, since
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.chapters.variation import funnel as funnels
from cscbook.chapters.variation.charts import fig_distributions, fig_funnel, fig_ranked, fig_regions, fig_stability
from cscbook.chapters.variation.funnel import (
    expected_text,
    funnel_summary,
    funnel_table,
    funnel_verdict,
    highlight_funnel_sentence,
    overdispersion_sentence,
    rank_sentence,
    reconcile_sentence,
    write_json,
)
from cscbook.chapters.variation.stats import (
    MEASURES,
    cross_section,
    distribution,
    ends_sentence,
    england_rate,
    measures_frame,
    nao_rows,
    rank_stability,
    region_share,
    short_labels,
    spend_measures,
    stability_words,
    tiny_sentence,
    tiny_table,
)
from cscbook.present import figures, interactive

#: What the chapter's notebook calls.
__all__ = ["Results", "glue_all", "results", "write_json"]

#: The columns of the table of authorities outside the funnel's 99.8% limits.
OUTLIER_COLUMNS = [
    "Authority",
    "Children aged 0-17",
    "Rate per 10,000",
    "99.8% lower",
    "99.8% upper",
    "Position",
    "Position allowing for overdispersion",
]


@dataclass
class Results:
    """Every number, table and figure the chapter shows, computed once."""

    cs: pd.DataFrame  # the cross-section of the last year
    dist: pd.DataFrame
    tiny: pd.DataFrame
    stab: pd.DataFrame
    funnel: pd.DataFrame
    fs: dict  # the funnel's summary
    tiny_sentence: str
    f_hl: str
    funnel_table: pd.DataFrame
    nao: pd.DataFrame
    nao_dist: pd.DataFrame  # the distribution in the NAO's last year, on its footprint
    candidates: pd.DataFrame  # the definitions declared for the NAO's ranges
    since: since.Since  # the spread carried past 2017-18
    fig_distributions: figures.Figure
    fig_ranked: figures.Figure
    fig_regions: figures.Figure
    fig_stability: figures.Figure
    fig_funnel: figures.Figure


def results(ctx: Context) -> Results:
    cs = cross_section(ctx)
    dist = distribution(cs)
    tiny = tiny_table(ctx, cs)
    stab = rank_stability(ctx)
    fun = funnels.funnel(ctx, "cpp_31mar")
    nao = ctx.nao()  # the NAO's ranges are of 2017-18, on the authorities of then
    nao_dist = distribution(cross_section(nao))
    cand = candidates.assess(nao, ["cin_range", "cpp_range", "spend_range"])
    return Results(
        cs=cs,
        dist=dist,
        tiny=tiny,
        stab=stab,
        funnel=fun,
        fs=funnel_summary(fun),
        tiny_sentence=tiny_sentence(ctx, cs, tiny),
        f_hl=highlight_funnel_sentence(ctx, fun),
        funnel_table=funnel_table(fun),
        nao=chapter.nao_comparison(candidates.apply(nao, nao_rows(nao, nao_dist), cand)),
        nao_dist=nao_dist,
        candidates=cand,
        since=since.variation(ctx),
        fig_distributions=fig_distributions(ctx, cs),
        fig_ranked=fig_ranked(ctx, cs, fun),
        fig_regions=fig_regions(ctx),
        fig_stability=fig_stability(ctx, stab),
        fig_funnel=fig_funnel(ctx, fun),
    )


def scope_note(ctx: Context, n: int) -> str:
    if ctx.p.region:
        return (
            f"This page covers the {n} authorities of the {ctx.p.region} region; the regional "
            "comparison shows every region, and the funnel plot's centre line is England's rate."
        )
    return f"This page covers all {n} authorities in England."


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows."""
    _glue_distributions(ctx, res)
    _glue_stability_and_funnel(ctx, res)
    ctx.glue_figure("fig-variation-distributions", res.fig_distributions)
    table = ctx.table(short_labels(res.dist), "distribution", year=ctx.last, turned=True)  # four columns, not 13
    ctx.glue_table("tbl-variation-distribution", table)
    ctx.glue_table("tbl-variation-small", ctx.table(res.tiny, "small_authorities", index=False, year=ctx.last))
    ctx.glue_figure("fig-variation-ranked", res.fig_ranked)
    ctx.glue_figure("fig-variation-regions", res.fig_regions)
    ctx.glue_figure("fig-variation-stability", res.fig_stability)
    ctx.glue_table("tbl-variation-stability", ctx.table(short_labels(res.stab), "rank_stability").format(precision=2))
    ctx.glue_figure("fig-variation-funnel", res.fig_funnel)
    year = contract.year_label(ctx.last)
    ctx.glue_live("live-variation-funnel", interactive.funnel(res.funnel, year, ctx.highlight_name or ""))
    ft = res.funnel_table
    ctx.table(ft, "funnel", index=False, year=ctx.last)
    outliers = ft.loc[ft["Position"].str.contains("99.8"), OUTLIER_COLUMNS]
    ctx.glue_table("tbl-variation-funnel-outliers", ctx.table(outliers, "funnel_outliers", index=False, year=ctx.last))
    nao = ctx.nao()
    ctx.glue("nao_last", contract.year_label(nao.last))
    ctx.glue("nao_n", int(res.nao_dist["Authorities"].max()))
    ctx.glue("nao_ends_cin_episode_rate", ends_sentence(res.nao_dist, "cin_episode_rate"))
    ctx.glue("nao_ends_cpp_rate", ends_sentence(res.nao_dist, "cpp_rate"))
    ctx.glue("nao_ends_spend_pc", ends_sentence(res.nao_dist, "spend_pc"))
    ctx.glue_table(
        "tbl-variation-nao-distribution",
        ctx.table(short_labels(res.nao_dist), "nao_distribution", year=nao.last, turned=True),
    )
    chapter.glue_comparison(ctx, "tbl-variation-nao", res.nao, "variation_nao_pass", "variation_nao_rows")
    spend = pd.concat([spend_measures(nao, nao.last), spend_measures(ctx, ctx.last)], ignore_index=True)
    ctx.glue_table("tbl-variation-spend-measures", ctx.table(spend, "spend_measures", index=False))
    cand_table, cand_text = candidates.tables(nao, res.candidates)
    ctx.glue_table("tbl-variation-candidates", cand_table)
    ctx.glue_md("variation_candidates_text", cand_text)
    since.glue(ctx, res.since, text="variation_since_text", now="variation_now", fig="fig-variation-since",
               table="tbl-variation-since")  # fmt: skip


def _glue_distributions(ctx: Context, res: Results) -> None:
    """The years, the spread of each measure, the NAO's ranges and the smallest authorities."""
    dist = res.dist
    ctx.glue("last", contract.year_label(ctx.last))
    ctx.glue("first", contract.year_label(ctx.first))
    ctx.glue("scope_note", scope_note(ctx, len(res.cs)))
    ctx.glue("ends_cin", ends_sentence(dist, "cin_episode_rate"))
    ctx.glue("n_cin", int(dist.loc[MEASURES["cin_episode_rate"], "Authorities"]))
    ctx.glue("ends_cpp", ends_sentence(dist, "cpp_rate"))
    ctx.glue("n_cpp", int(dist.loc[MEASURES["cpp_rate"], "Authorities"]))
    ctx.glue("ends_cla", ends_sentence(dist, "cla_rate"))
    ctx.glue("n_cla", int(dist.loc[MEASURES["cla_rate"], "Authorities"]))
    ctx.glue("ends_spend", ends_sentence(dist, "spend_pc"))
    ctx.glue("n_spend", int(dist.loc[MEASURES["spend_pc"], "Authorities"]))
    ctx.glue("nao_cin_episode_rate_min", reference.value("cin_episode_rate_min"), "{:,.0f}")
    ctx.glue("nao_cin_episode_rate_max", reference.value("cin_episode_rate_max"), "{:,.0f}")
    ctx.glue("nao_cpp_rate_min", reference.value("cpp_rate_min"), "{:,.0f}")
    ctx.glue("nao_cpp_rate_max", reference.value("cpp_rate_max"), "{:,.0f}")
    ctx.glue("nao_spend_pc_min", reference.value("spend_pc_min"), "£{:,.0f}")
    ctx.glue("nao_spend_pc_max", reference.value("spend_pc_max"), "£{:,.0f}")
    ctx.glue("tiny_sentence", res.tiny_sentence)
    cpp_row = dist.loc[MEASURES["cpp_rate"]]
    ctx.glue("cpp_q1", cpp_row["Lower quartile"], "{:.0f}")
    ctx.glue("cpp_q3", cpp_row["Upper quartile"], "{:.0f}")
    ctx.glue("cpp_england", england_rate(ctx, "cpp_31mar", ctx.last), "{:.0f}")
    ctx.glue("region_share", region_share(measures_frame(ctx.panel[ctx.panel["year"] == ctx.last])), "{:.0f}%")


def _glue_stability_and_funnel(ctx: Context, res: Results) -> None:
    """Rank stability from year to year and over the period, and the funnel plot's counts."""
    consec = res.stab[~res.stab.index.str.startswith("First")]
    first_last = res.stab[res.stab.index.str.startswith("First")].iloc[0]
    ctx.glue("stab_cin", consec[MEASURES["cin_episode_rate"]].mean(), "{:.2f}")
    ctx.glue("stab_fl_cin", first_last[MEASURES["cin_episode_rate"]], "{:.2f}")
    ctx.glue("stab_cpp", consec[MEASURES["cpp_rate"]].mean(), "{:.2f}")
    ctx.glue("stab_fl_cpp", first_last[MEASURES["cpp_rate"]], "{:.2f}")
    ctx.glue("stab_cla", consec[MEASURES["cla_rate"]].mean(), "{:.2f}")
    ctx.glue("stab_fl_cla", first_last[MEASURES["cla_rate"]], "{:.2f}")
    ctx.glue("stab_spend", consec[MEASURES["spend_pc"]].mean(), "{:.2f}")
    ctx.glue("stab_fl_spend", first_last[MEASURES["spend_pc"]], "{:.2f}")
    ctx.glue("stab_verdict", stability_words(consec[MEASURES["cpp_rate"]].mean()))
    fs = res.fs
    ctx.glue("f_n", fs["n"])
    ctx.glue("f_out", fs["outside"])
    ctx.glue("f_above", fs["above"])
    ctx.glue("f_below", fs["below"])
    ctx.glue("f_expected", expected_text(fs["expected"]))
    ctx.glue("f_within95", fs["within95_share"], "{:.0f}%")
    ctx.glue("f_verdict", funnel_verdict(fs))
    ctx.glue("f_od_out", fs["od_outside"])
    ctx.glue("f_od_text", overdispersion_sentence(fs))
    ctx.glue("rank_text", rank_sentence(ctx, res.funnel))
    ctx.glue("f_reconcile", reconcile_sentence(ctx, res.funnel))
    ctx.glue_md("f_hl", res.f_hl)
