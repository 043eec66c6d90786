"""The notebook-facing helpers (parameters from the notebook's namespace, glued text for missing values,
tables without a row index), and the chapters without a test file of their own run as notebooks with a
highlight and a region."""

from __future__ import annotations

import types

import pandas as pd
import pytest

from cscbook import params
from cscbook.chapters import context as chapter
from cscbook.errors import UserError
from tests.conftest import run_chapter


class _WithKnob(params.DemandParams):
    knob: int = 1


def test_a_new_parameter_reaches_the_chapter_from_the_notebook_namespace(monkeypatch, panel_dir):
    """A field added to a chapter's model is taken from the notebook's globals() with no other change;
    the namespace's other names (modules, the chapter's own variables) are left alone."""
    monkeypatch.setitem(params.CHAPTER_MODELS, "demand", _WithKnob)
    namespace = {
        "__name__": "__main__",
        "pd": pd,
        "chapter": chapter,
        "ctx": None,
        "data": "synthetic",
        "years": "2011-2018",
        "highlight": "",
        "panel_dir": str(panel_dir),
        "knob": 7,
    }
    ctx = chapter.load("demand", namespace)
    assert ctx.p.knob == 7 and ctx.p.years == "2011-2018"
    assert chapter.load("demand", {**namespace, "knob": None}).p.knob == 1  # unset: the default
    with pytest.raises(UserError, match="knob"):  # a bad value is rejected, as on the command line
        chapter.load("demand", {**namespace, "knob": "many"})


def test_parameters_given_directly_reject_an_unknown_name(panel_dir):
    """A mapping of parameters (not a namespace) is taken whole: a misspelled name is an error, not dropped."""
    with pytest.raises(UserError, match="unknown parameter") as exc:
        chapter.load("ofsted", {"panel_dir": str(panel_dir), "judgment_scale": "binary"})
    assert "judgement_scale" in str(exc.value)  # the message lists the allowed names
    with pytest.raises(UserError, match="years"):
        chapter.load("ofsted", {"__name__": "__main__", "panel_dir": str(panel_dir), "years": "2018-2011"})
    ns = types.SimpleNamespace(judgement_scale="binary", panel_dir=str(panel_dir), __name__="__main__")
    assert chapter.load("ofsted", vars(ns)).p.judgement_scale == "binary"


def test_glue_says_missing_in_words():
    assert chapter.glue_text(float("nan"), "{:+.1f}%") == "n/a (not in these data)"
    assert chapter.glue_text(pd.NA, "{:,.0f}") == "n/a (not in these data)"
    assert chapter.glue_text(1.0, "{:+.1f}%") == "+1.0%"


def test_table_without_index_hides_it(tmp_path, monkeypatch, panel_dir):
    monkeypatch.chdir(tmp_path)
    ctx = chapter.load("demand", {"panel_dir": str(panel_dir)})
    html = ctx.table(pd.DataFrame({"a": [1, 2], "b": [0.5, 1.25]}), "t", index=False).to_html()
    assert (tmp_path / "demand_t.csv").exists()
    assert ">0<" not in html.replace(" ", "")  # no row labels 0, 1
    assert "1.2" in html and ">1<" in html  # one decimal for fractions, none for whole numbers


@pytest.mark.parametrize(
    "chapter_id, extra",
    [
        pytest.param("demand", {}, marks=pytest.mark.slow),
        pytest.param("decomposition", {"n_boot": 20}, marks=pytest.mark.slow),
    ],
)
def test_notebook_executes_with_highlight_and_region(chapter_id, extra, england, panel_dir, tmp_path):
    region = "Yorkshire and the Humber"
    last = england.panel[(england.panel["year"] == 2018) & (england.panel["region"] == region)]
    name = str(last["la_name"].iloc[4])
    nb = run_chapter(chapter_id, tmp_path, panel_dir, highlight=name, region=region, **extra)
    text = nb.read_text()
    nao = pd.read_csv(nb.parent / f"{chapter_id}_nao_comparison.csv", keep_default_na=False)
    assert (nao["Result"] == "n/a").all(), nao  # a region is not the NAO's England
    assert region in text and text.count(name) >= 2
