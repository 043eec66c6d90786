"""The within-between (REWB, Mundlak) specification of the decomposition: a planted between-only spending
effect, the design's columns, and the within coefficients against linearmodels' PanelOLS."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cscbook.analyse import models
from cscbook.chapters.decomposition import rewb
from cscbook.shares import shapley_shares

SD_AUTHORITY, SD_RESIDUAL = 0.30, 0.15
#: Percentage points within which each within-between share must recover the planted one.
SHARE_TOLERANCE_PP = 3.0


def _orthogonal(z: np.ndarray, against: list[np.ndarray], sd: float) -> np.ndarray:
    """``z`` made uncorrelated in the sample with each of ``against`` (and mean zero), scaled to standard
    deviation ``sd``: a planted part whose sample variance is exactly the one the truth uses."""
    X = np.column_stack([np.ones(len(z)), *against])
    r = z - X @ np.linalg.lstsq(X, z, rcond=None)[0]
    return sd * r / r.std()


def _planted(seed: int, between: float, within: float, n_la: int = 150, n_years: int = 8, dep_within: float = 0.0):
    """A model frame with known parts: spending's authority mean has coefficient ``between`` and its
    deviation ``within``; deprivation (coefficient 1) and vacancies (0.5) act the same way within and between.
    Returns the frame and the planted shares by the Shapley rule the model uses."""
    rng = np.random.default_rng(seed)
    la = np.repeat(np.arange(n_la), n_years)
    year = np.tile(np.arange(2011, 2011 + n_years), n_la)
    dep_la, m = rng.uniform(0.1, 0.35, n_la), rng.normal(6.0, 0.3, n_la)
    a = _orthogonal(rng.normal(0, 1, n_la), [dep_la, m], SD_AUTHORITY)[la]
    dep = dep_la[la] + dep_within * rng.normal(0, 1, len(la))
    dev = rng.normal(0, 0.2, len(la))
    dev -= pd.Series(dev).groupby(la).transform("mean").to_numpy()  # each authority's deviations average zero
    log_spend = m[la] + dev
    vac = rng.uniform(0.05, 0.3, len(la))
    year_eff = rng.normal(0, 0.08, n_years)[year - 2011]
    e = _orthogonal(rng.normal(0, 1, len(la)), [], SD_RESIDUAL)
    parts = {
        "deprivation": 1.0 * dep,
        "spend_vacancy": between * (m[la] - m.mean()) + within * dev + 0.5 * vac,
        "national": year_eff,
    }
    y = 2.0 + a + sum(parts.values()) + e
    frame = pd.DataFrame(
        {
            "la_code": [f"E{k:08d}" for k in la],
            "la_name": [f"Authority {k}" for k in la],
            "region": "Region",
            "year": year,
            "pop_0_17": 10_000.0,
            "rate": np.exp(y),
            "deprivation": dep,
            "log_spend": log_spend,
            "vacancy": vac,
            "y": y,
        }
    )
    two = {k: np.array([s, -s]) for k, s in (("authority", SD_AUTHORITY), ("residual", SD_RESIDUAL))}
    truth = shapley_shares({**parts, **two}, random_parts=("authority", "residual"))
    return frame, {k: truth[k] for k in models.COMPONENTS}


@pytest.fixture(scope="module")
def planted():
    frame, truth = _planted(seed=7, between=0.8, within=0.0)
    spec = models.Spec()
    main = models.fit_frame(frame, spec, "mixedlm")
    wb = models.fit_frame(frame, replace(spec, within_between=True), "mixedlm")
    return frame, truth, main, wb


def test_design_splits_each_covariate_into_authority_mean_and_deviation(planted):
    frame, _, _, wb = planted
    X, names, blocks = models.design(frame, wb.spec)
    col = {n: X[:, i] for i, n in enumerate(names)}
    means = frame.groupby("la_code")["log_spend"].transform("mean").to_numpy()
    assert np.allclose(col["log_spend_between"], means)
    assert np.allclose(col["log_spend_between"] + col["log_spend_within"], frame["log_spend"])
    assert "deprivation_within" not in names  # fixed within every authority here: a between column only
    assert [names[i] for i in blocks["deprivation"]] == ["deprivation_between"]
    assert {names[i] for i in blocks["spend_vacancy"]} == {
        "log_spend_between",
        "log_spend_within",
        "vacancy_between",
        "vacancy_within",
    }


def test_between_only_spending_effect_is_recovered_by_the_within_between_model(planted):
    _, truth, _, wb = planted
    b = dict(zip(wb.names, wb.beta))
    assert b["log_spend_between"] == pytest.approx(0.8, abs=0.1)
    assert b["log_spend_within"] == pytest.approx(0.0, abs=0.06)
    for k in models.COMPONENTS:
        assert 100 * abs(wb.shares[k] - truth[k]) < SHARE_TOLERANCE_PP, (k, wb.shares[k], truth[k])


def test_as_entered_the_between_spending_effect_falls_into_the_authority_share(planted):
    _, truth, main, wb = planted
    assert dict(zip(main.names, main.beta))["log_spend"] < 0.3  # mostly the within association
    assert 100 * (truth["spend_vacancy"] - main.shares["spend_vacancy"]) > 5
    assert 100 * (main.shares["authority"] - truth["authority"]) > 5
    assert main.shares["authority"] - wb.shares["authority"] > 0.05


def test_no_contextual_effect_when_within_equals_between():
    frame, _ = _planted(seed=8, between=0.4, within=0.4)
    wb = models.fit_frame(frame, replace(models.Spec(), within_between=True), "mixedlm")
    boot = models.bootstrap(wb.frame, wb.spec, 100, 3)
    c = rewb.coefficients(wb, boot).set_index(["covariate", "part"])
    ctx = c.loc[("log_spend", "contextual")]
    assert ctx["boot_low"] < 0 < ctx["boot_high"]
    assert ctx["wald_low"] < 0 < ctx["wald_high"]
    assert c.loc[("log_spend", "within"), "estimate"] == pytest.approx(0.4, abs=0.06)
    # the planted between effect lies inside both intervals of the between coefficient
    lo, hi = c.loc[("log_spend", "between"), ["boot_low", "boot_high"]]
    assert lo < 0.4 < hi


def test_within_coefficients_equal_two_way_fixed_effects_from_linearmodels():
    from linearmodels.panel import PanelOLS

    frame, _ = _planted(seed=9, between=0.8, within=-0.2, dep_within=0.01)
    wb = models.fit_frame(frame, replace(models.Spec(), within_between=True), "mixedlm")
    panel = frame.set_index(["la_code", "year"])
    fe = PanelOLS(
        panel["y"], panel[["deprivation", "log_spend", "vacancy"]], entity_effects=True, time_effects=True
    ).fit()
    b = dict(zip(wb.names, wb.beta))
    for c in ("deprivation", "log_spend", "vacancy"):
        assert b[f"{c}_within"] == pytest.approx(float(fe.params[c]), rel=1e-6, abs=1e-9), c
    # and the profile-REML estimator the bootstrap uses gives the same within coefficients
    X, names, _ = models.design(frame, wb.spec)
    beta, *_ = models.reml_profile(frame["y"].to_numpy(), X, frame["la_code"].to_numpy())
    prof = dict(zip(names, beta))
    for c in ("deprivation", "log_spend", "vacancy"):
        assert prof[f"{c}_within"] == pytest.approx(float(fe.params[c]), rel=1e-6, abs=1e-9), c


def test_json_writes_null_for_undefined_intervals(planted):
    _, _, _, wb = planted
    c = rewb.coefficients(wb, pd.DataFrame(columns=[f"coef_{n}" for n in wb.names], dtype=float))
    out = rewb.to_json(c)
    assert out["log_spend"]["between"]["bootstrap_95"] is None
    assert out["log_spend"]["between"]["wald_95"][0] < out["log_spend"]["between"]["estimate"]
    assert "within" not in out["deprivation"]
