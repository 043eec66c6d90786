"""The decomposition chapter: shares of variation in CPP rates with bootstrap intervals, the
robustness checks, the coefficient table, authority effects, and the comparisons with the NAO and
(on synthetic England) with the generator's truth.

``results(ctx)`` fits the models and makes every table and figure; ``glue_all(ctx, res)`` glues
them and the numbers the prose quotes; ``write_json`` writes the shares beside the notebook.
The models are in ``fit``, the tables and sentences in ``tables``, the figures in ``charts``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook import contract
from cscbook.analyse import models
from cscbook.chapters import context as chapter
from cscbook.chapters import since
from cscbook.chapters.context import Context
from cscbook.chapters.decomposition import fit as fitting
from cscbook.chapters.decomposition import later, specs
from cscbook.chapters.decomposition import rewb as within_between
from cscbook.chapters.decomposition.charts import fig_effects, fig_orders, fig_robustness, fig_shares
from cscbook.chapters.decomposition.fit import (
    Results,
    nao_shares,
    truth_comparable,
    truth_shares,
)
from cscbook.chapters.decomposition.tables import (
    _interval_text,
    coef_labels,
    coef_table,
    highlight_sentence,
    models_sentence,
    models_table,
    nao_rows,
    orders_table,
    recovery_table,
    robustness_table,
    scope_sentence,
    shares_table,
    span,
    workforce_sentence,
)

#: What the chapter's notebook calls.
__all__ = ["Results", "glue_all", "results", "write_json"]


def results(ctx: Context) -> Results:
    """Fit the models (``fit``) on the NAO's period and authorities, and the main specification on the chapter's
    own (``later.now``), then make every table and figure the chapter shows, in the page's order."""
    nao = ctx.nao()
    res = fitting.fit(nao)
    res.now = later.now(ctx, res.main.spec)
    res.now.fig_effects = fig_effects(ctx, res.now)
    ctx, today = nao, ctx  # the rest reproduces the NAO's model
    res.fig_shares = fig_shares(ctx, res)
    res.shares = shares_table(ctx, res)
    res.coefficients = coef_table(ctx, res)
    res.fig_effects = fig_effects(ctx, res)
    res.fig_robustness = fig_robustness(ctx, res)
    res.robustness = robustness_table(res)
    res.fig_orders = fig_orders(ctx, res)
    res.ols_orders = orders_table(res)
    res.recovery = recovery_table(ctx, res)
    res.nao = chapter.nao_comparison(nao_rows(ctx, res))
    res.since = later.since(today, res.main, res.ci)
    return res


def write_json(ctx: Context, res: Results, path: str = "shares.json") -> Path:
    """Write shares, intervals and the checks to ``path`` in the working directory."""

    def pack(f: models.Fit, ci: pd.DataFrame) -> dict:
        return {
            "shares": {k: round(f.shares[k], 6) for k in models.COMPONENTS},
            "intervals_95": {k: _pair(ci.loc[k]) for k in models.COMPONENTS},
            "rows": len(f.frame),
            "authorities": int(f.frame["la_code"].nunique()),
            "years": [int(f.frame["year"].min()), int(f.frame["year"].max())],
            "spec": asdict(f.spec),
        }

    out = {
        "chapter": "decomposition",
        "outcome": f"CPP rate per 10,000 aged 0-17 at 31 March ({res.spec.outcome_scale})",
        "method": "MixedLM (REML), random intercept per authority, year fixed effects; Shapley rule for covariances",
        "region": ctx.p.region or "England",
        "data": ctx.source,
        "n_boot": ctx.p.n_boot,
        "boot_seed": ctx.p.boot_seed,
        "main": pack(res.main, res.ci),
        "reproduction": pack(res.main, res.ci)
        | {
            "declared": res.reproduction.name if res.reproduction else "the generator's specification",
            "largest_difference_pp": round(specs.distance(res.main), 6),
        },
        "preferred": pack(res.preferred_fit, res.preferred_ci)
        | {"declared": res.preferred.name, "reason": res.preferred.reason}
        if res.preferred
        else {"reason": specs.preferred_absent(res.spec)},
        "candidates": None
        if res.candidates is None
        else json.loads(res.candidates.reset_index().to_json(orient="records", double_precision=6)),
        "nao": {k: v / 100 for k, v in nao_shares().items()},
        "truth": {k: v / 100 for k, v in (truth_shares(ctx) or {}).items()} or None,
        "variants": {k: pack(v, res.variant_ci[k]) for k, v in res.variants.items()},
        "rewb": pack(res.rewb, res.rewb_ci)
        | {
            "method": "within-between (Mundlak): each covariate as its authority mean and the deviation from it, "
            "random intercept per authority, year fixed effects; the same rows as main",
            "coefficients": within_between.to_json(res.rewb_coefs),
            "sigma_a2": round(res.rewb.sigma_a2, 6),
            "sigma_e2": round(res.rewb.sigma_e2, 6),
        },
        "ols_orders": {i: {k: round(float(r[k]), 6) for k in models.COMPONENTS} for i, r in res.orders.iterrows()},
    }
    p = Path(path)
    p.write_text(json.dumps(out, indent=2) + "\n")
    return p


def _pair(row: pd.Series) -> list[float] | None:
    return None if np.isnan(row["low"]) else [round(float(row["low"]), 6), round(float(row["high"]), 6)]


# --- gluing ----------------------------------------------------------------------------------


def models_words(spec: models.Spec, frame: pd.DataFrame) -> str:
    """What this build's models are, for the methods page: the first part's fits and the main model of the
    second, in words (the methods page pastes it; it depends on the data and the parameters)."""
    outcome = models.OUTCOMES[spec.outcome]
    vac = (
        f"with the vacancy rate, so on the authority-years that have one ({span(frame['year'])})"
        if spec.vacancies
        else f"without the vacancy rate, on {span(frame['year'])}"
    )
    return (
        f"In this build the main model of the NAO's part takes as its outcome the {spec.outcome_scale} rate of "
        f"{outcome} per 10,000 children, {vac}, with spending per child"
        + (" of the year before" if spec.lag_spend else "")
        + " and the "
        + ("IDACI" if spec.deprivation == "idaci" else "IMD")
        + " score. The chapter's first part fits the same model to every year of the data without vacancies, and "
        "to the years with vacancy rates with them."
    )


def points_words(share_gap: float) -> str:
    """A difference between two shares (fractions) in percentage points, as a reader reads it: never in
    e-notation."""
    points = 100 * share_gap
    return "less than 0.01 percentage points" if points < 0.01 else f"{points:.2f} percentage points"


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes, and every figure and table the page shows: the model on the chapter's
    own years and authorities first, then the NAO's reproduction on its period and authorities."""
    _glue_now(ctx, res.now)
    ctx = ctx.nao()
    _glue_shares(ctx, res)
    _glue_effects(ctx, res)
    _glue_checks(ctx, res)
    _glue_truth(ctx, res)
    ctx.glue_md("highlight_text", highlight_sentence(ctx, res, ctx.highlight_md))
    ctx.glue("workforce_text", workforce_sentence(ctx, res))
    ctx.glue_figure("fig-decomposition-shares", res.fig_shares)
    ctx.glue_table("tbl-decomposition-shares", ctx.table(res.shares, "shares"))
    ctx.glue_table(
        "tbl-decomposition-coefficients",
        ctx.table(res.coefficients, "coefficients").format(precision=4, na_rep="—"),
    )
    ctx.glue_figure("fig-decomposition-effects", res.fig_effects)
    ctx.glue_figure("fig-decomposition-robustness", res.fig_robustness)
    ctx.glue_table("tbl-decomposition-robustness", ctx.table(res.robustness, "robustness"))
    ctx.glue_figure("fig-decomposition-orders", res.fig_orders)
    ctx.glue_table("tbl-decomposition-orders", ctx.table(res.ols_orders, "ols_orders"))
    ctx.glue_table(
        "tbl-decomposition-recovery",
        ctx.table(res.recovery, "recovery")
        if res.recovery is not None
        else "No known truth: built on official statistics.",
    )
    ctx.glue_md("models_text", models_sentence(ctx, res))
    ctx.glue_md("rewb_text", within_between.sentence(res.main, res.rewb, res.rewb_coefs))
    ctx.glue_table(
        "tbl-decomposition-rewb-shares",
        ctx.table(within_between.shares_table(res.main, res.ci, res.rewb, res.rewb_ci), "rewb_shares").format(
            precision=1
        ),
    )
    ctx.glue_table(
        "tbl-decomposition-rewb-coefficients",
        ctx.table(within_between.coef_table(res.rewb_coefs, coef_labels(res.spec)), "rewb_coefficients").format(
            precision=4, na_rep="—"
        ),
    )
    since.glue(ctx, res.since, text="decomposition_since_text", now="decomposition_now",
               table="tbl-decomposition-since", precision=1)  # fmt: skip
    ctx.glue_table("tbl-decomposition-models", ctx.table(models_table(ctx, res), "models"))
    none = pd.DataFrame(columns=["Definition", "Largest difference from the NAO (pp)", "Used"]).rename_axis("#")
    cand = ctx.table(res.candidates if res.candidates is not None else none, "candidates")  # the download, always
    ctx.glue_table(
        "tbl-decomposition-candidates",
        cand.format(precision=1, na_rep="—")
        if res.candidates is not None
        else "No candidates: on synthetic England the main model is the generator's own specification.",
    )
    chapter.glue_comparison(ctx, "tbl-decomposition-nao", res.nao, "decomposition_nao_pass", "decomposition_nao_rows")


def _glue_now(ctx: Context, now: later.Now) -> None:
    """The first part: shares on the chapter's own years and authorities, and each authority's effect."""
    ctx.glue("now_text", now.text)
    whole, _ = now.fits[later.WHOLE]
    ctx.glue("now_s_authority", 100 * whole.shares["authority"], "{:.0f}%")
    ctx.glue("now_s_deprivation", 100 * whole.shares["deprivation"], "{:.0f}%")
    ctx.glue("now_s_national", 100 * whole.shares["national"], "{:.0f}%")
    ctx.glue("now_s_spend_vacancy", 100 * whole.shares["spend_vacancy"], "{:.0f}%")
    ctx.glue("now_s_residual", 100 * whole.shares["residual"], "{:.0f}%")
    ctx.glue("now_years", span(whole.frame["year"]))
    ctx.glue_figure("fig-decomposition-now", now.fig)
    ctx.glue_table("tbl-decomposition-now", ctx.table(now.table, "now"))
    ctx.glue_figure("fig-decomposition-now-effects", now.fig_effects)
    ctx.glue("now_effects_years", span(now.main.frame["year"]))
    ctx.glue_md("now_highlight_text", highlight_sentence(ctx, now, ctx.highlight_md))
    eff = models.authority_effects(now.main)
    cols = {"la_code": "Code", "la_name": "Authority", "effect": "Effect", "low": "95% low", "high": "95% high"}
    ctx.table(eff.rename(columns=cols), "now_effects", index=False)


def _glue_shares(ctx: Context, res: Results) -> None:
    """The main model's shares, their intervals, the NAO's, and what the model was fitted on."""
    f, ci, nao = res.main, res.ci, nao_shares()
    pc = "{:.0f}%"
    ctx.glue("s_authority", 100 * f.shares["authority"], pc)
    ctx.glue("ci_authority", _interval_text(ci.loc["authority", "low"], ci.loc["authority", "high"]))
    ctx.glue("nao_authority", nao["authority"], pc)
    ctx.glue("s_deprivation", 100 * f.shares["deprivation"], pc)
    ctx.glue("ci_deprivation", _interval_text(ci.loc["deprivation", "low"], ci.loc["deprivation", "high"]))
    ctx.glue("nao_deprivation", nao["deprivation"], pc)
    ctx.glue("s_national", 100 * f.shares["national"], pc)
    ctx.glue("ci_national", _interval_text(ci.loc["national", "low"], ci.loc["national", "high"]))
    ctx.glue("nao_national", nao["national"], pc)
    ctx.glue("s_spend_vacancy", 100 * f.shares["spend_vacancy"], pc)
    ctx.glue("ci_spend_vacancy", _interval_text(ci.loc["spend_vacancy", "low"], ci.loc["spend_vacancy", "high"]))
    ctx.glue("nao_spend_vacancy", nao["spend_vacancy"], pc)
    ctx.glue("s_residual", 100 * f.shares["residual"], pc)
    ctx.glue("ci_residual", _interval_text(ci.loc["residual", "low"], ci.loc["residual", "high"]))
    ctx.glue("nao_residual", nao["residual"], pc)
    ctx.glue("explained_fixed", 100 * sum(f.shares[k] for k in ("deprivation", "national", "spend_vacancy")), pc)
    ctx.glue("n_rows", len(f.frame), "{:,}")
    ctx.glue("n_las", f.frame["la_code"].nunique(), "{:,}")
    ctx.glue("methods_models", models_words(res.spec, f.frame))
    ctx.glue("n_dropped_cpp", f.dropped.get("CPP count missing or suppressed", 0), "{:,}")
    ctx.glue("n_panel", f.dropped["rows in panel"], "{:,}")
    ctx.glue("model_first", contract.year_label(int(f.frame["year"].min())))
    ctx.glue("model_last", contract.year_label(int(f.frame["year"].max())))
    ctx.glue("n_boot", ctx.p.n_boot, "{:,}")
    ctx.glue("boot_seed", ctx.p.boot_seed)
    ctx.glue("agreement", points_words(res.agreement))
    ctx.glue("t_boot", res.timings["bootstrap"], "{:.1f} seconds")
    ctx.glue("t_all", sum(res.timings.values()), "{:.0f} seconds")
    ctx.glue("scope", scope_sentence(ctx, res))
    ctx.glue("scale_word", "logarithm of the" if res.spec.outcome_scale == "log" else "")
    ctx.glue("dep_name", "IDACI" if res.spec.deprivation == "idaci" else "IMD")
    ctx.glue("outcome_words", models.OUTCOMES[res.spec.outcome])
    spend = "the social care lines" if res.spec.spend == "social_care" else "children's social care"
    ctx.glue(
        "spend_vacancy_words",
        f"the logarithm of spending on {spend} per child and the children's social worker vacancy rate, both "
        "varying from year to year"
        if res.spec.vacancies
        else f"the logarithm of spending on {spend} per child, varying from year to year (the vacancy rate is "
        "left out, as the next sections explain)",
    )


def _glue_effects(ctx: Context, res: Results) -> None:
    """Coefficients in words: percentage (log) or per-10,000 (levels) changes for stated steps."""
    b = dict(zip(res.main.names, res.main.beta))
    dep_step = 0.1 if res.spec.deprivation == "idaci" else 10.0
    dep, spend, vac = b["deprivation"] * dep_step, b["log_spend"] * np.log(1.1), b.get("vacancy", np.nan) * 0.05
    if res.spec.outcome_scale == "log":
        ctx.glue("eff_dep", 100 * (np.exp(dep) - 1), "{:+.0f}%")
        ctx.glue("eff_spend", 100 * (np.exp(spend) - 1), "{:+.0f}%")
        eff_vac = f"{100 * (np.exp(vac) - 1):+.0f}%"
    else:
        ctx.glue("eff_dep", dep, "{:+.1f} per 10,000")
        ctx.glue("eff_spend", spend, "{:+.1f} per 10,000")
        eff_vac = f"{vac:+.1f} per 10,000"
    ctx.glue(
        "vac_effect_text",
        f"and five percentage points more vacancies with a rate {eff_vac} different"
        if "vacancy" in b
        else "(the model has no vacancy rate: the official rates start later than the model's years)",
    )
    ctx.glue("dep_step", dep_step, "{:g}")


def _glue_checks(ctx: Context, res: Results) -> None:
    """Numbers for the robustness and OLS sections."""
    o = 100 * res.orders
    ctx.glue("ols_dep_first", o.iloc[0]["deprivation"], "{:.0f}%")
    ctx.glue("ols_dep_last", o.iloc[1]["deprivation"], "{:.1f}%")
    ctx.glue("ols_auth_first", o.iloc[1]["authority"], "{:.0f}%")
    ctx.glue("ols_auth_dep_first", o.iloc[0]["authority"], "{:.0f}%")
    ctx.glue("ols_shapley_dep", o.iloc[2]["deprivation"], "{:.0f}%")
    ctx.glue("ols_resid", o.iloc[2]["residual"], "{:.0f}%")
    auth = [100 * f.shares["authority"] for f in [res.main, *res.variants.values()]] + [o.iloc[2]["authority"]]
    ctx.glue("auth_min", min(auth), "{:.0f}%")
    ctx.glue("auth_max", max(auth), "{:.0f}%")
    ctx.glue("n_specs", len(auth))
    novac = next((v for k, v in res.variants.items() if k.startswith("Without vacancies")), res.main)
    ctx.glue("novac_rows", len(novac.frame), "{:,}")
    ctx.glue("novac_sv", 100 * novac.shares["spend_vacancy"], "{:.0f}%")
    vac = {k: v for k, v in res.variants.items() if k.startswith("With vacancies")}
    if vac:
        ((name, v),) = vac.items()
        ctx.glue("vac_rows", len(v.frame), "{:,}")
        ctx.glue("vac_sv", 100 * v.shares["spend_vacancy"], "{:.0f}%")
        ctx.glue("vac_nat", 100 * v.shares["national"], "{:.0f}%")
        ctx.glue("vac_first", contract.year_label(int(v.frame["year"].min())))
    else:
        ctx.glue("vac_rows", "n/a")
        ctx.glue("vac_sv", "n/a")
        ctx.glue("vac_nat", "n/a")
        ctx.glue("vac_first", "n/a")
    ctx.glue("vac_first_real", contract.year_label(models.VACANCY_FIRST_YEAR))
    small = next(v for k, v in res.variants.items() if k.startswith("Smallest"))
    gone = sorted(set(res.main.frame["la_code"]) - set(small.frame["la_code"]))
    last = res.main.frame[res.main.frame["year"] == res.main.frame["year"].max()].set_index("la_code")["pop_0_17"]
    ctx.glue("small_n", len(gone))
    ctx.glue("small_max_pop", float(last[gone].max()) if gone else 0.0, "{:,.0f}")
    ctx.glue("small_pct", 100 * models.SMALL_FRACTION, "{:.0f}%")


def _glue_truth(ctx: Context, res: Results) -> None:
    """The generator's truth and how well the model recovers it (n/a on official statistics)."""
    truth = truth_shares(ctx)
    T = res.main.frame["year"].nunique()
    ctx.glue("T_years", T)
    if not truth:
        ctx.glue("truth_shift", "n/a")
        ctx.glue("rec_pass", "n/a")
        ctx.glue("rec_inside", "n/a")
        ctx.glue("rec_maxdiff", "n/a")
        ctx.glue("truth_authority", "n/a")
        ctx.glue("truth_deprivation", "n/a")
        ctx.glue("truth_national", "n/a")
        ctx.glue("truth_spend_vacancy", "n/a")
        ctx.glue("truth_residual", "n/a")
        return
    ctx.glue("truth_shift", truth["residual"] / (T - 1), "{:.1f} percentage points")
    ctx.glue("truth_authority", truth["authority"], "{:.0f}%")
    ctx.glue("truth_deprivation", truth["deprivation"], "{:.0f}%")
    ctx.glue("truth_national", truth["national"], "{:.0f}%")
    ctx.glue("truth_spend_vacancy", truth["spend_vacancy"], "{:.0f}%")
    ctx.glue("truth_residual", truth["residual"], "{:.0f}%")
    rec = res.recovery
    ctx.glue("rec_pass", int((rec["Result"] == "pass").sum()))
    ctx.glue("rec_inside", int((rec["Truth inside 95% interval"] == "yes").sum()))
    if truth_comparable(ctx, res):
        ctx.glue("rec_maxdiff", f"n/a: {truth_comparable(ctx, res)}")
    else:
        ctx.glue("rec_maxdiff", float(rec["Difference (pp)"].abs().max()), "{:.1f} pp")
