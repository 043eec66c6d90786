"""The Ofsted chapter: spending by judgement, the association tests against the synthetic truth,
the Good range, the later change in rates, and the notebook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook import contract, params, reference
from cscbook.analyse import measures
from cscbook.analyse.stats import kruskal, spearman_ci
from cscbook.chapters.context import Context
from cscbook.chapters.ofsted import stats as of_stats
from tests.conftest import run_chapter


def make_ctx(prep: contract.Prepared, region: str = "", highlight: str = "", scale: str = "four-point") -> Context:
    """A chapter context on a prepared data set, without reading or generating anything."""
    p = params.OfstedParams(region=region, highlight=highlight, judgement_scale=scale)
    panel = prep.panel.copy()
    view = panel[panel["region"] == region].copy() if region else panel
    name = str(panel.loc[panel["la_code"] == highlight, "la_name"].iloc[0]) if highlight else None
    return Context("ofsted", p, prep, panel, view, highlight or None, name)


def with_spend_effect(prep: contract.Prepared, per_grade: float) -> contract.Prepared:
    """A copy in which spending per child is multiplied by exp(per_grade * judgement score)."""
    panel = prep.panel.copy()
    score = panel["ofsted_overall"].map(of_stats.SCORE).fillna(0).to_numpy()
    for c in contract.SPEND:
        panel[c] = panel[c] * np.exp(per_grade * score)
    return contract.Prepared(panel, prep.flags, prep.meta, prep.truth)


def test_spearman_interval_covers_the_true_rank_correlation():
    rng = np.random.default_rng(5)
    r = 0.5
    xy = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=3000)
    true = 6 / np.pi * np.arcsin(r / 2)
    sp = spearman_ci(xy[:, 0], xy[:, 1])
    assert sp["lo"] < true < sp["hi"]
    assert sp["hi"] - sp["lo"] < 0.07
    small = spearman_ci(xy[:50, 0], xy[:50, 1])
    assert small["hi"] - small["lo"] > sp["hi"] - sp["lo"]


def test_spending_association_is_null_within_its_interval_on_synthetic_england(england):
    assert england.truth["ofsted_effect_on_spend_per_child"] == 0.0
    ctx = make_ctx(england)
    jf = of_stats.judgement_frame(ctx)
    assert len(jf) == 152 and set(jf["ofsted_overall"]) <= set(contract.OFSTED_SCALE)
    sp = spearman_ci(of_stats.score_for_scale(jf, "four-point"), jf["spend_pc"])
    assert sp["lo"] <= 0 <= sp["hi"]
    m = of_stats.judgement_model(jf, "four-point")
    assert m["model"] == "ordered logit"
    assert m["lo"] <= 0 <= m["hi"]
    assert kruskal(jf, "spend_pc")["p"] > 0.05


def test_a_planted_spending_effect_is_detected(england):
    ctx = make_ctx(with_spend_effect(england, 0.25))
    jf = of_stats.judgement_frame(ctx)
    sp = spearman_ci(jf["score"], jf["spend_pc"])
    assert sp["lo"] > 0
    m = of_stats.judgement_model(jf, "four-point")
    assert m["lo"] > 0
    assert kruskal(jf, "spend_pc")["p"] < 0.01
    f = of_stats.findings(sp, m, of_stats.change_tests(of_stats.later_change(ctx), "four-point"))
    assert list(f["Result"][:2]) == ["fail", "fail"]


def test_binary_scale_uses_two_groups_and_a_logit(england):
    ctx = make_ctx(england, scale="binary")
    jf = of_stats.judgement_frame(ctx)
    assert set(jf["group"]) == set(of_stats.BINARY)
    good = jf["ofsted_overall"].isin(["Good", "Outstanding"])
    assert (jf.loc[good, "group"] == "Good or better").all()
    m = of_stats.judgement_model(jf, "binary")
    assert m["model"] == "logit" and np.isfinite(m["coef"])
    assert list(of_stats.group_table(ctx, jf).index) == of_stats.BINARY


def test_good_range_is_the_spending_range_of_good_authorities_and_matches_the_nao(england):
    ctx = make_ctx(england)
    jf = of_stats.judgement_frame(ctx)
    gr = of_stats.good_range(jf)
    good = jf.loc[jf["ofsted_overall"] == "Good", "spend_pc"]
    assert gr["n"] == len(good) > 0
    assert (gr["min"], gr["max"]) == (good.min(), good.max())
    assert gr["min"] == pytest.approx(reference.value("good_spend_min"), rel=0.10)
    assert gr["max"] == pytest.approx(reference.value("good_spend_max"), rel=0.10)
    df = measures.compare(of_stats.nao_rows(ctx, gr))
    assert (df["Result"] == "pass").all() and df["Note"].str.contains("per child in need").all()
    df_r = measures.compare(of_stats.nao_rows(make_ctx(england, region="London"), gr))
    assert (df_r["Result"] == "n/a").all()


def test_later_change_uses_the_first_judged_year_and_computes_the_change(england):
    prep = contract.Prepared(england.panel.copy(), england.flags, england.meta, england.truth)
    code = prep.panel["la_code"].iloc[0]
    prep.panel.loc[(prep.panel["la_code"] == code) & (prep.panel["year"] <= 2012), "ofsted_overall"] = None
    ctx = make_ctx(prep)
    ch = of_stats.later_change(ctx).set_index("la_code")
    assert ch.loc[code, "base_year"] == 2013
    one = prep.panel[prep.panel["la_code"] == code].set_index("year")
    r0 = float(one.loc[2013, "cpp_31mar"] / one.loc[2013, "pop_0_17"])
    r1 = float(one.loc[2018, "cpp_31mar"] / one.loc[2018, "pop_0_17"])
    assert ch.loc[code, "cpp_31mar_change"] == pytest.approx((r1 / r0 - 1) * 100)
    assert (ch.drop(index=code)["base_year"] == 2011).all()


def test_later_cpp_change_is_null_within_its_interval_on_synthetic_england(england):
    assert england.truth["ofsted_effect_on_later_cpp_change"] == 0.0
    for scale in ("four-point", "binary"):
        tests = of_stats.change_tests(of_stats.later_change(make_ctx(england, scale=scale)), scale)
        cpp = tests.loc["Child protection plan rate"]
        assert cpp["CI low"] <= 0 <= cpp["CI high"], scale
        assert cpp["Authorities"] == 150  # the two small authorities' CPP counts are suppressed


def test_a_planted_later_change_is_detected(england):
    prep = contract.Prepared(england.panel.copy(), england.flags, england.meta, england.truth)
    p = prep.panel
    base = p[p["year"] == 2011].set_index("la_code")["ofsted_overall"].map(of_stats.SCORE)
    last = p["year"] == 2018
    p.loc[last, "cpp_31mar"] = p.loc[last, "cpp_31mar"] * np.exp(-0.15 * p.loc[last, "la_code"].map(base).to_numpy())
    cpp = of_stats.change_tests(of_stats.later_change(make_ctx(prep)), "four-point").loc["Child protection plan rate"]
    assert cpp["CI high"] < 0


def test_notebook_executed_on_synthetic_data(built_book):
    out = built_book / "executed" / "ofsted"
    for name in ("spend_by_judgement", "later_change", "later_change_tests", "nao_comparison", "findings"):
        assert (out / f"ofsted_{name}.csv").exists(), name
    nao = pd.read_csv(out / "ofsted_nao_comparison.csv", keep_default_na=False)
    assert (nao["Result"] == "pass").all()
    findings = pd.read_csv(out / "ofsted_findings.csv", keep_default_na=False)
    assert len(findings) == 4 and (findings["Result"] == "pass").all()


@pytest.mark.slow
def test_notebook_executes_binary_with_highlight_and_region(tmp_path, england, panel_dir):
    last = england.panel[(england.panel["year"] == 2018) & (england.panel["region"] == "London")]
    name = str(last["la_name"].iloc[2])
    params = dict(highlight=name, region="London", judgement_scale="binary")
    nb = run_chapter("ofsted", tmp_path, panel_dir, **params)
    text = nb.read_text()
    groups = pd.read_csv(nb.parent / "ofsted_spend_by_judgement.csv")
    assert list(groups["Judgement"]) == of_stats.BINARY
    assert groups["Authorities"].sum() == 33
    nao = pd.read_csv(nb.parent / "ofsted_nao_comparison.csv", keep_default_na=False)
    assert (nao["Result"] == "n/a").all()
    assert "London region" in text and text.count(name) >= 4
