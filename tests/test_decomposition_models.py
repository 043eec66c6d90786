"""The decomposition's two declared models on the committed official snapshot: the reproduction model is
the declared candidate closest to the NAO's shares, fitted over the NAO's period without vacancies; the
preferred model is fitted as declared; both reach shares.json, and main is the reproduction model."""

from __future__ import annotations

import json

import pytest

from cscbook.analyse import candidates, models
from cscbook.chapters import decomposition as dc
from cscbook.chapters.decomposition import fit as dc_fit
from cscbook.chapters.decomposition import specs
from cscbook.snapshot import write as snapshot
from tests.test_nao_reasons import make_ctx


@pytest.fixture(scope="module")
def fitted():
    ctx = make_ctx("decomposition", snapshot.read("2018"), n_boot=5)
    return ctx, dc_fit.fit(ctx)


@pytest.mark.slow  # the three fits on the official snapshot share one 7-second fixture
def test_the_reproduction_model_is_the_closest_declared_candidate(fitted):
    ctx, res = fitted
    table = res.candidates
    declared = candidates.decomposition_specs()
    assert list(table.index) == list(declared.loc[declared["role"] == "candidate", "order"])
    gaps = table["Largest difference from the NAO (pp)"]
    assert gaps.notna().all()  # every candidate's outcome is in the official data
    assert res.reproduction.order == gaps.idxmin()
    assert (table["Used"] == "reproduction model").sum() == 1
    assert res.main.spec == res.reproduction.spec and not res.main.spec.vacancies
    assert specs.distance(res.main) == pytest.approx(gaps.min())
    assert res.main.frame["year"].nunique() >= 7  # the NAO's period, not the two vacancy years
    two = next(v for k, v in res.variants.items() if k.startswith("With vacancies"))
    assert two.frame["year"].nunique() == 2 and two.spec.vacancies  # kept as a check
    assert not any(k.startswith("Without vacancies") for k in res.variants)  # the main model already is


@pytest.mark.slow
def test_the_preferred_model_is_fitted_as_declared_and_both_reach_shares_json(fitted, tmp_path, monkeypatch):
    ctx, res = fitted
    assert res.preferred.role == "preferred" and res.preferred.reason
    assert res.preferred_fit.spec.lag_spend and res.preferred_fit.spec.outcome == "cpp_starts"
    assert set(res.preferred_ci.index) == set(models.COMPONENTS)
    monkeypatch.chdir(tmp_path)
    out = json.loads(dc.write_json(ctx, res).read_text())
    assert out["main"]["shares"] == out["reproduction"]["shares"]
    assert out["reproduction"]["declared"] == res.reproduction.name
    assert out["preferred"]["declared"] == "preferred" and out["preferred"]["spec"]["lag_spend"] is True
    assert len(out["candidates"]) == len(res.candidates)
    for name in ("reproduction", "preferred"):
        assert set(out[name]["intervals_95"]) == set(models.COMPONENTS)
        assert abs(sum(out[name]["shares"].values()) - 1) < 5e-6  # five shares, each rounded to 6 places


@pytest.mark.slow
def test_the_within_between_model_reaches_shares_json_beside_main(fitted, tmp_path, monkeypatch):
    ctx, res = fitted
    monkeypatch.chdir(tmp_path)
    out = json.loads(dc.write_json(ctx, res).read_text())
    wb = out["rewb"]
    assert wb["spec"] == out["main"]["spec"] | {"within_between": True}
    assert out["main"]["spec"]["within_between"] is False  # main is unchanged
    assert wb["rows"] == out["main"]["rows"] and wb["authorities"] == out["main"]["authorities"]
    assert abs(sum(wb["shares"].values()) - 1) < 1e-6 and set(wb["intervals_95"]) == set(models.COMPONENTS)
    spend = wb["coefficients"]["log_spend"]
    assert set(spend) == {"between", "within", "contextual"}
    for part in spend.values():
        lo, hi = part["wald_95"]
        assert lo < part["estimate"] < hi
    assert spend["contextual"]["estimate"] == pytest.approx(
        spend["between"]["estimate"] - spend["within"]["estimate"], abs=2e-6
    )


@pytest.mark.slow  # the whole fit on synthetic England, which the built book also executes
def test_on_synthetic_england_the_main_model_stays_the_generators(england):
    ctx = make_ctx("decomposition", england, n_boot=0)
    res = dc_fit.fit(ctx)
    assert res.reproduction is None and res.candidates is None
    assert res.main.spec == dc_fit.spec_for(ctx)
    assert res.preferred is None  # synthetic England has no plans started
    assert "plans started" in specs.preferred_absent(res.spec)
