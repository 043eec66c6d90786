"""DfE's statistical neighbours as published: both layouts read, put on a footprint's codes, chosen by edition.

The fixtures mimic DfE's two layouts (repeated ``SNP`` headers and a trailing comma in 2021, bands with a
trailing space in 2025, a section label and blank lines) with invented authorities and values."""

from __future__ import annotations

import pandas as pd
import pytest

from cscbook import contract
from cscbook.analyse import neighbours
from cscbook.build.registry import ROOT
from cscbook.errors import UserError
from cscbook.harmonise import neighbours as hn
from cscbook.ingest import parse_file
from cscbook.ingest.neighbours import BANDS, band

# invented DfE numbers; 835 and 838 stand for an area listed before and after a reorganisation (Dorset's codes)
CODES = {"801": "E06000001", "802": "E06000002", "803": "E06000003", "804": "E06000004", "805": "E06000005"}


def _layout_2021(path, rows, old=()):
    head = "\ufeffLA num,LA Name,LA number,GOInd,GOReg," + "".join(f"SN{i},SNP," for i in range(1, 6))
    lines = [head]
    for num, name, nbs in rows:
        cells = [num, name, num, "1", "North East"] + [x for n, b in nbs for x in (n, b)]
        lines.append(",".join(cells + [""] * (5 + 10 - len(cells))) + ",")
    if old:
        lines += ["," * 15, ",Old SNs:" + "," * 14, "," * 15]
        for num, name, nbs in old:
            cells = [num, name, num, "7", "South West"] + [x for n, b in nbs for x in (n, b)]
            lines.append(",".join(cells + [""] * (15 - len(cells))) + ",")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _layout_2025(path, rows):
    head = "\ufeffold_la_code,la_name,region_ind,region_name," + ",".join(f"SN_{i},SN_{i}P" for i in range(1, 6))
    lines = [head] + [
        ",".join([num, name, "1", "North East"] + [x for n, b in nbs for x in (n, b)]) for num, name, nbs in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _five(num):
    """Five neighbours with DfE's bands as the 2021 file writes them; the last has no band."""
    others = [n for n in CODES if n != num]
    return list(zip(others + others[:1], ["Very Close", "Close", "Somewhat close", "Not Close", ""]))


def test_both_published_layouts_are_read_with_their_bands_and_edition(tmp_path):
    a = parse_file(
        _layout_2021(
            tmp_path / "Groupings_April_2021.csv",
            [(n, f"Area {n}", _five(n)) for n in CODES],
            old=[("835", "Shire (Pre LG)", _five("801"))],
        )
    )
    t = a.tables["neighbours_dfe"]
    assert a.source == "neighbours_dfe" and set(t["edition"]) == {2021}
    assert set(t["number"]) == set(CODES) | {"835"}
    assert t.groupby("number").size().eq(5).all() and t["closeness"].isna().sum() == len(CODES) + 1
    assert set(t["closeness"].dropna()) <= set(BANDS) and "Not close" in set(t["closeness"])
    assert any("Old SNs" in n for n in a.notes)
    rows = [
        (n, f"Area {n}", [(m, "Close ") for m in CODES if m != n] + [("801" if n != "801" else "802", "Very close")])
        for n in CODES
    ]
    b = parse_file(_layout_2025(tmp_path / "sn_model_2025_wide.csv", rows)).tables["neighbours_dfe"]
    assert set(b["edition"]) == {2025} and set(b["closeness"]) == {"Close", "Very close"}
    assert b[b["number"] == "803"].sort_values("rank")["neighbour_number"].tolist()[:2] == ["801", "802"]


def test_bands_are_normalised_and_unknown_ones_refused():
    assert band("Very Close") == "Very close" and band(" Close ") == "Close" and band("not  close") == "Not close"
    assert band("") is None and band("Near") == ""


@pytest.mark.parametrize(
    "bad, expect",
    [
        ({"cell": "Cumbria"}, "is not a three-digit DfE number"),
        ({"band": "Neighbourly"}, "is not a closeness band"),
        ({"twice": True}, "is listed again"),
        ({"name": "neighbours.csv"}, "no year in the file name"),
    ],
)
def test_bad_published_neighbours_fail_in_one_line_naming_the_file_and_field(tmp_path, bad, expect):
    rows = [(n, f"Area {n}", _five(n)) for n in CODES]
    if "cell" in bad:
        rows[1] = (rows[1][0], rows[1][1], [(bad["cell"], "Close")] + rows[1][2][1:])
    if "band" in bad:
        rows[2] = (rows[2][0], rows[2][1], [(rows[2][2][0][0], bad["band"])] + rows[2][2][1:])
    if "twice" in bad:
        rows.append(rows[0])
    path = _layout_2025(tmp_path / bad.get("name", "sn_model_2025_wide.csv"), rows)
    with pytest.raises(UserError) as exc:
        parse_file(path)
    line = exc.value.line()
    assert path.name in line and expect in line and "\n" not in line
    if "cell" in bad:
        assert "SN1" in line and "Cumbria" in line


def _tables(pairs):
    return {"cin": pd.DataFrame(pairs, columns=["old_la_code", "la_code", "year"]).assign(level="la")}


def test_numbers_go_onto_the_footprint_code_the_edition_knew():
    pairs = [(n, c, y) for n, c in CODES.items() for y in range(2011, 2026)]
    pairs += [("835", "E10000009", y) for y in range(2011, 2020)] + [("838", "E06000059", y) for y in range(2019, 2026)]
    dfe = pd.DataFrame(
        [
            (2021, n, f"Area {n}", r, m, "Close")
            for n in list(CODES) + ["838"]
            for r, m in enumerate([x for x in CODES if x != n][:4], start=1)
        ]
        + [(2021, "835", "Shire (Pre LG)", r, m, "Close") for r, m in enumerate(["802", "803"], start=1)]
        + [(2021, "801", "Area 801", 5, "835", "Close")],
        columns=["edition", "number", "la_name", "rank", "neighbour_number", "closeness"],
    )
    known = set(CODES.values()) | {"E06000059"}
    out, notes = hn.on_footprint(dfe, _tables(pairs), known, "latest")
    # on today's footprint the old number's area is today's Dorset: listed once, with its own (838's) list
    dorset = out[out["la_code"] == "E06000059"]
    assert dorset["rank"].tolist() == [1, 2, 3, 4] and dorset["neighbour"].iloc[0] == "E06000001"
    assert any("listed again" in n for n in notes)
    # a neighbour under the old number lands on the same area
    assert out[(out["la_code"] == "E06000001") & (out["rank"] == 5)]["neighbour"].tolist() == ["E06000059"]
    # on the 2018 footprint the old county is an authority and the successor is not
    out18, notes18 = hn.on_footprint(dfe, _tables(pairs), set(CODES.values()) | {"E10000009"}, "2018")
    assert set(out18["la_code"]) == set(CODES.values()) | {"E10000009"}
    assert "E06000059" not in set(out18["neighbour"]) and notes18


def _with_editions(england):
    prep = contract.Prepared(panel=england.panel, flags=england.flags, meta=england.meta)
    codes = sorted(england.panel["la_code"].unique())
    a, b, c, d = codes[:4]
    prep.extra["neighbours"] = pd.DataFrame(
        {
            "la_code": [a, a, a, a],
            "rank": [1, 2, 1, 2],
            "neighbour": [b, c, d, b],
            "closeness": ["Close", "Not close", "Very close", "Close"],
            "edition": [2021, 2021, 2025, 2025],
            "source": ["DfE statistical neighbours 2021"] * 2 + ["DfE statistical neighbours 2025"] * 2,
        }
    )
    return prep, (a, b, c, d)


def test_the_latest_edition_is_the_default_and_others_can_be_chosen(england):
    prep, (a, b, c, d) = _with_editions(england)
    assert neighbours.editions(prep) == [2021, 2025]
    latest = neighbours.neighbours_for(prep)
    mine = latest[latest["la_code"] == a].sort_values("rank")
    assert mine["neighbour"].tolist() == [d, b] and mine["closeness"].tolist() == ["Very close", "Close"]
    old = neighbours.neighbours_for(prep, "dfe-2021")
    assert old[old["la_code"] == a].sort_values("rank")["neighbour"].tolist() == [b, c]
    # the authorities the edition leaves out get computed neighbours, named so
    others = latest[latest["la_code"] == b]
    assert len(others) == neighbours.N_NEIGHBOURS and others["source"].str.startswith("computed").all()
    computed = neighbours.neighbours_for(prep, "computed")
    assert computed["source"].str.startswith("computed").all()
    with pytest.raises(UserError, match="no DfE edition 2019"):
        neighbours.neighbours_for(prep, "dfe-2019")


def test_the_snapshot_carries_both_editions_on_todays_authorities():
    nb = pd.read_csv(ROOT / "data" / "official" / "latest" / "neighbours.csv", dtype=str)
    panel = pd.read_csv(ROOT / "data" / "official" / "latest" / "panel.csv", usecols=["la_code"], dtype=str)
    las = set(panel["la_code"])
    assert set(nb["edition"]) == {"2021", "2025"}
    e25 = nb[nb["edition"] == "2025"]
    assert set(e25["la_code"]) == las and e25.groupby("la_code").size().eq(10).all()
    assert set(nb["neighbour"]) <= las and set(nb["closeness"].dropna()) <= set(BANDS)
    assert not (nb["la_code"] == nb["neighbour"]).any()
