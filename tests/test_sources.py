"""data/sources.yml against the committed snapshot, and `cscbook fetch` then `cscbook ingest` end to end from a
local server: every input the snapshot names has a pinned entry with a direct download, and the fetched files
are the snapshot's inputs."""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cscbook.acquire.manifest import covered, load_manifest
from cscbook.cli import app
from cscbook.fsutil import file_sha256
from cscbook.ingest import ingest_folder
from tests.conftest import REAL_DATA, ROOT
from tests.fixtures import official
from tests.fixtures.server import serving

MANIFEST = ROOT / "data" / "sources.yml"
SNAP = ROOT / "data" / "official"
DATA_SUFFIX = re.compile(r"\.(csv|xlsx?|ods|zip|parquet)(\.gz)?$", re.I)
EES_FILES = re.compile(r"/api/releases/\{release_version_id\}/files$")
PINNED_RAW = re.compile(r"^/[^/]+/[^/]+/[0-9a-f]{40}/")


def _inputs(edition: str) -> dict:
    return json.loads((SNAP / edition / "meta.json").read_text())["inputs"]


@pytest.mark.parametrize("edition", ["2018", "latest"])
def test_every_snapshot_input_has_a_pinned_entry(edition):
    inputs, entries = _inputs(edition), load_manifest(MANIFEST, ("snapshot",))
    assert not set(inputs) - covered(entries), "inputs of the snapshot with no manifest entry"
    assert not covered(entries) - set(inputs), "snapshot entries naming no input of the snapshot"
    wrong = [e["file"] for e in entries if e.get("sha256") != inputs[e["file"]]["sha256"]]
    assert not wrong, f"entries pinned to another file than the snapshot's: {wrong}"


def test_every_url_is_a_direct_download():
    """No landing page: a data file's name, an EES release's files route, the ONS CSV generator; a copy in a
    repository is pinned at a commit, never a branch."""
    entries = load_manifest(MANIFEST)
    urls = [u for e in entries for u in (e["url"], e.get("mirror")) if u]
    assert len(urls) >= len(entries) >= 58
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        direct = (
            DATA_SUFFIX.search(parts.path)
            or EES_FILES.search(parts.path)
            or (parts.path == "/generator" and "format=csv" in parts.query)
        )
        assert parts.scheme == "https" and direct, url
        if parts.netloc == "raw.githubusercontent.com":
            assert PINNED_RAW.match(parts.path), url
    tools = [e for e in entries if e.get("from_tool")]
    assert [e["file"] for e in tools] == ["dfe-lait/lait_bds_long_csc_subset.csv"] and "LAIT" in tools[0]["note"]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.slow  # seconds of work: with the slow checks, to keep make test within two minutes
def test_fetch_then_ingest_end_to_end(tmp_path):
    """Loose files and a member of a publisher's archive (pinned), and an EES release found by its slug
    (latest): `cscbook fetch --set all` then `cscbook ingest` reads them as the same files read directly."""
    www = official.write_all(tmp_path / "www")
    (tmp_path / "release").mkdir()
    release = official.ees_b1_2025(tmp_path / "release")
    rid = "5e1fafd6-6ff8-4025-affe-ec851785f46e"
    zp = _zip(tmp_path / "r.zip", {f"data/{release.name}": release.read_bytes(), "data-guidance/g.txt": b"g"})
    sfr = www / "cin_wide_2015.csv"  # served only inside the publisher's archive
    _zip(www / "sfr_ud.zip", {f"UD/{sfr.name}": sfr.read_bytes()})
    with serving(www, {("children-in-need", "2025"): (rid, zp)}) as base:
        entries = [
            {"file": f"dfe/{p.name}", "url": f"{base}/{p.name}", "sha256": file_sha256(p)}
            for p in sorted(www.iterdir())
            if p.suffix != ".md" and p.suffix != ".zip" and p != sfr
        ]
        entries.append({"file": f"dfe/{sfr.name}", "url": f"{base}/sfr_ud.zip", "member": f"UD/{sfr.name}",
                        "sha256": file_sha256(sfr)})  # fmt: skip
        entries.append({"file": "ees/cin_2025.zip", "set": "latest", "url": base + "/api/releases/{release_version_id}/files",
                        "ees": {"publication": "children-in-need", "release": "2025"}})  # fmt: skip
        m = tmp_path / "sources.yml"
        m.write_text(yaml.safe_dump({"sources": entries}))
        raw = tmp_path / "raw"
        run = CliRunner().invoke(app, ["fetch", "--set", "all", "--dest", str(raw), "--manifest", str(m)])
    assert run.exit_code == 0, run.output
    assert f"fetched {len(entries)} files" in run.output and run.output.count("new      ") == len(entries)
    done = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(tmp_path / "panel")])
    assert done.exit_code == 0, done.output
    direct = ingest_folder(www, cache=None).inventory
    got = ingest_folder(raw, cache=None).inventory.set_index("path")
    for r in direct.itertuples():
        if ".zip" not in r.path:  # the archive served for its member
            assert got.loc[f"dfe/{r.path}", "sha256"] == r.sha256 and got.loc[f"dfe/{r.path}", "rows"] == r.rows
    assert got.loc[f"ees/cin_2025.zip/data/{release.name}", "source"] == "cin"
    assert (tmp_path / "panel" / "panel.parquet").is_file()


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/real-data is absent (real published files not available)")
def test_the_manifest_fetches_the_snapshot_inputs(tmp_path):
    """data/sources.yml's snapshot entries, served from a local copy of the published files: every pin holds,
    and the fetched folder (with the LAIT file made by hand, as its note says) holds exactly the snapshot's
    inputs, byte for byte."""
    entries = load_manifest(MANIFEST, ("snapshot",))
    local = [{k: v for k, v in e.items() if k not in ("mirror", "member")} for e in entries]
    with serving(REAL_DATA.resolve()) as base:
        for e in local:
            e["url"] = f"{base}/{urllib.parse.quote(e['file'])}"
        m = tmp_path / "sources.yml"
        m.write_text(yaml.safe_dump({"sources": local}))
        raw = tmp_path / "raw"
        run = CliRunner().invoke(app, ["fetch", "--dest", str(raw), "--manifest", str(m)])
    assert run.exit_code == 0, run.output
    assert "not made dfe-lait/lait_bds_long_csc_subset.csv" in run.output
    tool = "dfe-lait/lait_bds_long_csc_subset.csv"
    shutil.copy(REAL_DATA / tool, raw / tool)
    inputs = _inputs("latest")
    fetched = {p.relative_to(raw).as_posix(): file_sha256(p) for p in raw.rglob("*") if p.is_file()}
    assert fetched == {name: info["sha256"] for name, info in inputs.items()}
