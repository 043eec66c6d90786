"""What a profile says beyond its series: neighbours one by one, bands and trends, ranks with intervals,
its place in each chapter, its context, a comparator of the reader's choosing and the downloads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.analyse import measures, stats
from cscbook.errors import UserError
from cscbook.profiles import core as profiles
from cscbook.profiles import findings as pfind
from cscbook.profiles import page as profile_page

YEARS = "2011-2018"


@pytest.fixture(scope="module")
def pf(england, panel_dir):
    code = sorted(england.panel["la_code"].unique())[7]
    return profiles.Profile(str(panel_dir), code, YEARS)


def test_neighbour_table_gives_each_neighbour_and_their_median(pf):
    t = pfind.neighbour_table(pf)
    cpp = pfind.NEIGHBOUR_COLUMNS["cpp_31mar"]
    rows = t.set_index("Authority")
    names = [pf.s.names[c] for c in pf.neighbour_codes]
    assert t["Authority"].tolist()[: len(names)] == names
    last = pf.s.by_la.xs(pf.s.last, level="year")
    assert rows.loc[names, cpp].tolist() == pytest.approx(last.loc[pf.neighbour_codes, "cpp_31mar"].tolist())
    assert rows.loc["Neighbours' median", cpp] == pytest.approx(last.loc[pf.neighbour_codes, "cpp_31mar"].median())
    assert rows.loc["Neighbours pooled", cpp] == pytest.approx(pf.neighbour_series.loc[pf.s.last, "cpp_31mar"])
    assert rows.loc[pf.name, cpp] == pytest.approx(last.loc[pf.code, "cpp_31mar"])


def test_quarters_follow_the_authorities_values():
    col = pd.Series(np.arange(100, dtype=float))
    assert [pfind.quarter(col, v) for v in (0, 24, 25, 60, 99)] == [
        "lowest quarter",
        "lowest quarter",
        "second quarter",
        "third quarter",
        "highest quarter",
    ]
    assert pfind.quarter(col, np.nan) == "—"


def test_bands_state_the_changes_and_the_direction(pf):
    t = pfind.bands_table(pf).set_index("Measure")
    own = pf.own["cpp_31mar"]
    row = t.loc[profiles.label("cpp_31mar")]
    assert row["Change since last year"] == pytest.approx(own[2018] - own[2017])
    assert row["Change over five years"] == pytest.approx(own[2018] - own[2013])
    assert row["Better is"] == pfind.NO_DIRECTION
    assert t.loc[t.index.str.startswith("Social-worker vacancy"), "Better is"].tolist() == ["Lower"]


def test_rank_history_is_the_shared_rank_intervals_of_each_year(pf):
    h = pfind.rank_history(pf)
    assert set(h["measure"]) == set(pfind.RANKED) and set(h["year"]) == set(range(2011, 2019))
    assert (h["lo"] <= h["rank"]).all() and (h["rank"] <= h["hi"]).all()
    d = pf.s.panel[(pf.s.panel["year"] == 2015) & pf.s.panel["cla_31mar"].notna()]
    r = stats.rank_intervals(d["cla_31mar"], d["pop_0_17"], pfind.RANK_DRAWS, pfind.RANK_SEED + 2015)
    mine = r[(d["la_code"] == pf.code).to_numpy()].iloc[0]
    got = h[(h["measure"] == "cla_31mar") & (h["year"] == 2015)].iloc[0]
    assert (got["rank"], got["lo"], got["hi"]) == (mine["rank"], mine["lo"], mine["hi"])


def test_chapter_table_places_the_authority_in_the_funnel_and_the_model(pf, england):
    t = pfind.chapter_table(pf).set_index("Chapter")["This authority"]
    d = england.panel[(england.panel["year"] == 2018) & england.panel["cpp_31mar"].notna()]
    theta = d["cpp_31mar"].sum() / d["pop_0_17"].sum()
    f = stats.funnel_frame(d["cpp_31mar"], d["pop_0_17"], theta, measures.PER)
    mine = f[(d["la_code"] == pf.code).to_numpy()].iloc[0]
    assert f"{mine['rate']:.1f} per 10,000" in t["Variation between authorities"]
    text = t["Variation between authorities"]
    assert pfind._place(mine["position"]) + " of the exact binomial limits" in text
    assert pfind._place(mine["position_od"]) + " of the limits allowing for overdispersion" in text
    eff = pfind.shared_findings(pf.s.panel_key).effects.loc[pf.code]
    assert f"{eff['effect']:+.2f}" in t["The decomposition model"] and eff["low"] < eff["effect"] < eff["high"]
    assert "%" in t["The shift from preventative spending"]


def test_effects_follow_the_planted_authority_effects(pf, england):
    """Synthetic England plants each authority's effect on the log plan rate: the profile's estimates follow it."""
    eff = pfind.shared_findings(pf.s.panel_key).effects
    planted = pd.Series(england.truth["authority_effects"]).reindex(eff.index)
    assert planted.notna().mean() > 0.9
    ok = planted.notna()
    assert np.corrcoef(planted[ok], eff.loc[ok, "effect"])[0, 1] > 0.8
    covered = (
        (eff.loc[ok, "low"] - 0.05 <= planted[ok] - planted[ok].mean())
        & (planted[ok] - planted[ok].mean() <= eff.loc[ok, "high"] + 0.05)
    ).mean()
    assert covered > 0.8


def test_context_gives_the_latest_known_year(pf):
    t = pfind.context_table(pf).set_index("Measure")
    assert t.loc[t.index.str.startswith("Income deprivation"), "Year"].iloc[0] == "2017-18"
    assert t["Rank (1 = highest)"].str.contains(" of ").all() or (t["Year"] == "not known").any()


def test_a_chosen_comparator_replaces_the_neighbours_line(england, panel_dir):
    codes = sorted(england.panel["la_code"].unique())
    names = england.panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    one = profiles.Profile(str(panel_dir), codes[0], YEARS, compare=names[codes[3]])
    assert list(one.comparison)[1] == names[codes[3]]
    assert one.comparison[names[codes[3]]]["cpp_31mar"].equals(one.s.by_la.loc[codes[3], "cpp_31mar"])
    group = profiles.Profile(str(panel_dir), codes[0], YEARS, compare=f"{codes[3]},{codes[4]},{codes[0]}")
    assert list(group.comparison)[1] == "2 chosen authorities"  # the authority itself is left out
    assert "set against" in group.intro_sentence()
    assert list(group.spending_mix().columns)[1] == "2 chosen authorities"
    with pytest.raises(UserError) as exc:
        profiles.Profile(str(panel_dir), codes[0], YEARS, compare="Atlantis")
    assert "compare" in exc.value.line() and "Atlantis" in exc.value.line()


def test_downloads_hold_every_table_as_csv_and_excel(pf, tmp_path):
    frames = profile_page.page_tables(pf)
    profile_page.write_downloads(pf, frames, tmp_path)
    names = profile_page.profile_downloads(pf.code)
    assert all((tmp_path / n).exists() for n in names)
    long = pd.read_csv(tmp_path / names[1])
    assert set(long["table"]) == set(profile_page.SHEETS.values())
    book = pd.read_excel(tmp_path / names[2], sheet_name=None)
    assert set(book) == set(profile_page.SHEETS.values())
    ranks = book["Rank over time"]
    assert len(ranks) == len(pfind.RANKED) * 8 and {"rank", "interval best", "interval worst"} <= set(ranks)
    bands = book["Bands and trends"]
    assert bands["Measure"].tolist() == pfind.bands_table(pf)["Measure"].tolist()


def test_profile_parameters_are_checked_in_one_line():
    from cscbook import params

    assert params.resolve(params.ProfileParams, {"neighbours": "DfE-2021"}, "the profiles").neighbours == "dfe-2021"
    with pytest.raises(UserError) as exc:
        params.resolve(params.ProfileParams, {"neighbours": "nearest"}, "the profiles")
    assert "neighbours" in exc.value.line() and "dfe-<year>" in exc.value.line()
    with pytest.raises(UserError):
        params.resolve(params.ProfileParams, {"highlight": "x"}, "the profiles")


@pytest.mark.parametrize(
    "position, words",
    [
        ("above 99.8%", "above the 99.8% band"),
        ("above 95%", "above the 95% band (inside the 99.8% band)"),
        ("within 95%", "within the 95% band"),
        ("below 99.8%", "below the 99.8% band"),
    ],
)
def test_funnel_positions_read_as_words(position, words):
    assert pfind._place(position) == words


def test_the_build_hands_profile_parameters_to_the_profiles_only(tmp_path, england):
    from cscbook.build import pipeline as build

    codes = sorted(england.panel["la_code"].unique())
    plain = build.plan({"data": "synthetic"}, tmp_path, codes[0], {})
    chosen = build.plan({"data": "synthetic", "compare": codes[1], "neighbours": "computed"}, tmp_path, codes[0], {})
    assert chosen.profile_params == {"neighbours": "computed", "compare": codes[1]}
    assert plain.profile_params == {"neighbours": "dfe", "compare": ""}
    assert chosen.profiles_key != plain.profiles_key  # profiles made against another comparator are made again
    assert chosen.keys == plain.keys  # and the chapters are not
    with pytest.raises(UserError) as exc:
        build.plan({"data": "synthetic", "neighbours": "closest"}, tmp_path, codes[0], {})
    assert "neighbours" in exc.value.line()


def test_a_successors_estimated_years_are_marked_and_never_banded_ranked_or_compared(tmp_path):
    """Cumberland before 2023-24 is Cumbria shared out by population: said so, drawn apart, left out of bands,
    ranks and changes."""
    from cscbook import params
    from cscbook.profiles import core as profiles
    from cscbook.snapshot import prepare as data

    p = params.ChapterParams(geography="latest", years="2011-2025")
    folder = data.prepare_data(p, tmp_path)
    pf = profiles.Profile(str(folder), "E06000063", "2011-2025")
    assert pf.estimated_years == list(range(2011, 2024))
    assert "are estimates" in pf.intro_sentence()
    bands = pfind.bands_table(pf)
    assert bands["Change over five years"].isna().all()  # 2019-20 is an estimate
    ranks = pfind.rank_history(pf)
    assert len(ranks) and ranks["year"].min() >= 2024
    other = profiles.Profile(str(folder), "E06000009", "2011-2025")  # Blackpool: nothing estimated
    assert other.estimated_years == [] and "are estimates" not in other.intro_sentence()
    assert pfind.bands_table(other)["Change over five years"].notna().any()


def test_a_vacancy_rate_at_an_end_carries_a_small_numbers_note(pf, monkeypatch):
    assert pfind.vacancy_note(pf) == ""  # synthetic rates lie between 1% and 45%
    panel = pf.s.panel.copy()
    own = panel["la_code"] == pf.code
    panel.loc[own & (panel["year"] == 2016), "sw_vacancy_rate"] = 0.0
    panel.loc[own & (panel["year"] == 2017), "sw_vacancy_rate"] = 1.0
    monkeypatch.setattr(pf.s, "panel", panel)
    note = pfind.vacancy_note(pf)
    assert "0% in 2015-16 and 100% in 2016-17" in note and "small number" in note
