"""Numbered tables from glued notebook outputs.

Sphinx numbers only enumerable nodes, and a table shown as a notebook's HTML output is raw HTML, not
a table node. The ``glued-table`` directive wraps the glued output of a key (the chapter's styled
table, as HTML) in a ``numbered_table`` node that Sphinx counts with its tables: the caption reads
"Table N", and ``{numref}`` references to the directive's ``:name:`` resolve to it.

Usage in a notebook's markdown cell::

    ```{glued-table} tbl-variation-distribution
    :name: tbl-variation-distribution

    Minimum, quartiles and maximum across authorities, {glue:text}`last`.
    ```

In HTML the block is a ``<figure class="cscbook-table">`` whose ``<figcaption>`` (number, caption
text and a permalink) comes before the table.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from myst_nb.core.variables import RetrievalError, render_variable_outputs
from myst_nb.ext.glue.utils import glue_warning, retrieve_glue_data
from myst_nb.ext.utils import DirectiveBase
from sphinx.locale import _

__version__ = "1.0"


class numbered_table(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """A glued table with a caption, numbered as a table."""


class table_caption(nodes.caption):  # noqa: N801
    """The caption of a ``numbered_table``; rendered as ``<figcaption>``."""


class GluedTableDirective(DirectiveBase):
    """Paste the glued output of a key as a numbered table; the content is the caption."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"name": directives.unchanged, "class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        key = self.arguments[0]
        try:
            data = retrieve_glue_data(self.document, key)
        except RetrievalError as exc:
            return [glue_warning(str(exc), self.document, self.line)]
        if not self.content:
            return [glue_warning(f"glued-table {key!r} needs a caption", self.document, self.line)]
        node = numbered_table(classes=["cscbook-table", *self.options.get("class", [])])
        self.set_source_info(node)
        self.add_name(node)
        parsed = nodes.Element()
        self.state.nested_parse(self.content, self.content_offset, parsed)
        first = parsed[0] if len(parsed) else None
        if not isinstance(first, nodes.paragraph) or len(parsed) > 1:
            return [glue_warning(f"glued-table {key!r}: the caption must be one paragraph", self.document, self.line)]
        caption = table_caption(first.rawsource, "", *first.children)
        caption.source, caption.line = first.source, first.line
        node += caption
        node += render_variable_outputs([data], self.document, self.line, self.source)
        return [node]


def visit_numbered_table_html(self, node: numbered_table) -> None:
    # The theme shows figures as inline blocks, as wide as their content; a table's figure takes the
    # column's width instead, so that a wide table scrolls sideways rather than being cut off.
    self.body.append(self.starttag(node, "figure", style="display: block"))


def depart_numbered_table_html(self, node: numbered_table) -> None:
    self.body.append("</figure>\n")


def visit_table_caption_html(self, node: table_caption) -> None:
    self.body.append("<figcaption>\n")
    self.body.append(self.starttag(node, "p", "", CLASS="caption"))
    self.add_fignumber(node.parent)
    self.body.append(self.starttag(node, "span", "", CLASS="caption-text"))


def depart_table_caption_html(self, node: table_caption) -> None:
    self.body.append("</span>")
    self.add_permalink_ref(node.parent, _("Link to this table"))
    self.body.append("</p>\n</figcaption>\n")


def _visit_pass(self, node) -> None:
    pass


def _depart_pass(self, node) -> None:
    pass


#: Scripts of book/_static that only some pages use: page name -> script.
PAGE_SCRIPTS = {"book/profiles/index": "profile-search.js"}


def add_page_scripts(app, pagename, templatename, context, doctree) -> None:
    """Add a page's own script (from ``PAGE_SCRIPTS``) to that page only."""
    script = PAGE_SCRIPTS.get(pagename)
    if script:
        app.add_js_file(script)


def escape_page_title(app, pagename, templatename, context, doctree) -> None:
    """HTML-escape the theme's ``pagetitle``: sphinx-book-theme sets it to the title's plain text and its
    print header inserts it unescaped, so a title made from data could carry markup."""
    import html

    if isinstance(context.get("pagetitle"), str):
        context["pagetitle"] = html.escape(context["pagetitle"])


def escape_search_index(app, exception) -> None:
    """HTML-escape the titles in the search index: Sphinx's search page inserts them with ``innerHTML``,
    so a title made from data (an authority's name) must not be able to carry markup."""
    import html
    from pathlib import Path

    from sphinx.search import js_index

    path = Path(app.outdir) / "searchindex.js"
    if exception is not None or app.builder.format != "html" or not path.is_file():
        return
    data = js_index.loads(path.read_text(encoding="utf-8"))
    data["titles"] = [html.escape(t) for t in data.get("titles", [])]
    for key in ("alltitles", "indexentries"):
        if isinstance(data.get(key), dict):
            data[key] = {html.escape(k): v for k, v in data[key].items()}
    path.write_text(js_index.dumps(data), encoding="utf-8")


def setup(app):
    fallback = (_visit_pass, _depart_pass)
    other = {b: fallback for b in ("latex", "text", "man", "texinfo")}
    app.add_enumerable_node(
        numbered_table, "table", html=(visit_numbered_table_html, depart_numbered_table_html), **other
    )
    app.add_node(table_caption, html=(visit_table_caption_html, depart_table_caption_html))
    app.add_directive("glued-table", GluedTableDirective)
    app.connect("html-page-context", add_page_scripts)
    app.connect("html-page-context", escape_page_title, priority=900)  # after the theme sets it
    app.connect("build-finished", escape_search_index)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
