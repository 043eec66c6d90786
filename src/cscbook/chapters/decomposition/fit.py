"""The decomposition's models: the main fit, its bootstrap, the robustness fits and the OLS orders,
and the reference shares (the NAO's, and the generator's truth on synthetic England)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import cscbook.chapters.decomposition.rewb as within_between
import cscbook.chapters.decomposition.specs as specs
from cscbook import reference
from cscbook.analyse import models
from cscbook.chapters.context import Context
from cscbook.present import figures

#: Tolerance for recovering the generator's true shares (percentage points).
TRUTH_TOLERANCE_PP = 4.0


MAIN = "Main model (MixedLM)"


OLS_SHAPLEY = "OLS with authority dummies, Shapley R²"


@dataclass
class Results:
    """Everything the chapter shows, computed once: the fits, then the tables and figures made from them."""

    spec: models.Spec
    main: models.Fit
    boot: pd.DataFrame
    ci: pd.DataFrame
    variants: dict[str, models.Fit]
    variant_ci: dict[str, pd.DataFrame]
    orders: pd.DataFrame
    agreement: float  # largest difference in a share, profile REML against MixedLM, full sample
    timings: dict[str, float] = field(default_factory=dict)
    # The two declared models (data/reference/decomposition.csv); main is the reproduction model.
    reproduction: specs.Declared | None = None  # None on synthetic England: main is the generator's specification
    candidates: pd.DataFrame | None = None  # every candidate fitted, with its distance from the NAO's shares
    preferred: specs.Declared | None = None
    preferred_fit: models.Fit | None = None
    preferred_ci: pd.DataFrame | None = None
    since: Any = None  # the shares after 2017-18 (chapters.since.Since), set by ``results``
    now: Any = None  # the model on the chapter's own years and authorities (later.Now), set by ``results``
    # The within-between (REWB) model on the main model's rows, its bootstrap and its shares' intervals.
    rewb: models.Fit | None = None
    rewb_boot: pd.DataFrame | None = None
    rewb_ci: pd.DataFrame | None = None
    rewb_coefs: pd.DataFrame | None = None
    # What the chapter shows, made by ``results`` from the fits above (None after ``fit`` alone).
    shares: pd.DataFrame | None = None
    coefficients: pd.DataFrame | None = None
    robustness: pd.DataFrame | None = None
    ols_orders: pd.DataFrame | None = None
    recovery: pd.DataFrame | None = None  # None on official statistics: no known truth
    nao: pd.DataFrame | None = None
    fig_shares: figures.Figure | None = None
    fig_effects: figures.Figure | None = None
    fig_robustness: figures.Figure | None = None
    fig_orders: figures.Figure | None = None


def spec_for(ctx: Context) -> models.Spec:
    """The main specification from the chapter's parameters."""
    return models.Spec(outcome_scale=ctx.p.outcome_scale, deprivation=ctx.p.deprivation)


def fit(ctx: Context) -> Results:
    """Fit the main model on the chapter's view (region filter applied), bootstrap it, and run every check."""
    t0 = time.perf_counter()
    spec = spec_for(ctx)
    chosen, table, chosen_fit = specs.reproduction(ctx, spec)
    if chosen is not None:
        spec = chosen.spec
    main = chosen_fit if chosen_fit is not None else models.fit(ctx.view, spec, "mixedlm")  # fitted once
    prof = models.fit_frame(main.frame, spec, "profile")
    agreement = max(abs(main.shares[k] - prof.shares[k]) for k in models.COMPONENTS)
    t1 = time.perf_counter()
    boot = models.bootstrap(main.frame, spec, ctx.p.n_boot, ctx.p.boot_seed)
    ci = models.intervals(boot)
    t2 = time.perf_counter()
    var_fits, var_ci = {}, {}
    for name, s in models.variants(spec, ctx.last).items():
        f = models.fit(ctx.view, s, "mixedlm")
        var_fits[name] = f
        var_ci[name] = models.intervals(models.bootstrap(f.frame, s, ctx.p.n_boot, ctx.p.boot_seed))
    orders = models.ols_orders(main.frame, spec)
    pref = specs.preferred(ctx, spec_for(ctx))
    pref_fit = models.fit(ctx.view, pref.spec, "mixedlm") if pref else None
    pref_ci = (
        models.intervals(models.bootstrap(pref_fit.frame, pref.spec, ctx.p.n_boot, ctx.p.boot_seed)) if pref else None
    )
    t3 = time.perf_counter()
    wb, wb_boot, wb_ci = within_between.fit(main, ctx.p.n_boot, ctx.p.boot_seed)
    t4 = time.perf_counter()
    timings = {"main fit": t1 - t0, "bootstrap": t2 - t1, "robustness": t3 - t2, "within-between": t4 - t3}
    res = Results(
        spec, main, boot, ci, var_fits, var_ci, orders, agreement, timings, chosen, table, pref, pref_fit, pref_ci
    )
    res.rewb, res.rewb_boot, res.rewb_ci = wb, wb_boot, wb_ci
    res.rewb_coefs = within_between.coefficients(wb, wb_boot)
    return res


def nao_shares() -> dict[str, float]:
    """The NAO's published shares (percent)."""
    return {k: reference.value(key) for k, key in models.NAO_KEYS.items()}


def truth_shares(ctx: Context) -> dict[str, float] | None:
    """The generator's true shares (percent), on synthetic England only."""
    if not ctx.synthetic or not ctx.prepared.truth:
        return None
    return {k: 100 * float(v) for k, v in ctx.prepared.truth["cpp_model"]["shares"].items()}


def truth_comparable(ctx: Context, res: Results) -> str:
    """Empty if the main model matches the generator's definition; otherwise why it does not."""
    if ctx.p.region:
        return "the truth is defined on all authorities, the model on one region"
    if res.spec.outcome_scale != "log":
        return "the truth is defined on the log scale"
    if res.spec.deprivation != "idaci":
        return "the generator uses the IDACI score"
    return ""
