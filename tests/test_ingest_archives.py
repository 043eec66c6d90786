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


def _two_entries(path, name: str, first: bytes, second: bytes):
    """A ZIP with two entries of one name (zipfile warns; a publisher's tool may not)."""
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as z:
        warnings.simplefilter("ignore")
        z.writestr(name, first)
        z.writestr(name, second)
    return path


def test_two_members_of_one_name_that_differ_are_refused_and_never_poison_the_cache(tmp_path):
    """The parse of one member is never kept under the other's hash: a later ingest of the second file alone
    reads what that file says."""
    loose = official.write_all(tmp_path / "loose")
    c1 = (loose / "c1.csv").read_bytes()
    changed = c1.replace(b",1000,", b",1999,")
    assert changed != c1
    (tmp_path / "zipped").mkdir()
    _two_entries(tmp_path / "zipped" / "release.zip", "data/c1.csv", c1, changed)
    cache = tmp_path / "cache"
    with pytest.raises(UserError) as e:
        ingest_folder(tmp_path / "zipped", cache=cache)
    assert e.value.rule == "archive-conflict" and "members 1 and 2 are both named 'data/c1.csv'" in e.value.what
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "c1.csv").write_bytes(changed)
    got = ingest_folder(tmp_path / "second", cache=cache).tables["cin"]
    want = ingest_folder(tmp_path / "second", cache=None).tables["cin"]
    assert got.drop(columns="file").equals(want.drop(columns="file")) and (got["value"] == 1999).any()


def test_the_same_member_twice_is_read_once(tmp_path):
    loose = official.write_all(tmp_path / "loose")
    c1 = (loose / "c1.csv").read_bytes()
    (tmp_path / "zipped").mkdir()
    _two_entries(tmp_path / "zipped" / "release.zip", "data/c1.csv", c1, c1)
    r = ingest_folder(tmp_path / "zipped", cache=None)
    assert r.inventory["path"].tolist() == ["release.zip/data/c1.csv"]
