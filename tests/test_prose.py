"""Values a reader should never meet in a page's text: 'n/a' in running text, a negative zero, e-notation; and
sections that speak of one kind of data only, left out on the other."""

from __future__ import annotations

import json

import pytest

from cscbook.build.execute import keep_cells_for
from cscbook.present.markdown import md_guard, unsigned_zero, unsigned_zero_html
from cscbook.site import linkcheck, prose


@pytest.mark.parametrize(
    "text, want",
    [
        ("0 (-0 to 1)", "0 (0 to 1)"),
        ("change -0.0 pp", "change 0.0 pp"),
        ("rho \u22120.00 (95% CI -0.16 to +0.16)", "rho 0.00 (95% CI -0.16 to +0.16)"),
        ("-0 per 10,000", "0 per 10,000"),
        ("-0.05 and -0.50 and -10", "-0.05 and -0.50 and -10"),  # not zeros
        ("2010-0 2024-01-05 E06-0001", "2010-0 2024-01-05 E06-0001"),  # not numbers of their own
    ],
)
def test_a_negative_zero_is_shown_as_zero_and_nothing_else_changes(text, want):
    assert unsigned_zero(text) == want
    assert md_guard(text) == want


def test_a_negative_zero_in_html_is_fixed_between_tags_only():
    assert unsigned_zero_html('<td class="a-0">-0.0</td>') == '<td class="a-0">0.0</td>'


@pytest.mark.parametrize(
    "html, words",
    [
        ("<p>The truth is n/a for authorities.</p>", "'n/a' in running text"),
        ("<p>within 1.0e-05 in every share</p>", "e-notation"),
        ("<li>16 (6 to 31) 0 (-0 to 1)</li>", "negative zero"),
        ("<table><tr><td>-0.0 pp</td></tr></table>", "negative zero"),
    ],
)
def test_each_fault_is_found(html, words):
    found = prose.faults(html)
    assert len(found) == 1 and words in found[0], found


def test_what_is_not_a_fault_is_left_alone():
    html = (
        "<p>Rates -0.05 to +0.10; 2010-11; 1e (a label); see <code>x = 1e-05</code>.</p>"
        "<table><tr><td>n/a</td><td>E10000034</td></tr></table><script>var a = -0;</script>"
    )
    assert prose.faults(html) == []


def test_a_section_for_one_kind_of_data_is_left_out_on_the_other(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "always"},
        {"cell_type": "markdown", "metadata": {"tags": ["only-synthetic"]}, "source": "truth"},
        {"cell_type": "markdown", "metadata": {"tags": ["only-official"]}, "source": "published"},
    ]
    for synthetic, kept in ((True, ["always", "truth"]), (False, ["always", "published"])):
        nb = tmp_path / f"{synthetic}.ipynb"
        nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        keep_cells_for(nb, synthetic=synthetic)
        assert [c["source"] for c in json.loads(nb.read_text())["cells"]] == kept


@pytest.mark.book
def test_no_page_of_the_built_book_has_such_a_value(built_book):
    html = built_book / "html"
    assert prose.check_pages(html, linkcheck.site_pages(html)) == []


def test_the_methods_page_says_what_the_book_runs_on_and_pastes_what_depends_on_the_build():
    from cscbook import ROOT

    text = (ROOT / "book" / "methods.md").read_text()
    for wrong in ("By default the book runs on *synthetic England*", "Synthetic England is the default"):
        assert wrong not in text
    assert "By default the book runs on the official statistics" in text
    assert "{glue}`decomposition.ipynb::methods_models_html`" in text  # the main model, as this build fits it


@pytest.mark.parametrize(
    "html, words",
    [
        ("<article><p>The cells flagged L-LAIT-S251 come from LAIT.</p></article>", "a rule code"),
        ("<article><p>See <code>data/reference/candidates.csv</code> for more.</p></article>", "a file name"),
        ("<article><p>Run it with -p geography latest.</p></article>", "a command's parameter"),
    ],
)
def test_a_builders_word_in_running_text_is_found(html, words):
    found = prose.builder_words(html)
    assert len(found) == 1 and found[0].startswith(words), found


def test_a_builders_word_in_a_fold_an_exercise_or_a_download_line_is_not():
    html = (
        "<article><p>Plain words about rates.</p>"
        '<div class="admonition dropdown"><p>Rule S-CINEP; <code>candidates.csv</code>.</p></div>'
        '<section id="exercises"><p>Run <code>cscbook run demand -p highlight X</code>.</p></section>'
        '<p>Download: <a class="reference download internal" href="x.csv">demand_counts.csv</a></p>'
        "<table><tr><td>S-CINEP</td></tr></table></article>"
    )
    assert prose.builder_words(html) == []
