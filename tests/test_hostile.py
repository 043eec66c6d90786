"""Hostile data never reaches a reader as code and never stops the build: names with HTML, JavaScript,
Markdown, quotes, newlines, emoji or right-to-left text show as text on every page; downloads neutralise
spreadsheet formulas; symbolic links in a data folder are not followed."""

from __future__ import annotations

import html
import importlib.util
import re
from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from cscbook.chapters.context import styled_table
from cscbook.fsutil import csv_safe
from cscbook.present import figures, markdown
from tests.conftest import REAL_DATA, ROOT
from tests.fixtures import official

#: Names as a hostile or unlucky publisher might send them (all invented).
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "Ba\"d 'Quote' <script>alert(2)</script>",
    "`Tick` $x^2 *star* [link](javascript:alert(3))",
    "Line\nBreak",
    "Sunny \u2600\ufe0f Vale",
    "\u0645\u062f\u064a\u0646\u0629 Test",
    '=HYPERLINK("http://x","y")',
    "+SUM(1,2) & {braces} | pipe",
]
PAYLOAD = re.compile(r"<img src=x|<script>alert|href=\"javascript:", re.I)


def _sphinx_ext():
    spec = importlib.util.spec_from_file_location("cscbook_sphinx", ROOT / "book" / "_ext" / "cscbook_sphinx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_in_markdown_renders_as_its_own_text(name):
    md = MarkdownIt("commonmark")
    for text in (markdown.link("X1", name, links="all"), markdown.link("X1", name), markdown.md_escape(name)):
        out = md.render(text)
        assert not PAYLOAD.search(out), out
        shown = re.sub(r"<[^>]+>", "", out).strip()
        assert html.unescape(shown) == " ".join(name.split()), (text, out)


def test_sentences_glued_as_markdown_cannot_carry_an_element():
    guarded = markdown.md_guard("In <img src=x onerror=alert(1)> the rate rose; [a](b.ipynb) \\<kept\\>")
    assert not PAYLOAD.search(MarkdownIt("commonmark").render(guarded))
    assert "\\<kept\\>" in guarded  # already escaped text is left alone


def test_styled_tables_show_text_from_the_data_as_text():
    df = pd.DataFrame({"Authority": HOSTILE, "Rate": range(len(HOSTILE))}, index=HOSTILE)
    df.index.name = HOSTILE[0]
    out = styled_table(df).format(precision=2).to_html()  # a later format must not undo the escaping
    assert not PAYLOAD.search(out)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_the_search_index_and_the_print_title_are_escaped(tmp_path):
    ext = _sphinx_ext()
    from sphinx.search import js_index

    index = {"titles": [HOSTILE[0], "Plain"], "alltitles": {HOSTILE[1]: [[0, None]]}, "docnames": ["a", "b"]}
    (tmp_path / "searchindex.js").write_text(js_index.dumps(index))
    app = type("App", (), {"outdir": str(tmp_path), "builder": type("B", (), {"format": "html"})()})()
    ext.escape_search_index(app, None)
    data = js_index.loads((tmp_path / "searchindex.js").read_text())
    assert data["titles"] == ["&lt;img src=x onerror=alert(1)&gt;", "Plain"]
    assert list(data["alltitles"]) == ["Ba&quot;d &#x27;Quote&#x27; &lt;script&gt;alert(2)&lt;/script&gt;"]
    context = {"pagetitle": HOSTILE[0]}
    ext.escape_page_title(app, "p", "page.html", context, None)
    assert context["pagetitle"] == "&lt;img src=x onerror=alert(1)&gt;"


def test_a_dollar_in_a_name_is_text_in_a_figure(tmp_path):
    figures.setup()
    fig, ax = plt.subplots()
    ax.set_title(HOSTILE[2])  # an unbalanced '$' would stop mathtext
    fig.savefig(tmp_path / "f.png")
    plt.close(fig)
    assert (tmp_path / "f.png").stat().st_size > 0


def test_downloads_neutralise_spreadsheet_formulas(tmp_path):
    df = pd.DataFrame(
        {
            "name": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Plain", "+7.0%", "-1,234"],
            "value": [-1.5, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )
    out = csv_safe(df)
    assert list(out["name"]) == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR", "Plain", "+7.0%", "-1,234"]
    assert out["value"].tolist() == df["value"].tolist()  # numbers stay numbers
    assert df["name"].iloc[0] == "=1+1"  # the table itself is not changed


def test_downloads_neutralise_formulas_in_headers_and_the_index(tmp_path):
    """An authority named with a formula heads a column of a profile's table: header, index and their names
    are neutralised in the CSV and in the workbook."""
    df = pd.DataFrame({'=HYPERLINK("x")': [1.0], "England": [2.0]}, index=pd.Index(["@rate"], name="+measure"))
    out = csv_safe(df)
    assert list(out.columns) == ['\'=HYPERLINK("x")', "England"] and list(out.index) == ["'@rate"]
    assert out.index.name == "'+measure" and out.iloc[0, 0] == 1.0
    out.to_excel(tmp_path / "t.xlsx")
    from openpyxl import load_workbook

    cells = [c.value for row in load_workbook(tmp_path / "t.xlsx").active.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in cells), cells


def test_links_in_a_data_folder_are_not_followed(tmp_path):
    from cscbook.cli import app
    from cscbook.ingest import ingest_folder

    data = official.write_all(tmp_path / "data")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("a,b\n1,2\n")
    (data / "out.csv").symlink_to(outside / "secret.csv")
    (data / "outdir").symlink_to(outside, target_is_directory=True)
    (data / "again.csv").symlink_to(data / "c1.csv")
    (tmp_path / "link").symlink_to(data, target_is_directory=True)  # the folder itself may be a link
    inv = ingest_folder(tmp_path / "link", cache=None).inventory.set_index("path")
    assert inv.loc["out.csv", "status"] == "skipped" and "outside the folder" in inv.loc["out.csv", "note"]
    assert inv.loc["outdir", "status"] == "skipped" and "folder outside" in inv.loc["outdir", "note"]
    assert inv.loc["again.csv", "status"] == "skipped" and "read where it is" in inv.loc["again.csv", "note"]
    assert inv.loc["c1.csv", "status"] == "ok" and not any(p.startswith("outdir/") for p in inv.index)
    run = CliRunner().invoke(app, ["ingest", str(tmp_path / "link"), "--out", str(tmp_path / "panel")])
    assert run.exit_code == 0, run.output
    assert "skipped       out.csv: a link to a file outside the folder: not followed" in run.output


@pytest.mark.slow
def test_a_book_with_hostile_names_builds_and_shows_them_as_text(tmp_path, monkeypatch):
    """A whole book (chapters and the hostile authorities' profiles) whose data carry hostile names: the
    build succeeds, no page holds the payload as markup, and in Chromium no script runs."""
    from cscbook.acquire import synth
    from cscbook.acquire.synth import places
    from cscbook.build.pipeline import build
    from cscbook.site import browsercheck

    base = places.authorities()
    idx = [3, 20, 40, 60, 80, 100, 120, 140]
    named = [replace(base[i], name=n) for i, n in zip(idx, HOSTILE)]
    monkeypatch.setattr(
        synth, "authorities", lambda: [named[idx.index(i)] if i in idx else a for i, a in enumerate(base)]
    )
    codes = ",".join(a.code for a in named)
    res = build({"data": "synthetic"}, build_dir=tmp_path / "b", profiles=codes)
    html = res.html
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)
    for page in pages:
        assert not PAYLOAD.search(page.read_text()), page
    index = (html / "book" / "profiles" / "index.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in index and "Sunny \u2600\ufe0f Vale" in index
    assert "&lt;img" in (html / "searchindex.js").read_text()
    panel = next(html.glob("_downloads/*/panel.csv")).read_text()
    assert "'=HYPERLINK" in panel and ",=HYPERLINK" not in panel and '"=HYPERLINK' not in panel
    if browsercheck.chromium_available():
        rel = [str(p.relative_to(html)) for p in pages] + ["search.html?q=onerror", "search.html?q=Tick"]
        assert browsercheck.injected(html, rel) == []


#: Authorities renamed in a copy of the published files (today's codes), with the names they are given.
RENAMED = {"E06000009": HOSTILE[0], "E06000017": HOSTILE[1], "E09000001": HOSTILE[3], "E06000053": HOSTILE[5]}
OLD_NAMES = {
    "E06000009": "Blackpool",
    "E06000017": "Rutland",
    "E09000001": "City of London",
    "E06000053": "Isles of Scilly",
}


def _rename_in_csv(text: str, old: str, new: str) -> str:
    """Every CSV field that is exactly ``old`` (bare or quoted) becomes ``new``, quoted as CSV quotes it."""
    quoted = '"' + new.replace('"', '""') + '"'
    return re.sub(rf'(^|,)"?{re.escape(old)}"?(?=,|\r?$)', lambda m: m.group(1) + quoted, text, flags=re.M)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/real-data is absent")
def test_a_book_on_published_files_with_hostile_names_builds_and_shows_them_as_text(tmp_path, ingest_cache):
    """The published files themselves carry the names: every CSV in a copy of them names four authorities
    (Blackpool, Rutland, the City of London, the Isles of Scilly) with HTML, a script, a newline and
    right-to-left text. The whole book and those profiles build, and the names show as text."""
    import shutil

    from cscbook.build.pipeline import build
    from cscbook.site import browsercheck

    data = tmp_path / "published"
    shutil.copytree(REAL_DATA, data)
    for f in data.rglob("*.csv"):
        text = f.read_text(encoding="utf-8-sig", errors="surrogateescape")
        new = text
        for code, name in RENAMED.items():
            new = _rename_in_csv(new, OLD_NAMES[code], name)
        if new != text:
            f.write_text(new, encoding="utf-8", errors="surrogateescape")
    (tmp_path / "b" / "cache").mkdir(parents=True)
    (tmp_path / "b" / "cache" / "ingest").symlink_to(ingest_cache)  # files left as published parse once
    res = build({"data": str(data)}, build_dir=tmp_path / "b", profiles=",".join(RENAMED))
    html = res.html
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)
    for page in pages:
        assert not PAYLOAD.search(page.read_text()), page
    blackpool = (html / "book" / "profiles" / "E06000009.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in blackpool and "Blackpool" not in blackpool.split("<body")[1]
    index = (html / "book" / "profiles" / "index.html").read_text()
    assert "Line Break" in index and "\u0645\u062f\u064a\u0646\u0629 Test" in index
    if browsercheck.chromium_available():
        rel = [str(p.relative_to(html)) for p in pages] + ["search.html?q=onerror"]
        assert browsercheck.injected(html, rel) == []
