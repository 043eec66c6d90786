"""The decomposition chapter: shares of variation in CPP rates with bootstrap intervals, the
robustness checks, the coefficient table, authority effects, and the comparisons with the NAO and
(on synthetic England) with the generator's truth."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.analyse import measures, models, reference
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context
from cscbook.publish import figures

#: Tolerance for recovering the generator's true shares (percentage points).
TRUTH_TOLERANCE_PP = 4.0
MAIN = "Main model (MixedLM)"
OLS_SHAPLEY = "OLS with authority dummies, Shapley R²"


@dataclass
class Results:
    """Everything the chapter shows, computed once."""

    spec: models.Spec
    main: models.Fit
    boot: pd.DataFrame
    ci: pd.DataFrame
    variants: dict[str, models.Fit]
    variant_ci: dict[str, pd.DataFrame]
    orders: pd.DataFrame
    agreement: float  # largest difference in a share, profile REML against MixedLM, full sample
    timings: dict[str, float] = field(default_factory=dict)


def spec_for(ctx: Context) -> models.Spec:
    """The main specification from the chapter's parameters."""
    return models.Spec(outcome_scale=ctx.p.outcome_scale, deprivation=ctx.p.deprivation)


def analyse(ctx: Context) -> Results:
    """Fit the main model on the chapter's view (region filter applied), bootstrap it, and run every check."""
    t0 = time.perf_counter()
    spec = spec_for(ctx)
    main = models.fit(ctx.view, spec, "mixedlm")
    prof = models.fit_frame(main.frame, spec, "profile")
    agreement = max(abs(main.shares[k] - prof.shares[k]) for k in models.COMPONENTS)
    t1 = time.perf_counter()
    boot = models.bootstrap(main.frame, spec, ctx.p.n_boot, ctx.p.boot_seed)
    ci = _ci(boot)
    t2 = time.perf_counter()
    var_fits, var_ci = {}, {}
    for name, s in models.variants(spec, ctx.last).items():
        f = models.fit(ctx.view, s, "mixedlm")
        var_fits[name] = f
        var_ci[name] = _ci(models.bootstrap(f.frame, s, ctx.p.n_boot, ctx.p.boot_seed))
    orders = models.ols_orders(main.frame, spec)
    t3 = time.perf_counter()
    timings = {"main fit": t1 - t0, "bootstrap": t2 - t1, "robustness": t3 - t2}
    return Results(spec, main, boot, ci, var_fits, var_ci, orders, agreement, timings)


def _ci(boot: pd.DataFrame) -> pd.DataFrame:
    if len(boot) == 0:
        return pd.DataFrame({"low": np.nan, "high": np.nan}, index=models.COMPONENTS)
    return models.intervals(boot)


# --- reference figures ----------------------------------------------------------------------


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


# --- tables -------------------------------------------------------------------------------


def shares_table(ctx: Context, res: Results) -> pd.DataFrame:
    """Our shares with 95% intervals, beside the NAO's (and the truth on synthetic England), in percent."""
    nao = nao_shares()
    df = pd.DataFrame(
        {
            "Ours (%)": [100 * res.main.shares[k] for k in models.COMPONENTS],
            "95% interval low (%)": [100 * res.ci.loc[k, "low"] for k in models.COMPONENTS],
            "95% interval high (%)": [100 * res.ci.loc[k, "high"] for k in models.COMPONENTS],
            "NAO (%)": [nao[k] for k in models.COMPONENTS],
        },
        index=[models.LABELS[k] for k in models.COMPONENTS],
    )
    truth = truth_shares(ctx)
    if truth and not truth_comparable(ctx, res):
        df["Generator's truth (%)"] = [truth[k] for k in models.COMPONENTS]
    df.index.name = "Component"
    return df


def coef_labels(spec: models.Spec) -> dict[str, str]:
    dep = "IDACI average score" if spec.deprivation == "idaci" else "IMD average score"
    return {
        "const": "Intercept",
        "deprivation": f"Deprivation ({dep})",
        "log_spend": "Log spending per child (£, nominal)",
        "vacancy": "Social worker vacancy rate (0-1)",
    }


def coef_table(ctx: Context, res: Results) -> pd.DataFrame:
    """Fixed effects with 95% confidence intervals, the variance components with bootstrap intervals, and the truth."""
    t = models.coefficient_table(res.main)
    labels = coef_labels(res.spec)
    first = int(res.main.frame["year"].min())
    t.index = [
        labels[n] if n in labels else f"Year {measures.year_label(int(n[5:]))} (vs {measures.year_label(first)})"
        for n in t.index
    ]
    var = pd.DataFrame(
        {
            "Estimate": [res.main.sigma_a2, res.main.sigma_e2],
            "Std. error": [np.nan, np.nan],
            "95% CI low": [_q(res.boot, "sigma_a2", 0.025), _q(res.boot, "sigma_e2", 0.025)],
            "95% CI high": [_q(res.boot, "sigma_a2", 0.975), _q(res.boot, "sigma_e2", 0.975)],
        },
        index=["Variance between authorities (σa², bootstrap CI)", "Residual variance (σe², bootstrap CI)"],
    )
    out = pd.concat([t, var])
    truth = ctx.prepared.truth["cpp_model"] if ctx.synthetic and ctx.prepared.truth else None
    if truth and not truth_comparable(ctx, res):
        c = truth["coefficients"]
        tv = {
            labels["deprivation"]: c["idaci_score"],
            labels["log_spend"]: c["log_spend_per_child"],
            labels["vacancy"]: c["sw_vacancy_rate"],
        }
        ye = truth["year_effects"]
        for y in sorted(res.main.frame["year"].unique())[1:]:
            tv[f"Year {measures.year_label(int(y))} (vs {measures.year_label(first)})"] = ye[str(y)] - ye[str(first)]
        tv[var.index[0]] = truth["sd_authority"] ** 2
        tv[var.index[1]] = truth["sd_residual"] ** 2
        out["True value"] = [tv.get(i, np.nan) for i in out.index]
    out.index.name = "Term"
    return out


def _q(boot: pd.DataFrame, col: str, q: float) -> float:
    return float(boot[col].quantile(q)) if len(boot) else np.nan


def robustness_table(res: Results) -> pd.DataFrame:
    """Shares under each specification, as 'share (95% interval)' in percent, with the rows and years used."""
    fits = {MAIN: (res.main, res.ci), **{k: (v, res.variant_ci[k]) for k, v in res.variants.items()}}
    rows = []
    for name, (f, ci) in fits.items():
        yrs = f.frame["year"]
        r = {"Specification": name, "Rows": len(f.frame), "Years": f"{int(yrs.min())}-{int(yrs.max())}"}
        for k in models.COMPONENTS:
            r[models.LABELS[k]] = _with_interval(f.shares[k], ci.loc[k, "low"], ci.loc[k, "high"])
        rows.append(r)
    yrs = res.main.frame["year"]
    r = {"Specification": OLS_SHAPLEY, "Rows": len(res.main.frame), "Years": f"{int(yrs.min())}-{int(yrs.max())}"}
    for k in models.COMPONENTS:
        r[models.LABELS[k]] = f"{100 * res.orders.iloc[2][k]:.0f}"
    rows.append(r)
    return pd.DataFrame(rows).set_index("Specification")


def _with_interval(x: float, lo: float, hi: float) -> str:
    return f"{100 * x:.0f}" if np.isnan(lo) else f"{100 * x:.0f} ({100 * lo:.0f} to {100 * hi:.0f})"


def _interval_text(lo: float, hi: float) -> str:
    return "—" if np.isnan(lo) else f"{100 * lo:.0f}% to {100 * hi:.0f}%"


def orders_table(res: Results) -> pd.DataFrame:
    """OLS shares by order of entry, in percent."""
    t = (100 * res.orders).rename(columns=lambda k: f"{models.LABELS[k]} (%)")
    t.index.name = "Order of entry"
    return t


def dropped_table(res: Results) -> pd.DataFrame:
    """Rows of the panel and what each rule dropped, for the main model."""
    return pd.DataFrame({"Rows": pd.Series(res.main.dropped)}).rename_axis("Step")


def recovery_table(ctx: Context, res: Results) -> pd.DataFrame | None:
    """Estimated shares against the generator's truth, with a ±4 pp tolerance (synthetic England only)."""
    truth = truth_shares(ctx)
    if truth is None:
        return None
    why = truth_comparable(ctx, res)
    rows = []
    for k in models.COMPONENTS:
        ours = 100 * res.main.shares[k]
        diff = ours - truth[k]
        ok = abs(diff) <= TRUTH_TOLERANCE_PP
        inside = res.ci.loc[k, "low"] * 100 <= truth[k] <= res.ci.loc[k, "high"] * 100
        rows.append(
            {
                "Component": models.LABELS[k],
                "Truth (%)": truth[k],
                "Ours (%)": np.nan if why else ours,
                "Difference (pp)": np.nan if why else diff,
                "Truth inside 95% interval": "—"
                if why or np.isnan(res.ci.loc[k, "low"])
                else ("yes" if inside else "no"),
                "Tolerance": f"±{TRUTH_TOLERANCE_PP:g} pp",
                "Result": "n/a" if why else ("pass" if ok else "fail"),
                "Note": why,
            }
        )
    return pd.DataFrame(rows).set_index("Component")


def nao_rows(ctx: Context, res: Results) -> list[dict]:
    """Our shares (percent) for the NAO comparison; a region's shares are not comparable."""
    rows = []
    note = ""
    if res.spec.outcome_scale != "log":
        note = "outcome in levels; the NAO's scale is not published"
    if ctx.synthetic:
        note = "; ".join(
            x
            for x in [note, "synthetic data built to the NAO's shares; see 'Recovering a known truth' for the gap"]
            if x
        )
    for k, key in models.NAO_KEYS.items():
        if ctx.p.region:
            rows.append({"key": key, "ours": None, "reason": f"fitted on {ctx.p.region} only"})
        else:
            ours = 100 * res.main.shares[k]
            why = note
            if not ctx.synthetic and not nao_notes.within(key, ours):
                why = nao_notes.join([note, share_note(ctx, res, k, key)])
            rows.append({"key": key, "ours": ours, "reason": why})
    return rows


def fit_words(f: models.Fit) -> str:
    """'150 rows, 150 authorities, 2017-18 only' for a fit."""
    yrs = sorted(int(y) for y in f.frame["year"].unique())
    span = (
        f"{measures.year_label(yrs[0])} only"
        if len(yrs) == 1
        else f"{measures.year_label(yrs[0])} to {measures.year_label(yrs[-1])}"
    )
    return f"{len(f.frame):,} rows, {f.frame['la_code'].nunique()} authorities, {span}"


def share_note(ctx: Context, res: Results, k: str, key: str) -> str:
    """Why a share differs from the NAO's: the years and authorities in the fit, where vacancy rates
    start, what one year of data does to the components, and the longer panel without vacancies."""
    parts = [f"main fit: {fit_words(res.main)}"]
    vac = ctx.panel.loc[ctx.panel["sw_vacancy_rate"].notna(), "year"]
    dropped = res.main.dropped.get("vacancy missing", 0)
    if len(vac):
        first = int(vac.min())
        expect = models.VACANCY_FIRST_YEAR
        parts.append(
            f"vacancy rates in the data start in {measures.year_label(first)} (rule Y-CSWW: the 30 September census "
            f"counts for the following year), so {dropped:,} earlier rows are dropped"
            + (
                f"; the model allows for rates from {measures.year_label(expect)}, which this panel does not have"
                if first > expect
                else ""
            )
        )
    else:
        parts.append("the data have no vacancy rates")
    years = res.main.frame["year"].nunique()
    if years == 1 and k == "national":
        parts.append("with one year in the fit, national changes are zero by construction")
    if years == 1 and k in ("authority", "residual"):
        parts.append(
            "with one row per authority, differences between authorities and unexplained variation cannot be told "
            f"apart (the fit gives {100 * res.main.shares['authority']:.0f}% and {100 * res.main.shares['residual']:.0f}%)"
        )
    novac = next((v for name, v in res.variants.items() if name.startswith("Without vacancies")), None)
    if novac is not None:
        name = next(name for name in res.variants if name.startswith("Without vacancies"))
        ci = res.variant_ci[name].loc[k]
        share = 100 * novac.shares[k]
        interval = "" if np.isnan(ci["low"]) else f", 95% interval {100 * ci['low']:.0f}% to {100 * ci['high']:.0f}%"
        verdict = "within" if nao_notes.within(key, share) else "outside"
        parts.append(
            f"the longer panel without vacancies ({fit_words(novac)}; spending only) gives {share:.1f}%{interval}, "
            f"{verdict} tolerance; all five: "
            + ", ".join(f"{models.LABELS[c].lower()} {100 * novac.shares[c]:.0f}%" for c in models.COMPONENTS)
        )
    return nao_notes.join(parts)


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
        "nao": {k: v / 100 for k, v in nao_shares().items()},
        "truth": {k: v / 100 for k, v in (truth_shares(ctx) or {}).items()} or None,
        "variants": {k: pack(v, res.variant_ci[k]) for k, v in res.variants.items()},
        "ols_orders": {i: {k: round(float(r[k]), 6) for k in models.COMPONENTS} for i, r in res.orders.iterrows()},
    }
    p = Path(path)
    p.write_text(json.dumps(out, indent=2) + "\n")
    return p


def _pair(row: pd.Series) -> list[float] | None:
    return None if np.isnan(row["low"]) else [round(float(row["low"]), 6), round(float(row["high"]), 6)]


# --- numbers for the prose -------------------------------------------------------------------


def glue_all(ctx: Context, res: Results) -> None:
    """Glue every number the prose quotes."""
    f, g = res.main, ctx.glue
    pc = "{:.0f}%"
    nao = nao_shares()
    for k in models.COMPONENTS:
        g(f"s_{k}", 100 * f.shares[k], pc)
        g(f"ci_{k}", _interval_text(res.ci.loc[k, "low"], res.ci.loc[k, "high"]))
        g(f"nao_{k}", nao[k], pc)
    g("explained_fixed", 100 * sum(f.shares[k] for k in ("deprivation", "national", "spend_vacancy")), pc)
    g("n_rows", len(f.frame), "{:,}")
    g("n_las", f.frame["la_code"].nunique(), "{:,}")
    g("n_dropped_cpp", f.dropped.get("CPP count missing or suppressed", 0), "{:,}")
    g("n_panel", f.dropped["rows in panel"], "{:,}")
    g("model_first", measures.year_label(int(f.frame["year"].min())))
    g("model_last", measures.year_label(int(f.frame["year"].max())))
    g("n_boot", ctx.p.n_boot, "{:,}")
    g("boot_seed", ctx.p.boot_seed)
    g("agreement", res.agreement, "{:.1e}")
    g("t_boot", res.timings["bootstrap"], "{:.1f} seconds")
    g("t_all", sum(res.timings.values()), "{:.0f} seconds")
    g("scope", scope_sentence(ctx, res))
    g("scale_word", "logarithm of the" if res.spec.outcome_scale == "log" else "")
    g("dep_name", "IDACI" if res.spec.deprivation == "idaci" else "IMD")
    _glue_effects(ctx, res)
    _glue_checks(ctx, res)
    ctx.glue_md("highlight_text", highlight_sentence(ctx, res, ctx.highlight_md))
    g("workforce_text", workforce_sentence(ctx, res))


def scope_sentence(ctx: Context, res: Results) -> str:
    n = res.main.frame["la_code"].nunique()
    if ctx.p.region:
        return (
            f"The model is fitted on the {n} authorities in {ctx.p.region} only, so its shares describe "
            "variation within that region; they differ from the shares for England and are not comparable with the NAO's."
        )
    return f"The model is fitted on all {n} authorities in England with published CPP counts."


def _glue_effects(ctx: Context, res: Results) -> None:
    """Coefficients in words: percentage (log) or per-10,000 (levels) changes for stated steps."""
    b = dict(zip(res.main.names, res.main.beta))
    dep_step = 0.1 if res.spec.deprivation == "idaci" else 10.0
    steps = {"dep": ("deprivation", dep_step), "spend": ("log_spend", np.log(1.1)), "vac": ("vacancy", 0.05)}
    for key, (name, step) in steps.items():
        if res.spec.outcome_scale == "log":
            ctx.glue(f"eff_{key}", 100 * (np.exp(b[name] * step) - 1), "{:+.0f}%")
        else:
            ctx.glue(f"eff_{key}", b[name] * step, "{:+.1f} per 10,000")
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
    novac = next(v for k, v in res.variants.items() if k.startswith("Without vacancies"))
    ctx.glue("novac_rows", len(novac.frame), "{:,}")
    ctx.glue("novac_sv", 100 * novac.shares["spend_vacancy"], "{:.0f}%")
    vac = {k: v for k, v in res.variants.items() if k.startswith("With vacancies")}
    if vac:
        ((name, v),) = vac.items()
        ctx.glue("vac_rows", len(v.frame), "{:,}")
        ctx.glue("vac_sv", 100 * v.shares["spend_vacancy"], "{:.0f}%")
        ctx.glue("vac_nat", 100 * v.shares["national"], "{:.0f}%")
        ctx.glue("vac_first", measures.year_label(int(v.frame["year"].min())))
    else:
        for k in ("vac_rows", "vac_sv", "vac_nat", "vac_first"):
            ctx.glue(k, "n/a")
    ctx.glue("vac_first_real", measures.year_label(models.VACANCY_FIRST_YEAR))
    small = next(v for k, v in res.variants.items() if k.startswith("Smallest"))
    gone = sorted(set(res.main.frame["la_code"]) - set(small.frame["la_code"]))
    last = res.main.frame[res.main.frame["year"] == res.main.frame["year"].max()].set_index("la_code")["pop_0_17"]
    ctx.glue("small_n", len(gone))
    ctx.glue("small_max_pop", float(last[gone].max()) if gone else 0.0, "{:,.0f}")
    ctx.glue("small_pct", 100 * models.SMALL_FRACTION, "{:.0f}%")
    truth = truth_shares(ctx)
    T = res.main.frame["year"].nunique()
    ctx.glue("T_years", T)
    if truth:
        ctx.glue("truth_shift", truth["residual"] / (T - 1), "{:.1f} percentage points")
        for k in models.COMPONENTS:
            ctx.glue(f"truth_{k}", truth[k], "{:.0f}%")
        rec = recovery_table(ctx, res)
        ctx.glue("rec_pass", int((rec["Result"] == "pass").sum()))
        ctx.glue("rec_inside", int((rec["Truth inside 95% interval"] == "yes").sum()))
        if truth_comparable(ctx, res):
            ctx.glue("rec_maxdiff", f"n/a: {truth_comparable(ctx, res)}")
        else:
            ctx.glue("rec_maxdiff", float(rec["Difference (pp)"].abs().max()), "{:.1f} pp")
    else:
        for k in ["truth_shift", "rec_pass", "rec_inside", "rec_maxdiff", *(f"truth_{k}" for k in models.COMPONENTS)]:
            ctx.glue(k, "n/a")


def highlight_sentence(ctx: Context, res: Results, name: str | None = None) -> str:
    """Where the highlighted authority's estimated effect sits, in words; ``name`` replaces its plain
    name (the prose passes the Markdown link from ``ctx.highlight_md``)."""
    name = name or ctx.highlight_name
    if not ctx.highlight:
        return "Set the highlight parameter to an authority's name or code to mark it on this chart."
    eff = models.authority_effects(res.main)
    if ctx.highlight not in set(eff["la_code"]):
        why = f"it is outside {ctx.p.region}" if ctx.p.region else "its CPP counts are suppressed or missing"
        return f"{name} is not in the model: {why}."
    i = int(eff.index[eff["la_code"] == ctx.highlight][0])
    r = eff.iloc[i]
    unit = _effect_unit(res)
    where = "above" if r["low"] > 0 else "below" if r["high"] < 0 else "not distinguishable from"
    return (
        f"{name}'s estimated authority effect is {r['effect']:+.2f} {unit} "
        f"(95% interval {r['low']:+.2f} to {r['high']:+.2f}), rank {i + 1} of {len(eff)} from lowest: "
        f"{where} the average authority with the same deprivation, spending, vacancies and year."
    )


def _effect_unit(res: Results) -> str:
    return "on the log scale" if res.spec.outcome_scale == "log" else "plans per 10,000"


# --- figures -----------------------------------------------------------------------------


def _stack(ax, rows: dict[str, dict[str, float]]) -> None:
    """Horizontal stacked bars, one per row, segments in component order, labelled with percentages."""
    pal = figures.colours(len(models.COMPONENTS))
    names = list(rows)[::-1]
    for y, name in enumerate(names):
        left = 0.0
        for c, k in zip(pal, models.COMPONENTS):
            w = rows[name][k]
            ax.barh(y, w, left=left, color=c, edgecolor="white", label=models.LABELS[k] if y == 0 else None)
            if w >= 5:
                ax.text(
                    left + w / 2,
                    y,
                    f"{w:.0f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=figures.text_colour(c),
                    fontweight="bold",
                )
            left += w
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, 100)


def fig_shares(ctx: Context, res: Results) -> figures.Figure:
    """Stacked shares (ours, the NAO's, the truth) and each share with its 95% interval."""
    ours = {k: 100 * res.main.shares[k] for k in models.COMPONENTS}
    nao = nao_shares()
    truth = truth_shares(ctx) if not truth_comparable(ctx, res) else None
    rows = {"This model": ours, "NAO (2019)": nao}
    if truth:
        rows["Generator's truth"] = truth
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 7.2), gridspec_kw={"height_ratios": [1, 1.2]})
    _stack(a1, rows)
    a1.set_xlabel("Share of variance in CPP rates (%)")
    a1.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.45, -0.25), ncol=3)
    pal = figures.colours(len(models.COMPONENTS))
    ys = np.arange(len(models.COMPONENTS))[::-1]
    for y, c, k in zip(ys, pal, models.COMPONENTS):
        lo, hi = 100 * res.ci.loc[k, "low"], 100 * res.ci.loc[k, "high"]
        if not np.isnan(lo):
            a2.plot([lo, hi], [y, y], color=c, lw=3, alpha=0.6, solid_capstyle="round")
        a2.plot(ours[k], y, "o", color=c, ms=7, label="This model" if k == "authority" else None)
        a2.plot(nao[k], y, "D", mfc="none", mec="black", ms=7, label="NAO" if k == "authority" else None)
        if truth:
            a2.plot(truth[k], y, "x", color="black", ms=7, label="Truth" if k == "authority" else None)
    a2.set_yticks(ys, [models.LABELS[k] for k in models.COMPONENTS])
    a2.set_xlabel("Share of variance (%), with 95% bootstrap interval")
    a2.legend(fontsize=8, frameon=False, loc="lower right")
    a2.set_xlim(0, max(70, 5 + 100 * np.nanmax(res.ci["high"].to_numpy(dtype=float), initial=0)))
    top = max(models.COMPONENTS, key=lambda k: ours[k])
    ci = _interval_text(res.ci.loc[top, "low"], res.ci.loc[top, "high"])
    title = f"{models.LABELS[top]} explain the largest share: {ours[top]:.0f}%" + (
        f" (95% interval {ci})" if ci != "—" else ""
    )
    title += f"; the NAO found {nao[top]:.0f}%"
    alt = (
        "Stacked bar chart of shares of variance in child protection plan rates, and a dot chart of each share with its interval. "
        + "; ".join(
            f"{models.LABELS[k]}: ours {ours[k]:.0f}% ({_interval_text(res.ci.loc[k, 'low'], res.ci.loc[k, 'high'])}), NAO {nao[k]:.0f}%"
            + (f", truth {truth[k]:.0f}%" if truth else "")
            for k in models.COMPONENTS
        )
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_robustness(ctx: Context, res: Results) -> figures.Figure:
    """Each share under every specification, with 95% intervals, in one dot chart."""
    fits = {MAIN: (res.main.shares, res.ci), **{k: (v.shares, res.variant_ci[k]) for k, v in res.variants.items()}}
    fits[OLS_SHAPLEY] = (res.orders.iloc[2].to_dict(), None)
    names = list(fits)
    fig, ax = plt.subplots(figsize=(8, 0.62 * len(names) + 1.6))
    pal = figures.colours(len(models.COMPONENTS))
    ys = np.arange(len(names))[::-1]
    offsets = np.linspace(0.28, -0.28, len(models.COMPONENTS))
    for c, off, k in zip(pal, offsets, models.COMPONENTS):
        for y, n in zip(ys, names):
            sh, ci = fits[n]
            if ci is not None and not np.isnan(ci.loc[k, "low"]):
                ax.plot([100 * ci.loc[k, "low"], 100 * ci.loc[k, "high"]], [y + off] * 2, color=c, lw=2, alpha=0.55)
            ax.plot(
                100 * sh[k],
                y + off,
                "o" if n != OLS_SHAPLEY else "s",
                color=c,
                ms=5,
                label=models.LABELS[k] if y == ys[0] else None,
            )
    for y in ys[:-1]:
        ax.axhline(y - 0.5, color="#dddddd", lw=0.8)
    ax.set_yticks(ys, names, fontsize=9)
    ax.set_ylim(-0.5, len(names) - 0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel("Share of variance in CPP rates (%), with 95% bootstrap interval")
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.4, -0.12), ncol=3)
    auth = {n: 100 * fits[n][0]["authority"] for n in names}
    title = f"The authority share ranges from {min(auth.values()):.0f}% to {max(auth.values()):.0f}% across {len(names)} specifications"
    alt = "Dot chart of the share of variance of each component under each specification. " + "; ".join(
        f"{n}: " + ", ".join(f"{models.LABELS[k]} {100 * fits[n][0][k]:.0f}%" for k in models.COMPONENTS) for n in names
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_orders(ctx: Context, res: Results) -> figures.Figure:
    """OLS shares by order of entry beside the mixed model."""
    rows = {n: {k: 100 * float(r[k]) for k in models.COMPONENTS} for n, r in res.orders.iterrows()}
    rows[MAIN] = {k: 100 * res.main.shares[k] for k in models.COMPONENTS}
    fig, ax = plt.subplots(figsize=(8, 3.8))
    _stack(ax, rows)
    ax.set_xlabel("Share of variance in CPP rates (%)")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.45, -0.22), ncol=5)
    o = 100 * res.orders
    title = (
        f"Entered first, authority dummies absorb deprivation: its share falls from {o.iloc[0]['deprivation']:.0f}% to "
        f"{o.iloc[1]['deprivation']:.0f}%"
    )
    alt = "Stacked bars of OLS shares by order of entry and of the mixed model. " + "; ".join(
        f"{n}: " + ", ".join(f"{models.LABELS[k]} {v:.0f}%" for k, v in r.items()) for n, r in rows.items()
    )
    return figures.finish(fig, title, alt, ctx.source)


def fig_effects(ctx: Context, res: Results) -> figures.Figure:
    """Caterpillar plot of the authority effects (random intercepts) with 95% intervals; the highlight marked."""
    eff = models.authority_effects(res.main)
    x = np.arange(1, len(eff) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.4))
    ax.vlines(x, eff["low"], eff["high"], color=figures.MUTED, lw=1)
    ax.plot(x, eff["effect"], "o", color=figures.colours(1)[0], ms=3)
    ax.axhline(0, color="black", lw=0.8)
    hit = eff.index[eff["la_code"] == ctx.highlight] if ctx.highlight else []
    for i in hit:
        r = eff.loc[i]
        ax.vlines(i + 1, r["low"], r["high"], color=figures.HIGHLIGHT, lw=2.5)
        ax.plot(i + 1, r["effect"], "o", color=figures.HIGHLIGHT, ms=8)
        ax.annotate(
            ctx.highlight_name,
            (i + 1, r["high"]),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            color=figures.HIGHLIGHT,
            fontsize=9,
        )
    unit = _effect_unit(res)
    ax.set_xlabel("Authorities, ranked by estimated effect (1 = lowest)")
    ax.set_ylabel(f"Authority effect ({unit.removeprefix('on the ')})")
    clear = int(((eff["low"] > 0) | (eff["high"] < 0)).sum())
    title = f"{clear} of {len(eff)} authorities differ clearly from the average authority"
    if len(hit):
        title = f"{ctx.highlight_name} ranks {int(hit[0]) + 1} of {len(eff)}; {clear} authorities differ clearly from the average"
    alt = (
        f"Caterpillar plot of {len(eff)} estimated authority effects with 95% intervals, from {eff['effect'].min():+.2f} to "
        f"{eff['effect'].max():+.2f} {unit}; {clear} intervals exclude zero."
        + (f" {highlight_sentence(ctx, res)}" if ctx.highlight else "")
    )
    return figures.finish(fig, title, alt, ctx.source)


def workforce_sentence(ctx: Context, res: Results) -> str:
    """How the vacancy rate's coverage shapes the main model, in words for this data."""
    have = ctx.view.loc[ctx.view["sw_vacancy_rate"].notna(), "year"]
    first = int(have.min()) if len(have) else None
    main_first = int(res.main.frame["year"].min())
    if first is None:
        return "These data have no vacancy rates, so the main model cannot include them."
    if first <= ctx.first:
        return (
            f"These data have vacancy rates in every year from {measures.year_label(first)}, so the main model keeps "
            f"all years; to show the trade-off the official data force, one check below keeps only the years from "
            f"{measures.year_label(models.VACANCY_FIRST_YEAR)}, and another drops vacancies and keeps every year."
        )
    return (
        f"These data have vacancy rates only from {measures.year_label(first)}, so the main model, which uses "
        f"authority-years with every variable present, starts in {measures.year_label(main_first)}; a check below drops "
        "vacancies to keep every year."
    )
