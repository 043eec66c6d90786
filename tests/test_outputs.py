"""Outputs never destroy what cscbook did not write: an --out or --build-dir holding other files is refused
in one line and left as it was, and no command may write over or into its own input folder."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import official
from tests.fixtures.cli import run_cli


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cscbook", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture
def work(tmp_path):
    official.write_all(tmp_path / "data" / "raw")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("two years of work")
    return tmp_path


@pytest.mark.parametrize(
    "args, rule",
    [
        (["ingest", "data/raw", "--out", "data"], "output apart from input"),  # would replace the raw files
        (["ingest", "data/raw", "--out", "data/raw"], "output apart from input"),
        (["ingest", "data", "--out", "data/raw/out"], "output apart from input"),  # inside the input
        (["ingest", "data/raw", "--out", "mine"], "output folder"),
        (["snapshot", "data/raw", "--out", "mine"], "output folder"),
        (["snapshot", "data/raw", "--out", "data"], "output apart from input"),
        (["synth", "--out", "mine"], "output folder"),
        (["build", "--data", "synthetic", "--build-dir", "mine"], "output folder"),
        (["build", "--data", "data/raw", "--build-dir", "data"], "output apart from input"),
    ],
)
def test_a_folder_cscbook_did_not_write_is_refused_and_kept(work, args, rule, monkeypatch):
    from click.testing import CliRunner

    from cscbook.cli import app
    from cscbook.errors import UserError

    monkeypatch.chdir(work)
    before = _hashes(work)
    res = CliRunner().invoke(app, args)
    assert isinstance(res.exception, UserError), res.output
    assert res.exception.rule == rule and "\n" not in res.exception.line()
    assert _hashes(work) == before  # nothing written, nothing removed


def test_the_refusal_is_one_line_and_a_non_zero_exit(work):
    before = _hashes(work)
    proc = _run("ingest", "data/raw", "--out", "data", cwd=work)  # a real process: its exit code and stderr
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and lines == [
        "error: data: the --out folder would hold or replace the input folder data/raw (output apart from input)"
    ]
    assert _hashes(work) == before


@pytest.mark.slow  # seconds of work: with the slow checks, to keep make test within two minutes
def test_a_folder_cscbook_wrote_is_replaced_on_the_next_run(work, monkeypatch, capsys):
    assert run_cli(["ingest", "data/raw", "--out", "panel"], work, monkeypatch, capsys)[0] == 0
    assert (work / "panel" / ".cscbook").is_file()
    (work / "panel" / "panel.csv").write_text("stale")
    assert run_cli(["ingest", "data/raw", "--out", "panel"], work, monkeypatch, capsys)[0] == 0
    assert (work / "panel" / "panel.csv").read_text() != "stale"


def test_the_ingest_cache_lives_in_the_build_folder_given(work, monkeypatch, capsys):
    args = ["ingest", "data/raw", "--out", "panel", "--build-dir", "elsewhere"]
    assert run_cli(args, work, monkeypatch, capsys)[0] == 0
    assert any((work / "elsewhere" / "cache" / "ingest").iterdir())
    assert not (work / "_build").exists()  # nothing under the working directory's default folder
    before = _hashes(work / "mine")  # a folder of someone else's files
    code, err = run_cli(["validate", "data/raw", "--build-dir", "mine"], work, monkeypatch, capsys)
    assert code != 0 and "error: mine: the --build-dir holds files cscbook did not write (thesis.docx)" in err
    assert _hashes(work / "mine") == before


def test_a_highlight_naming_two_authorities_is_refused_with_both_and_a_code_always_works():
    import pandas as pd

    from cscbook import contract
    from cscbook.errors import UserError

    panel = pd.DataFrame({"la_code": ["E1", "E2", "E3"], "la_name": ["Newtown", "NEWTOWN ", "Oldbury"]})
    with pytest.raises(UserError) as e:
        contract.find_authority(panel, "newtown")
    assert "names 2 authorities: Newtown (E1), NEWTOWN (E2)" in e.value.line() and "\n" not in e.value.line()
    assert contract.find_authority(panel, "E2") == ("E2", "NEWTOWN ")
    assert contract.find_authority(panel, "oldbury") == ("E3", "Oldbury")


def test_a_file_that_cannot_be_read_is_named_in_one_line(tmp_path, monkeypatch):
    """Permissions cannot be taken from root, so the read itself is made to fail as it would."""
    from cscbook import fsutil
    from cscbook.errors import UserError
    from cscbook.ingest import ingest_folder

    data = official.write_all(tmp_path / "data")
    real = fsutil.file_sha256

    def refuse(path, *args):
        if Path(path).name == "c1.csv":
            raise PermissionError(13, "Permission denied")
        return real(path, *args)

    monkeypatch.setattr("cscbook.ingest.file_sha256", refuse)
    with pytest.raises(UserError) as e:
        ingest_folder(data, cache=None)
    assert e.value.rule == "unreadable-file" and "c1.csv" in e.value.where and "Permission denied" in e.value.what


def test_a_second_run_on_the_same_build_folder_is_refused_while_the_first_holds_it(tmp_path, monkeypatch, capsys):
    import os

    from cscbook.fsutil import exclusive, mark

    build = tmp_path / "build"
    build.mkdir()
    mark(build)
    (build / "html").mkdir()
    (build / "html" / "index.html").write_text("<html>the site</html>")
    with exclusive(build):  # flock locks belong to open files, so this process's second open conflicts too
        code, err = run_cli(["build", "--data", "synthetic", "--build-dir", str(build)], tmp_path, monkeypatch, capsys)
    assert code == 2 and err.strip().splitlines() == [
        f"error: {build}: another cscbook run (process {os.getpid()}) is using this build folder (one run per folder)"
    ]
    assert (build / "html" / "index.html").read_text() == "<html>the site</html>"
    with exclusive(build):  # the lock is free again once its holder is done
        pass


@pytest.mark.parametrize("damage", ["truncate_parquet", "empty_meta", "delete_table"])
def test_a_damaged_ingest_cache_entry_is_parsed_again_with_one_warning(tmp_path, capsys, damage):
    from cscbook.ingest import ingest_folder

    data = official.write_all(tmp_path / "data")
    cache = tmp_path / "cache"
    first = ingest_folder(data, cache=cache, workers=1)
    entry = next(e for e in sorted(cache.iterdir()) if any(e.glob("*.parquet")))
    table = next(entry.glob("*.parquet"))
    if damage == "truncate_parquet":
        table.write_bytes(table.read_bytes()[:40])
    elif damage == "empty_meta":
        (entry / "meta.json").write_text("")
    else:
        table.unlink()
    again = ingest_folder(data, cache=cache, workers=1)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {entry}: unreadable cache entry")
    assert again.inventory.equals(first.inventory)
    for name, t in first.tables.items():
        assert again.tables[name].equals(t), name
    ingest_folder(data, cache=cache, workers=1)  # the entry was written again: no warning now
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_damaged_build_caches_are_made_again_with_a_warning(tmp_path):
    """A build whose prepared data, chapter stamp and executed notebook were damaged between runs rebuilds
    them (one warning each) instead of failing or publishing the damage."""
    build = tmp_path / "build"
    args = ("build", "--data", "synthetic", "--profiles", "none", "--build-dir", str(build))
    assert _run(*args, cwd=tmp_path).returncode == 0
    panel = next((build / "data").glob("*/panel.parquet"))
    panel.write_bytes(panel.read_bytes()[:100])
    (build / "executed" / "variation" / "cache.json").write_text("")
    nb = build / "executed" / "demand" / "demand.ipynb"
    nb.write_text(nb.read_text()[:500])
    proc = _run(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning: ")]
    assert any("panel.parquet" in w for w in warnings) and any("cache.json" in w for w in warnings), warnings
    assert any("demand.ipynb" in w for w in warnings), warnings
    assert (build / "html" / "book" / "demand.html").stat().st_size > 10_000
