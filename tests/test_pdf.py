"""The PDF edition: made beside the site by the one-page build and Chromium, with every chapter, its figures,
page numbers, bookmarks and links that resolve; reused while its inputs stay the same."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from cscbook.build import registry
from cscbook.site import pdf
from cscbook.site.browsercheck import chromium_available
from tests.conftest import SYNTHETIC

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="Chromium and chromedriver are not installed")


def _reader(path):
    pypdf = pytest.importorskip("pypdf")
    return pypdf.PdfReader(io.BytesIO(path.read_bytes()))


def _chapter_titles(html_dir) -> list[str]:
    """Each chapter's title as the site shows it (its page's first heading)."""
    out = []
    for ch in registry.chapters():
        page = (html_dir / "book" / f"{ch.id}.html").read_text()
        out.append(re.sub(r"<[^>]+>|#", "", re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)).strip())
    return out


def _words(text: str) -> str:
    """Text as words: ligatures ('ﬀ') undone, curly apostrophes straight, any run of spaces one."""
    return " ".join(unicodedata.normalize("NFKC", text).replace("\u2019", "'").split())


@needs_chromium
@pytest.mark.browser
def test_the_pdf_holds_every_chapter_with_figures_bookmarks_and_links(built_book):
    html = built_book / "html"
    reader = _reader(html / pdf.PDF_NAME)
    record = json.loads((built_book / "run_record.json").read_text())["pdf"]
    assert record["status"] in ("made", "reused") and record["pages"] == len(reader.pages) > 40
    text = _words(" ".join(page.extract_text() for page in reader.pages))
    for title in [*_chapter_titles(html), "Appendix: methods", "Glossary", "Bibliography"]:
        assert _words(title) in text, title
    assert "Figure 1.1" in text and "Table 1.1" in text and "Figure 2.1" in text  # numbered by chapter
    assert "Synthetic data" in _words(reader.pages[0].extract_text() + reader.pages[1].extract_text())
    assert "Download this chart" not in text  # the screen's download lines are left out
    assert "Its series against its neighbours" not in text  # the profiles only with --pdf all
    images = sum(len([x for x in (p["/Resources"].get("/XObject") or {}).values()]) for p in reader.pages)
    assert images >= 2 * len(registry.chapters())
    titles = [o["/Title"] for o in reader.outline if not isinstance(o, list)]
    assert any("Demand" in t for t in titles) or any("Demand" in str(o) for o in reader.outline)
    # an internal link goes to a named destination that lands on a page of the document
    named = reader.named_destinations
    internal = [
        a.get_object()["/Dest"]
        for p in reader.pages
        for a in p.get("/Annots") or []
        if a.get_object().get("/Subtype") == "/Link" and "/Dest" in a.get_object()
    ]
    assert internal, "no internal links"
    resolved = [d for d in internal if str(d) in named and reader.get_destination_page_number(named[str(d)]) >= 0]
    assert len(resolved) == len(internal)
    uris = [
        str(a.get_object()["/A"]["/URI"])
        for p in reader.pages
        for a in p.get("/Annots") or []
        if "/URI" in (a.get_object().get("/A") or {})
    ]
    local = [u for u in uris if re.match(r"^(?:https?://(?:127\.|localhost|\[::1\])|file:)", u) or ":" not in u]
    assert not local, local[:5]  # no link goes to the server the page was printed from, or to a local file
    assert len(internal) > len(uris) > 0  # glossary terms and citations go to their places in the PDF
    home = (html / "book" / "intro.html").read_text()
    assert f'href="../{pdf.PDF_NAME}"' in home and f"({len(reader.pages)} pages, " in home
    # the contents give each chapter's first page, and the solutions wait at the end of their chapter
    begins = pdf.chapter_pages((html / pdf.PDF_NAME).read_bytes())
    first = reader.pages[0].extract_text()
    contents = first[first.index("Contents") : first.index("Appendix: run record")]  # the list (its last number)
    listed = {int(n) for n in re.findall(r"\d+", contents)}  # a page number may run into its title ('3Demand')
    chapters = [begins[pdf._norm(t)] for t in _chapter_titles(html) if pdf._norm(t) in begins]
    assert len(chapters) == len(registry.chapters()) and set(chapters) <= listed, (chapters, sorted(listed))
    assert text.count("Solutions") >= len(registry.chapters()) and "The solution is at the end of the chapter" in text
    assert record["unfit"] == []  # every table fits the paper, no cell of a few words set one word a line


@pytest.mark.slow
@needs_chromium
@pytest.mark.browser
def test_the_pdf_is_reused_when_only_the_profiles_change(own_book, sample_profiles):
    before = (own_book / "html" / pdf.PDF_NAME).read_bytes()
    from cscbook.build.pipeline import build

    res = build({**SYNTHETIC, "neighbours": "computed"}, build_dir=own_book, profiles=",".join(sample_profiles))
    assert res.record["pdf"]["status"] == "reused"
    assert (own_book / "html" / pdf.PDF_NAME).read_bytes() == before


@pytest.mark.slow
@needs_chromium
@pytest.mark.browser
def test_the_profiles_go_in_as_an_appendix_when_asked_for(own_book, sample_profiles):
    from cscbook.build.pipeline import build

    book_only = len(_reader(own_book / "html" / pdf.PDF_NAME).pages)
    res = build(SYNTHETIC, build_dir=own_book, profiles=",".join(sample_profiles), pdf="all")
    assert res.record["pdf"]["status"] == "made" and res.record["pdf"]["profiles"]
    reader = _reader(own_book / "html" / pdf.PDF_NAME)
    text = _words(" ".join(page.extract_text() for page in reader.pages))
    # each profile's own section, once per profile, and none in the book without them
    assert text.count("Its series against its neighbours, region and England") == len(sample_profiles)
    assert len(reader.pages) >= book_only + len(sample_profiles)  # a profile takes a sheet or more


def test_the_cached_pdf_is_reused_unless_forced_or_its_key_changed(tmp_path, monkeypatch):
    from cscbook.site import browsercheck

    monkeypatch.setattr(browsercheck, "chromium_available", lambda: True)
    folder = tmp_path / "pdf"
    folder.mkdir()
    (folder / pdf.PDF_NAME).write_bytes(b"%PDF-1.4")
    (folder / "info.json").write_text('{"pages": 1, "bytes": 8}')
    (folder / "key").write_text("k1")

    def status(**kwargs) -> str:
        job = pdf.PdfJob(tmp_path, **{"choice": "book", "key": "k1"} | kwargs)
        job.check()
        return job.status

    assert status() == "reused"
    assert status(key="k2") == "" and status(force=True) == ""  # to be made
    assert status(choice="none").startswith("not made")
    monkeypatch.setattr(browsercheck, "chromium_available", lambda: False)
    assert "Chromium" in status()


def test_the_pdf_key_follows_its_inputs():
    keys, pages = {"demand": "a"}, "p"
    base = pdf.pdf_key(keys, pages, "book", "profiles-1")
    assert base == pdf.pdf_key(keys, pages, "book", "profiles-2")  # the book's PDF holds no profile
    assert base != pdf.pdf_key({"demand": "b"}, pages, "book", "profiles-1")
    assert base != pdf.pdf_key(keys, "q", "book", "profiles-1")
    assert pdf.pdf_key(keys, pages, "all", "profiles-1") != pdf.pdf_key(keys, pages, "all", "profiles-2")


def test_the_one_page_build_leaves_out_downloads_and_unasked_profiles(tmp_path, monkeypatch):
    toc = {"root": "book/intro", "chapters": [{"file": "book/demand"}, {"file": "book/profiles/index",
           "sections": [{"file": "book/profiles/E1"}]}, {"file": "book/downloads"}, {"file": "book/methods"}]}  # fmt: skip
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    (tmp_path / "_config.yml").write_text("title: t\n")
    files = lambda t: [c["file"] for c in yaml.safe_load(t.read_text())["chapters"]]  # noqa: E731
    monkeypatch.chdir(tmp_path.parent)  # a relative build folder (the default _build) gives absolute paths
    toc_path, config = pdf.write_pdf_config(Path(tmp_path.name), with_profiles=False)
    assert toc_path.is_absolute() and config.is_absolute()
    assert files(toc_path) == ["book/demand", "book/methods"]
    assert "myst.xref_missing" in yaml.safe_load(config.read_text())["sphinx"]["config"]["suppress_warnings"]
    toc_path, _ = pdf.write_pdf_config(tmp_path, with_profiles=True)
    assert files(toc_path) == ["book/demand", "book/profiles/index", "book/methods"]
    assert (tmp_path / "_toc.yml").read_text() == yaml.safe_dump(toc)  # the site's own toc is untouched


def test_the_printed_page_drops_what_only_works_on_screen(tmp_path):
    page = tmp_path / "book" / "intro.html"
    page.parent.mkdir()
    page.write_text(
        '<h2>Demand<a class="headerlink" href="#d">#</a></h2><a class="cscbook-zoom" href="_images/a.png">'
        '<img src="_images/a.png" alt="A chart" loading="lazy"></a><p class="cscbook-downloads">Download '
        '<a href="x.svg">SVG</a></p><a class="reference download internal" download="" href="_downloads/t.csv">'
        "<code>t.csv</code></a>"
        '<a class="cscbook-zoom" href="_images/b.png"><picture><source media="(max-width: 640px)" '
        'srcset="_images/b-phone.png"><img src="_images/b.png" alt="Panels"></picture></a>'
    )
    out = pdf.printable_page(page).read_text()
    assert out == (
        '<h2>Demand</h2><img src="_images/a.png" alt="A chart"><code>t.csv</code><img src="_images/b.png" alt="Panels">'
    )


def test_a_bad_pdf_choice_is_one_line(tmp_path):
    from cscbook.build.pipeline import plan
    from cscbook.errors import UserError

    with pytest.raises(UserError, match="'paper' is not one of book, all, none"):
        plan(SYNTHETIC, tmp_path, "none", {}, pdf="paper")


def test_a_link_to_the_page_itself_becomes_a_place_in_the_pdf_and_a_link_to_another_file_its_text():
    body = (
        '<a class="reference internal" href="intro.html#term-LAIT"><span>LAIT</span></a> '
        '<a href="../book/intro.html#id7">[7]</a> <a href="#x">x</a> '
        '<a class="reference internal" href="profiles/E06000009.html">Blackpool</a> '
        '<a href="_downloads/panel.csv">panel</a> <a class="reference external" href="https://www.nao.org.uk/">NAO</a>'
    )
    out = pdf.local_links(body, "intro.html")
    assert re.findall(r'href="([^"]*)"', out) == ["#term-LAIT", "#id7", "#x", "https://www.nao.org.uk/"]
    assert '<span class="reference internal" >Blackpool</span>' in out and ">panel</span>" in out


def test_the_solutions_go_to_the_end_of_their_chapter_on_paper():
    page = (
        '<html><body><span id="document-book/demand"></span><section id="demand"><h1>Demand</h1>'
        '<section id="ex"><h3>Exercise 1: a rate<a class="headerlink" href="#ex">#</a></h3><p>Predict.</p>'
        '<div class="dropdown admonition"><p class="admonition-title">Solution</p><p>The answer.</p></div>'
        '<div class="dropdown admonition"><p class="admonition-title">How this was computed</p><p>Files.</p></div>'
        '</section></section><span id="document-book/variation"></span><section id="variation"><h1>Variation</h1>'
        "<p>No exercises.</p></section></body></html>"
    )
    out = pdf.solutions_at_end(page)
    demand = out[out.index('id="demand"') : out.index('id="document-book/variation"')]
    assert demand.index("The solution is at the end of the chapter.") < demand.index("<h2>Solutions</h2>")
    assert (
        demand.index("<h2>Solutions</h2>") < demand.index("Solution: Exercise 1: a rate") < demand.index("The answer.")
    )
    assert "How this was computed" in demand and demand.count("dropdown") == 1  # a fold that is not a solution stays
    assert "Solutions" not in out[out.index('id="variation"') :]


def test_the_contents_list_the_page_each_chapter_begins_on():
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5):
        writer.add_blank_page(width=200, height=200)
    writer.add_outline_item(title="Demand trends", page_number=2)  # the third page
    writer.add_outline_item(title="Budgets and overspending", page_number=4)
    printed = io.BytesIO()
    writer.write(printed)
    page = (
        '<body><div id="jb-print-toc"><nav><ul>'
        '<li><a class="reference internal nav-link" href="#document-book/demand">Demand trends</a></li>'
        '<li><a class="reference internal nav-link" href="#document-book/budgets">Budgets and overspending</a></li>'
        '<li><a class="reference internal nav-link" href="#document-book/gone">A page not printed</a></li>'
        '</ul></nav></div><p><a class="reference internal" href="#document-book/demand">Demand trends</a></p></body>'
    )
    placed = pdf.contents_with_places(page)
    assert placed.count(pdf.PAGE_PLACE.format(pdf.UNKNOWN_PAGE)) == 3  # the contents only, not a link in the text
    assert pdf.listed_chapters(placed) == ["demandtrends", "budgetsandoverspending", "apagenotprinted"]
    numbered = pdf.contents_with_pages(placed, pdf.chapter_pages(printed.getvalue()))
    assert 'Demand trends</a><span class="cscbook-page">3</span>' in numbered
    assert 'Budgets and overspending</a><span class="cscbook-page">5</span>' in numbered
    assert 'A page not printed</a><span class="cscbook-page"></span>' in numbered
    assert numbered.endswith(
        '<p><a class="reference internal" href="#document-book/demand">Demand trends</a></p></body>'
    )


def test_the_pdf_is_printed_again_only_when_the_last_contents_were_wrong(tmp_path, monkeypatch):
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(4):
        writer.add_blank_page(width=200, height=200)
    writer.add_outline_item(title="Demand trends", page_number=2)
    printed = io.BytesIO()
    writer.write(printed)
    prints = []
    monkeypatch.setattr(pdf, "print_pdf", lambda page: (prints.append(page.read_text()) or printed.getvalue(), []))
    page = tmp_path / "print.html"
    page.write_text(
        pdf.contents_with_places(
            '<div id="jb-print-toc"><nav><a class="reference internal nav-link" href="#document-book/demand">'
            "Demand trends</a></nav></div>"
        )
    )
    _, begins, _ = pdf.print_numbered(page, {})  # no last PDF: printed, read back, printed with the numbers
    assert begins == {"demandtrends": 3} and len(prints) == 2 and '<span class="cscbook-page">3</span>' in prints[1]
    prints.clear()
    pdf.print_numbered(page, begins)  # the last PDF's pages were right: one print
    assert len(prints) == 1


@needs_chromium
@pytest.mark.browser
def test_a_wide_table_is_fitted_to_the_paper_and_what_cannot_fit_is_named(tmp_path):
    from cscbook.site.browsercheck import browsing, wait_ready

    def table(cols: int) -> str:
        head = "".join(f"<th>Rate in {2000 + c}</th>" for c in range(cols))
        row = "".join(f"<td>{c * 1000:,}</td>" for c in range(cols))
        return f"<table><tr>{head}</tr><tr>{row}</tr></table>"

    (tmp_path / "print.html").write_text(f"<html><body><main>{table(14)}{table(90)}</main></body></html>")
    with browsing(tmp_path, "cscbook-fit-") as (drv, base):
        drv.get(base + "print.html")
        wait_ready(drv)
        unfit = pdf.fit_tables(drv)
        zooms = drv.execute_script("return Array.from(document.querySelectorAll('table')).map(t => t.style.zoom)")
    assert 0.4 < float(zooms[0]) < 1 and float(zooms[1]) == 0.4, zooms  # the first fits; the second cannot
    assert len(unfit) == 1 and unfit[0].startswith("table 2 runs ") and unfit[0].endswith(" px past the page"), unfit
