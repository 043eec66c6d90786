"""ZIP archives, as fetch downloads a release's files: their data members are read like loose files,
named <archive>/<member>; a broken or unsafe archive is refused in one line."""

from __future__ import annotations

import zipfile

import pytest

from cscbook.errors import UserError
from cscbook.ingest import archives, ingest_folder
from tests.fixtures import official


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_an_archive_reads_as_its_files(tmp_path):
    loose = official.write_all(tmp_path / "loose")
    files = {p.relative_to(loose).as_posix(): p.read_bytes() for p in loose.iterdir() if p.suffix != ".md"}
    (tmp_path / "zipped").mkdir()
    _zip(tmp_path / "zipped" / "release.zip", {f"data/{n}": b for n, b in files.items()} | {"data/notes.pdf": b"%PDF"})
    a = ingest_folder(loose, cache=None)
    b = ingest_folder(tmp_path / "zipped", cache=None)
    assert sorted(b.inventory["path"]) == sorted(f"release.zip/data/{n}" for n in files)  # the PDF is not data
    assert list(b.inventory["sha256"].sort_values()) == list(a.inventory["sha256"].sort_values())
    for name, table in a.tables.items():
        got = b.tables[name].drop(columns="file").sort_values(list(table.columns.drop("file"))).reset_index(drop=True)
        want = table.drop(columns="file").sort_values(list(table.columns.drop("file"))).reset_index(drop=True)
        assert got.equals(want), name


def test_a_bad_member_is_named_inside_its_archive(tmp_path):
    (tmp_path / "in").mkdir()
    _zip(tmp_path / "in" / "release.zip", {"cin/empty.csv": b""})
    with pytest.raises(UserError) as e:
        ingest_folder(tmp_path / "in", cache=None)
    assert "release.zip/cin/empty.csv" in e.value.line() and e.value.rule == "empty-file"


@pytest.mark.parametrize(
    "make, what",
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "not a readable ZIP archive"),
        (lambda p: _zip(p, {"../outside.csv": b"a,b\n1,2\n"}), "outside the archive"),
        (lambda p: _zip(p, {"/abs/outside.csv": b"a,b\n1,2\n"}), "outside the archive"),
    ],
    ids=["broken", "parent-path", "absolute-path"],
)
def test_a_broken_or_unsafe_archive_is_refused_in_one_line(tmp_path, make, what):
    (tmp_path / "in").mkdir()
    make(tmp_path / "in" / "release.zip")
    with pytest.raises(UserError) as e:
        ingest_folder(tmp_path / "in", cache=None)
    line = e.value.line()
    assert what in line and "release.zip" in line and e.value.rule == "archive" and "\n" not in line
    assert not (tmp_path / "outside.csv").exists() and not (tmp_path / "in" / "outside.csv").exists()


def test_an_archive_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_UNPACKED", 100)
    (tmp_path / "in").mkdir()
    _zip(tmp_path / "in" / "release.zip", {"a.csv": b"x,y\n" * 100})
    with pytest.raises(UserError) as e:
        ingest_folder(tmp_path / "in", cache=None)
    assert "more than 100 bytes" in e.value.line()
