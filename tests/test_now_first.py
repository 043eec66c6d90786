"""The default book leads with the current England: every chapter's first figure and first table cover the
latest year of the committed snapshot on today's authorities, and the NAO's findings are reproduced on its
own period and authorities in a section of their own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cscbook import params
from cscbook.build import registry
from cscbook.build.execute import execute
from cscbook.snapshot import prepare as data
from tests.test_numbering import blocks

LATEST = "2024-25"
CHAPTERS = [c.id for c in registry.chapters()]


def test_the_defaults_are_every_year_on_todays_authorities():
    for model in params.CHAPTER_MODELS.values():
        p = model()
        assert (p.years, p.geography, p.year_range) == ("all", "latest", None)
    assert params.ChapterParams(data="synthetic").synthetic_years == (2011, 2018)  # synthetic England's own years


def test_each_chapter_sets_out_the_nao_then_asks_whether_it_held():
    """Three parts, in order: the present, what the NAO found in 2019, and whether it held."""
    for chapter in CHAPTERS:
        if chapter == "studies":  # published studies, each in its own years and carried on
            continue
        text = "\n".join(
            c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in json.loads((registry.ROOT / "book" / f"{chapter}.ipynb").read_text())["cells"]
        )
        heads = re.findall(r"(?m)^## (.+)$", text)
        nao, held = heads.index("What the NAO found in 2019"), heads.index("Did it hold?")
        assert 0 < nao < held, (chapter, heads)


@pytest.fixture(scope="module")
def official_run(tmp_path_factory) -> Path:
    """Every chapter executed on the committed snapshot with the defaults, as the build runs them."""
    out = tmp_path_factory.mktemp("official")
    build = out / "build"
    first = params.ChapterParams()
    panel_dir = data.prepare_data(first, build)
    folders = {
        "later_dir": panel_dir,
        "nao_dir": data.prepare_data(first.model_copy(update={"geography": "2018"}), build),
    }
    for ch in registry.chapters():
        execute(ch, ch.model(n_boot=20) if "n_boot" in ch.model.model_fields else ch.model(), panel_dir, out,
                force=True, folders=folders)  # fmt: skip
    return out / "executed"


def glued(nb: dict) -> dict[str, dict]:
    """Each glued output of an executed notebook by its name."""
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = o["data"]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_first_figure_and_table_cover_the_latest_year(official_run, chapter):
    folder = official_run / chapter
    nb = json.loads((folder / f"{chapter}.ipynb").read_text())
    g = glued(nb)
    order = [b for b in blocks(chapter)]
    fig = next(b for b in order if b["directive"] == "glue:figure")
    table = next(b for b in order if b["directive"] == "glued-table")
    # a figure's title (its downloads are named by it) and its alt text say the years it draws
    html = {k.rsplit("/", 2)[-2] + "/" + k.rsplit("/", 1)[-1]: v for k, v in g[fig["key"]].items()}
    words = re.sub(r"base64,[^\"]+", "", html["text/html"])
    assert LATEST in words or "31 March 2025" in words, (chapter, fig["key"], words[:500])
    tab = g[table["key"]]
    uuid = re.search(r'id="T_(\w+)"', tab[next(k for k in tab if k.endswith("text/html"))])
    csv = folder / f"{uuid.group(1)}.csv"
    assert LATEST in csv.read_text(), (chapter, table["key"], csv.name)
    assert "synthetic" not in json.dumps([c.get("outputs", []) for c in nb["cells"]]).lower()


@pytest.mark.slow
def test_the_demand_counts_reach_the_latest_year_and_the_nao_rows_keep_its_period(official_run):
    counts = pd.read_csv(official_run / "demand" / "demand_counts.csv", index_col=0)
    assert counts.index[0] == "2010-11" and counts.index[-1] == LATEST
    nao = pd.read_csv(official_run / "demand" / "demand_nao_comparison.csv", keep_default_na=False)
    s47 = nao[nao["Measure"].str.contains("section 47", case=False)].iloc[0]
    assert s47["Ours"].startswith("+77.3")  # DfE's England rows, 2010-11 to 2017-18
    growth = pd.read_csv(official_run / "demand" / "demand_growth_nao.csv", index_col=0)
    assert list(growth.columns[:2]) == ["2010-11", "2017-18"]


@pytest.mark.slow
def test_variation_headlines_are_percentile_ratios_and_the_nao_ranges_use_its_authorities(official_run):
    dist = pd.read_csv(official_run / "variation" / "variation_distribution.csv", index_col=0)
    assert {"10th percentile", "90th percentile", "90th / 10th"} <= set(dist.columns)
    nao = pd.read_csv(official_run / "variation" / "variation_nao_distribution.csv", index_col=0)
    assert nao["Authorities"].max() == 152  # the authorities of 2017-18
    assert dist["Authorities"].max() == 153  # today's


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_computed_text_on_the_official_statistics_says_n_a_or_minus_zero(official_run, chapter):
    """Every glued sentence, number and table, and the chapter's own text, as the official build shows them: no
    'n/a' in running text, no negative zero, no e-notation (a section for synthetic England only is left out)."""
    from cscbook.site import prose

    nb = json.loads((official_run / chapter / f"{chapter}.ipynb").read_text())
    parts = ["<p>" + "".join(c["source"]) + "</p>" for c in nb["cells"] if c["cell_type"] == "markdown"]
    shown = set(re.findall(r"\{glue(?::\w+)?\}`([^`:]+)|```\{(?:glue:\w+|glued-table|glue)\} (\S+)", "".join(parts)))
    shown = {a or b for a, b in shown}
    for name, out in glued(nb).items():
        if name not in shown:
            continue
        kinds = {k.rsplit("/", 2)[-2] + "/" + k.rsplit("/", 1)[-1]: v for k, v in out.items()}
        for kind in ("text/html", "text/markdown", "text/plain"):
            if kind in kinds:
                text = "".join(kinds[kind])
                parts.append(text if kind == "text/html" else f"<p>{text}</p>")
                break
    assert prose.faults("\n".join(parts)) == []
