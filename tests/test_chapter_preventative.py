"""The preventative shift chapter: share definitions, recovery of the synthetic truth, the children's
centres test, real terms, and the notebook running under papermill."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook import contract
from cscbook.analyse import measures
from cscbook.chapters import context as chapter
from cscbook.chapters.preventative import centres as pv_centres
from cscbook.chapters.preventative import nao as pv_nao
from cscbook.chapters.preventative import spending as pv_spending
from tests.conftest import run_chapter


def tiny_panel() -> pd.DataFrame:
    """Two authorities, two years, round numbers (nominal £)."""
    rows = []
    spend = {
        # sure_start, cla, other_cfs, safeguarding, family_support, young_people, youth_justice, cera
        ("E1", 2011): (10, 30, 10, 20, 10, 10, 10, 50),
        ("E2", 2011): (20, 40, 0, 20, 10, 0, 10, 0),
        ("E1", 2017): (5, 45, 10, 20, 5, 5, 10, 50),
        ("E2", 2017): (0, 60, 10, 20, 5, 0, 5, 0),
    }
    for (code, year), vals in spend.items():
        row = {
            "la_code": code,
            "la_name": code,
            "region": "London",
            "year": year,
            "deflator": 0.5 if year == 2011 else 1.0,
        }
        row |= {f"spend_{c}": float(v) for c, v in zip(contract.SPEND_CATEGORIES, vals)}
        rows.append(row)
    return pd.DataFrame(rows)


def test_share_definitions_on_a_hand_made_panel():
    s = pv_spending.national_shares(tiny_panel())
    # 2011: all non-CERA = 100 + 100 = 200; A = 30 + 30 = 60; other_cfs = 10; youth justice = 20
    assert s.loc[2011, "A"] == pytest.approx(60 / 200 * 100)
    assert s.loc[2011, "B"] == pytest.approx(70 / 200 * 100)
    assert s.loc[2011, "C"] == pytest.approx(70 / 180 * 100)
    # 2017: all non-CERA = 100 + 100 = 200; A = 15 + 5 = 20; other_cfs = 20; youth justice = 15
    assert s.loc[2017, "A"] == pytest.approx(20 / 200 * 100)
    assert s.loc[2017, "B"] == pytest.approx(40 / 200 * 100)
    assert s.loc[2017, "C"] == pytest.approx(40 / 185 * 100)


def test_cera_is_in_no_denominator_and_the_definitions_are_defined_once():
    for d in pv_spending.DEFINITIONS.values():
        assert "cera" not in d.denominator and "cera" not in d.numerator
        assert set(d.numerator) <= set(d.denominator)
    assert "youth_justice" in pv_spending.DEFINITIONS["B"].denominator
    assert "youth_justice" not in pv_spending.DEFINITIONS["C"].denominator
    p = tiny_panel()
    p.loc[0, "spend_cera"] = 1e9  # CERA changes nothing
    assert pv_spending.national_shares(p).equals(pv_spending.national_shares(tiny_panel()))


def test_authority_shares_and_missing_spend():
    p = tiny_panel()
    sh = pv_spending.authority_shares(p, "B")
    assert sh.loc["E2", 2011] == pytest.approx(30 / 100 * 100)
    p.loc[(p["la_code"] == "E2") & (p["year"] == 2011), "spend_cla"] = np.nan
    s = pv_spending.national_shares(p)
    assert s.loc[2011, "B"] == pytest.approx(40 / 100 * 100)  # E2 2011 drops out, not counted as zero


def test_real_terms_equal_nominal_over_deflator(england):
    p = england.panel
    real = pv_spending.real_terms(p)
    for c in contract.SPEND:
        np.testing.assert_allclose(real[c], p[c] / p["deflator"])
    nominal_t, real_t = pv_spending.spend_by_category(p), pv_spending.spend_by_category(p, real=True)
    defl = p.groupby("year")["deflator"].first()
    np.testing.assert_allclose(real_t.to_numpy(), nominal_t.div(defl, axis=0).to_numpy(), rtol=1e-12)
    assert not np.allclose(real_t.to_numpy(), nominal_t.to_numpy())


def test_definition_b_recovers_the_synthetic_share_path(england):
    truth = england.truth
    assert truth["preventative_share_definition"] == "B"
    shares = pv_spending.national_shares(england.panel)
    for year, value in truth["preventative_share"].items():
        assert abs(shares.loc[int(year), "B"] - value * 100) < 1.0, year
    assert pv_spending.reproducing(shares) == ["B"]


def _ctx(england, tmp_path, **kw):
    contract.write_prepared(england, tmp_path / "panel")
    return chapter.load("preventative", dict(panel_dir=str(tmp_path / "panel"), **kw))


def test_childrens_centres_effect_is_null_within_its_interval(england, tmp_path):
    assert england.truth["childrens_centre_effect_on_cpp_change"] == 0.0
    ctx = _ctx(england, tmp_path)
    auth = pv_spending.authority_table(ctx)
    r = pv_centres.centres_test(auth, pv_centres.national_centres(ctx.view))
    assert r.available and r.n > 100
    assert r.diff_lo <= 0 <= r.diff_hi
    assert r.slope_lo <= 0 <= r.slope_hi
    assert r.consistent
    assert r.n_top == r.n_bottom or abs(r.n_top - r.n_bottom) <= 1


def test_childrens_centres_test_detects_a_planted_effect(england, tmp_path):
    ctx = _ctx(england, tmp_path)
    auth = pv_spending.authority_table(ctx).copy()
    auth["cpp_rate_change"] = auth["cpp_rate_change"] + 0.8 * (-auth["centres_change_pct"])
    r = pv_centres.centres_test(auth)
    assert r.diff_lo > 0 and r.slope_lo > 0 and not r.consistent


def test_without_childrens_centres_the_row_is_na(england, tmp_path):
    prep = contract.Prepared(
        panel=england.panel.assign(childrens_centres=np.nan),
        flags=england.flags,
        meta=england.meta,
        truth=england.truth,
    )
    ctx = _ctx(prep, tmp_path)
    auth = pv_spending.authority_table(ctx)
    r = pv_centres.centres_test(auth, pv_centres.national_centres(ctx.view))
    assert not r.available and "children's centres" in r.reason
    rows = {row["key"]: row for row in pv_nao.nao_rows(ctx, pv_spending.national_shares(ctx.view), r)}
    assert rows["centres_change"]["ours"] is None
    table = measures.compare(list(rows.values())).set_index("Measure")
    assert (table["Result"] == "n/a").sum() == 1
    assert "children's centres" in pv_centres.centres_sentence(r, ctx)


def _run(tmp_path: Path, panel_dir: Path, **params) -> tuple[dict, Path]:
    out = run_chapter("preventative", tmp_path, panel_dir, **params)
    return json.loads(out.read_text()), out.parent


def _glued_text(nb: dict) -> dict[str, str]:
    """Every glued value's text, by name."""
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                prefix = o["metadata"]["scrapbook"].get("mime_prefix", "")
                data = o["data"]
                text = data.get(f"{prefix}text/markdown") or data.get(f"{prefix}text/plain", "")
                out[name] = text.strip("'\"")
    return out


def test_notebook_ran_with_defaults(built_book):
    out = built_book / "executed" / "preventative"
    nb = json.loads((out / "preventative.ipynb").read_text())
    nao = pd.read_csv(out / "preventative_nao_comparison.csv", keep_default_na=False)
    assert list(nao["Result"]) == ["pass", "pass", "pass"], nao
    for name in ["spend_nominal", "spend_real", "shares", "authorities", "centres", "definitions"]:
        assert (out / f"preventative_{name}.csv").exists(), name
    g = _glued_text(nb)
    assert "definition B reproduces" in g["reproduces"]
    assert "consistent with the NAO" in g["centres_sentence"]


def test_definition_a_does_not_reproduce_the_nao_shares(england, tmp_path):
    ctx = _ctx(england, tmp_path, definition="A")
    r = pv_centres.centres_test(pv_spending.authority_table(ctx), pv_centres.national_centres(ctx.view))
    nao = measures.compare(pv_nao.nao_rows(ctx, pv_spending.national_shares(ctx.view), r))
    assert list(nao["Result"])[:2] == ["fail", "fail"]  # definition A does not give 41% and 25%
    assert (nao["Note"].iloc[:2] == "definition A").all()


@pytest.mark.slow
def test_notebook_runs_with_definition_a_a_region_and_a_highlight(england, tmp_path, panel_dir):
    last = england.panel[(england.panel["year"] == 2018) & (england.panel["region"] == "North West")]
    name = str(last["la_name"].iloc[1])
    nb, out = _run(tmp_path, panel_dir, definition="A", region="North West", highlight=name)
    auth = pd.read_csv(out / "preventative_authorities.csv")
    assert set(auth["Region"]) == {"North West"}
    n = england.panel.loc[england.panel["region"] == "North West", "la_code"].nunique()
    assert len(auth) == n
    nao = pd.read_csv(out / "preventative_nao_comparison.csv", keep_default_na=False)
    assert (nao["Result"] == "n/a").all()
    g = _glued_text(nb)
    assert "North West" in g["scope"] and "Not assessed" in g["reproduces"]
    assert name in g["highlight_sentence"]
    assert g["definition"] == "A"


def test_without_centres_by_authority_the_chapter_cites_the_national_counts():
    """Official data hold no children's centres by authority: the NAO's second claim cannot be tested, and the
    chapter gives the published national counts, computed from data/reference."""
    from cscbook import reference
    from cscbook.chapters.preventative import centres

    text = centres.national_centres_sentence()
    before, after = reference.value("centres_aug_2009"), reference.value("centres_oct_2017")
    assert (before, after, reference.value("centres_closed_2019")) == (3632, 3123, 585)
    assert f"a fall of {before - after:,.0f} (14%)" in text and "HL14383" in text and "585 closed" in text
    r = centres.CentresResult(available=False, reason="no authority records its centres")
    assert "cannot be tested on published data" in centres.centres_sentence(
        r, None
    ) and text in centres.centres_sentence(r, None)
