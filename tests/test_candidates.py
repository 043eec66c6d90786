"""Candidate definitions of the NAO's figures: declared in data/reference/candidates.csv, evaluated as an
exploratory table, a figure reproduced only within the NAO's own rounding, identified only by two numbers,
and never changing the value or the result a comparison row scores."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from cscbook import contract, reference
from cscbook.analyse import candidates, measures
from cscbook.chapters import candidates as shown
from tests.conftest import ROOT

SNAP = ROOT / "data" / "official" / "2018"


@pytest.mark.parametrize(
    "ours, key, ok",
    [
        (300.45, "cin_episode_rate_min", False),  # 301 means 300.5 to 301.5
        (300.5, "cin_episode_rate_min", True),
        (301.49, "cin_episode_rate_min", True),
        (301.5, "cin_episode_rate_min", False),
        (2.49, "cin_growth", True),  # +2%: 1.5 to 2.5
        (2.5, "cin_growth", False),
        (5.249, "pop_growth", True),  # 5.2%: 5.15 to 5.25
        (5.25, "pop_growth", False),
        (float("nan"), "cin_growth", False),
    ],
)
def test_a_figure_is_reproduced_only_within_the_naos_rounding(ours, key, ok):
    assert candidates.reproduces(ours, key) is ok


def test_every_declared_candidate_names_known_figures_columns_and_authorities():
    panel = pd.read_csv(SNAP / "panel.csv")
    pub = reference.published()
    known = set(contract.COLUMNS) | set(panel.columns)  # the contract and the totals section 251 publishes
    groups = {}
    for c in candidates.declared():
        assert set(c.keys) <= set(pub.index), c
        assert c.kind in {"growth", "range", "share"} and c.source in {"england", "authorities"}, c
        for expr in (c.measure, c.denominator):
            for col in expr.partition("@")[0].split("+") if expr else []:
                assert col in known, (c.group, c.candidate, col)
        assert set(c.exclude) <= set(panel["la_name"]), c  # only named exclusions, of real authorities
        groups.setdefault(c.group, []).append(c)
    for group, cands in groups.items():
        assert [c.order for c in cands] == list(range(1, len(cands) + 1)), group
        assert len({c.keys for c in cands}) == 1 and len({c.figure for c in cands}) == 1, group
        assert 2 <= len(cands) <= 12, group  # a short declared list, not a search


def _panel():
    """Four invented authorities over two years; 'Tinyton' is the small outlier a named exclusion drops."""
    rows = []
    for year, pops, plans in (
        (2017, (1000, 2000, 3000, 50), (4, 8, 31, 0)),
        (2018, (1100, 2100, 3100, 60), (5, 9, 30, 1)),
    ):
        names = (("E1", "Ashby"), ("E2", "Brook"), ("E3", "Carra"), ("E4", "Tinyton"))
        for (code, name), pop, n in zip(names, pops, plans):
            rows.append({"la_code": code, "la_name": name, "year": year, "pop_0_17": pop, "cpp_starts": n})
    return pd.DataFrame(rows)


def _declare(monkeypatch, decl, top: str | None = None) -> None:
    """Declare ``decl`` as the candidates and give the NAO's range as 40 to 103, naming ``top`` at its top end."""
    monkeypatch.setattr(candidates, "declared", lambda: tuple(decl))
    pub = reference.published().copy()
    pub.loc["cpp_rate_min", "value"], pub.loc["cpp_rate_max", "value"] = 40, 103
    if top:
        pub.loc["cpp_rate_max", "authority"] = top
    monkeypatch.setattr(reference, "published", lambda: pub)
    monkeypatch.setattr(reference, "published_text", lambda k: {"cpp_rate_min": "40", "cpp_rate_max": "103"}[k])


def test_a_range_matched_by_one_definition_at_both_ends_is_identified(monkeypatch):
    decl = [
        candidates.Candidate("g", 1, "all", "F", "range", ("cpp_rate_min", "cpp_rate_max"), "2017", "cpp_starts",
                             "pop_0_17", "authorities", (), "", "all"),
        candidates.Candidate("g", 2, "no_tiny", "F", "range", ("cpp_rate_min", "cpp_rate_max"), "2017", "cpp_starts",
                             "pop_0_17", "authorities", ("Tinyton",), "", "no tiny"),
        candidates.Candidate("g", 3, "lagged", "F", "range", ("cpp_rate_min", "cpp_rate_max"), "2018", "cpp_starts",
                             "pop_0_17@-1", "authorities", ("Tinyton",), "", "lagged"),
    ]  # fmt: skip
    _declare(monkeypatch, decl)
    t = candidates.assess("g", _panel(), None)
    by = t.set_index(["candidate", "key"])["ours"]
    assert by["all", "cpp_rate_min"] == 0  # Tinyton's no plans
    assert by["no_tiny", "cpp_rate_min"] == pytest.approx(40) and by["no_tiny", "cpp_rate_max"] == pytest.approx(
        103.33, abs=0.01
    )
    assert by["lagged", "cpp_rate_min"] == pytest.approx(45) and by["lagged", "cpp_rate_max"] == pytest.approx(100)
    # (2018 plans over 2017's children: Brook's 9 over 2,000 and Carra's 30 over 3,000)
    assert list(t.loc[t["reproduces"], "candidate"].unique()) == ["no_tiny"]
    state, hit = candidates.status(t, "g")
    assert state == candidates.IDENTIFIED and set(hit["candidate"]) == {"no_tiny"}
    assert set(t["tried"]) == {3} and t.set_index(["candidate", "key"]).loc[("all", "cpp_rate_min"), "distance"] == -40
    words = shown.sentence(t, "g")
    assert words.startswith("F: identified. Of the 3 definitions tried, no tiny gives") and "(Ashby to Carra)" in words


def test_a_named_end_of_a_range_must_be_the_same_authority(monkeypatch):
    """The values alone are not enough where the NAO names the authority at an end."""
    decl = [
        candidates.Candidate("g", 1, "no_tiny", "F", "range", ("cpp_rate_min", "cpp_rate_max"), "2017", "cpp_starts",
                             "pop_0_17", "authorities", ("Tinyton",), "", "no tiny"),
    ]  # fmt: skip
    _declare(monkeypatch, decl, top="Brook")  # ours is Carra
    t = candidates.assess("g", _panel(), None)
    assert not t["reproduces"].any() and candidates.status(t, "g")[0] == candidates.NOT_REPRODUCED
    row = measures.compare([{"key": "cpp_rate_max", "ours": 103.2, "authority": "Carra"}]).iloc[0]
    assert row["Result"] == "fail" and "our highest authority is Carra, the NAO's Brook" in row["Note"]
    assert measures.compare([{"key": "cpp_rate_max", "ours": 103.2, "authority": "Brook"}]).iloc[0]["Result"] == "pass"


def _ctx(synthetic: bool, region: str = "", last: int = 2018):
    """What ``apply`` reads of a chapter's context."""
    return SimpleNamespace(synthetic=synthetic, p=SimpleNamespace(region=region), last=last)


def _snapshot_candidates(group):
    panel, england = pd.read_csv(SNAP / "panel.csv"), pd.read_csv(SNAP / "england.csv")
    return candidates.assess(group, panel, england)


def test_on_the_official_snapshot_the_cpp_range_is_identified_as_plans_started_without_the_isles_of_scilly():
    t = _snapshot_candidates("cpp_range")
    state, hit = candidates.status(t, "cpp_range")
    # leaving out the City of London as well changes neither end
    assert state == candidates.IDENTIFIED and set(hit["candidate"]) == {"starts_no_scilly", "starts_no_scilly_city"}
    hit = hit[hit["candidate"] == "starts_no_scilly"]
    assert hit.set_index("key")["detail"].str.split(";").str[0].to_dict() == {
        "cpp_rate_min": "Westminster",
        "cpp_rate_max": "Blackpool",
    }
    assert not t[t["order"] == 1]["reproduces"].any()  # plans at 31 March, as the NAO's words have it, do not
    assert "identified" in shown.sentence(t, "cpp_range") and "(Westminster to Blackpool)" in shown.sentence(
        t, "cpp_range"
    )


def test_a_figure_no_candidate_reproduces_is_said_so_and_the_comparison_keeps_its_value():
    t = _snapshot_candidates("spend_range")
    assert not t["reproduces"].any()
    words = shown.sentence(t, "spend_range")
    assert "not reproduced. None of the 9 definitions tried gives the NAO's £566 to £5,166" in words
    rows = [{"key": "spend_pc_min", "ours": 468.0, "reason": "lowest: Wokingham"}]
    out = shown.apply(_ctx(False), rows, t)
    assert (
        out[0]["ours"] == 468.0
        and out[0]["reason"] == "lowest: Wokingham; none of 9 definitions explored reproduces it (see below)"
    )


def test_one_growth_matched_by_several_definitions_is_only_consistent_with_them():
    t = _snapshot_candidates("cin_growth")
    state, hit = candidates.status(t, "cin_growth")
    assert state == candidates.CONSISTENT and hit["order"].nunique() >= 1
    assert "consistent with" in shown.sentence(t, "cin_growth") and "not identified" in shown.sentence(t, "cin_growth")


def test_a_candidate_that_matches_exactly_changes_neither_the_rows_value_nor_its_result(monkeypatch):
    """The row scores the NAO's own definition: a candidate made to give the NAO's figure exactly is only a note."""
    rows = [{"key": "cin_growth", "ours": 5.8, "reason": "England rows"}]
    before = measures.compare(shown.apply(_ctx(False), rows, _snapshot_candidates("cin_growth")))
    t = _snapshot_candidates("cin_growth")
    first = t["order"] == t["order"].min()
    t.loc[first, ["ours", "reproduces", "status", "distance"]] = [
        reference.value("cin_growth"),
        True,
        "consistent with",
        0.0,
    ]
    after = measures.compare(shown.apply(_ctx(False), rows, t))
    assert before.loc[0, ["Ours", "Result"]].tolist() == after.loc[0, ["Ours", "Result"]].tolist() == ["+5.8%", "fail"]
    assert shown.apply(_ctx(True), rows, t) == rows
    assert shown.apply(_ctx(False, region="London"), rows, t) == rows  # the NAO's figures are for England
    assert shown.apply(_ctx(False, last=2019), rows, t) == rows  # and for the years to 2017-18
    table = shown.shown(t)
    assert list(table.columns) == shown.SHOWN and "Used" not in table.columns
    assert (
        table["Figure (NAO)"].iloc[0].startswith("Growth in children in need")
        and "tried)" in table["Figure (NAO)"].iloc[0]
    )
