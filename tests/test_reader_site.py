"""The built site as a reader receives it: charts as files (not inline), each with its downloads, no copies
of the notebooks, a sidebar that does not list every profile, and figures numbered page by page."""

from __future__ import annotations

import html
import io
import re

import pytest

pytestmark = pytest.mark.book


def _pages(html):
    return {str(p.relative_to(html)): p.read_text() for p in html.rglob("*.html") if "_static" not in p.parts}


def test_charts_are_files_and_every_chart_offers_its_downloads(built_book):
    html = built_book / "html"
    pages = _pages(html)
    assert not [name for name, text in pages.items() if "data:image/" in text or "data:text/csv" in text]
    demand = pages["book/demand.html"]
    charts = re.findall(r'<a class="cscbook-zoom" href="([^"]+)">(?:<picture>(<source [^>]*>))?<img src="\1"', demand)
    assert charts, "no chart opens full size"
    for src, _ in charts:
        assert (html / "book" / src).resolve().is_file(), src
    phone = [re.search(r'srcset="([^"]+)"', source)[1] for _, source in charts if source]
    assert phone, "no chart of panels side by side has a phone layout"  # the regional small multiples
    for src in phone:
        assert (html / "book" / src).resolve().is_file(), src
    downloads = re.findall(r'<p class="cscbook-downloads">Download this chart: (.*?)</p>', demand)
    assert len(downloads) == len(charts)
    assert all("PNG" in d and "SVG" in d for d in downloads)
    svg = re.search(r'href="([^"]+\.svg)" download="([^"]+)"', demand)
    assert svg and (html / "book" / svg.group(1)).resolve().read_text().lstrip().startswith("<?xml")
    profile = next(name for name in pages if re.match(r"book/profiles/X.*\.html", name))
    assert "Download this chart:" in pages[profile] and "_profile.csv" in pages[profile]  # the numbers drawn


def test_the_site_carries_no_notebook_copies_and_no_source_maps(built_book):
    html = built_book / "html"
    assert not (html / "_sources").exists()
    assert not list((html / "_static").rglob("*.map")) and not (html / "_static" / "locales").exists()
    assert "_sources/" not in (html / "book" / "demand.html").read_text()


def test_the_sidebar_links_the_profile_index_without_listing_every_profile(built_book, sample_profiles):
    pages = _pages(built_book / "html")
    for name in ("book/demand.html", f"book/profiles/{sample_profiles[0]}.html"):
        nav = pages[name].split('bd-docs-nav"', 1)[1].split("</nav>", 1)[0]
        assert "Authority profiles" in nav and "toctree-l2" not in nav, name
    index = pages["book/profiles/index.html"]
    assert all(f'href="{c}.html"' in index for c in sample_profiles)  # the index still lists them


def test_figures_are_numbered_by_chapter_and_restart_on_each_profile(built_book, sample_profiles):
    pages = _pages(built_book / "html")
    from cscbook.build import registry

    place = [c.id for c in registry.chapters()].index("variation") + 1
    numbers = set(re.findall(r'<span class="caption-number">Figure ([\d.]+) </span>', pages["book/variation.html"]))
    assert numbers and all(n.startswith(f"{place}.") for n in numbers), numbers
    for code in sample_profiles[:2]:
        text = pages[f"book/profiles/{code}.html"]
        assert re.findall(r'<span class="caption-number">Figure ([\d.]+) </span>', text)[:3] == ["1", "2", "3"]
        assert re.findall(r'<span class="caption-number">Table ([\d.]+) </span>', text)[:1] == ["1"]


def test_the_find_box_lists_councils_and_their_districts_without_repeating_a_council():
    import pandas as pd

    from cscbook.build.stage import find_council

    profiled = pd.DataFrame({"la_code": ["E1", "E2"], "la_name": ["Northmoor", "<b>Eastfold</b>"]}).set_index("la_code")
    districts = pd.DataFrame(
        {"district_code": ["D1", "D2", "D3"], "district_name": ["Harrowby", "Northmoor", "Elsewhere"],
         "la_code": ["E1", "E1", "E9"]}
    )  # fmt: skip
    box = find_council(profiled, districts)
    options = re.findall(r'<option value="([^"]*)" data-code="([^"]*)"', box)
    assert options == [
        ("&lt;b&gt;Eastfold&lt;/b&gt;", "E2"),
        ("Harrowby (a district of Northmoor)", "E1"),
        ("Northmoor", "E1"),
    ]
    assert find_council(None, districts) == "" and 'action="profiles/index.html"' in box


def test_the_home_page_has_the_findings_then_and_now_and_the_box_first(built_book, sample_profiles):
    home = (built_book / "html" / "book" / "intro.html").read_text()
    article = home.split("<article", 1)[1]
    now, then = "Where England is now", "What the National Audit Office found in January 2019"
    assert article.index('id="find-council"') < article.index(now) < article.index(then)  # now first
    assert all(f'data-code="{c}"' in home for c in sample_profiles)
    assert "This edition" not in article.split(then, 1)[0]  # the edition note comes last
    assert "cscbook-figure" in article and "n/a (not in these data)" not in article


def test_the_find_box_goes_to_the_profile_in_a_browser(built_book, england, sample_profiles):
    from cscbook.site import browsercheck

    if not browsercheck.chromium_available():
        pytest.skip("Chromium, chromedriver or selenium is not installed")
    names = england.panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    code = sample_profiles[0]
    went = browsercheck.find_council(built_book / "html", [names[code].upper(), "Atlantis"])
    assert went[names[code].upper()] == f"book/profiles/{code}.html"  # any case; the page itself
    assert went["Atlantis"].startswith("stayed: No council or district is called")  # the nearest are offered


#: Names a reader types for a council that is not today's name for it, with the profiles they must reach.
FORMER = {
    "Cumbria": {"E06000063", "E06000064"},  # a former county, split in two: both
    "Carlisle": {"E06000063"},
    "Barrow-in-Furness": {"E06000064"},
    "south lakeland": {"E06000064"},
    "Selby": {"E06000065"},
    "Mendip": {"E06000066"},
    "Aylesbury Vale": {"E06000060"},
    "Kettering": {"E06000061"},
    "Northamptonshire": {"E06000061", "E06000062"},
    "St Helens": {"E08000013"},  # published as 'St. Helens'
    "ST. HELENS": {"E08000013"},
    "Brighton & Hove": {"E06000043"},
    "Cherwell": {"E10000025"},  # a district of today
}


def _find_in_node(queries: list[str]) -> dict:
    """find-council.js's own matching (cscbookFind.find), run in Node on the official snapshot's names, as the
    home page lists them."""
    import json
    import shutil
    import subprocess

    import pandas as pd

    from cscbook import ROOT
    from cscbook.build.stage import find_council

    if not shutil.which("node"):
        pytest.skip("Node.js is not installed")
    snap = ROOT / "data" / "official" / "latest"
    panel = pd.read_csv(snap / "panel.csv", usecols=["la_code", "la_name", "year"])
    profiled = panel.sort_values("year").drop_duplicates("la_code", keep="last").set_index("la_code")[["la_name"]]
    box = find_council(profiled, pd.read_csv(snap / "districts.csv"))
    options = [
        {"value": html.unescape(v), "code": c, "name": html.unescape(n)}
        for v, c, n in re.findall(r'<option value="([^"]*)" data-code="([^"]*)" data-name="([^"]*)"', box)
    ]
    script = (
        f"require({json.dumps(str(ROOT / 'book' / '_static' / 'find-council.js'))});"
        f"const o = {json.dumps(options)}, q = {json.dumps(queries)}, out = {{}};"
        "for (const x of q) { out[x] = globalThis.cscbookFind.find(x, o); }"
        "console.log(JSON.stringify(out));"
    )
    run = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(run.stdout)


def test_the_finder_takes_former_names_districts_and_any_punctuation():
    got = _find_in_node(list(FORMER) + ["Cumbira", "Atlantis"])
    for q, codes in FORMER.items():
        assert got[q]["how"] == "exact" and {o["code"] for o in got[q]["found"]} == codes, (q, got[q])
    typo = got["Cumbira"]
    assert typo["how"] == "nearest" and {"E06000063", "E06000064"} <= {o["code"] for o in typo["found"]}
    assert got["Atlantis"]["how"] == "nearest" and len(got["Atlantis"]["found"]) == 3


def _chain(page: str) -> tuple[str | None, str | None]:
    """The targets of a built page's Previous and Next links."""
    prev = re.search(r'<a class="left-prev"\s+href="([^"]+)"', page)
    nxt = re.search(r'<a class="right-next"\s+href="([^"]+)"', page)
    return (prev.group(1) if prev else None, nxt.group(1) if nxt else None)


def test_previous_and_next_go_from_chapter_to_chapter_past_the_profiles(built_book, sample_profiles):
    html_dir = built_book / "html" / "book"
    assert _chain((html_dir / "profiles" / "index.html").read_text())[1] == "../downloads.html"
    assert _chain((html_dir / "downloads.html").read_text())[0] == "profiles/index.html"
    assert _chain((html_dir / "profiles" / f"{sample_profiles[0]}.html").read_text()) == (None, None)
    search = (built_book / "html" / "search.html").read_text()
    assert "search-scorer.js" in search and "search-scorer.js" not in (html_dir / "demand.html").read_text()


def test_a_profile_ranks_below_every_chapter_in_the_search():
    import json
    import shutil
    import subprocess

    from cscbook import ROOT

    if not shutil.which("node"):
        pytest.skip("Node.js is not installed")
    scorer = json.dumps(str(ROOT / "book" / "_static" / "search-scorer.js"))
    script = (  # the file declares a global with var, as a page's script does: run it in the global scope
        f"require('vm').runInThisContext(require('fs').readFileSync({scorer}, 'utf8'));"
        "const s = r => Scorer.score(r);"
        "console.log(JSON.stringify([s(['book/profiles/E08000025', 't', '', '', 120, 'f']),"
        " s(['book/variation', 't', '', '', 5, 'f']), s(['book/profiles/index', 't', '', '', 30, 'f'])]));"
    )
    run = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    profile, chapter, index = json.loads(run.stdout)
    assert profile < chapter and index == 30


def test_a_chart_of_panels_side_by_side_has_a_phone_layout_of_one_column_and_one_panel_has_none():
    import matplotlib.pyplot as plt

    from cscbook.present import figures, phone

    one = figures.finish(plt.subplots(figsize=(4, 3))[0], "One panel", "alt", "a source")
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True, sharey=True)
    for n, ax in enumerate(axes.flat):
        ax.plot(range(2010, 2025), [v * (n + 1) for v in range(15)], label="a line")
        ax.set_title(f"Panel {n + 1}", loc="left")
    axes[0, 0].set_ylabel("per 10,000 children")
    figures.top_key(fig, *axes[0, 0].get_legend_handles_labels())
    four = figures.finish(fig, "A finding long enough to need two lines on a phone's narrow screen", "alt", "a source")
    assert "<picture>" not in one._repr_html_() and not one.phone_png
    html = four._repr_html_()
    assert f'<picture><source media="{phone.MEDIA}" srcset="data:image/png;base64,' in html
    small = four.phone_fig
    assert figures.column_count(small) == 1 and figures.panel_count(small) == 4
    assert figures.column_count(four.fig) == 2  # the desktop layout is kept as it was
    assert all(ax.get_ylabel() == "per 10,000 children" for ax in small.axes)  # the left column's label, on each
    assert all(any(t.get_text() for t in ax.get_yticklabels()) for ax in small.axes)
    assert figures.collisions(small) == []
    from PIL import Image

    assert Image.open(io.BytesIO(four.phone_png)).width < 0.6 * Image.open(io.BytesIO(four.png)).width
