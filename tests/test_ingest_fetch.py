"""fetch: fails fast offline naming the URL; verifies checksums; never replaces a good file with a bad one."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time

import pytest

from cscbook.acquire.fetch import fetch
from cscbook.errors import UserError


def _manifest(tmp_path, url, sha=None):
    m = tmp_path / "sources.yml"
    m.write_text(f"sources:\n  - file: a.csv\n    url: {url}\n    sha256: {sha or 'null'}\n")
    return m


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "a.csv").write_text("x,y\n1,2\n")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


def test_offline_fails_fast_naming_url(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here
    url = f"http://127.0.0.1:{port}/a.csv"
    t = time.monotonic()
    with pytest.raises(UserError) as e:
        fetch(_manifest(tmp_path, url), tmp_path / "raw", timeout=2)
    assert time.monotonic() - t < 5 and url in e.value.line() and e.value.rule == "network"


def test_download_and_checksum(tmp_path, server):
    base, root = server
    good = hashlib.sha256((root / "a.csv").read_bytes()).hexdigest()
    out = fetch(_manifest(tmp_path, f"{base}/a.csv", good), tmp_path / "raw")
    assert out[0].read_text() == "x,y\n1,2\n"
    (root / "a.csv").write_text("tampered\n")
    with pytest.raises(UserError) as e:
        fetch(_manifest(tmp_path, f"{base}/a.csv", good), tmp_path / "raw")
    assert e.value.rule == "checksum"
    assert out[0].read_text() == "x,y\n1,2\n"  # the good file is untouched
    assert [p.name for p in (tmp_path / "raw").iterdir()] == ["a.csv"]  # no partial files left


def test_missing_file_on_server_keeps_good_copy(tmp_path, server):
    base, root = server
    fetch(_manifest(tmp_path, f"{base}/a.csv"), tmp_path / "raw")
    with pytest.raises(UserError):
        fetch(_manifest(tmp_path, f"{base}/gone.csv"), tmp_path / "raw")
    assert (tmp_path / "raw" / "a.csv").read_text() == "x,y\n1,2\n"


def _entries(tmp_path, *entries: str):
    m = tmp_path / "sources.yml"
    m.write_text("sources:\n" + "".join(entries))
    return m


@pytest.mark.parametrize("name", ["../escape.csv", "/tmp/absolute.csv", "sub/../../escape.csv", "."])
def test_an_entry_outside_dest_is_refused_before_any_download(tmp_path, server, name):
    base, _ = server
    m = _entries(tmp_path, f"  - file: a.csv\n    url: {base}/a.csv\n", f"  - file: '{name}'\n    url: {base}/a.csv\n")
    with pytest.raises(UserError) as e:
        fetch(m, tmp_path / "raw")
    assert "outside the destination" in e.value.line() and "\n" not in e.value.line()
    assert not (tmp_path / "raw").exists() and not (tmp_path / "escape.csv").exists()  # nothing was fetched


@pytest.mark.parametrize(
    "page, ctype", [("index.html", "text/html"), ("page.csv", "text/csv")]
)  # by content type, and by content under a data file's name
def test_a_web_page_is_refused_and_leaves_nothing(tmp_path, server, page, ctype):
    base, root = server
    (root / page).write_text("<!DOCTYPE html>\n<html><body>Find statistics</body></html>\n")
    m = _entries(tmp_path, f"  - file: cin/data.csv\n    url: {base}/{page}\n")
    with pytest.raises(UserError) as e:
        fetch(m, tmp_path / "raw")
    assert e.value.rule == "not-data" and "web page" in e.value.line()
    assert list((tmp_path / "raw").iterdir()) == []  # no file, no partial file, no empty sub-folder


def test_a_download_stops_at_its_cap(tmp_path, server, monkeypatch):
    from cscbook.acquire import fetch as module

    base, root = server
    (root / "big.csv").write_bytes(b"1,2\n" * 100_000)
    stated = _entries(tmp_path, f"  - file: big.csv\n    url: {base}/big.csv\n    size: 1000\n")
    with pytest.raises(UserError) as e:
        fetch(stated, tmp_path / "raw")
    assert e.value.rule == "size cap" and "1,000 bytes" in e.value.line()
    monkeypatch.setattr(module, "DEFAULT_CAP", 50_000)  # no size stated: the default cap
    with pytest.raises(UserError) as e:
        fetch(_entries(tmp_path, f"  - file: big.csv\n    url: {base}/big.csv\n"), tmp_path / "raw")
    assert e.value.rule == "size cap" and not (tmp_path / "raw" / "big.csv").exists()
    assert list((tmp_path / "raw").iterdir()) == []
