"""Numbered figures and tables, their cross-references, links to authority profiles, and the
chapters' accessibility: the notebook templates without a build, then the built site."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from cscbook import params
from cscbook.build import registry
from cscbook.chapters import context as chapter
from cscbook.chapters.context import Context
from cscbook.chapters.ofsted import stats as of_stats
from cscbook.chapters.variation import funnel as va_funnel
from cscbook.present import markdown

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [c.id for c in registry.chapters()]

# A numbered block in a markdown cell: ```{glue:figure} key / ```{glued-table} key, its options and caption.
BLOCK = re.compile(r"```\{(glue:figure|glued-table)\}[ \t]+(\S+)[ \t]*\n(.*?)\n```", re.S)
NUMREF = re.compile(r"\{numref\}`([^`]+)`")
# a figure or table glued by the context, or a comparison table glued by chapter.glue_comparison(ctx, label, ...)
GLUED = re.compile(r"\.glue_(figure|table|comparison)\(\s*(?:ctx,\s*)?\"([^\"]+)\"")
#: The finding carried past 2017-18 is glued by ``since.glue`` under the keys the chapter passes it by name.
SINCE_GLUED = re.compile(r"\b(fig|table)=\"([^\"]+)\"")
KIND = {"glue:figure": "fig", "glued-table": "tbl"}


def cells(chapter_id: str, kind: str) -> list[str]:
    nb = nbformat.read(ROOT / "book" / f"{chapter_id}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == kind]


def blocks(chapter_id: str) -> list[dict]:
    """Every numbered figure and table block in a chapter template: directive, key, label, caption."""
    out = []
    for text in cells(chapter_id, "markdown"):
        for directive, key, body in BLOCK.findall(text):
            options = dict(re.findall(r"^:(\w+):[ \t]*(.*)$", body, re.M))
            caption = re.sub(r"^:\w+:.*$", "", body, flags=re.M).strip()
            out.append({"directive": directive, "key": key, "label": options.get("name"), "caption": caption})
    return out


def chapter_source(chapter_id: str) -> str:
    """The source of a chapter's module, or of every module of its package."""
    base = ROOT / "src" / "cscbook" / "chapters" / chapter_id
    files = sorted(base.glob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
    return "\n".join(f.read_text() for f in files)


def prose(chapter_id: str) -> str:
    """The markdown of a chapter with its numbered blocks taken out."""
    return "\n".join(BLOCK.sub("", text) for text in cells(chapter_id, "markdown"))


# --- the templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_every_block_has_a_label_a_caption_and_a_glued_output(chapter_id):
    found = blocks(chapter_id)
    assert any(b["directive"] == "glue:figure" for b in found), "a chapter has numbered figures"
    assert any(b["directive"] == "glued-table" for b in found), "a chapter has numbered tables"
    source = chapter_source(chapter_id)
    glued = {key: kind.replace("comparison", "table") for kind, key in GLUED.findall(source)}
    for call in re.findall(r"since\.glue\((.*?)\)", source, re.S):
        glued |= {key: {"fig": "figure", "table": "table"}[kind] for kind, key in SINCE_GLUED.findall(call)}
    for b in found:
        label, kind = b["label"], KIND[b["directive"]]
        assert label == b["key"], f"{b['key']}: the label is the glue key"
        assert re.fullmatch(rf"{kind}-{chapter_id}-[a-z0-9]+(-[a-z0-9]+)*", label), label
        assert len(b["caption"]) > 20 and "\n\n" not in b["caption"], f"{label}: a one-paragraph caption"
        assert glued.get(label) == {"fig": "figure", "tbl": "table"}[kind], f"{label} is glued by its chapter"


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_every_figure_and_table_is_referred_to_in_the_prose(chapter_id):
    refs = set(NUMREF.findall(prose(chapter_id)))
    labels = {b["label"] for b in blocks(chapter_id)}
    assert labels <= refs, f"not referred to: {sorted(labels - refs)}"
    assert refs <= labels, f"references to other chapters' labels: {sorted(refs - labels)}"


def test_labels_are_unique_across_the_book():
    labels = [b["label"] for c in CHAPTERS for b in blocks(c)]
    assert len(labels) == len(set(labels)), sorted(x for x in labels if labels.count(x) > 1)


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_figures_are_shown_only_through_numbered_blocks(chapter_id):
    code = cells(chapter_id, "code")
    for src in code:
        for call in re.findall(r"\b\w+\.fig_\w+\(", src):
            assert "ctx.glue_figure(" in src, f"{call} outside glue_figure"
        assert "display(" not in src, "tables and figures are glued, not displayed"
    captions = " ".join(b["caption"] for b in blocks(chapter_id))
    # years in captions are computed (glued), never typed
    assert not re.search(r"\b20\d\d-\d\d\b", captions), captions


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_highlight_sentences_are_glued_as_myst(chapter_id):
    md = "\n".join(cells(chapter_id, "markdown"))
    keys = re.findall(r"```\{glue:md\}[ \t]+(\S+)\n:format: myst", md)
    assert keys, "the highlighted authority is named in prose with a live link"
    code = "\n".join(cells(chapter_id, "code"))
    for key in keys:
        assert f'glue_md("{key}"' in code or key in _glued_md_keys(chapter_id), key


def _glued_md_keys(chapter_id: str) -> set[str]:
    source = chapter_source(chapter_id)
    return set(re.findall(r"glue_md\(\"(\w+)\"", source)) | set(re.findall(r"\btext=\"(\w+)\"", source))


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_notebook_code_cells_are_a_call_and_a_display(chapter_id):
    """The work is in the chapter's package: a code cell is at most 8 lines, the parameters cell excepted,
    and the chapter exposes results(ctx) and glue_all(ctx, res)."""
    nb = nbformat.read(ROOT / "book" / f"{chapter_id}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            assert len(cell.source.splitlines()) <= 8, cell.source
            assert "glue" not in cell.source.replace("glue_all(", ""), cell.source
    module = __import__(f"cscbook.chapters.{chapter_id}", fromlist=["results", "glue_all"])
    assert callable(module.results) and callable(module.glue_all)


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_glue_names_are_written_out(chapter_id):
    """Every glue name in a chapter's code is a literal string, so a name seen in the prose is found by one search."""
    src = chapter_source(chapter_id)
    assert not re.search(r"=\s*ctx\.glue", src), "no aliases of ctx.glue, which would hide the calls"
    calls = re.findall(r"(?<!since)\.glue(?:_md|_figure|_table)?\(\s*([^,)]*)", src)
    for call in re.findall(r"since\.glue\((.*?)\)", src, re.S):  # its keys, each passed by name
        keys = re.findall(r"\b(?:text|now|fig|table)=([^,)]*)", call)
        assert len(keys) >= 3 and all(re.fullmatch(r'"[\w-]+"', k) for k in keys), call
    assert calls
    for first in calls:
        assert re.fullmatch(r'"[\w-]+"', first), f"glue name not a literal: {first}"
    comparison = re.findall(r'glue_comparison\(\s*ctx, ("[\w-]+"), res\.nao, ("[\w-]+"), ("[\w-]+")', src)
    want = (f'"tbl-{chapter_id}-nao"', f'"{chapter_id}_nao_pass"', f'"{chapter_id}_nao_rows"')
    assert comparison == ([want] if chapter_id in registry.NAO_CHAPTERS else []), comparison


# --- links to profiles ------------------------------------------------------------------------


def test_profile_link_is_bold_without_profiles():
    assert chapter.profile_link("E09000001", "City of London") == "**City of London**"
    assert chapter.profile_link("X1", "A*B_C") == r"**A\*B\_C**"


def test_profile_link_links_the_profiles_the_build_makes():
    some = "E08000001, E09000001"
    assert (
        chapter.profile_link("E09000001", "City of London", links=some) == "[City of London](profiles/E09000001.ipynb)"
    )
    assert chapter.profile_link("E06000001", "Hartlepool", links=some) == "**Hartlepool**"
    assert chapter.profile_link("E06000001", "Hartlepool", links="all") == "[Hartlepool](profiles/E06000001.ipynb)"
    # markup in a name is escaped, so the name shows exactly as it is
    assert chapter.profile_link("E06000001", "A <b> `c`", links="all") == r"[A \<b\> \`c\`](profiles/E06000001.ipynb)"
    assert chapter.profile_link("E06000001", "Hartlepool", links="") == "**Hartlepool**"


def _ctx(chapter_id: str, prep, code: str | None, links: str = "") -> Context:
    p = params.CHAPTER_MODELS[chapter_id](highlight=code or "", profile_links=links)
    panel = prep.panel.copy()
    name = str(panel.loc[panel["la_code"] == code, "la_name"].iloc[0]) if code else None
    return Context(chapter_id, p, prep, panel, panel, code, name)


def test_highlight_sentences_link_to_the_profile(england):
    from cscbook.chapters import demand as dm

    last = england.panel[england.panel["year"] == 2018]
    code = str(last.loc[last["cpp_31mar"].notna() & last["ofsted_overall"].notna(), "la_code"].iloc[5])
    name = str(last.loc[last["la_code"] == code, "la_name"].iloc[0])
    link = f"[{markdown.md_escape(name)}](profiles/{code}.ipynb)"

    make = {
        "demand": lambda ctx: dm.highlight_sentence(ctx, dm.tables(ctx)),
        "variation": lambda ctx: va_funnel.highlight_funnel_sentence(ctx, va_funnel.funnel(ctx, "cpp_31mar")),
        "ofsted": lambda ctx: of_stats.highlight_sentence(ctx, of_stats.judgement_frame(ctx)),
    }
    linked = {c: _ctx(c, england, code, links=code) for c in make}
    assert linked["demand"].highlight_md == link
    for c, sentence in make.items():
        assert link in sentence(linked[c]), c
    for c, sentence in make.items():
        text = sentence(_ctx(c, england, code))
        assert f"**{markdown.md_escape(name)}**" in text and "](profiles/" not in text, (c, text)
    assert _ctx("demand", england, None).highlight_md == ""


# --- the built site ------------------------------------------------------------------------------


def _article(html_dir: Path, chapter_id: str) -> str:
    text = (html_dir / "book" / f"{chapter_id}.html").read_text()
    return text[text.index("<article") : text.index("</article>")]


def _caption_numbers(article: str) -> dict[str, str]:
    """Label -> 'Figure N' / 'Table N' for every numbered block in a page."""
    out = {}
    for m in re.finditer(r'<figure class="[^"]*" id="((?:fig|tbl)-[^"]+)"', article):
        block = article[m.end() : article.index("</figure>", m.end())]
        num = re.search(r'<span class="caption-number">([^<]+)</span>', block)
        out[m.group(1)] = num.group(1).strip() if num else ""
    return out


def test_built_chapters_number_their_figures_and_tables(built_book):
    build_dir = built_book
    html_dir = build_dir / "html"
    for n, c in enumerate(CHAPTERS, 1):
        numbers = _caption_numbers(_article(html_dir, c))
        labels = {b["label"] for b in blocks(c)}
        assert set(numbers) == labels, (c, sorted(set(numbers) ^ labels))
        seen = {"Figure": [], "Table": []}
        for label, number in numbers.items():
            want = "Figure" if label.startswith("fig-") else "Table"
            assert re.fullmatch(rf"{want} {n}\.\d+", number), (c, label, number)  # 'Figure 3.2' in chapter 3
            seen[want].append(int(number.split(".")[1]))
        for kind, nums in seen.items():  # one sequence in each chapter, from 1
            assert sorted(nums) == list(range(1, len(nums) + 1)), (c, kind, nums)


def test_built_numrefs_resolve_to_their_blocks(built_book):
    build_dir = built_book
    html_dir = build_dir / "html"
    numbers = {}
    for c in CHAPTERS:
        numbers.update({(c, k): v for k, v in _caption_numbers(_article(html_dir, c)).items()})
    for c in CHAPTERS:
        article = _article(html_dir, c)
        assert "{numref}" not in article and "numref" not in re.sub(r'class="std std-numref"', "", article)
        links = re.findall(
            r'<a class="reference internal" href="([^"]*)"><span class="std std-numref">([^<]+)</span>', article
        )
        assert len(links) >= len(blocks(c)), c
        for href, text in links:
            page, _, anchor = href.partition("#")
            target = c if not page else Path(page).stem
            assert (target, anchor) in numbers, (c, href)
            assert numbers[(target, anchor)] == text, (c, href, text)
            assert f'id="{anchor}"' in (html_dir / "book" / f"{target}.html").read_text()


def test_built_chapters_keep_table_formatting_and_downloads(built_book):
    build_dir = built_book
    article = _article(build_dir / "html", "demand")
    block = article[article.index('id="tbl-demand-counts"') :]
    block = block[: block.index("</figure>")]
    assert re.search(r">\d{1,3}(,\d{3})+<", block), "thousands separated"
    assert "demand_counts.csv" in article and "_downloads" in article


def test_built_chapters_are_accessible(built_book):
    build_dir = built_book
    for c in CHAPTERS:
        article = _article(build_dir / "html", c)
        imgs = re.findall(r"<img\b[^>]*>", article)
        assert imgs, c
        for img in imgs:
            alt = re.search(r'\balt="([^"]*)"', img)
            assert alt and len(html.unescape(alt.group(1)).split()) >= 8, (c, img[:120])
        levels = [int(h) for h in re.findall(r"<h([1-6])\b", article)]
        assert levels[0] == 1 and levels.count(1) == 1, (c, levels)
        for a, b in zip(levels, levels[1:]):
            assert b <= a + 1, f"{c}: heading h{a} followed by h{b}"
        assert "{doc}" not in article and "{glue" not in article, c


def test_the_chapters_said_to_reproduce_the_nao_are_chapters():
    assert set(registry.NAO_CHAPTERS) <= set(CHAPTERS) and set(CHAPTERS) - set(registry.NAO_CHAPTERS) == {"studies"}
