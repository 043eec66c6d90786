"""The harmoniser on invented inputs: every boundary rule (G-...) does what its text says, the table of
changes is what the checks pin down, and the panel checks V02-V04 catch what they are for.

Authority names and values are invented; the codes are the ONS codes the rules are keyed on. The
expectations below (``SPEC``) are written out by hand, apart from the table they check, so that a changed
row of :data:`cscbook.harmonise.boundaries.CHANGES` makes the checks fail.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
import pytest

from cscbook import contract
from cscbook.errors import UserError
from cscbook.harmonise import RULES, boundaries, harmonise
from cscbook.ingest import IngestResult
from cscbook.validate import validate_prepared

OLD_YEARS = (2017, 2018)  # published under the predecessors' codes
NEW_YEARS = (2019, 2020)  # published under the successors' codes

#: code -> (invented name, years published); a recode's two codes are one authority with one name
AUTHORITIES = {
    "E06000901": ("Northmoor", OLD_YEARS + NEW_YEARS),  # no change
    "E06000999": ("Farholm", NEW_YEARS),  # new in 2018-19 and in no rule: outside the 2018 footprint
    "E06000048": ("Harrowby", OLD_YEARS),
    "E06000057": ("Harrowby", NEW_YEARS),
    "E08000020": ("Gatecombe", OLD_YEARS),
    "E08000037": ("Gatecombe", NEW_YEARS),
    "E06000028": ("Bramouth", OLD_YEARS),
    "E06000029": ("Pelham Quay", OLD_YEARS),
    "E10000009": ("Dorminster", OLD_YEARS),
    "E06000058": ("Bramouth and Pelham", NEW_YEARS),
    "E06000059": ("Dorminster", NEW_YEARS),
    "E10000002": ("Buckhollow", OLD_YEARS),
    "E06000060": ("Buckhollow", NEW_YEARS),
    "E10000021": ("Fenmarsh Shire", OLD_YEARS),
    "E06000061": ("North Fenmarsh", NEW_YEARS),
    "E06000062": ("West Fenmarsh", NEW_YEARS),
    "E10000006": ("Lakeholt", OLD_YEARS),
    "E06000063": ("Cragside", NEW_YEARS),
    "E06000064": ("Tarnwick and Fells", NEW_YEARS),
    "E10000023": ("Moorcaster", OLD_YEARS),
    "E06000065": ("Moorcaster", NEW_YEARS),
    "E10000027": ("Levelands", OLD_YEARS),
    "E06000066": ("Levelands", NEW_YEARS),
    "E08000016": ("Barrowdale", OLD_YEARS),
    "E08000038": ("Barrowdale", NEW_YEARS),
    "E08000019": ("Steelford", OLD_YEARS),
    "E08000039": ("Steelford", NEW_YEARS),  # only in the workforce census: its name must come from its old code
}
WORKFORCE_ONLY = {"E08000039"}

#: (rule, footprint, how, codes moved, codes landed on, flag the moved cells get or None): what each rule does
SPEC = [
    ("G-RECODE-2013", "2018", "recode", ("E06000048",), ("E06000057",), None),  # applied as files are read
    ("G-RECODE-2013", "latest", "recode", ("E06000048",), ("E06000057",), None),
    ("G-RECODE-2013", "2018", "recode", ("E08000020",), ("E08000037",), None),
    ("G-RECODE-2013", "latest", "recode", ("E08000020",), ("E08000037",), None),
    ("G-BCP-2019", "2018", "outside", ("E06000058", "E06000059"), (), "missing"),
    ("G-BCP-2019", "latest", "sum", ("E06000028", "E06000029"), ("E06000058",), "aggregated"),
    ("G-BCP-2019", "latest", "recode", ("E10000009",), ("E06000059",), "derived"),
    ("G-BUCKS-2020", "2018", "recode", ("E06000060",), ("E10000002",), "derived"),
    ("G-BUCKS-2020", "latest", "recode", ("E10000002",), ("E06000060",), "derived"),
    ("G-NORTHANTS-2021", "2018", "sum", ("E06000061", "E06000062"), ("E10000021",), "aggregated"),
    ("G-NORTHANTS-2021", "latest", "share", ("E10000021",), ("E06000061", "E06000062"), "apportioned"),
    ("G-2023", "2018", "sum", ("E06000063", "E06000064"), ("E10000006",), "aggregated"),
    ("G-2023", "latest", "share", ("E10000006",), ("E06000063", "E06000064"), "apportioned"),
    ("G-2023", "2018", "recode", ("E06000065",), ("E10000023",), "derived"),
    ("G-2023", "latest", "recode", ("E10000023",), ("E06000065",), "derived"),
    ("G-2023", "2018", "recode", ("E06000066",), ("E10000027",), "derived"),
    ("G-2023", "latest", "recode", ("E10000027",), ("E06000066",), "derived"),
    ("G-RECODE-2025", "2018", "recode", ("E08000038",), ("E08000016",), "derived"),
    ("G-RECODE-2025", "latest", "recode", ("E08000016",), ("E08000038",), "derived"),
    ("G-RECODE-2025", "2018", "recode", ("E08000039",), ("E08000019",), "derived"),
    ("G-RECODE-2025", "latest", "recode", ("E08000019",), ("E08000039",), "derived"),
]
#: G- rules that are not rows of the table, each with a test of its own below
NOT_IN_TABLE = {"G-NAMES": "test_names_matched_or_flagged", "G-OLDCODE": "test_old_codes_mapped_or_flagged"}
NOT_IN_TABLE["G-OUTSIDE"] = "test_nothing_dropped_silently"


# --- invented inputs ---------------------------------------------------------------------------------------


def _value(code: str, year: int, measure: str) -> float:
    i = list(AUTHORITIES).index(code)
    base = {"cin_31mar": 300 + 7 * i, "cla_31mar": 60 + 3 * i, "pop_0_17": 20000 + 1500 * i, "spend_cla": 9e5 + 1e4 * i}
    if measure == "sw_vacancy_rate":
        return 0.1 + 0.01 * (year - 2016)
    return float(base[measure] + (year - 2016) * (5 if measure != "spend_cla" else 1000))


def _records() -> pd.DataFrame:
    """Every invented cell: (la_code, year, measure, value), year as the panel counts it."""
    rows = []
    for code, (_name, years) in AUTHORITIES.items():
        measures = (
            ["sw_vacancy_rate"] if code in WORKFORCE_ONLY else ["cin_31mar", "cla_31mar", "pop_0_17", "spend_cla"]
        )
        rows += [(code, y, m, _value(code, y, m)) for y in years for m in measures]
    return pd.DataFrame(rows, columns=["la_code", "year", "measure", "value"])


def _old(code: str) -> str:
    return str(100 + list(AUTHORITIES).index(code))  # an invented 3-digit DfE code per ONS code


def _table(rec: pd.DataFrame, measure: str, vintage: str, coded: bool = True, census: bool = False) -> pd.DataFrame:
    r = rec[rec["measure"] == measure]
    return pd.DataFrame(
        {
            "la_code": list(r["la_code"]) if coded else [None] * len(r),
            "old_la_code": [_old(c) for c in r["la_code"]],
            "la_name": [AUTHORITIES[c][0] for c in r["la_code"]],
            "level": "la",
            "year": (r["year"] - 1 if census else r["year"]).astype("int64").to_numpy(),  # census: September before
            "measure": measure,
            "value": r["value"].to_numpy(),
            "symbol": None,
            "region": "North West",
            "file": f"invented/{measure}.csv",
            "vintage": vintage,
        }
    )


def invented_result() -> IngestResult:
    """An ingest result of invented files: CIN, CLA, population, s251, workforce and Ofsted."""
    rec = _records()
    s251 = _table(rec, "spend_cla", "s251 2019-20", coded=False)  # s251 carries the 3-digit codes only
    s251 = pd.concat([s251, s251.iloc[:1].assign(old_la_code="999", value=5.0)], ignore_index=True)  # no pair
    tables = {
        "cin": _table(rec, "cin_31mar", "EES 2021"),
        "cla": _table(rec, "cla_31mar", "EES 2021"),
        "population": _table(rec, "pop_0_17", "ONS MYE (DfE format) to mid-2020"),
        "s251": s251,
        "workforce": _table(rec, "sw_vacancy_rate", "CSWW 2021", census=True).assign(apportioned=False),
        "ofsted": pd.DataFrame(
            {
                "la_code": [None, None, "E10000002", None],
                "la_name": ["City of Northmoor", "Nowhere Vale", "Buckhollow", "Buckhollow"],
                "framework": ["ILACS", "ILACS", "SIF", "ILACS"],
                "date": ["2018-01-10", "2018-02-01", "2016-06-01", "2019-02-01"],
                "judgement": ["Good", "Inadequate", "Requires improvement", "Outstanding"],
            }
        ),
    }
    inventory = pd.DataFrame(
        [
            {"path": f"invented/{k}.csv", "source": k, "vintage": "invented", "years": "", "authorities": 0}
            | {"rows": len(t), "sha256": "0" * 64, "status": "ok", "note": ""}
            for k, t in tables.items()
        ]
    )
    return IngestResult(tables=tables, inventory=inventory, flags=pd.DataFrame())


@dataclass
class Run:
    """The invented input and the panels harmonised from it."""

    records: pd.DataFrame
    prepared: dict[str, contract.Prepared]

    def cell(self, footprint: str, code: str, year: int, measure: str):
        p = self.prepared[footprint].panel.set_index(["la_code", "year"])
        return p.loc[(code, year), measure] if (code, year) in p.index else None

    def cells_of(self, code: str, footprint: str) -> pd.DataFrame:
        r = self.records[self.records["la_code"] == code]
        return r[r["year"].isin(self.prepared[footprint].panel["year"])]

    def flags(self, footprint: str) -> set[tuple]:
        return set(map(tuple, self.prepared[footprint].flags[contract.FLAG_COLUMNS].itertuples(index=False)))

    def codes(self, footprint: str) -> set[str]:
        return set(self.prepared[footprint].panel["la_code"])


def run_harmoniser() -> Run:
    result = invented_result()
    return Run(_records(), {fp: harmonise(result, geography=fp) for fp in ("2018", "latest")})


@pytest.fixture(scope="module")
def run() -> Run:
    return run_harmoniser()


# --- the checks, one per way a change is applied ----------------------------------------------------------


def check_recode(run: Run, rule, fp, moved, onto, flag) -> None:
    """The new code keeps the authority, its values and its name; the old code is gone."""
    (src,), (dst,) = moved, onto
    cells = run.cells_of(src, fp)
    assert len(cells), f"{rule}: no invented cell of {src} falls in the {fp} panel"
    for r in cells.itertuples():
        assert run.cell(fp, dst, r.year, r.measure) == pytest.approx(r.value), f"{rule}: {src} {r.year} {r.measure}"
    names = run.prepared[fp].panel.set_index("la_code")["la_name"]
    assert set(names[[dst]]) == {AUTHORITIES[src][0]}, f"{rule}: {dst} lost the name of {src}"
    assert src not in run.codes(fp), f"{rule}: {src} is still in the {fp} panel"
    _check_flags(run, rule, fp, src, onto, flag)


def check_sum(run: Run, rule, fp, moved, onto, flag) -> None:
    """The authority formed from several is, cell by cell, the sum of its parts."""
    (dst,) = onto
    cells = pd.concat([run.cells_of(c, fp) for c in moved])
    assert len(cells), f"{rule}: no invented cell of {moved} falls in the {fp} panel"
    for (year, measure), g in cells.groupby(["year", "measure"]):
        assert len(g) == len(moved)
        assert run.cell(fp, dst, year, measure) == pytest.approx(g["value"].sum()), f"{rule}: {dst} {year} {measure}"
    assert not set(moved) & run.codes(fp), f"{rule}: a summed part is still in the {fp} panel"
    for c in moved:
        _check_flags(run, rule, fp, c, onto, flag)


def check_share(run: Run, rule, fp, moved, onto, flag) -> None:
    """A split authority's counts are shared by its successors' 0-17 population; the parts add back to the whole."""
    (src,) = moved
    pop = run.records[(run.records["measure"] == "pop_0_17") & run.records["la_code"].isin(onto)]
    first = pop.pivot_table(index="year", columns="la_code", values="value").dropna().iloc[0]
    weights = first / first.sum()
    cells = run.cells_of(src, fp)
    assert len(cells), f"{rule}: no invented cell of {src} falls in the {fp} panel"
    for r in cells.itertuples():
        parts = [run.cell(fp, n, r.year, r.measure) for n in onto]
        for n, part in zip(onto, parts):
            assert part == pytest.approx(r.value * weights[n]), f"{rule}: {n} {r.year} {r.measure}"
        assert sum(parts) == pytest.approx(r.value), f"{rule}: the parts of {src} {r.year} {r.measure} do not add up"
    assert src not in run.codes(fp), f"{rule}: {src} is still in the {fp} panel"
    _check_flags(run, rule, fp, src, onto, flag)


def check_outside(run: Run, rule, fp, moved, onto, flag) -> None:
    """Successors that the footprint cannot hold are left out, each flagged, never silently."""
    fl = run.flags(fp)
    for c in moved:
        assert c not in run.codes(fp), f"{rule}: {c} is in the {fp} panel"
        first = int(run.records.loc[run.records["la_code"] == c, "year"].min())
        assert (c, first, "*", flag, "G-OUTSIDE") in fl, f"{rule}: {c} left out of the {fp} panel unflagged"


def _check_flags(run: Run, rule, fp, src, onto, flag) -> None:
    """Each year whose s251 cells reach the footprint under the moved code is flagged with the rule (the
    other sources are recoded as they are read); a rule applied as files are read flags nothing."""
    fl = run.flags(fp)
    if flag is None:
        assert not [f for f in fl if f[4] == rule], f"{rule}: flags on {fp} for a change applied on reading"
        return
    years = run.cells_of(src, fp).query("measure == 'spend_cla'")["year"]
    for y in years:
        for dst in onto:
            assert (dst, int(y), "*", flag, rule) in fl, f"{rule}: {dst} {y} not flagged {flag} on {fp}"


CHECKS = {"recode": check_recode, "sum": check_sum, "share": check_share, "outside": check_outside}


def check_rule(run: Run, rule: str) -> None:
    for spec_rule, fp, how, moved, onto, flag in SPEC:
        if spec_rule == rule:
            CHECKS[how](run, rule, fp, moved, onto, flag)


# --- the tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", sorted({c.rule for c in boundaries.CHANGES}))
def test_table_rule_does_what_it_says(run, rule):
    assert rule in RULES and rule in {s[0] for s in SPEC}, f"{rule} has no expectation in SPEC"
    check_rule(run, rule)


def test_every_g_rule_is_tested():
    g_rules = {r for r in RULES if r.startswith("G-")}
    table = {c.rule for c in boundaries.CHANGES}
    assert g_rules == table | set(NOT_IN_TABLE), "a G- rule has no test (or a test has no rule)"
    assert {s[0] for s in SPEC} == table
    assert all(name in globals() for name in NOT_IN_TABLE.values())


def test_nothing_dropped_silently(run):
    """Every invented authority is in the panel, moved onto it by a rule, or flagged G-OUTSIDE."""
    for fp in ("2018", "latest"):
        moved = {c for s in SPEC if s[1] == fp for c in s[3]}
        outside = {f[0] for f in run.flags(fp) if f[4] == "G-OUTSIDE"}
        for code in AUTHORITIES:
            assert code in run.codes(fp) or code in moved or code in outside, f"{code} dropped from {fp}"
    first = min(AUTHORITIES["E06000999"][1])
    assert ("E06000999", first, "*", "missing", "G-OUTSIDE") in run.flags("2018")
    assert "E06000999" in run.codes("latest")
    assert run.prepared["2018"].panel["year"].max() == 2019  # BCP cannot be split back: the 2018 panel ends


def test_names_matched_or_flagged(run):
    """G-NAMES: Ofsted's names are matched without 'City of'; an unknown name is flagged, not dropped."""
    for fp in ("2018", "latest"):
        assert run.cell(fp, "E06000901", 2018, "ofsted_overall") == "Good"
        assert pd.isna(run.cell(fp, "E06000901", 2017, "ofsted_overall"))  # judged in January 2018
        assert ("name:Nowhere Vale", 0, "ofsted_overall", "missing", "G-NAMES") in run.flags(fp)


def test_inspections_follow_a_recoded_authority(run):
    """S-OFSTED with G-BUCKS-2020: an inspection published under the old code, or by name only, reaches the
    code the footprint keeps, on each footprint."""
    for fp, code in (("2018", "E10000002"), ("latest", "E06000060")):
        assert run.cell(fp, code, 2017, "ofsted_overall") == "Requires improvement", fp
        assert run.cell(fp, code, 2019, "ofsted_overall") == "Outstanding", fp
    assert run.cell("latest", "E06000060", 2020, "ofsted_overall") == "Outstanding"


def test_old_codes_mapped_or_flagged(run):
    """G-OLDCODE: s251's 3-digit codes reach the ONS codes through the published pairs; one without a pair
    is flagged."""
    for fp in ("2018", "latest"):
        assert run.cell(fp, "E06000901", 2018, "spend_cla") == _value("E06000901", 2018, "spend_cla")
        assert ("old:999", 2017, "spend_*", "missing", "G-OLDCODE") in run.flags(fp)


def test_joint_row_of_split_successors_takes_the_split_rule():
    """A workforce joint row shared between a split's successors is flagged with the split's rule."""
    result = invented_result()
    wf = result.tables["workforce"]
    joint = wf.assign(la_code="E06000061", apportioned=True).iloc[:1]
    result.tables["workforce"] = pd.concat([wf, joint], ignore_index=True)
    fl = harmonise(result, geography="latest").flags
    rows = fl[(fl["la_code"] == "E06000061") & (fl["flag"] == "apportioned") & (fl["column"] == "sw_vacancy_rate")]
    assert list(rows["rule"]) == ["G-NORTHANTS-2021"]


def _mutated(index_of, **change) -> tuple:
    rows = list(boundaries.CHANGES)
    i = index_of(rows)
    rows[i] = dataclasses.replace(rows[i], **change)
    return tuple(rows)


MUTATIONS = {  # a row of the table altered -> the rule whose checks must then fail
    "Buckinghamshire recoded to the wrong code": (
        "G-BUCKS-2020",
        lambda rows: next(i for i, c in enumerate(rows) if c.rule == "G-BUCKS-2020"),
        {"new": ("E06000061",)},
    ),
    "North Yorkshire summed instead of recoded": (
        "G-2023",
        lambda rows: next(i for i, c in enumerate(rows) if c.old == ("E10000023",)),
        {"how": "sum"},
    ),
    "Northamptonshire shared with the wrong successor": (
        "G-NORTHANTS-2021",
        lambda rows: next(i for i, c in enumerate(rows) if c.rule == "G-NORTHANTS-2021" and c.how == "share"),
        {"new": ("E06000061", "E06000063")},
    ),
    "Cumbria's successors no longer summed back": (
        "G-2023",
        lambda rows: next(i for i, c in enumerate(rows) if c.old == ("E10000006",) and c.how == "sum"),
        {"footprints": ("latest",), "how": "share"},
    ),
    "Dorset recode applied to the 2018 footprint too": (
        "G-BCP-2019",
        lambda rows: next(i for i, c in enumerate(rows) if c.old == ("E10000009",)),
        {"footprints": ("2018", "latest")},
    ),
    "the 2013 recodes dated after the 2018 footprint": (
        "G-RECODE-2013",
        lambda rows: next(i for i, c in enumerate(rows) if c.rule == "G-RECODE-2013"),
        {"year": 2018},
    ),
}


#: Mutations checked in the quick run; every one runs with the slow checks.
QUICK_MUTATIONS = {"Cumbria's successors no longer summed back", "the 2013 recodes dated after the 2018 footprint"}


def test_the_quick_mutations_are_mutations():
    assert QUICK_MUTATIONS <= set(MUTATIONS)


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=() if n in QUICK_MUTATIONS else pytest.mark.slow) for n in sorted(MUTATIONS)]
)
def test_checks_fail_when_a_row_of_the_table_changes(run, monkeypatch, name):
    rule, index_of, change = MUTATIONS[name]
    check_rule(run, rule)  # the real table passes
    mutated = _mutated(index_of, **change)
    assert mutated != boundaries.CHANGES
    monkeypatch.setattr(boundaries, "CHANGES", mutated)
    with pytest.raises(AssertionError):
        check_rule(run_harmoniser(), rule)


def test_a_row_that_cannot_be_applied_is_refused():
    with pytest.raises(ValueError, match="share"):
        boundaries.Change("G-X", 2030, ("E06000001", "E06000002"), ("E06000003",), "share")
    with pytest.raises(ValueError, match="recode"):
        boundaries.Change("G-X", 2030, ("E06000001",), ("E06000002", "E06000003"), "recode")
    with pytest.raises(ValueError, match="older than every footprint"):
        boundaries.Change("G-X", 2012, ("E06000001", "E06000002"), ("E06000003",), "sum")


def test_derived_maps_agree_with_the_table():
    """The code tables other modules read are the table's moves."""
    assert boundaries.RECODE == {"E06000048": "E06000057", "E08000020": "E08000037"}
    assert boundaries.TO_LATEST["E10000021"] == [("E06000061", "share"), ("E06000062", "share")]
    assert boundaries.TO_2018["E06000061"] == ("E10000021", "sum")
    assert "E06000058" not in boundaries.TO_2018  # BCP is not mapped back
    assert {boundaries.RULE_OF[c] for c in ("E06000028", "E06000058")} == {"G-BCP-2019"}


# --- panel checks V02-V06 ------------------------------------------------------------------------------------


def _good_prepared() -> contract.Prepared:
    rows = []
    for i, (code, name) in enumerate([("E06000901", "Northmoor"), ("E06000902", "Eastfold")]):
        for year in (2017, 2018):
            rows.append(
                {c: (float("nan") if c in contract.NUMERIC else None) for c in contract.COLUMNS}
                | {"la_code": code, "la_name": name, "region": "North East", "year": year}
                | {"pop_0_17": 20000.0 + i, "referrals": 900.0, "cpp_31mar": 50.0, "cin_31mar": 400.0}
                | {"cla_31mar": 80.0 + i, "sw_vacancy_rate": 0.1}
            )
    panel = contract.order_panel(pd.DataFrame(rows))
    sums = panel.groupby("year")[["referrals", "cpp_31mar", "cin_31mar", "cla_31mar"]].sum().reset_index()
    return contract.Prepared(panel=panel, flags=contract.empty_flags(), meta={"source": "official"}, england=sums)


def test_a_good_panel_passes():
    validate_prepared(_good_prepared())


def _broken(code: str) -> contract.Prepared:
    prep = _good_prepared()
    if code == "V02":  # an authority missing a year, unflagged
        prep.panel = prep.panel.iloc[1:].reset_index(drop=True)
        prep.england = None
    elif code == "V03":  # more children looked after than children
        prep.panel.loc[0, "cla_31mar"] = prep.panel.loc[0, "pop_0_17"] + 1
        prep.england = None
    elif code == "V04":  # England's published count far from the authorities' sum
        prep.england.loc[0, "cin_31mar"] *= 2
    return prep


@pytest.mark.parametrize(
    "column,value,says",
    [
        ("referrals", 13_000.0, "referrals at E06000901 2017: 6,500 per 10,000 children aged 0-17 is above"),
        ("pop_0_17", 12_000_000.0, "pop_0_17 at E06000901 2017: 1.2e+07 is outside 10-2,000,000"),
        ("idaci_score", 27.0, "idaci_score at E06000901 2017: 27 is outside 0-1"),
        ("spend_cla", 9e9, "spend_cla at E06000901 2017: £450,000 per child aged 0-17 is above the plausible"),
        ("spend_*", 0.4, "spend_* at E06000901 2017: £0.40 per child aged 0-17 in all categories is below"),
    ],
)
def test_v05_refuses_an_implausible_value_of_each_kind(column, value, says):
    prep = _good_prepared()
    prep.england = None
    if column == "spend_*":  # every category in thousands read as pounds: £8,000 in all
        prep.panel[contract.SPEND] = value * 2500.0
    else:
        prep.panel.loc[0, column] = value
    with pytest.raises(UserError, match="V05") as exc:
        validate_prepared(prep)
    assert says in str(exc.value), str(exc.value)


def test_v05_accepts_the_published_extremes():
    """A tiny authority's whole spend and one child in care (the Isles of Scilly), a vacancy rate of 1."""
    prep = _good_prepared()
    prep.england = None
    scilly = {"pop_0_17": 319.0, "referrals": 40.0, "cin_31mar": 20.0, "cpp_31mar": 5.0, "cla_31mar": 7.0}
    prep.panel.loc[0, [*scilly, "sw_vacancy_rate"]] = [*scilly.values(), 1.0]
    prep.panel[contract.SPEND] = 400_000.0
    validate_prepared(prep)


def test_v06_refuses_a_part_larger_than_its_total():
    prep = _good_prepared()
    prep.england = None
    prep.panel.loc[0, "cla_16plus"] = 90.0  # of 80 looked after
    with pytest.raises(UserError, match="V06") as exc:
        validate_prepared(prep)
    assert "cla_16plus at E06000901 2017: 90 is more than cla_31mar (80)" in str(exc.value)


@pytest.mark.parametrize("code", ["V02", "V03", "V04"])
def test_panel_check_catches_its_fault(code):
    with pytest.raises(UserError, match=code) as exc:
        validate_prepared(_broken(code))
    assert exc.value.rule.startswith(code) or f"({code} " in exc.value.what  # alone, or listed with the others


def test_v02_accepts_a_flagged_gap():
    prep = _broken("V02")
    prep.flags = pd.DataFrame([("E06000901", 2017, "*", "missing", "G-OUTSIDE")], columns=contract.FLAG_COLUMNS)
    validate_prepared(prep)


def test_v03_refuses_a_zero_population():
    prep = _good_prepared()
    prep.panel.loc[1, "pop_0_17"] = 0.0
    with pytest.raises(UserError, match="V03"):
        validate_prepared(prep)


def _defl(vintage: str, values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"year": list(values), "value": list(values.values()), "vintage": vintage})


def test_deflator_one_ons_index_rebased_hmt_only_as_fallback():
    from cscbook.harmonise.sources import deflator

    panel = pd.DataFrame({"year": [2018, 2025]})
    ons, hmt = _defl("ONS YBGB to 2025", {2018: 80.0, 2025: 100.0}), _defl("GDP deflator to 2019", {2018: 1.0})
    p, text = deflator(panel.copy(), pd.concat([hmt, ons]))
    assert list(p["deflator"]) == [0.8, 1.0] and "2024-25 = 1" in text  # one series, never a splice
    p, text = deflator(panel.copy(), hmt)
    assert p["deflator"].iloc[0] == 1.0 and pd.isna(p["deflator"].iloc[1]) and text == "HMT GDP deflator, 2017-18 = 1"


def test_lait_fills_only_years_the_primary_files_lack_and_derives_counts_from_rates():
    from cscbook.harmonise.lait import lait_parts

    lait = pd.DataFrame(
        {
            "level": "la",
            "old_la_code": "901",
            "year": [2022, 2023, 2023],
            "measure": ["cla_31mar", "cla_31mar", "cin_31mar_rate"],
            "value": [50.0, 60.0, 300.0],
            "vintage": "LAIT to 2025",
        }
    )
    pop = pd.DataFrame({"la_code": ["E06000901"], "year": [2023], "value": [20000.0]})
    primary = pd.DataFrame({"la_code": ["E06000901"], "year": [2022], "measure": ["cla_31mar"], "value": [49.0]})
    flags: list = []
    parts, cov = lait_parts(lait, pop, {"901": "E06000901"}, primary, flags)
    got = pd.concat(parts).set_index(["measure", "year"])["value"].to_dict()
    assert got == {("cla_31mar", 2023): 60.0, ("cin_31mar", 2023): 600.0}  # 2022 stays the EES value
    assert ("E06000901", 2023, "cin_31mar", "derived", "D-LAIT-RATE") in flags
    assert ("E06000901", 2023, "cla_31mar", "derived", "L-LAIT-CLA") in flags
    assert cov["lait"] == {2023}


def test_districts_land_on_the_footprints_authorities():
    """ONS's lookup names today's upper tier: on the 2018 footprint Cumberland's districts belong to
    Cumbria; an authority not in the panel (Wales, or outside the data) is left out."""
    from cscbook.harmonise import district_table

    lookup = pd.DataFrame(
        {"la_code": ["E06000063", "E10000032", "E06000099"], "la_name": ["Cumberland", "West Sussex", "Nowhere"],
         "district_code": ["E07000026", "E07000223", "E07000999"], "district_name": ["Allerdale", "Adur", "Gone"]}
    )  # fmt: skip
    panel = pd.DataFrame({"la_code": ["E10000006", "E10000032", "E06000063"]})
    on_2018 = district_table(lookup, panel, "2018").set_index("district_name")["la_code"].to_dict()
    assert on_2018 == {"Adur": "E10000032", "Allerdale": "E10000006"}
    latest = district_table(lookup, panel, "latest").set_index("district_name")["la_code"].to_dict()
    assert latest == {"Adur": "E10000032", "Allerdale": "E06000063"}
    assert district_table(None, panel, "latest") is None


def test_every_failing_check_is_listed_in_one_line():
    """A panel that breaks the schema twice and two other checks: one line names all four."""
    prep = _good_prepared()
    prep.england = None
    prep.panel.loc[0, "referrals"] = -5.0  # schema: a negative count
    prep.panel.loc[1, "region"] = "Atlantis"  # schema: not a region
    prep.panel.loc[2, "cla_16plus"] = 90.0  # V06: more than the 80 looked after
    prep.panel.loc[3, "pop_0_17"] = 5.0  # V03: fewer children than the counts; V05: below 10
    with pytest.raises(UserError) as exc:
        validate_prepared(prep)
    line = exc.value.line()
    assert "\n" not in line and line.startswith("error: panel: ") and line.endswith("(4 checks fail)")
    assert "column referrals at E06000901 2017 (value -5.0) fails greater_than_or_equal_to(0)" in line
    assert "column region at E06000901 2018 (value 'Atlantis')" in line and "(V01 schema)" in line
    assert "(V03 " in line and "(V05 " in line and "(V06 " in line
