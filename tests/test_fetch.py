"""fetch, against a local server: fails fast offline naming the URL; refuses web pages, truncated and endless
responses and entries outside --dest; verifies the pin, falls back to the mirror, unpacks a member, resolves
an EES release, changes --dest only when every download succeeded, and reports what changed."""

from __future__ import annotations

import hashlib
import socket
import time
import zipfile

import pytest

from cscbook.acquire import manifest as manifest_module
from cscbook.acquire.fetch import fetch
from cscbook.errors import UserError
from tests.fixtures.server import serving

RID = "0b5c6d7e-1234-4abc-9def-00000000a001"


@pytest.fixture
def www(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "a.csv").write_text("x,y\n1,2\n")
    return root


@pytest.fixture
def server(www):
    with serving(www) as base:
        yield base, www


def _entries(tmp_path, *entries: str):
    m = tmp_path / "sources.yml"
    m.write_text("sources:\n" + "".join(entries))
    return m


def _entry(url, file="a.csv", **fields):
    more = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    return f"  - file: '{file}'\n    url: {url}\n{more}"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_offline_fails_fast_naming_url(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here
    url = f"http://127.0.0.1:{port}/a.csv"
    t = time.monotonic()
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(url)), tmp_path / "raw", timeout=2)
    assert time.monotonic() - t < 5 and url in e.value.line() and e.value.rule == "network"
    assert not (tmp_path / "raw").exists()  # a first fetch that failed leaves no folder behind


def test_download_and_checksum(tmp_path, server):
    base, root = server
    m = _entries(tmp_path, _entry(f"{base}/a.csv", sha256=_sha(root / "a.csv")))
    out = fetch(m, tmp_path / "raw").paths
    assert out[0].read_text() == "x,y\n1,2\n"
    (root / "a.csv").write_text("tampered\n")
    with pytest.raises(UserError) as e:
        fetch(m, tmp_path / "raw")
    assert e.value.rule == "checksum"
    assert out[0].read_text() == "x,y\n1,2\n"  # the good file is untouched
    assert [p.name for p in (tmp_path / "raw").iterdir()] == ["a.csv"]  # no partial files left


def test_a_missing_file_on_the_server_keeps_the_good_copy(tmp_path, server):
    base, _ = server
    fetch(_entries(tmp_path, _entry(f"{base}/a.csv")), tmp_path / "raw")
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/gone.csv")), tmp_path / "raw")
    assert "404" in e.value.line() and (tmp_path / "raw" / "a.csv").read_text() == "x,y\n1,2\n"


@pytest.mark.parametrize("name", ["../escape.csv", "/tmp/absolute.csv", "sub/../../escape.csv", "."])
def test_an_entry_outside_dest_is_refused_before_any_download(tmp_path, server, name):
    base, _ = server
    m = _entries(tmp_path, _entry(f"{base}/a.csv"), _entry(f"{base}/a.csv", file=name))
    with pytest.raises(UserError) as e:
        fetch(m, tmp_path / "raw")
    assert "outside the destination" in e.value.line() and "\n" not in e.value.line()
    assert not (tmp_path / "raw").exists() and not (tmp_path / "escape.csv").exists()  # nothing was fetched


@pytest.mark.parametrize(
    "page", ["index.html", "page.csv", "redirect/index.html"]
)  # by content type, by content under a data file's name, and at the end of a redirect
def test_a_web_page_is_refused_and_leaves_nothing(tmp_path, server, page):
    base, root = server
    for name in ("index.html", "page.csv"):
        (root / name).write_text("<!DOCTYPE html>\n<html><body>Find statistics</body></html>\n")
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/{page}", file="cin/data.csv")), tmp_path / "raw")
    assert e.value.rule == "not-data" and "web page" in e.value.line()
    assert not (tmp_path / "raw").exists()  # no file, no partial file, no empty folder


def test_a_redirect_to_a_data_file_is_followed(tmp_path, server):
    base, _ = server
    out = fetch(_entries(tmp_path, _entry(f"{base}/redirect/a.csv", file="sub/a.csv")), tmp_path / "raw")
    assert out.paths[0].read_text() == "x,y\n1,2\n" and out.used["sub/a.csv"].endswith("/redirect/a.csv")


def test_a_truncated_response_is_refused(tmp_path, server):
    base, _ = server
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/truncated")), tmp_path / "raw")
    assert e.value.rule == "truncated" and "100000" in e.value.line()
    assert not (tmp_path / "raw").exists()


def test_a_download_stops_at_its_cap(tmp_path, server, monkeypatch):
    base, root = server
    (root / "big.csv").write_bytes(b"1,2\n" * 100_000)
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/big.csv", size=1000)), tmp_path / "raw")
    assert e.value.rule == "size cap" and "1,000 bytes" in e.value.line()
    monkeypatch.setattr(manifest_module, "DEFAULT_CAP", 50_000)  # no size stated: the default cap
    t = time.monotonic()
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/endless")), tmp_path / "raw")  # an endless stream ends
    assert e.value.rule == "size cap" and time.monotonic() - t < 10
    assert not (tmp_path / "raw").exists()


def test_the_mirror_serves_when_the_publisher_fails_or_has_changed_the_file(tmp_path, server):
    base, root = server
    (root / "pinned.csv").write_text("x,y\n1,2\n")
    pin = _sha(root / "pinned.csv")
    gone = _entry(f"{base}/gone.csv", mirror=f"{base}/pinned.csv", sha256=pin)
    out = fetch(_entries(tmp_path, gone), tmp_path / "raw")
    assert out.used["a.csv"] == f"{base}/pinned.csv" and any("from the mirror" in r for r in out.report)
    (root / "a.csv").write_text("x,y\n1,3\n")  # the publisher replaced its file in place
    out = fetch(_entries(tmp_path, _entry(f"{base}/a.csv", mirror=f"{base}/pinned.csv", sha256=pin)), tmp_path / "m")
    assert _sha(out.paths[0]) == pin and any("checksum" in r for r in out.report)


def test_a_member_is_unpacked_from_the_publishers_archive(tmp_path, server):
    base, root = server
    with zipfile.ZipFile(root / "release.zip", "w") as z:
        z.writestr("UD/SFR99_UD.csv", "x,y\n5,6\n")
    out = fetch(_entries(tmp_path, _entry(f"{base}/release.zip", file="cin/sfr99.csv", member="UD/SFR99_UD.csv")),
                tmp_path / "raw")  # fmt: skip
    assert out.paths[0].read_text() == "x,y\n5,6\n" and sorted(p.name for p in out.paths[0].parent.iterdir()) == [
        "sfr99.csv"
    ]
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/release.zip", file="b.csv", member="UD/other.csv")), tmp_path / "raw")
    assert e.value.rule == "archive" and "no member 'UD/other.csv'" in e.value.line()


def test_one_failed_download_changes_nothing(tmp_path, server):
    base, root = server
    fetch(_entries(tmp_path, _entry(f"{base}/a.csv")), tmp_path / "raw")
    (root / "a.csv").write_text("x,y\n9,9\n")
    (root / "b.csv").write_text("p,q\n1,1\n")
    with pytest.raises(UserError):
        fetch(_entries(tmp_path, _entry(f"{base}/a.csv"), _entry(f"{base}/b.csv", file="b.csv"),
                       _entry(f"{base}/gone.csv", file="c.csv")), tmp_path / "raw")  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["a.csv"]
    assert (tmp_path / "raw" / "a.csv").read_text() == "x,y\n1,2\n"  # the previous download, whole


def test_the_report_names_new_years_and_columns(tmp_path, server):
    base, root = server
    (root / "ees.csv").write_text("time_period,new_la_code,cases\n2023,E1,4\n2024,E1,5\n")
    m = _entries(tmp_path, _entry(f"{base}/ees.csv", file="ees.csv"))
    assert fetch(m, tmp_path / "raw").report == ["new      ees.csv (50 bytes), years 2023-2024"]
    assert fetch(m, tmp_path / "raw").report == ["same     ees.csv"]
    (root / "ees.csv").write_text("time_period,new_la_code,cases_rate\n2024,E1,4\n2025,E1,5\n")
    report = fetch(m, tmp_path / "raw").report
    assert report[0].startswith("changed  ees.csv: sha256 ")
    assert report[1] == "  years +2025 -2023; columns +cases_rate -cases"


def _release_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return path


def test_an_ees_release_is_found_by_its_slug(tmp_path, www):
    zp = _release_zip(tmp_path / "r.zip", {"data/b1.csv": "time_period,x\n2025,1\n", "data-guidance/g.txt": "g"})
    releases = {("characteristics-of-children-in-need", "2025"): (RID, zp)}
    with serving(www, releases) as base:
        url = f"{base}/api/releases/{{release_version_id}}/files"
        ees = "{publication: characteristics-of-children-in-need, release: '2025'}"
        out = fetch(_entries(tmp_path, _entry(url, file="cin.zip", ees=ees, set="latest")), tmp_path / "raw")
        assert out.used["cin.zip"] == f"{base}/api/releases/{RID}/files"
        assert zipfile.ZipFile(out.paths[0]).namelist() == ["data/b1.csv", "data-guidance/g.txt"]
        assert out.report == ["new      cin.zip (" + f"{out.paths[0].stat().st_size:,}" + " bytes), years 2025-2025"]
        unknown = "{publication: characteristics-of-children-in-need, release: '2031'}"
        with pytest.raises(UserError) as e:
            fetch(_entries(tmp_path, _entry(url, file="cin.zip", ees=unknown, set="latest")), tmp_path / "raw")
        assert "/releases/2031/version-summary" in e.value.line() and "404" in e.value.line()


@pytest.mark.parametrize(
    "fields, rule",
    [
        ({"colour": "red"}, "known fields"),
        ({"set": "newest"}, "set"),
        ({"ees": "{publication: p}"}, "ees"),
        ({"size": "'12 kB'"}, "size"),
        ({"max_bytes": "-1"}, "max_bytes"),
        ({"member": "[a, b]"}, "member"),
    ],
)
def test_a_malformed_entry_is_named(tmp_path, fields, rule):
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry("http://127.0.0.1:9/a.csv", **fields)), tmp_path / "raw")
    assert e.value.rule == f"manifest: {rule}" and "a.csv" in e.value.where


def test_a_later_entry_that_cannot_be_written_is_refused_before_any_file_changes(tmp_path, server):
    """The second entry's destination is a folder: refused before anything is fetched, so the first entry's file
    already in --dest is the one it was."""
    base, _ = server
    dest = tmp_path / "raw"
    (dest / "b.csv").mkdir(parents=True)
    (dest / "a.csv").write_text("old\n")
    m = _entries(tmp_path, _entry(f"{base}/a.csv"), _entry(f"{base}/a.csv", file="b.csv"))
    with pytest.raises(UserError) as e:
        fetch(m, dest)
    assert "'b.csv' cannot be written" in e.value.line() and e.value.rule == "manifest: a file in a folder"
    assert (dest / "a.csv").read_text() == "old\n"


def test_two_entries_that_write_one_file_are_refused(tmp_path, server):
    base, _ = server
    m = _entries(tmp_path, _entry(f"{base}/a.csv", file="x.csv"), _entry(f"{base}/truncated", file="sub/../x.csv"))
    with pytest.raises(UserError) as e:
        fetch(m, tmp_path / "raw")
    assert "entries 'x.csv' and 'sub/../x.csv' both write x.csv" in e.value.line()
    assert not (tmp_path / "raw").exists()


def test_a_place_that_fails_puts_every_file_back(tmp_path, monkeypatch):
    """If a file cannot be moved into place after all downloads succeeded, the files moved before it go back."""
    import os

    from cscbook.acquire import changes

    dest = tmp_path / "raw"
    dest.mkdir()
    (dest / "a.csv").write_text("old a\n")
    staged = [tmp_path / "s1.csv", tmp_path / "s2.csv"]
    for s in staged:
        s.write_text("new\n")
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if str(dst).endswith("b.csv"):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(changes.os, "replace", failing)
    with pytest.raises(OSError):
        changes.apply(dest, ["a.csv", "b.csv"], staged, [dest / "a.csv", dest / "b.csv"], {})
    assert (dest / "a.csv").read_text() == "old a\n" and not (dest / "b.csv").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["a.csv"]


def test_a_trickling_server_is_stopped_at_the_overall_limit(tmp_path, server, monkeypatch):
    """Each byte comes well within the read timeout, so only an overall limit ends the download."""
    from cscbook.acquire import fetch as fetch_module

    base, _ = server
    monkeypatch.setattr(fetch_module, "MAX_SECONDS", 1.5)
    t = time.monotonic()
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/trickle")), tmp_path / "raw", timeout=2)
    assert e.value.rule == "too slow" and time.monotonic() - t < 6
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize(
    "body, ctype",
    [
        (b"\xef\xbb\xbf<!DOCTYPE html><html><body>Find statistics</body></html>", "text/csv"),
        (b"<?xml version='1.0'?>\n<html><body>Find statistics</body></html>", "text/plain"),
        (b"\n\n  <html lang='en'><body>Find statistics</body></html>", "text/plain"),
    ],
    ids=["after-a-bom", "xml-declaration", "as-text"],
)
def test_a_web_page_in_disguise_is_refused(tmp_path, body, ctype):
    from cscbook.acquire.fetch import looks_like_html

    assert looks_like_html(ctype, body)
    assert not looks_like_html("text/csv", b"\xef\xbb\xbfla_code,la_name\nE06000009,<b>Blackpool</b>\n")


def test_a_page_after_a_bom_is_refused_by_fetch(tmp_path, server):
    base, root = server
    (root / "bom.csv").write_bytes(b"\xef\xbb\xbf<!DOCTYPE html><html><body>Find statistics</body></html>\n")
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/bom.csv")), tmp_path / "raw")
    assert e.value.rule == "not-data"


def test_content_encodings_are_undone_or_refused(tmp_path, server):
    base, _ = server
    got = fetch(_entries(tmp_path, _entry(f"{base}/gzip")), tmp_path / "raw").paths[0]
    assert got.read_bytes() == b"x,y\n1,2\n" * 1000  # the file, not its gzip
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/gzip-bomb", size=1000)), tmp_path / "raw")
    assert e.value.rule == "size cap"  # the cap applies to what the encoding unpacks to
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/brotli")), tmp_path / "raw")
    assert "encoded as 'br'" in e.value.line() and e.value.rule == "network"
    assert got.read_bytes() == b"x,y\n1,2\n" * 1000  # the failed fetches left the good file


def test_a_zip_bomb_member_is_refused_before_it_unpacks(tmp_path, server):
    base, root = server
    with zipfile.ZipFile(root / "release.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data/big.csv", b"1" * (64 * 1024**2))
    assert (root / "release.zip").stat().st_size < 200_000
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"{base}/release.zip", member="data/big.csv")), tmp_path / "raw")
    assert e.value.rule == "archive-ratio" and "data/big.csv" in e.value.line()
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize("url", ["http://[bad", "ftp:/nowhere", "http://127.0.0.1:99999/a.csv"])
def test_a_malformed_url_is_named(tmp_path, url):
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(f"'{url}'")), tmp_path / "raw", timeout=2)
    assert url[:10] in e.value.line() and "\n" not in e.value.line()


def test_a_deeply_nested_answer_about_a_release_is_named(tmp_path, www):
    """The content API answers with JSON nested past what a parser can follow: a one-line error naming it."""
    import http.server
    import threading

    class Deep(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            body = b"[" * 200_000 + b"]" * 200_000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Deep)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/api/releases/{{release_version_id}}/files"
        ees = "{publication: p, release: '2025'}"
        with pytest.raises(UserError) as e:
            fetch(_entries(tmp_path, _entry(url, file="cin.zip", ees=ees)), tmp_path / "raw")
        assert "version-summary" in e.value.line() and e.value.rule == "ees"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_malformed_url_template_is_named(tmp_path, monkeypatch):
    """An EES entry whose URL holds a placeholder other than {release_version_id}: named, not a traceback."""
    from cscbook.acquire import fetch as fetch_module

    monkeypatch.setattr(fetch_module, "_stream", lambda url, out, *a, **k: out.write_text(f'{{"id": "{RID}"}}'))
    url = "http://127.0.0.1:9/api/releases/{release_version_id}/files/{file_id}"
    ees = "{publication: p, release: '2025'}"
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, _entry(url, file="cin.zip", ees=ees)), tmp_path / "raw")
    assert "cin.zip" in e.value.line() and "{release_version_id}" in e.value.line() and e.value.rule == "manifest: url"
