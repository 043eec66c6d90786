"""What the build mends in every page Jupyter Book writes: repeated head scripts, controls' names."""

from __future__ import annotations

import re

import pandas as pd

from cscbook.chapters.context import styled_table, table_html, turned_table
from cscbook.site.jupyter import fix_pages

HEAD = "<head><script>const A = 1;</script>\n<script>const A = 1;</script>\n</head>"
BODY = (
    '<body><button class="btn search-button-field search-button__button pst-js-only" title="Search" '
    'aria-label="Search" data-bs-toggle="tooltip"><span>Search</span><kbd>Ctrl</kbd>+<kbd>K</kbd></button>'
    '<button class="btn btn-sm pst-navbar-icon search-button search-button__button" title="Search" '
    'aria-label="Search"><i class="fa-solid fa-magnifying-glass"></i></button>'
    '<button class="theme-switch-button" aria-label="Color mode"><i class="theme-switch fa-solid fa-sun fa-lg" '
    'data-mode="light" title="Light"></i></button>'
    '<details open="open"><summary><span class="toctree-toggle" role="presentation"></span></summary></details>'
    '<div role="list" class="citation-list"><div class="citation" id="id1" role="doc-biblioentry"><p>A.</p></div></div>'
    "</body>"
)


def test_pages_are_mended_once_and_only_where_needed(tmp_path):
    (tmp_path / "a.html").write_text(HEAD + BODY)
    (tmp_path / "b.html").write_text("<head></head><body><p>plain</p></body>")
    assert fix_pages(tmp_path) == 1
    text = (tmp_path / "a.html").read_text()
    assert text.count("const A = 1;") == 1
    field, icon = text.split("</button>")[:2]
    assert 'aria-label="Search"' not in field and ">Search<" in field  # named by its visible text
    assert 'aria-label="Search"' in icon  # an icon alone keeps its label
    assert 'title="Light"' not in text and 'aria-label="Color mode"' in text
    assert '<summary aria-label="Pages in this section">' in text
    assert 'id="id1" role="listitem"' in text and "doc-biblioentry" not in text
    assert fix_pages(tmp_path) == 0  # a mended page stays as it is
    assert (tmp_path / "b.html").read_text() == "<head></head><body><p>plain</p></body>"


def test_a_table_takes_keyboard_focus_to_scroll():
    html = table_html(styled_table(pd.DataFrame({"a": [1.0, -0.0]})))
    assert html.count('<table tabindex="0" ') == 1 and ">-0.0<" not in html


def test_a_turned_table_has_a_column_per_measure_formatted_as_its_statistic_would_be():
    wide = pd.DataFrame(
        {"Authorities": [153, 151], "Median": [650.93, 1367.9], "90th / 10th": [2.06, 2.1], "Lowest": ["Essex", "Leeds"],
         "Maximum": [float("nan"), 6783.4]},
        index=pd.Index(["CIN per 10,000", "Spending per child (£)"], name="Measure"),
    )  # fmt: skip
    html = table_html(turned_table(wide))
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", html)
    assert cells[:3] == ["Statistic", "CIN per 10,000", "Spending per child (£)"]
    rows = {cells[i]: cells[i + 1 : i + 3] for i in range(3, len(cells), 3)}
    assert rows == {
        "Authorities": ["153", "151"],  # whole numbers
        "Median": ["650.9", "1,368"],  # money without decimals
        "90th / 10th": ["2.1", "2.1"],  # a ratio of money is not money
        "Lowest": ["Essex", "Leeds"],
        "Maximum": ["—", "6,783"],
    }
    assert "td.col1 { text-align: right; }" in " ".join(html.split()) and "td.col2" in html
