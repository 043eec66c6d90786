"""The notebook-facing helpers: glued text for missing values, and tables without a row index."""

from __future__ import annotations

import pandas as pd

from cscbook import chapter


def test_glue_says_missing_in_words():
    assert chapter.glue_text(float("nan"), "{:+.1f}%") == "n/a (not in these data)"
    assert chapter.glue_text(pd.NA, "{:,.0f}") == "n/a (not in these data)"
    assert chapter.glue_text(1.0, "{:+.1f}%") == "+1.0%"


def test_table_without_index_hides_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx = chapter.load("demand", {})
    html = ctx.table(pd.DataFrame({"a": [1, 2], "b": [0.5, 1.25]}), "t", index=False).to_html()
    assert (tmp_path / "demand_t.csv").exists()
    assert ">0<" not in html.replace(" ", "")  # no row labels 0, 1
    assert "1.2" in html and ">1<" in html  # one decimal for fractions, none for whole numbers
