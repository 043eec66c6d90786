"""The decomposition: shares by the stated rule, recovery of synthetic England's known truth,
the fast bootstrap estimator against MixedLM, robustness checks, and the chapter's outputs."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cscbook.acquire import synth
from cscbook.analyse import models
from cscbook.chapters.decomposition import tables as dc_tables

TOL_PP = 4.0


@pytest.fixture(scope="module")
def main_fit(england):
    return models.fit(england.panel, models.Spec())


def test_shares_sum_to_one_and_are_non_negative(main_fit):
    s = main_fit.shares
    assert set(s) == set(models.COMPONENTS)
    assert math.isclose(sum(s.values()), 1.0, abs_tol=1e-12)
    assert all(v >= 0 for v in s.values())


def test_every_share_within_4pp_of_truth_on_default_seed(england, main_fit):
    truth = england.truth["cpp_model"]["shares"]
    for k in models.COMPONENTS:
        assert abs(main_fit.shares[k] - truth[k]) * 100 <= TOL_PP, (k, main_fit.shares[k], truth[k])


def test_coefficients_close_to_truth(england, main_fit):
    c = england.truth["cpp_model"]["coefficients"]
    table = models.coefficient_table(main_fit)
    for name, key in [
        ("deprivation", "idaci_score"),
        ("log_spend", "log_spend_per_child"),
        ("vacancy", "sw_vacancy_rate"),
    ]:
        assert table.loc[name, "95% CI low"] <= c[key] <= table.loc[name, "95% CI high"], name


def test_suppressed_cpp_rows_are_dropped_and_counted(england, main_fit):
    missing = int(england.panel["cpp_31mar"].isna().sum())
    assert missing > 0
    assert main_fit.dropped["CPP count missing or suppressed"] == missing
    assert main_fit.dropped["rows in model"] == len(england.panel) - missing == len(main_fit.frame)


def _brute_force_shapley(fixed: dict[str, np.ndarray], random: dict[str, float]) -> dict[str, float]:
    """Shapley values over all subsets of players for v(S) = var(sum of fixed parts in S) + sum of random variances in S."""
    players = list(fixed) + list(random)
    n = len(players)

    def v(S):
        f = [fixed[k] for k in S if k in fixed]
        return (float(np.var(sum(f))) if f else 0.0) + sum(random[k] for k in S if k in random)

    out = {}
    for k in players:
        others = [p for p in players if p != k]
        phi = 0.0
        for r in range(n):
            for S in itertools.combinations(others, r):
                w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
                phi += w * (v(S + (k,)) - v(S))
        out[k] = phi
    total = sum(out.values())
    return {k: x / total for k, x in out.items()}


def test_shapley_rule_equals_brute_force_over_subsets():
    rng = np.random.default_rng(7)
    n = 60
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 5))])
    X[:, 2] += 0.8 * X[:, 1]  # correlated parts
    X[:, 4] -= 0.5 * X[:, 2]
    beta = rng.normal(size=6)
    blocks = {"deprivation": [1], "national": [2, 3], "spend_vacancy": [4, 5]}
    s_a2, s_e2 = 0.7, 0.4
    ours = models.shares(X, beta, blocks, s_a2, s_e2)
    fixed = {k: X[:, idx] @ beta[idx] for k, idx in blocks.items()}
    brute = _brute_force_shapley(fixed, {"authority": s_a2, "residual": s_e2})
    for k in models.COMPONENTS:
        assert ours[k] == pytest.approx(brute[k], abs=1e-12), k


def test_profile_reml_agrees_with_mixedlm_to_1e4(main_fit):
    prof = models.fit_frame(main_fit.frame, main_fit.spec, "profile")
    assert np.max(np.abs(prof.beta - main_fit.beta)) < 1e-4
    assert prof.sigma_a2 == pytest.approx(main_fit.sigma_a2, abs=1e-4)
    assert prof.sigma_e2 == pytest.approx(main_fit.sigma_e2, abs=1e-4)
    for k in models.COMPONENTS:
        assert abs(prof.shares[k] - main_fit.shares[k]) < 1e-4, k


def test_profile_reml_agrees_with_mixedlm_on_unbalanced_panel(main_fit):
    rng = np.random.default_rng(3)
    frame = main_fit.frame.drop(index=rng.choice(len(main_fit.frame), 200, replace=False)).reset_index(drop=True)
    a = models.fit_frame(frame, main_fit.spec, "mixedlm")
    b = models.fit_frame(frame, main_fit.spec, "profile")
    for k in models.COMPONENTS:
        assert abs(a.shares[k] - b.shares[k]) < 1e-4, k


def test_bootstrap_is_deterministic_for_a_seed(main_fit):
    a = models.bootstrap(main_fit.frame, main_fit.spec, 20, seed=5)
    b = models.bootstrap(main_fit.frame, main_fit.spec, 20, seed=5)
    c = models.bootstrap(main_fit.frame, main_fit.spec, 20, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a[models.COMPONENTS].to_numpy(), c[models.COMPONENTS].to_numpy())
    assert np.allclose(a[models.COMPONENTS].sum(axis=1), 1.0)


def test_resampled_duplicates_become_distinct_authorities(main_fit):
    rs = models.resample_authorities(main_fit.frame, np.random.default_rng(1))
    n = main_fit.frame["la_code"].nunique()
    assert rs["la_code"].nunique() == n
    assert rs.groupby("la_code").size().eq(main_fit.frame["year"].nunique()).all()
    originals = rs["la_code"].str.split("#").str[0]
    assert originals.nunique() < n  # some authorities were drawn more than once


def test_intervals_cover_the_estimate(main_fit):
    boot = models.bootstrap(main_fit.frame, main_fit.spec, 100, seed=1)
    iv = models.intervals(boot)
    for k in models.COMPONENTS:
        assert iv.loc[k, "low"] < main_fit.shares[k] < iv.loc[k, "high"], k


def test_levels_option_runs(england):
    f = models.fit(england.panel, models.Spec(outcome_scale="level"))
    assert math.isclose(sum(f.shares.values()), 1.0, abs_tol=1e-12)
    assert f.frame["y"].min() > 1  # rates per 10,000, not logs
    boot = models.bootstrap(f.frame, f.spec, 10, seed=1)
    assert boot[models.COMPONENTS].notna().all().all()


def test_imd_option_uses_imd(england, main_fit):
    f = models.fit(england.panel, models.Spec(deprivation="imd"))
    assert f.frame["deprivation"].max() > 1  # IMD scores, not IDACI proportions
    assert f.shares != main_fit.shares


def test_authority_dummies_entered_first_absorb_deprivation(main_fit):
    t = models.ols_orders(main_fit.frame, main_fit.spec)
    dep_first, auth_first, shap = t.iloc[0], t.iloc[1], t.iloc[2]
    assert auth_first["deprivation"] == pytest.approx(0.0, abs=1e-10)
    assert dep_first["deprivation"] > shap["deprivation"] > auth_first["deprivation"]
    for row in (dep_first, auth_first, shap):
        assert row.sum() == pytest.approx(1.0, abs=1e-10)


def test_r2_within_authorities_equals_dummies(main_fit):
    table = models.r2_table(main_fit.frame, main_fit.spec)
    y, blocks = models.ols_blocks(main_fit.frame, main_fit.spec)
    dummies = pd.get_dummies(main_fit.frame["la_code"], dtype=float).to_numpy()
    full = models.r2(y, np.hstack([dummies, blocks["national"], blocks["spend_vacancy"]]))
    assert table[frozenset(["authority", "national", "spend_vacancy"])] == pytest.approx(full, abs=1e-10)


def test_vacancy_window_and_no_vacancy_variants(england):
    v = models.variants(models.Spec(), 2018)
    short = models.fit(england.panel, v["With vacancies, 2017 onwards only"])
    long = models.fit(england.panel, v["Without vacancies, all years"])
    assert short.frame["year"].min() == models.VACANCY_FIRST_YEAR
    assert "vacancy" in short.names and "vacancy" not in long.names
    assert long.frame["year"].nunique() == 8 and len(long.frame) > len(short.frame)


def test_missing_early_vacancies_shorten_the_main_model(england):
    panel = england.panel.copy()
    panel.loc[panel["year"] < models.VACANCY_FIRST_YEAR, "sw_vacancy_rate"] = np.nan
    f = models.fit(panel, models.Spec())
    assert f.frame["year"].min() == models.VACANCY_FIRST_YEAR
    early_with_cpp = (panel["year"] < models.VACANCY_FIRST_YEAR) & panel["cpp_31mar"].notna()
    assert f.dropped["vacancy missing"] == early_with_cpp.sum()


def test_lagged_spending_loses_the_first_year(england):
    f = models.fit(england.panel, models.Spec(lag_spend=True))
    assert f.frame["year"].min() == 2012
    one = england.panel[england.panel["la_code"] == f.frame["la_code"].iloc[0]].sort_values("year")
    spend = (
        one[[c for c in one.columns if c.startswith("spend_") and c != "spend_cera"]].sum(axis=1) / one["pop_0_17"]
    ).astype(float)
    assert f.frame["log_spend"].iloc[0] == pytest.approx(math.log(spend.iloc[0]))


def test_smallest_authorities_excluded(england, main_fit):
    f = models.fit(england.panel, models.Spec(drop_smallest=models.SMALL_FRACTION))
    n = main_fit.frame["la_code"].nunique()
    assert f.frame["la_code"].nunique() == n - math.ceil(models.SMALL_FRACTION * n)
    last = main_fit.frame[main_fit.frame["year"] == 2018].set_index("la_code")["pop_0_17"]
    gone = set(last.index) - set(f.frame["la_code"])
    assert last[list(gone)].max() <= last.drop(list(gone)).min()


def test_region_fit_uses_that_region_only(england):
    region = "North West"
    f = models.fit(england.panel[england.panel["region"] == region], models.Spec())
    assert set(f.frame["region"]) == {region}
    assert math.isclose(sum(f.shares.values()), 1.0)


@pytest.mark.slow  # the whole decomposition on synthetic England; the built book runs it too
def test_chapter_outputs(tmp_path, monkeypatch, panel_dir):
    from cscbook.chapters import context as chapter
    from cscbook.chapters import decomposition as dc

    monkeypatch.chdir(tmp_path)
    ctx = chapter.load("decomposition", {"n_boot": 20, "highlight": "Lorrshaw", "panel_dir": str(panel_dir)})
    res = dc.results(ctx)
    dc.glue_all(ctx, res)
    out = json.loads(dc.write_json(ctx, res).read_text())
    assert set(out["main"]["shares"]) == set(models.COMPONENTS)
    assert all(lo <= out["main"]["shares"][k] <= hi for k, (lo, hi) in out["main"]["intervals_95"].items())
    assert ctx.glued["s_authority"] == pytest.approx(100 * res.main.shares["authority"])
    assert "Lorrshaw" in ctx.glued["highlight_text"] and "rank" in ctx.glued["highlight_text"]
    assert (res.recovery["Result"] == "pass").all()
    assert len(res.nao) == 5 and ctx.glued["decomposition_nao_rows"] == 5
    for f in (res.fig_shares, res.fig_robustness, res.fig_orders, res.fig_effects):
        assert f.alt and f.png.startswith(b"\x89PNG")
        assert any(v is f for v in ctx.glued.values())


@pytest.mark.slow  # seconds of work: with the slow checks, to keep make test within two minutes
def test_chapter_region_marks_nao_rows_not_comparable(tmp_path, monkeypatch, panel_dir):
    from cscbook.chapters import context as chapter
    from cscbook.chapters import decomposition as dc

    monkeypatch.chdir(tmp_path)
    ctx = chapter.load("decomposition", {"n_boot": 0, "region": "London", "panel_dir": str(panel_dir)})
    res = dc.results(ctx)
    assert set(res.main.frame["region"]) == {"London"}
    rows = dc_tables.nao_rows(ctx, res)
    assert all(r["ours"] is None and "London" in r["reason"] for r in rows)
    assert (dc_tables.recovery_table(ctx, res)["Result"] == "n/a").all()
    assert "London" in dc_tables.scope_sentence(ctx, res)


@pytest.mark.slow
def test_bootstrap_interval_covers_truth_in_90_percent_of_50_seeds():
    seeds = range(2019, 2069)
    hits = {k: 0 for k in models.COMPONENTS}
    worst = {k: 0.0 for k in models.COMPONENTS}
    for s in seeds:
        prep = synth.generate(seed=s)
        frame, _ = models.model_frame(prep.panel, models.Spec())
        boots = models.bootstrap(frame, models.Spec(), 200, seed=1)
        iv = models.intervals(boots)
        est = models.fit_frame(frame, models.Spec(), method="profile").shares
        truth = prep.truth["cpp_model"]["shares"]
        for k in models.COMPONENTS:
            hits[k] += bool(iv.loc[k, "low"] <= truth[k] <= iv.loc[k, "high"])
            worst[k] = max(worst[k], abs(est[k] - truth[k]))
    coverage = {k: v / len(seeds) for k, v in hits.items()}
    print("coverage over 50 seeds:", coverage, "largest error (share):", {k: round(v, 4) for k, v in worst.items()})
    assert all(c >= 0.9 for c in coverage.values()), coverage


@pytest.mark.slow  # a fresh interpreter importing the whole analysis stage
def test_the_analysis_does_not_import_the_generator():
    code = (
        "import sys; import cscbook.analyse.measures, cscbook.analyse.models, cscbook.reference, "
        "cscbook.shares; print(sorted(m for m in sys.modules if m.startswith('cscbook.acquire')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
