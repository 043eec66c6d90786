"""The decomposition's tables, its comparison with the NAO, and its sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd

import cscbook.chapters.decomposition.specs as specs
from cscbook import contract
from cscbook.analyse import measures, models
from cscbook.chapters import nao_notes
from cscbook.chapters.context import Context
from cscbook.chapters.decomposition.fit import (
    MAIN,
    OLS_SHAPLEY,
    TRUTH_TOLERANCE_PP,
    Results,
    nao_shares,
    truth_comparable,
    truth_shares,
)


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


def models_table(ctx: Context, res: Results) -> pd.DataFrame:
    """The reproduction and the preferred model side by side: each share with its 95% interval, in percent."""
    fits = {"Reproduction model": (res.main, res.ci)}
    if res.preferred_fit is not None:
        fits["Preferred model"] = (res.preferred_fit, res.preferred_ci)
    rows = []
    for name, (f, ci) in fits.items():
        r = {"Model": name, "Rows": f"{len(f.frame):,}", "Years": fit_words(f).split(", ")[-1]}
        r |= {
            models.LABELS[k]: _with_interval(f.shares[k], ci.loc[k, "low"], ci.loc[k, "high"])
            for k in models.COMPONENTS
        }
        rows.append(r | {"Largest difference from the NAO (pp)": f"{specs.distance(f):.1f}"})
    rows.append({"Model": "NAO", **{models.LABELS[k]: f"{v:.0f}" for k, v in nao_shares().items()}})
    return pd.DataFrame(rows).set_index("Model")


def models_sentence(ctx: Context, res: Results) -> str:
    """Which declared specification is the reproduction model, how close it comes, and the preferred one."""
    if res.reproduction is None:
        first = "On synthetic England the reproduction model is the generator's own specification."
    else:
        n = int(res.candidates["Largest difference from the NAO (pp)"].notna().sum())
        gap = float(res.candidates.loc[res.reproduction.order, "Largest difference from the NAO (pp)"])
        first = (
            f"Of the {n} declared candidates fitted, the closest to the NAO's shares is "
            f"{measures.lower_first(res.reproduction.definition)}: its shares differ from the NAO's by at most {gap:.1f} "
            "percentage points, so the NAO's shares are not reproduced exactly by any of them."
            if gap >= 0.5
            else f"The declared candidate {measures.lower_first(res.reproduction.definition)} reproduces the NAO's shares."
        )
    if res.preferred is None:
        return f"{first} There is no preferred model here: {specs.preferred_absent(res.spec)}."
    closer = specs.distance(res.preferred_fit) < specs.distance(res.main)
    aside = (
        f" Its shares happen to lie nearer the NAO's than any candidate's (at most {specs.distance(res.preferred_fit):.1f} "
        "percentage points away): the candidates did not vary the year of spending, so this is a finding, not a choice."
        if closer and res.reproduction is not None
        else ""
    )
    return f"{first} The preferred model is {measures.lower_first(res.preferred.definition)}. {res.preferred.reason}.{aside}"


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
        labels[n] if n in labels else f"Year {contract.year_label(int(n[5:]))} (vs {contract.year_label(first)})"
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
            tv[f"Year {contract.year_label(int(y))} (vs {contract.year_label(first)})"] = ye[str(y)] - ye[str(first)]
        tv[var.index[0]] = truth["sd_authority"] ** 2
        tv[var.index[1]] = truth["sd_residual"] ** 2
        out["True value"] = [tv.get(i, np.nan) for i in out.index]
    out.index.name = "Term"
    return out


def _q(boot: pd.DataFrame, col: str, q: float) -> float:
    return float(boot[col].quantile(q)) if len(boot) else np.nan


def span(years: pd.Series) -> str:
    """'2010-11 to 2017-18': the first and last of a fit's years."""
    return f"{contract.year_label(int(years.min()))} to {contract.year_label(int(years.max()))}"


def robustness_table(res: Results) -> pd.DataFrame:
    """Shares under each specification, as 'share (95% interval)' in percent, with the rows and years used."""
    fits = {MAIN: (res.main, res.ci), **{k: (v, res.variant_ci[k]) for k, v in res.variants.items()}}
    rows = []
    for name, (f, ci) in fits.items():
        yrs = f.frame["year"]
        r = {"Specification": name, "Rows": len(f.frame), "Years": span(yrs)}
        for k in models.COMPONENTS:
            r[models.LABELS[k]] = _with_interval(f.shares[k], ci.loc[k, "low"], ci.loc[k, "high"])
        rows.append(r)
    yrs = res.main.frame["year"]
    r = {"Specification": OLS_SHAPLEY, "Rows": len(res.main.frame), "Years": span(yrs)}
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
    named = None  # on the official statistics: the first declared specification, the NAO's own description
    if res.reproduction is not None:
        n = int(res.candidates["Largest difference from the NAO (pp)"].notna().sum())
        named = res.candidates.loc[res.candidates.index.min()]
        gap = float(res.candidates.loc[res.reproduction.order, "Largest difference from the NAO (pp)"])
        note = nao_notes.join(
            [
                note,
                f"scored on the NAO's own description: {measures.lower_first(str(named['Definition']))}",
                f"the closest of {n} declared specifications (exploratory: {measures.lower_first(res.reproduction.definition)}) "
                f"differs from the NAO's shares by at most {gap:.1f} pp",
            ]
        )
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
            ours = 100 * res.main.shares[k] if named is None else float(named[models.LABELS[k] + " (%)"])
            why = note
            if not ctx.synthetic and not nao_notes.within(key, ours):
                why = nao_notes.join([note, share_note(ctx, res, k, key)])
            rows.append({"key": key, "ours": ours, "reason": why})
    return rows


def fit_words(f: models.Fit) -> str:
    """'150 rows, 150 authorities, 2017-18 only' for a fit."""
    yrs = sorted(int(y) for y in f.frame["year"].unique())
    span = (
        f"{contract.year_label(yrs[0])} only"
        if len(yrs) == 1
        else f"{contract.year_label(yrs[0])} to {contract.year_label(yrs[-1])}"
    )
    return f"{len(f.frame):,} rows, {f.frame['la_code'].nunique()} authorities, {span}"


def share_note(ctx: Context, res: Results, k: str, key: str) -> str:
    """Why a share differs from the NAO's: the years and authorities in the fit, where vacancy rates
    start, what one year of data does to the components, and the longer panel without vacancies."""
    parts = [f"the chapter's main model (the closest specification): {fit_words(res.main)}"]
    vac = ctx.panel.loc[ctx.panel["sw_vacancy_rate"].notna(), "year"]
    dropped = res.main.dropped.get("vacancy missing", 0)
    if not res.spec.vacancies:
        two = next((v for name, v in res.variants.items() if name.startswith("With vacancies")), None)
        parts.append(
            "the model leaves out vacancy rates, which the data have only from "
            f"{contract.year_label(int(vac.min())) if len(vac) else 'no year'}"
            + (f"; with them ({fit_words(two)}) this share is {100 * two.shares[k]:.1f}%" if two is not None else "")
        )
    elif len(vac):
        first = int(vac.min())
        expect = models.VACANCY_FIRST_YEAR
        parts.append(
            f"vacancy rates in the data start in {contract.year_label(first)} (rule Y-CSWW: the 30 September census "
            f"counts for the following year), so {dropped:,} earlier rows are dropped"
            + (
                f"; the model allows for rates from {contract.year_label(expect)}, which this panel does not have"
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


def scope_sentence(ctx: Context, res: Results) -> str:
    n = res.main.frame["la_code"].nunique()
    if ctx.p.region:
        return (
            f"The model is fitted on the {n} authorities in {ctx.p.region} only, so its shares describe "
            "variation within that region; they differ from the shares for England and are not comparable with the NAO's."
        )
    return f"The model is fitted on all {n} authorities in England with published CPP counts."


def highlight_sentence(ctx: Context, res: Results, name: str | None = None) -> str:
    """Where the highlighted authority's estimated effect sits, in words; ``name`` replaces its plain
    name (the prose passes the Markdown link from ``ctx.highlight_md``)."""
    name = name or ctx.highlight_name
    if not ctx.highlight:
        return ctx.unmarked
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


def workforce_sentence(ctx: Context, res: Results) -> str:
    """How the vacancy rate's coverage shapes the main model, in words for this data."""
    have = ctx.view.loc[ctx.view["sw_vacancy_rate"].notna(), "year"]
    first = int(have.min()) if len(have) else None
    main_first = int(res.main.frame["year"].min())
    if first is None:
        return "These data have no vacancy rates, so the main model cannot include them."
    if not res.spec.vacancies:
        return (
            f"These data have vacancy rates only from {contract.year_label(first)}, so the main (reproduction) model "
            f"keeps every year from {contract.year_label(main_first)} without them, and a check below fits the years "
            "with vacancies."
        )
    if first <= ctx.first:
        return (
            f"These data have vacancy rates in every year from {contract.year_label(first)}, so the main model keeps "
            f"all years; to show the trade-off the official data force, one check below keeps only the years from "
            f"{contract.year_label(models.VACANCY_FIRST_YEAR)}, and another drops vacancies and keeps every year."
        )
    return (
        f"These data have vacancy rates only from {contract.year_label(first)}, so the main model, which uses "
        f"authority-years with every variable present, starts in {contract.year_label(main_first)}; a check below drops "
        "vacancies to keep every year."
    )
