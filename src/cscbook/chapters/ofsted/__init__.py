"""Spending against Ofsted: spending per child by the latest overall judgement, the strength of the
association (rank correlation, Kruskal-Wallis, ordinal logit controlling for deprivation), the
spending range among authorities rated Good, and whether a judgement indicates the later change
in the rates of child protection plans and of looked-after children.

``results(ctx)`` computes every number, table and figure; ``glue_all(ctx, res)`` glues them.
The statistics and sentences are in ``stats``, the figures in ``charts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cscbook import contract, reference
from cscbook.analyse import measures
from cscbook.analyse.stats import kruskal, spearman_ci
from cscbook.chapters import candidates, since
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.chapters.ofsted.charts import fig_change, fig_spend
from cscbook.chapters.ofsted.stats import (
    association_words,
    change_summary,
    change_tests,
    findings,
    good_range,
    group_table,
    highlight_sentence,
    judgement_frame,
    judgement_model,
    later_change,
    nao_rows,
    score_for_scale,
)
from cscbook.present import figures


@dataclass
class Results:
    """Every number, table and figure the chapter shows, computed once."""

    jf: pd.DataFrame  # each authority's judgement and spending
    groups: pd.DataFrame
    sp: dict  # Spearman's rho with its interval
    kw: dict  # Kruskal-Wallis
    model: dict  # the model allowing for deprivation
    good: dict  # the spending range among authorities rated Good
    change: pd.DataFrame  # each authority's later change
    tests: pd.DataFrame
    hl_sentence: str
    ch_base: str  # how many authorities start in the commonest first year
    change_summary: pd.DataFrame
    nao: pd.DataFrame
    candidates: pd.DataFrame  # the definitions declared for the NAO's pair
    since: since.Since  # the finding carried past 2017-18
    findings: pd.DataFrame  # the NAO's findings tested on its period and footprint
    findings_now: pd.DataFrame | None  # the same tests on the latest year, the change measured from 2017-18
    nao_sp: dict  # Spearman's rho in the NAO's last year
    nao_good: dict  # the spending range among authorities rated Good then
    fig_spend: figures.Figure
    fig_change: figures.Figure


def results(ctx: Context) -> Results:
    scale = ctx.p.judgement_scale
    jf = judgement_frame(ctx)
    sp = spearman_ci(score_for_scale(jf, scale), jf["spend_pc"])
    model = judgement_model(jf, scale)
    good = good_range(jf)
    ch = later_change(ctx)
    tests = change_tests(ch, scale)
    nao = ctx.nao()  # the NAO's findings, on its period and the authorities of then
    nao_jf = judgement_frame(nao)
    nao_sp = spearman_ci(score_for_scale(nao_jf, scale), nao_jf["spend_pc"])
    nao_good = good_range(nao_jf)
    nao_tests = change_tests(later_change(nao), scale)
    held = since_context(ctx)
    cand = candidates.assess(nao, ["good_spend"])
    return Results(
        jf=jf,
        groups=group_table(ctx, jf),
        sp=sp,
        kw=kruskal(jf, "spend_pc"),
        model=model,
        good=good,
        change=ch,
        tests=tests,
        hl_sentence=highlight_sentence(ctx, jf),
        ch_base=base_words(ch),
        change_summary=change_summary(ctx, ch),
        nao=chapter.nao_comparison(candidates.apply(nao, nao_rows(nao, nao_good), cand)),
        candidates=cand,
        since=since.ofsted(ctx),
        findings=findings(nao_sp, judgement_model(nao_jf, scale), nao_tests),
        findings_now=None if held is None else findings(sp, model, change_tests(later_change(held), scale)),
        nao_sp=nao_sp,
        nao_good=nao_good,
        fig_spend=fig_spend(ctx, jf, sp),
        fig_change=fig_change(ctx, ch, tests),
    )


def since_context(ctx: Context) -> Context | None:
    """Today's authorities from the NAO's last year to the latest (for the judgement of 2017-18 against the change
    since), or None where the data stop at the NAO's last year (synthetic England)."""
    later = ctx.later()
    if later is None or int(later.panel["year"].max()) <= reference.NAO_END:
        return None
    return chapter.in_years(ctx.chapter, ctx.p, later, (reference.NAO_END, int(later.panel["year"].max())))


def base_words(ch: pd.DataFrame) -> str:
    """'152 of 152 authorities: 2010-11': how many authorities take their judgement in the commonest first year."""
    base = ch["base_year"].value_counts()
    return f"{base.iloc[0]} of {len(ch)} authorities: {contract.year_label(int(base.index[0]))}" if len(ch) else "none"


def scope_note(ctx: Context, n: int) -> str:
    if ctx.p.region:
        return f"This page covers the {n} authorities of the {ctx.p.region} region with a judgement."
    return f"This page covers the {n} authorities in England with a judgement."


def scale_note(scale: str) -> str:
    if scale == "binary":
        return "Judgements are grouped as Good or better against Requires improvement or worse (the binary scale)."
    return "Judgements are on the four-point scale, from Inadequate to Outstanding."


def model_phrase(model: dict) -> str:
    """'An ordinal logit' or 'A logit': the model's name with its article, to start a sentence."""
    return ("An " if model["model"].startswith("o") else "A ") + model["model"]


def change_words(r: pd.Series) -> str:
    return (
        f"{r['Spearman rho']:+.2f} (95% CI {r['CI low']:+.2f} to {r['CI high']:+.2f}; "
        f"Kruskal-Wallis p = {r['K-W p']:.2f})"
    )


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows."""
    _glue_association(ctx, res)
    _glue_good_and_change(ctx, res)
    ctx.glue_figure("fig-ofsted-spend", res.fig_spend)
    ctx.glue_table("tbl-ofsted-spend", ctx.table(res.groups, "spend_by_judgement", year=ctx.last))
    ctx.glue_figure("fig-ofsted-change", res.fig_change)
    ctx.glue_table("tbl-ofsted-change-summary", ctx.table(res.change_summary, "later_change_by_judgement"))
    ctx.glue_table("tbl-ofsted-change-tests", ctx.table(res.tests, "later_change_tests").format(precision=2))
    ctx.table(res.change, "later_change", index=False)
    chapter.glue_comparison(ctx, "tbl-ofsted-nao", res.nao, "ofsted_nao_pass", "ofsted_nao_rows")
    cand_table, cand_text = candidates.tables(ctx.nao(), res.candidates)
    ctx.glue_table("tbl-ofsted-candidates", cand_table)
    ctx.glue_md("ofsted_candidates_text", cand_text)
    since.glue(ctx, res.since, text="ofsted_since_text", now="ofsted_now", fig="fig-ofsted-since",
               table="tbl-ofsted-since", precision=2)  # fmt: skip
    ctx.glue_table("tbl-ofsted-findings", ctx.table(res.findings, "findings", index=False).format(precision=2))
    now = res.findings_now if res.findings_now is not None else pd.DataFrame({"Note": [since.ABSENT]})
    shown = ctx.table(now, "findings_now", index=False).format(precision=2)  # the download, always
    ctx.glue_table("tbl-ofsted-findings-now", since.ABSENT if res.findings_now is None else shown)
    nao, sp, gr = ctx.nao(), res.nao_sp, res.nao_good
    ctx.glue("nao_last", contract.year_label(nao.last))
    ctx.glue("nao_rho", f"{sp['rho']:+.2f} (95% CI {sp['lo']:+.2f} to {sp['hi']:+.2f}; {sp['n']} authorities)")
    ctx.glue("nao_good_ours", f"{gr['n']} authorities rated Good spent from £{gr['min']:,.0f} to £{gr['max']:,.0f} per "
             f"child ({gr['who_min']} and {gr['who_max']})" if gr["n"] else "no authority was rated Good")  # fmt: skip


def _glue_association(ctx: Context, res: Results) -> None:
    """The judgement frame and the three measures of association with spending."""
    sp, kw, model = res.sp, res.kw, res.model
    ctx.glue("last", contract.year_label(ctx.last))
    ctx.glue("last_year", ctx.last)
    ctx.glue("scope_note", scope_note(ctx, len(res.jf)))
    ctx.glue("scale_note", scale_note(ctx.p.judgement_scale))
    ctx.glue("medians", "; ".join(f"{g} £{m:,.0f}" for g, m in res.groups["Median (£)"].items()))
    ctx.glue("rho", sp["rho"], "{:+.2f}")
    ctx.glue("rho_lo", sp["lo"], "{:+.2f}")
    ctx.glue("rho_hi", sp["hi"], "{:+.2f}")
    ctx.glue("rho_p", sp["p"], "{:.2f}")
    ctx.glue("n_auth", sp["n"])
    ctx.glue("assoc", association_words(sp["lo"], sp["hi"], "a positive association", "a negative association"))
    ctx.glue("kw_h", kw["H"], "{:.2f}")
    ctx.glue("kw_p", kw["p"], "{:.2f}")
    ctx.glue("model_phrase", model_phrase(model))
    ctx.glue("or2", model.get("or2", float("nan")), "{:.2f}")
    ctx.glue("or2_ci", f"{model.get('or2_lo', float('nan')):.2f} to {model.get('or2_hi', float('nan')):.2f}")
    ctx.glue("coef", model["coef"], "{:+.2f}")
    ctx.glue("coef_ci", f"{model['lo']:+.2f} to {model['hi']:+.2f}")
    ctx.glue_md("hl_sentence", res.hl_sentence)
    ctx.glue("frameworks", framework_words(res.jf))
    cols = {"la_name": "Authority", "region": "Region", "ofsted_overall": "Judgement", "ofsted_date": "Published",
            "ofsted_framework": "Framework", "spend_pc": "Spending per child (£)"}  # fmt: skip
    ctx.table(res.jf[list(cols)].rename(columns=cols), "judgements", index=False, year=ctx.last)


def framework_words(jf: pd.DataFrame) -> str:
    """'all 151 made under ILACS, published from March 2020 to March 2025': the frameworks and dates of the
    judgements a year holds, for a parenthesis."""
    if jf.empty:
        return "no judgements"
    counts = jf["ofsted_framework"].fillna("an unrecorded framework").value_counts()
    dates = pd.to_datetime(jf["ofsted_date"], errors="coerce").dropna()
    when = f", published from {dates.min():%B %Y} to {dates.max():%B %Y}" if len(dates) else ""
    if len(counts) == 1:
        return f"all {len(jf)} made under {counts.index[0]}{when}"
    return measures.and_list([f"{n} under {name}" for name, n in counts.items()]) + when


def _glue_good_and_change(ctx: Context, res: Results) -> None:
    """The range among authorities rated Good, and the later change in demand."""
    gr = res.good
    ctx.glue("good_n", gr["n"])
    ctx.glue("good_min", gr["min"], "£{:,.0f}")
    ctx.glue("good_max", gr["max"], "£{:,.0f}")
    ctx.glue("good_who", f"{gr['who_min']} and {gr['who_max']}")
    ctx.glue("nao_good_min", reference.value("good_spend_min"), "£{:,.0f}")
    ctx.glue("nao_good_max", reference.value("good_spend_max"), "£{:,.0f}")
    ctx.glue("ch_cpp", change_words(res.tests.loc["Child protection plan rate"]))
    ctx.glue("ch_cla", change_words(res.tests.loc["Looked-after rate"]))
    ctx.glue("ch_n", int(res.change["cpp_31mar_change"].notna().sum()))
    ctx.glue("ch_base", res.ch_base)
