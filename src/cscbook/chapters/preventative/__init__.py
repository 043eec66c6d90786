"""The preventative shift: section 251 spending by category in nominal and real terms, the
preventative share under three definitions against the NAO's 41% and 25%, each authority's change,
and whether authorities that lost more children's centres saw child protection plans rise faster.

``results(ctx)`` computes every number, table and figure; ``glue_all(ctx, res)`` glues them.
Spending and the shares are in ``spending``, the children's centres test in ``centres``, the
comparison with the NAO in ``nao`` and the figures in ``charts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.chapters import candidates, since
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.chapters.preventative.centres import (
    CentresResult,
    centres_sentence,
    centres_table,
    centres_test,
    national_centres,
)
from cscbook.chapters.preventative.charts import (
    fig_centres,
    fig_change,
    fig_shares,
    fig_spend,
)
from cscbook.chapters.preventative.nao import (
    nao_rows,
)
from cscbook.chapters.preventative.spending import (
    CATEGORY_LABELS,
    DEFINITIONS,
    authority_download,
    authority_ends,
    authority_table,
    break_sentence,
    by_year_columns,
    category_changes,
    definitions_table,
    highlight_sentence,
    national_shares,
    reproduction_sentence,
    scope,
    share_table,
    spend_by_category,
)
from cscbook.present import figures


@dataclass
class Results:
    """Every number, table and figure the chapter shows, computed once."""

    nominal: pd.DataFrame
    real: pd.DataFrame
    changes: pd.DataFrame
    shares: pd.DataFrame
    auth: pd.DataFrame
    centres: CentresResult
    nao: pd.DataFrame | None = None
    candidates: pd.DataFrame | None = None  # the definitions declared for the NAO's shares
    since: since.Since | None = None  # the share carried past 2017-18
    fig_spend: figures.Figure | None = None
    fig_shares: figures.Figure | None = None
    fig_change: figures.Figure | None = None
    fig_centres: figures.Figure | str | None = None  # a note when the test cannot run


def spend_breaks(ctx: Context) -> dict:
    """The declared breaks of the spending lines inside the chapter's years."""
    return measures.breaks_within(ctx.prepared.meta, ctx.first, ctx.last)


def results(ctx: Context) -> Results:
    nominal = spend_by_category(ctx.view)
    real = spend_by_category(ctx.view, real=True)
    shares = national_shares(ctx.view)
    auth = authority_table(ctx)
    centres = centres_test(auth, national_centres(ctx.view))
    nao = ctx.nao()  # the NAO's shares are of its period and authorities
    cand = candidates.assess(nao, ["prev_share"])
    return Results(
        nominal=nominal,
        real=real,
        changes=category_changes(nominal, real, ctx.first, ctx.last, spend_breaks(ctx)),
        shares=shares,
        auth=auth,
        centres=centres,
        nao=chapter.nao_comparison(candidates.apply(nao, nao_rows(nao, national_shares(nao.view), centres), cand)),
        candidates=cand,
        since=since.preventative(ctx),
        fig_spend=fig_spend(ctx, nominal, real),
        fig_shares=fig_shares(ctx, shares),
        fig_change=fig_change(ctx, auth),
        fig_centres=fig_centres(ctx, auth, centres) if centres.available else f"No chart: {centres.reason}.",
    )


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows."""
    _glue_spending(ctx, res)
    _glue_shares(ctx, res)
    ctx.glue_figure("fig-preventative-spend", res.fig_spend)
    ctx.glue_table("tbl-preventative-spend-nominal", ctx.table(by_year_columns(res.nominal), "spend_nominal"))
    ctx.glue_table("tbl-preventative-spend-real", ctx.table(by_year_columns(res.real), "spend_real"))
    ctx.glue_table("tbl-preventative-spend-change", ctx.table(res.changes, "spend_change"))
    ctx.glue_table("tbl-preventative-definitions", ctx.table(definitions_table(), "definitions"))
    ctx.glue_figure("fig-preventative-shares", res.fig_shares)
    ctx.glue_table("tbl-preventative-shares", ctx.table(share_table(res.shares), "shares"))
    ctx.glue_figure("fig-preventative-change", res.fig_change)
    ctx.table(authority_download(res.auth), "authorities")
    # Styled here with fixed element ids (a DataFrame glued as it is gets random ones, different on every run).
    ends = chapter.styled_table(authority_ends(res.auth, 5)).set_uuid("preventative_ends")
    ctx.glue_table("tbl-preventative-ends", ends)
    table = ctx.table(centres_table(res.centres), "centres")
    ctx.glue_figure("fig-preventative-centres", res.fig_centres)
    ctx.glue_table("tbl-preventative-centres", table if res.centres.available else f"No test: {res.centres.reason}.")
    chapter.glue_comparison(ctx, "tbl-preventative-nao", res.nao, "preventative_nao_pass", "preventative_nao_rows")
    cand_table, cand_text = candidates.tables(ctx.nao(), res.candidates)
    ctx.glue_table("tbl-preventative-candidates", cand_table)
    ctx.glue_md("preventative_candidates_text", cand_text)
    since.glue(ctx, res.since, text="preventative_since_text", now="preventative_now",
               fig="fig-preventative-since", table="tbl-preventative-since")  # fmt: skip


def _glue_spending(ctx: Context, res: Results) -> None:
    """The years, the definition in use, and the change in spending."""
    k = ctx.p.definition
    a, b = ctx.first, ctx.last
    ctx.glue("first", contract.year_label(a))
    ctx.glue("last", contract.year_label(b))
    ctx.glue("scope", scope(ctx))
    ctx.glue("deflator", ctx.prepared.meta.get("deflator", "not stated in the data's meta.json"))
    ctx.glue("definition", k)
    ctx.glue("definition_text", DEFINITIONS[k].description)
    tot = [CATEGORY_LABELS[c] for c in measures.SOCIAL_CARE]
    nom_total, real_total = res.nominal[tot].sum(axis=1), res.real[tot].sum(axis=1)
    ctx.glue("total_first", nom_total[a] / 1e3, "£{:,.2f}bn")
    ctx.glue("total_last", nom_total[b] / 1e3, "£{:,.2f}bn")
    ctx.glue("total_nominal_change", (nom_total[b] / nom_total[a] - 1) * 100, "{:+.1f}%")
    ctx.glue("total_real_change", (real_total[b] / real_total[a] - 1) * 100, "{:+.1f}%")
    real_ch = res.changes.loc[tot, "Real change (%)"]
    ctx.glue("fell_most", real_ch.idxmin())
    ctx.glue("fell_most_pct", real_ch.min(), "{:+.1f}%")
    ctx.glue("rose_most", real_ch.idxmax())
    ctx.glue("rose_most_pct", real_ch.max(), "{:+.1f}%")
    ctx.glue_md("break_sentence", break_sentence(res.nominal, spend_breaks(ctx)))


def _glue_shares(ctx: Context, res: Results) -> None:
    """The preventative share under each definition, the NAO's, and each authority's change."""
    k, s = ctx.p.definition, res.shares
    a, b = ctx.first, ctx.last
    ctx.glue("share_A_first", s.loc[a, "A"], "{:.1f}%")
    ctx.glue("share_A_last", s.loc[b, "A"], "{:.1f}%")
    ctx.glue("share_B_first", s.loc[a, "B"], "{:.1f}%")
    ctx.glue("share_B_last", s.loc[b, "B"], "{:.1f}%")
    ctx.glue("share_C_first", s.loc[a, "C"], "{:.1f}%")
    ctx.glue("share_C_last", s.loc[b, "C"], "{:.1f}%")
    ctx.glue("share_first", s.loc[a, k], "{:.1f}%")
    ctx.glue("share_last", s.loc[b, k], "{:.1f}%")
    ctx.glue("nao_first", reference.value("prev_share_2011"), "{:.0f}%")
    ctx.glue("nao_last", reference.value("prev_share_2017"), "{:.0f}%")
    ctx.glue_md("reproduces", reproduction_sentence(ctx, s))
    ch = res.auth["share_change_pp"].dropna()
    ctx.glue("n_auth", len(ch))
    ctx.glue("n_fell", int((ch < 0).sum()))
    ctx.glue("median_change", ch.median(), "{:+.1f}")
    ctx.glue("min_change", ch.min(), "{:+.1f}")
    ctx.glue("max_change", ch.max(), "{:+.1f}")
    ctx.glue_md("highlight_sentence", highlight_sentence(ctx, ch))
    ctx.glue_md("centres_sentence", centres_sentence(res.centres, ctx))
