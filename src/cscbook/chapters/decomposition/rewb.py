"""The within-between ("REWB", Mundlak) specification of the decomposition: each time-varying covariate
as its authority's mean and the year's deviation from that mean, beside the main model as entered.

In the main model an authority that always spends more than others has that difference folded into
its random intercept whenever spending does not predict its rate from year to year; the within-between
model gives the between-authority part of spending its own coefficient, so the two shares can be read
side by side. The between coefficient minus the within one (the "contextual" effect) is zero when the
random-intercept model's assumption, that the intercept is unrelated to the covariates, holds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.analyse import models
from cscbook.analyse.stats import LEVEL

#: The covariates that enter twice, in the order the table shows them.
COVARIATES = ("deprivation", "log_spend", "vacancy")
PARTS = {"between": "between authorities (authority mean)", "within": "within an authority (deviation)"}


def fit(main: models.Fit, n_boot: int, seed: int) -> tuple[models.Fit, pd.DataFrame, pd.DataFrame]:
    """The within-between model on the main model's rows: its MixedLM fit, bootstrap replicates (resampling
    authorities, as for the main model) and the shares' percentile intervals."""
    spec = replace(main.spec, within_between=True)
    f = models.fit_frame(main.frame, spec, "mixedlm", main.dropped)
    boot = models.bootstrap(f.frame, spec, n_boot, seed)
    return f, boot, models.intervals(boot)


def _wald(f: models.Fit, level: float) -> dict[str, tuple[float, float]]:
    """Wald intervals from MixedLM for every between and within coefficient and for each contextual
    difference (its variance from the coefficients' covariance)."""
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    cov = f.result.cov_params()
    beta = dict(zip(f.names, f.beta))
    out = {}
    for c in COVARIATES:
        b, w = f"{c}_between", f"{c}_within"
        pairs = {b: ([b], [1.0]), w: ([w], [1.0]), f"{c}_contextual": ([b, w], [1.0, -1.0])}
        for name, (terms, signs) in pairs.items():
            if all(t in beta for t in terms):
                g = np.array(signs)
                v = cov.loc[terms, terms].to_numpy(float)
                est, se = float(g @ [beta[t] for t in terms]), float(np.sqrt(g @ v @ g))
                out[name] = (est - z * se, est + z * se)
    return out


def coefficients(f: models.Fit, boot: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Between, within and contextual (between minus within) coefficient of each covariate: the estimate,
    its Wald interval from MixedLM and its bootstrap percentile interval. A covariate fixed within every
    authority has a between coefficient only."""
    a = (1 - level) / 2
    wald = _wald(f, level)
    beta = dict(zip(f.names, f.beta))
    rows = []
    for c in COVARIATES:
        b, w = f"{c}_between", f"{c}_within"
        if b not in beta:
            continue
        est = {"between": beta[b]}
        draws = {"between": _draws(boot, b)}
        if w in beta:
            est |= {"within": beta[w], "contextual": beta[b] - beta[w]}
            draws |= {"within": _draws(boot, w), "contextual": _draws(boot, b) - _draws(boot, w)}
        for part, e in est.items():
            d = draws[part].dropna()
            lo, hi = wald.get(f"{c}_{part}", (np.nan, np.nan))
            rows.append(
                {
                    "covariate": c,
                    "part": part,
                    "estimate": e,
                    "wald_low": lo,
                    "wald_high": hi,
                    "boot_low": float(d.quantile(a)) if len(d) else np.nan,
                    "boot_high": float(d.quantile(1 - a)) if len(d) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _draws(boot: pd.DataFrame, name: str) -> pd.Series:
    """A coefficient's bootstrap replicates (none when there are no replicates)."""
    col = f"coef_{name}"
    return boot[col] if col in boot else pd.Series(dtype=float)


def coef_table(coefs: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The coefficients for the page: one row per covariate and part, with both intervals."""
    part_words = {**PARTS, "contextual": "difference, between minus within"}
    t = coefs.assign(Term=[f"{labels[c]}: {part_words[p]}" for c, p in zip(coefs["covariate"], coefs["part"])])
    t = t.set_index("Term")[["estimate", "wald_low", "wald_high", "boot_low", "boot_high"]]
    return t.rename(
        columns={
            "estimate": "Estimate",
            "wald_low": "95% CI low (model)",
            "wald_high": "95% CI high (model)",
            "boot_low": "95% CI low (bootstrap)",
            "boot_high": "95% CI high (bootstrap)",
        }
    )


def shares_table(main: models.Fit, main_ci: pd.DataFrame, rewb: models.Fit, rewb_ci: pd.DataFrame) -> pd.DataFrame:
    """Each share (%) with its 95% bootstrap interval under both specifications, and the difference."""
    rows = []
    for k in models.COMPONENTS:
        rows.append(
            {
                "Component": models.LABELS[k],
                "As entered (%)": 100 * main.shares[k],
                "As entered, 95% interval": _interval(main_ci.loc[k]),
                "Within-between (%)": 100 * rewb.shares[k],
                "Within-between, 95% interval": _interval(rewb_ci.loc[k]),
                "Difference (pp)": 100 * (rewb.shares[k] - main.shares[k]),
            }
        )
    return pd.DataFrame(rows).set_index("Component")


def _pp(x: float) -> str:
    """A share in whole percent, with no negative zero."""
    return f"{100 * x:.0f}".replace("-0", "0") if round(100 * x) == 0 else f"{100 * x:.0f}"


def _interval(row: pd.Series) -> str:
    return "—" if np.isnan(row["low"]) else f"{_pp(row['low'])} to {_pp(row['high'])}"


def _effect(b: float, step: float, log: bool) -> str:
    return f"{100 * (np.exp(b * step) - 1):+.0f}%" if log else f"{b * step:+.1f} per 10,000"


def _ci_effect(lo: float, hi: float, step: float, log: bool) -> str:
    if np.isnan(lo):
        return "no interval"
    return f"{_effect(lo, step, log)} to {_effect(hi, step, log)}"


def sentence(main: models.Fit, rewb: models.Fit, coefs: pd.DataFrame) -> str:
    """What the within-between model changes: the shares, and spending's two coefficients in words."""
    log = main.spec.outcome_scale == "log"
    moved = {k: 100 * (rewb.shares[k] - main.shares[k]) for k in models.COMPONENTS}
    big = max(moved, key=lambda k: abs(moved[k]))
    listed = ", ".join(
        f"{models.LABELS[k].lower()} {100 * rewb.shares[k]:.0f}% (as entered, {100 * main.shares[k]:.0f}%)"
        for k in ("authority", "deprivation", "spend_vacancy")
    )
    first = (
        f"With the covariates entered as authority means and deviations, {listed}; the largest change is "
        f"{moved[big]:+.1f} percentage points, in {models.LABELS[big].lower()}."
    )
    s = coefs.set_index(["covariate", "part"])
    if ("log_spend", "within") not in s.index:
        return first
    step = float(np.log(1.1))
    between, within, ctxl = (s.loc[("log_spend", p)] for p in ("between", "within", "contextual"))
    differs = not np.isnan(ctxl["boot_low"]) and not (ctxl["boot_low"] <= 0 <= ctxl["boot_high"])
    return (
        f"{first} Between authorities, one that spends 10% more per child on average has a rate "
        f"{_effect(between['estimate'], step, log)} different (95% bootstrap interval "
        f"{_ci_effect(between['boot_low'], between['boot_high'], step, log)}); within an authority, a year with 10% "
        f"more spending than its own average goes with a rate {_effect(within['estimate'], step, log)} different "
        f"({_ci_effect(within['boot_low'], within['boot_high'], step, log)}). "
        + (
            "The two differ by more than the bootstrap allows for chance, so the main model's single spending "
            "coefficient mixes two different associations."
            if differs
            else "The bootstrap cannot tell the two apart, so the main model's single spending coefficient loses "
            "little by mixing them."
        )
    )


def to_json(coefs: pd.DataFrame) -> dict:
    """The coefficients as ``{covariate: {part: {estimate, wald_95, bootstrap_95}}}`` (null where undefined)."""
    out: dict = {}
    for r in coefs.itertuples(index=False):
        out.setdefault(r.covariate, {})[r.part] = {
            "estimate": _num(r.estimate),
            "wald_95": None if np.isnan(r.wald_low) else [_num(r.wald_low), _num(r.wald_high)],
            "bootstrap_95": None if np.isnan(r.boot_low) else [_num(r.boot_low), _num(r.boot_high)],
        }
    return out


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)
