"""The headless-Chromium site check: small handmade sites that each break one rule, and the real book."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from cscbook.build import registry
from cscbook.errors import UserError
from cscbook.present.colour import contrast_ratio
from cscbook.site import browsercheck
from cscbook.site.browsercheck import check_site, chromium_available
from cscbook.site.linkcheck import check_links

pytestmark = pytest.mark.skipif(not chromium_available(), reason="Chromium, chromedriver or selenium not installed")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A 1x1 opaque PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
BANNER = '<div class="admonition warning"><p class="admonition-title">Synthetic data</p><p>Made up.</p></div>'


def page(body: str, title: str = "A page", banner: bool = True) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='background:#fff;color:#222'><main><article class='bd-article'>"
        f"<h1 id='top'>{title}</h1>{BANNER if banner else ''}{body}</article></main></body></html>"
    )


def site(root: Path, pages: dict[str, str]) -> Path:
    """Write a site: index.html plus the given pages (relative path -> HTML); returns its folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pixel.png").write_bytes(PIXEL)
    pages = {"index.html": page("<p>Home. <a href='other.html'>Other</a></p>")} | pages
    pages.setdefault("other.html", page("<p id='para'>Other page.</p>"))
    for rel, html in pages.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(html)
    return root


GOOD = (
    "<h2 id='s'>Section</h2><p>Text with <a href='index.html#top'>a link</a> and "
    "<a href='#s'>an anchor</a>.</p><figure><img src='pixel.png' alt='A dot'><figcaption>One dot"
    "</figcaption></figure><h3>Sub</h3><table><tr><th>A</th><td>1</td></tr></table>"
    "<img src='data:image/png;base64," + base64.b64encode(PIXEL).decode() + "' alt='Inline dot'>"
)
ANNOUNCED = page("<p>x</p>", banner=False).replace(
    "<main>", "<div class='bd-header-announcement'>Built on SYNTHETIC data.</div><main>"
)
# Each page breaks one rule (or none, for the good ones); one browser run checks them all.
PAGES = {
    "good.html": page(GOOD),
    "announced.html": ANNOUNCED,
    "dark-panel.html": page("<div style='background:#123'><p style='color:#fff'>Light on dark</p></div>"),
    "broken-image.html": page("<p>x</p><img src='missing.png' alt='Gone'>"),
    "no-alt.html": page("<p>x</p><img src='pixel.png'>"),
    "broken-link.html": page("<p><a href='book/nowhere.html'>x</a></p>"),
    "missing-fragment.html": page("<p><a href='other.html#nope'>x</a></p>"),
    "throws.html": page("<p>x</p><script>throw new Error('boom from the page')</script>"),
    "skipped-heading.html": page("<h2>Two</h2><p>x</p><h4>Four</h4><p>y</p>"),
    "two-h1.html": page("<h1>Again</h1><p>x</p>"),
    "no-banner.html": page("<p>No banner here.</p>", banner=False),
    "low-contrast.html": page("<p style='color:#bbb'>Pale grey text</p>"),
    # an interactive chart whose scripts never load: the block stays undrawn
    "undrawn-chart.html": page(
        "<p>x</p><div class='cscbook-live' role='group' aria-label='A chart'><div class='cscbook-live-chart'></div>"
        "<script type='application/json' class='cscbook-live-spec'>{}</script></div>"
    ),
    "translucent.html": page("<div style='background:rgba(0,0,0,0.5)'><p style='color:#222'>Dark on grey</p></div>"),
    # a paragraph of running text made bold by a style (a bold lead-in of a few words is fine, in good.html too)
    "bold.html": page(
        "<p><strong>A lead-in.</strong> Then the paragraph goes on in its normal weight for a good many words.</p>"
        "<p><span style='font-weight:700'>Every word of this paragraph of running text is drawn in bold, "
        "from its first word to its last.</span></p>"
    ),
}


@pytest.fixture(scope="module")
def handmade_report(tmp_path_factory):
    """The check's report on the handmade site."""
    root = site(tmp_path_factory.mktemp("handmade") / "html", PAGES)
    return browsercheck.inspect_site(root, synthetic=True)


@pytest.fixture(scope="module")
def handmade(handmade_report) -> dict[str, list[str]]:
    """The problems found in the handmade site, by page."""
    by_page: dict[str, list[str]] = {}
    for line in handmade_report.problems:
        by_page.setdefault(line.split(":", 1)[0], []).append(line)
    return by_page


def test_good_pages_pass(handmade):
    for name in ("index.html", "other.html", "good.html", "announced.html", "dark-panel.html"):
        assert name not in handmade, handmade[name]
    lesser = {"skipped-heading.html", "two-h1.html"}  # axe's heading rules are moderate: counted, not failed
    assert set(handmade) == set(PAGES) - {"good.html", "announced.html", "dark-panel.html"} - lesser


def test_broken_image(handmade):
    # The browser also logs the failed request as a console error.
    console, image = handmade["broken-image.html"]
    assert image == "broken-image.html: image did not load: img src='missing.png'"
    assert console.startswith("broken-image.html: console error: /missing.png - Failed to load resource")


def test_image_without_alt(handmade):
    assert handmade["no-alt.html"] == ["no-alt.html: axe image-alt (critical): Images must have alternative text: img"]


def test_a_bold_paragraph(handmade):
    assert handmade["bold.html"] == [
        "bold.html: a paragraph is bold throughout: 'Every word of this paragraph of running text is drawn in bold, "
        "from its first wo'"
    ]


def test_broken_internal_link(handmade):
    assert handmade["broken-link.html"] == ["broken-link.html: link 'book/nowhere.html': no file book/nowhere.html"]


def test_missing_fragment(handmade):
    assert handmade["missing-fragment.html"] == [
        "missing-fragment.html: link 'other.html#nope': no id or name 'nope' in other.html"
    ]


def test_script_that_throws_is_a_console_error(handmade):
    (line,) = handmade["throws.html"]
    assert line.startswith("throws.html: console error: /throws.html ") and "boom from the page" in line


def test_a_skipped_heading_level_is_counted_not_failed(handmade_report):
    assert handmade_report.axe[("heading-order", "moderate")] == 1
    summary = browsercheck.axe_summary(handmade_report)
    assert (
        summary.startswith(f"axe-core {handmade_report.axe_version}: ")
        and "heading-order (moderate) on 1 pages" in summary
    )
    assert handmade_report.axe_version.count(".") == 2


def test_an_interactive_chart_that_is_not_drawn(handmade):
    assert any("interactive chart not drawn: A chart" in p for p in handmade["undrawn-chart.html"])


def test_missing_synthetic_banner(handmade):
    (line,) = handmade["no-banner.html"]
    assert line.startswith("no-banner.html: no synthetic-data banner")


def test_low_contrast_text(handmade):
    assert handmade["low-contrast.html"] == [
        "low-contrast.html: axe color-contrast (serious): Elements must meet minimum color contrast ratio "
        "thresholds: article > p"
    ]


def test_translucent_background_is_composited(handmade):
    """Dark grey on black at half opacity over white: 4.0 to 1, under the 4.5 the rule asks."""
    (line,) = handmade["translucent.html"]
    assert line.startswith("translucent.html: axe color-contrast (serious)")


def test_a_missing_axe_core_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(browsercheck, "AXE_JS", tmp_path / "axe.min.js")
    browsercheck.axe_source.cache_clear()
    try:
        with pytest.raises(UserError, match="axe-core is not installed") as err:
            browsercheck.inspect_site(site(tmp_path / "html", {}), synthetic=True)
        assert "\n" not in str(err.value) and "axe.min.js" in str(err.value)
    finally:
        browsercheck.axe_source.cache_clear()


def test_banner_not_required_on_real_data(tmp_path):
    root = site(tmp_path / "html", {"other.html": page("<p>Official figures.</p>", banner=False)})
    assert check_site(root, synthetic=False) == []


def test_contrast_arithmetic():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((187, 187, 187), (255, 255, 255)) == pytest.approx(1.92, abs=0.01)


def test_links_are_checked_statically(tmp_path):
    root = site(
        tmp_path / "html",
        {
            "book/a.html": page("<p><a href='../other.html#para'>ok</a> <a href='/other.html'>root</a></p>"),
            "book/b.html": page(
                "<p><a href='../../outside.html'>out</a> <a href='https://x.org/y'>ext</a>"
                "<a href='mailto:a@b.org'>mail</a> <a href='javascript:void(0)'>js</a> <a href='//x.org'>net</a></p>"
            ),
        },
    )
    problems, checked = check_links(root, ["book/a.html", "book/b.html"])
    assert problems == ["book/b.html: link '../../outside.html' points outside the site"]
    assert checked == 3


def _passes_in_chromium(build_dir: Path, shots: Path, pages: list[str] | None = None) -> None:
    problems = check_site(build_dir / "html", synthetic=True, screenshots=shots, pages=pages)
    assert problems == [], "\n".join(problems)
    for name in ("home.png", "chapter.png", "profile.png"):
        assert (shots / name).read_bytes()[:8] == PNG_MAGIC, name


@pytest.mark.slow
@pytest.mark.browser
def test_a_sample_of_the_built_book_passes_in_chromium(built_book, sample_profiles, tmp_path):
    """Home, every chapter, the profile index and two profiles (the smallest authority and the largest). Slow:
    axe-core in every page takes a fifth of the fast suite; the handmade site keeps each rule in it."""
    chapters = [f"book/{c.id}.html" for c in registry.chapters()]
    two = [f"book/profiles/{sample_profiles[0]}.html", f"book/profiles/{sample_profiles[2]}.html"]
    _passes_in_chromium(built_book, tmp_path / "shots", ["index.html", *chapters, "book/profiles/index.html", *two])


@pytest.mark.browser
def test_profile_search_filters_the_index(built_book, sample_profiles):
    """Typing in the profile index's search box (book/_static/profile-search.js) leaves only the matching rows."""
    from selenium.webdriver.common.by import By

    from cscbook.site import browsercheck

    with browsercheck.browsing(built_book / "html") as (drv, base):
        drv.get(base + "book/profiles/index.html")
        browsercheck.wait_ready(drv)
        n = len(sample_profiles)
        count = drv.find_element(By.ID, "profile-count")
        assert count.text == f"{n} of {n} authorities"
        code = sorted(sample_profiles)[0]
        drv.find_element(By.ID, "profile-search").send_keys(code.lower())
        assert count.text == f"1 of {n} authorities"
        shown = [r.text for r in drv.find_elements(By.CSS_SELECTOR, "#profile-list tbody tr") if r.is_displayed()]
        assert len(shown) == 1 and code in shown[0], shown


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_of_the_full_book_passes_in_chromium(full_book, tmp_path):
    _passes_in_chromium(full_book, tmp_path / "shots")


def test_a_sample_names_pages_that_are_not_there(tmp_path):
    root = site(tmp_path / "html", {})
    assert check_site(root, synthetic=True, pages=["index.html", "book/gone.html"]) == [
        "book/gone.html: no such page in the site"
    ]


@pytest.mark.slow
@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(built_book, sample_profiles):
    """At 400 px and 1,366 px, the home page, every chapter and three profiles fit the window: a table may scroll
    inside its own box, the page body and the charts never; on the phone a chart of panels side by side shows
    them one under another."""
    from cscbook.site import browsercheck

    pages = ["book/intro.html", *(f"book/{c.id}.html" for c in registry.chapters())]
    pages += [f"book/profiles/{code}.html" for code in sample_profiles[:3]]
    assert browsercheck.sideways(built_book / "html", pages) == []


@pytest.mark.browser
def test_the_sideways_check_finds_a_page_wider_than_the_window(tmp_path):
    from cscbook.site import browsercheck

    if not browsercheck.chromium_available():
        pytest.skip("Chromium, chromedriver or selenium is not installed")
    (tmp_path / "index.html").write_text("<html><body><main><p>fits</p></main></body></html>")
    (tmp_path / "wide.html").write_text(
        '<html><body><main><div style="width:900px">too wide</div>'
        '<div style="overflow-x:auto"><table style="width:2000px"><tr><td>scrolls in its box</td></tr></table></div>'
        "</main></body></html>"
    )
    from PIL import Image

    Image.new("RGB", (900, 300), "white").save(tmp_path / "wide.png")
    Image.new("RGB", (300, 600), "white").save(tmp_path / "phone.png")
    chart = '<img src="wide.png" alt="a chart" style="max-width:100%">'
    (tmp_path / "charts.html").write_text(
        "<html><body><main>"
        f'<div class="cscbook-figure"><picture><source media="(max-width: 640px)" srcset="phone.png">{chart}</picture></div>'
        # a source the browser cannot use (an unknown type): it shows the desktop image instead
        f'<div class="cscbook-figure"><picture><source media="(max-width: 640px)" type="image/x-none" '
        f'srcset="phone.png">{chart}</picture></div>'
        '<div class="cscbook-figure" style="overflow-x:auto"><img src="wide.png" alt="a chart" style="width:900px"></div>'
        "</main></body></html>"
    )
    found = browsercheck.sideways(tmp_path, ["index.html", "wide.html", "charts.html"], widths=(400,))
    assert len(found) == 3, found
    assert found[0].startswith("wide.html: at 400 px the page is") and "div" in found[0], found
    assert found[1:] == [
        "charts.html: at 400 px chart 2 shows wide.png, not its phone layout",
        "charts.html: at 400 px chart 3 scrolls sideways in its box",
    ]
    assert browsercheck.sideways(tmp_path, ["charts.html"], widths=(1366,)) == []
