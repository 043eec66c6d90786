"""The committed official snapshot (data/official/): it reads back into valid panels, a fresh ingest of the
published files gives it byte for byte, it is replaced whole or not at all, and the book builds on it alone."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cscbook import contract, validate
from cscbook.errors import UserError
from cscbook.snapshot import codebook
from cscbook.snapshot import prepare as data
from cscbook.snapshot import write as snapshot
from tests.conftest import REAL_DATA, run_chapter

ROOT = Path(__file__).resolve().parents[1]
SNAP = ROOT / "data" / "official"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("geography", snapshot.FOOTPRINTS)
def test_snapshot_reads_back_into_a_valid_panel(geography):
    prep = snapshot.read(geography)
    validate.validate_prepared(prep)
    assert not prep.synthetic and prep.meta["geography"] == geography
    n = prep.panel[prep.panel["year"] == 2018]["la_code"].nunique()
    assert n == 152 if geography == "2018" else n >= 150
    assert set(contract.COLUMNS) <= set(prep.panel.columns)
    assert prep.panel["ofsted_overall"].dropna().isin(contract.OFSTED_SCALE).all()
    inputs = prep.meta["inputs"]
    assert len(inputs) >= 45 and all(re.fullmatch(r"[0-9a-f]{64}", i["sha256"]) for i in inputs.values())
    assert not any(Path(p).is_absolute() for p in inputs)  # paths inside the folder, not this machine's
    assert "Open Government Licence v3.0" in prep.meta["licence"]["attribution"]
    assert prep.meta["rules"] and prep.meta["sources"]
    of = prep.extra["ofsted_inspections"]
    assert list(of.columns) == snapshot.OFSTED_COLUMNS and of["la_code"].isin(set(prep.panel["la_code"])).all()


def test_snapshot_is_text_only_with_unix_line_ends():
    files = _files(SNAP)
    assert {"README.md", "codebook.csv", "2018/panel.csv", "latest/meta.json", "2018/ofsted.csv"} <= set(files)
    for name, body in files.items():
        assert name.rsplit(".", 1)[-1] in {"csv", "json", "md"}, name
        assert b"\r" not in body and body.endswith(b"\n"), name
    for g in snapshot.FOOTPRINTS:
        json.loads((SNAP / g / "meta.json").read_text())  # strict JSON: no NaN
        assert "NaN" not in (SNAP / g / "meta.json").read_text()


def test_edition_names_the_latest_year_and_the_files():
    edition = snapshot.edition_id()
    assert re.fullmatch(r"20\d\d-\d\d\+[0-9a-f]{8}", edition)
    assert f"**{edition}**" in (SNAP / "README.md").read_text()  # the README is remade with the snapshot


def test_codebook_describes_every_column_with_its_rules_and_years():
    cb = codebook.table(SNAP)
    assert (SNAP / "codebook.csv").read_text() == cb.to_csv(index=False, lineterminator="\n")  # up to date
    heads = [(SNAP / g / "panel.csv").read_text().splitlines()[0].split(",") for g in snapshot.FOOTPRINTS]
    panel_cols = list(dict.fromkeys(c for h in heads for c in h))  # IoD2025 is on the latest footprint only
    assert cb["column"].tolist() == panel_cols
    assert set(panel_cols) <= set(codebook.COLUMNS)
    rules = json.loads((SNAP / "2018" / "meta.json").read_text())["rules"]
    assert all(r in rules for ids in cb["rules"] for r in ids.split())
    row = cb.set_index("column").loc["cin_31mar"]
    assert "S-CIN" in row["rules"] and row["years_2018"].startswith("2010-11")
    assert "(not described)" not in cb["meaning"].tolist()


def test_a_failed_remake_leaves_the_old_snapshot_whole(tmp_path, monkeypatch):
    """A failure after the first footprint was written (here: the last step) leaves every old file as it was."""
    from tests.fixtures.official import write_all

    folder = write_all(tmp_path / "raw")
    out = tmp_path / "official"
    shutil.copytree(SNAP, out)
    before = _files(out)

    def broken(root):
        raise RuntimeError("interrupted while writing the codebook")

    monkeypatch.setattr(codebook, "write", broken)
    with pytest.raises((RuntimeError, UserError)):  # the invented files may also fail a footprint's checks
        snapshot.make(folder, out, cache=tmp_path / "cache")
    assert _files(out) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".official")]


def test_conversion_is_cached_on_the_snapshot_files(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "ingest_official", _no_published_files)
    p = contract_params()
    out = data.prepare_data(p, tmp_path / "build")
    made = (out / "stamp.json").stat().st_mtime_ns
    assert data.prepare_data(p, tmp_path / "build") == out
    assert (out / "stamp.json").stat().st_mtime_ns == made
    assert json.loads((out / "meta.json").read_text())["edition"] == snapshot.edition_id()
    copy = tmp_path / "official"
    shutil.copytree(SNAP, copy)
    csv = copy / "2018" / "england.csv"
    csv.write_text(csv.read_text() + "\n")
    monkeypatch.setattr(snapshot, "SNAPSHOT", copy)
    data.prepare_data(p, tmp_path / "build")
    assert (out / "stamp.json").stat().st_mtime_ns != made  # a changed snapshot file: converted again


def contract_params():
    from cscbook import params

    p = params.ChapterParams()
    assert p.data == snapshot.KEYWORD and p.geography == "latest"  # the defaults
    return p.model_copy(update={"geography": "2018"})  # the footprint the profiles do not use


def _no_published_files(*args, **kwargs):
    raise AssertionError("a build on the snapshot must not read published files")


@pytest.mark.slow
def test_a_chapter_runs_on_the_snapshot_alone(tmp_path, monkeypatch):
    """The default data, with the published files out of reach: no synthetic banner, official sources cited."""
    monkeypatch.setattr(data, "ingest_official", _no_published_files)
    panel_dir = data.prepare_data(contract_params(), tmp_path / "build")
    nb = json.loads(run_chapter("demand", tmp_path, panel_dir, data="official").read_text())
    # what the chapter computed (its outputs) says nothing of synthetic data; its prose (which points to
    # synthetic England only for the exercises) cites DfE
    outputs = json.dumps([cell.get("outputs", []) for cell in nb["cells"]])
    assert "synthetic" not in outputs.lower() and "Department for Education" in json.dumps(nb)


def test_citation_file_is_cff_1_2_0():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["license"] == "MIT"
    assert {"message", "title", "authors", "version"} <= set(cff)
    titles = " ".join(r["title"] for r in cff["references"])
    assert "Pressures on children" in titles and "Open Government Licence" in " ".join(
        str(r.get("license", "")) + str(r.get("notes", "")) for r in cff["references"]
    )
    assert all(r.get("type") and r.get("authors") for r in cff["references"])


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/real-data is absent (real published files not available)")
def test_fresh_ingest_reproduces_the_committed_snapshot(real_ingested, ingest_cache, tmp_path):
    """`make snapshot` on the published files gives the committed files byte for byte (regenerate it with
    `make snapshot` when ingest or harmonise change)."""
    out = tmp_path / "official"
    edition = snapshot.make(REAL_DATA.resolve(), out, cache=ingest_cache)
    assert edition == snapshot.edition_id()
    fresh, committed = _files(out), _files(SNAP)
    assert sorted(fresh) == sorted(committed)
    differ = [name for name in fresh if fresh[name] != committed[name]]
    assert not differ, f"the committed snapshot is out of date: run `make snapshot` ({differ})"


def test_profiles_show_todays_authorities_over_every_year(tmp_path, monkeypatch, england, panel_dir):
    """Chapters run on the 2018 footprint still give profiles on the latest footprint over every year of the
    snapshot, while synthetic England's profiles keep the chapters' data and years."""
    from cscbook import params
    from cscbook.build.pipeline import profile_data

    monkeypatch.setattr(data, "ingest_official", _no_published_files)
    p = contract_params()
    chapters_dir = data.prepare_data(p, tmp_path / "build")
    folder, ids, years = profile_data(p, chapters_dir, data.panel_ids(chapters_dir), tmp_path / "build")
    latest = pd.read_csv(SNAP / "latest" / "panel.csv", usecols=["la_code", "year"])
    assert folder != chapters_dir and set(ids["la_code"]) == set(latest["la_code"])
    assert years == f"{latest['year'].min()}-{latest['year'].max()}" and years.endswith("-2025")
    assert "E06000060" in set(ids["la_code"]) and "E10000002" not in set(ids["la_code"])  # Buckinghamshire
    synthetic = params.ChapterParams(data="synthetic", years="2011-2018")
    ids_syn = data.panel_ids(panel_dir)
    assert profile_data(synthetic, panel_dir, ids_syn, tmp_path / "build") == (panel_dir, ids_syn, synthetic.years)


def test_recoded_authorities_have_counts_from_the_primary_release():
    """North Yorkshire and Somerset (recoded 2023) and Barnsley and Sheffield (recoded 2025) have counts in every
    latest year, from DfE's 2025 children-in-need release: no count of a year that release covers is derived
    from LAIT's rates (D-LAIT-RATE), since a primary file wins over LAIT."""
    panel = pd.read_csv(SNAP / "latest" / "panel.csv")
    flags = pd.read_csv(SNAP / "latest" / "flags.csv")
    d = flags[(flags["rule"] == "D-LAIT-RATE") & flags["column"].isin(["cin_31mar", "s47_enquiries", "icpcs"])]
    assert not len(d[d["year"].between(2013, 2025)])
    for code in ("E06000065", "E06000066", "E08000038", "E08000039"):
        for year in (2023, 2024, 2025):
            row = panel[(panel["la_code"] == code) & (panel["year"] == year)].iloc[0]
            for col in ("cin_31mar", "s47_enquiries", "icpcs", "cin_episodes"):
                assert pd.notna(row[col]), (code, year, col)
