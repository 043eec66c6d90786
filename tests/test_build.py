"""The build path end to end: data, papermill, Jupyter Book, and a previous site that survives failure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cscbook.build import execute, registry
from cscbook.build.pipeline import build
from cscbook.errors import UserError
from cscbook.site import jupyter as site
from tests.conftest import SYNTHETIC

ROOT = Path(__file__).resolve().parents[1]


def test_book_builds_with_banner_and_nao_table(built_book):
    build_dir = built_book
    index = build_dir / "html" / "index.html"
    assert index.exists()
    demand = (build_dir / "html" / "book" / "demand.html").read_text()
    assert "Synthetic data" in demand and "fictional" in demand
    assert (
        demand.index("The national picture") < demand.index("What the NAO found in 2019") < demand.index("Did it hold?")
    )
    text = re.sub(r"<[^>]+>", "", demand)
    referrals = r"referrals to children’s social care \(requests for help\s+or concerns about a child\) changed by"
    assert re.search(referrals + r"\s+\+7\.0%", text)
    for page in (build_dir / "html" / "book").glob("*.html"):
        assert "Synthetic data" in page.read_text(), page.name
    record = json.loads((build_dir / "run_record.json").read_text())
    assert set(record["executed"]) == {c.id for c in registry.chapters()}  # every chapter, ran or reused
    assert (build_dir / "html" / "_downloads").exists()


def test_nao_growth_rows_pass_on_synthetic(built_book):
    build_dir = built_book
    csv = (build_dir / "executed" / "demand" / "demand_nao_comparison.csv").read_text()
    rows = csv.strip().splitlines()[1:]
    assert len(rows) == 7
    assert all(",pass," in r for r in rows), rows


def test_failing_chapter_names_notebook_and_cell_and_keeps_site(own_book, sample_profiles, tmp_path, monkeypatch):
    build_dir = own_book
    before = (build_dir / "html" / "book" / "demand.html").read_bytes()
    bad = tmp_path / "demand.ipynb"
    text = (ROOT / "book" / "demand.ipynb").read_text().replace("dm.results(ctx)", "dm.results(ctx, 1 / 0)", 1)
    assert "1 / 0" in text
    bad.write_text(text)
    orig = registry.chapters

    def patched(root=registry.ROOT):
        return [registry.Chapter(c.id, bad if c.id == "demand" else c.template) for c in orig(root)]

    monkeypatch.setattr(registry, "chapters", patched)
    monkeypatch.setattr(execute, "ROOT", tmp_path.parent)  # template path shown relative to here
    with pytest.raises(UserError) as exc:
        build(SYNTHETIC, build_dir=build_dir, only=["demand"], force=True, profiles=",".join(sample_profiles))
    line = exc.value.line()
    assert "demand.ipynb" in line and "cell" in line and "ZeroDivisionError" in line and "\n" not in line
    assert (build_dir / "html" / "book" / "demand.html").read_bytes() == before
    assert (build_dir / "executed" / "demand.failed.ipynb").exists()


def test_highlight_not_in_data_fails_before_the_site_changes(own_book):
    build_dir = own_book
    before = (build_dir / "html" / "index.html").read_bytes()
    with pytest.raises(UserError) as exc:
        build(SYNTHETIC | {"highlight": "Atlantis"}, build_dir=build_dir)
    assert "highlight" in exc.value.line()
    assert (build_dir / "html" / "index.html").read_bytes() == before


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make book" in readme


@pytest.mark.slow
def test_book_build_is_nitpicky(tmp_path):
    """A reference to a target that does not exist passes Sphinx quietly unless nitpicky: the build must refuse it."""
    st = tmp_path / "stage"
    st.mkdir()
    (st / "_config.yml").write_text('title: "t"\nexecute:\n  execute_notebooks: "off"\n')
    (st / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (st / "intro.md").write_text("# Intro\n\nSee {py:func}`nowhere.at_all`.\n")
    with pytest.raises(UserError) as exc:
        site.build_book(st, tmp_path / "build")
    assert "nowhere.at_all" in exc.value.line()
    assert not (tmp_path / "build" / "html").exists()


@pytest.mark.slow
def test_default_book_is_the_official_snapshot_offline(tmp_path, monkeypatch):
    """No options: the book on data/official/, without the published files (their reader is out of reach)."""
    from cscbook.build import stage
    from cscbook.snapshot import prepare as data
    from cscbook.snapshot import write as snapshot

    def refuse(*args, **kwargs):
        raise AssertionError("the default book must not read published files")

    monkeypatch.setattr(data, "ingest_official", refuse)
    res = build({}, build_dir=tmp_path, profiles="E09000001,E06000052")
    edition = snapshot.edition_id()
    assert res.record["data"]["edition"] == edition and res.record["data"]["source"] == "official"
    pages = {p.stem: p.read_text() for p in (res.html / "book").glob("*.html")}
    for name, text in pages.items():
        assert "Synthetic data" not in text, name
        if name not in stage.REFERENCE_PAGES:
            assert "Open Government Licence" in text, name
    for name in ("intro", "run_record"):
        assert edition in pages[name], name
    assert "2010-11 to 2018-19" in pages["intro"]  # the years the snapshot holds
    assert edition in (res.html / "book" / "profiles" / "index.html").read_text()
    assert "cin_31mar" in pages["codebook"] and "S-CIN" in pages["codebook"]


def test_downloads_offer_both_footprints_todays_first(tmp_path):
    """On the official statistics the Downloads page offers today's authorities first, then the NAO's 152, each
    panel with its data log, and the codebook of both; synthetic England offers its one panel."""
    import pandas as pd

    from cscbook.build import stage

    snap = ROOT / "data" / "official"
    offered = stage.stage_panels(tmp_path, {"2018": snap / "2018", "latest": snap / "latest"})
    assert offered == ["latest", "2018"]
    latest = pd.read_csv(tmp_path / "panel-latest.csv", dtype={"la_code": str})
    assert latest["year"].max() > pd.read_csv(tmp_path / "panel-2018.csv")["year"].max()
    assert (tmp_path / "flags-latest.csv").exists() and (tmp_path / "flags-2018.csv").exists()
    book = pd.read_csv(tmp_path / "codebook.csv", keep_default_na=False)
    assert set(latest.columns) <= set(book["column"]) and (book["years_latest"] != "").any()
    page = stage.downloads_list({"demand": ["demand_counts.csv"]}, offered)
    assert page.index("panel-latest.csv") < page.index("panel-2018.csv") < page.index("demand_counts.csv")
    assert page.count("codebook.csv") == 2
    one = stage.downloads_list({}, [""])
    assert "`panel.csv`" in one and "codebook" not in one
