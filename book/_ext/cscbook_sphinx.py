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

import base64
import hashlib
import os
import re
from pathlib import Path

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


#: The page that lists every profile.
PROFILE_INDEX = "book/profiles/index"
#: Scripts of book/_static that only some pages use: page name -> script.
PAGE_SCRIPTS = {PROFILE_INDEX: "profile-search.js", "book/intro": "find-council.js", "search": "search-scorer.js"}


#: A page with an interactive chart holds this class; it gets the Vega scripts (written into ``_static`` by the
#: build: cscbook.present.interactive) and the script that draws its charts, deferred, in that order.
LIVE_MARK = 'class="cscbook-live"'
LIVE_SCRIPTS = ("vega-bundle.js", "cscbook-live.js")


def add_page_scripts(app, pagename, templatename, context, doctree) -> None:
    """Add a page's own script (from ``PAGE_SCRIPTS``) to that page only, and the chart scripts to a page
    with an interactive chart."""
    script = PAGE_SCRIPTS.get(pagename)
    if script:
        app.add_js_file(script)
    body = context.get("body")
    if isinstance(body, str) and LIVE_MARK in body:
        for name in LIVE_SCRIPTS:
            app.add_js_file(name, loading_method="defer")


def escape_page_title(app, pagename, templatename, context, doctree) -> None:
    """HTML-escape the theme's ``pagetitle``: sphinx-book-theme sets it to the title's plain text and its
    print header inserts it unescaped, so a title made from data could carry markup."""
    import html

    if isinstance(context.get("pagetitle"), str):
        context["pagetitle"] = html.escape(context["pagetitle"])


def drop_source_downloads(app, pagename, templatename, context, doctree) -> None:
    """Keep only "print to PDF" in the theme's download menu: the site carries no copies of its sources
    (``html_copy_source`` is off), so links to ``_sources/`` would be broken."""
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"] = [b for b in button["buttons"] if b.get("label") == "download-pdf-button"]


#: A file carried inside a page as base64: a chart's image (``src``, or ``srcset`` for its phone layout) or a
#: chart's download (``href``).
DATA_URI = re.compile(r'(src|srcset|href)="data:(image/png|image/svg\+xml|text/csv);base64,([A-Za-z0-9+/=\s]+)"')
EXTENSIONS = {"image/png": "png", "image/svg+xml": "svg", "text/csv": "csv"}
#: A chart marked to open full size when clicked (for narrow screens): ``<img data-cscbook-zoom ...>``, in a
#: ``<picture>`` when it has a phone layout (the link goes round the picture: a picture holds only its sources
#: and its image).
ZOOM = re.compile(
    r'(<picture>(?:<source [^>]*>)*)?<img src="([^"]+)"([^>]*?) data-cscbook-zoom="1"([^>]*)>(</picture>)?'
)


def files_for_data_uris(app, pagename, templatename, context, doctree) -> None:
    """Write each base64 file of a page's body to ``_images/<hash>.<ext>`` and point the page at the file:
    pages stay small, and a file repeated across pages is stored once and cached by the browser. A chart
    marked for it becomes a link to its own image, so that a reader on a phone can open it full size."""
    body = context.get("body")
    if not isinstance(body, str) or "data:" not in body:
        return
    folder = Path(app.outdir) / "_images"

    def to_file(match: re.Match) -> str:
        data = base64.b64decode(match.group(3))
        name = f"{hashlib.sha256(data).hexdigest()[:24]}.{EXTENSIONS[match.group(2)]}"
        path = folder / name
        if not path.is_file():
            folder.mkdir(exist_ok=True)
            part = path.with_name(f".{name}.{os.getpid()}.part")
            part.write_bytes(data)
            os.replace(part, path)  # another writer of the same file writes the same bytes
        uri = context["pathto"]("_images/" + name, 1)
        return f'{match.group(1)}="{uri}"' + (' loading="lazy"' if match.group(1) == "src" else "")

    body = DATA_URI.sub(to_file, body)
    context["body"] = ZOOM.sub(
        lambda m: f'<a class="cscbook-zoom" href="{m[2]}">{m[1] or ""}<img src="{m[2]}"{m[3]}{m[4]}>{m[5] or ""}</a>',
        body,
    )


def sidebar_without_profiles(app, pagename, templatename, context, doctree) -> None:
    """The sidebar links to the profile index but does not list every profile under it: 152 links on
    every page weigh about 15 KB, and on a phone they came before the page's content. The index has
    the list, with a search box."""
    make = context.get("generate_toctree_html")
    if make is None:
        return
    href = re.escape(context["pathto"](PROFILE_INDEX))
    entry = re.compile(rf'(<a class="reference internal" href="{href}">[^<]*</a>)<details.*?</details>', re.S)

    def trimmed(kind: str, *args, **kwargs):
        out = make(kind, *args, **kwargs)
        return entry.sub(r"\1", str(out)) if kind == "sidebar" else out

    context["generate_toctree_html"] = trimmed


def is_profile(docname: str | None) -> bool:
    """Whether a page is one authority's profile (not their index)."""
    return bool(docname) and docname.startswith("book/profiles/") and docname != PROFILE_INDEX


def chain_without_profiles(app, pagename, templatename, context, doctree) -> None:
    """Previous and Next go from chapter to chapter: the profile index leads on to the page after the profiles,
    that page back to the index, and a profile has neither (its way back is the index, which it links)."""
    if is_profile(pagename):
        context["prev"] = context["next"] = None
        return
    rel = app.builder.relations  # each page's parent, previous and next, as Sphinx found them once for the build
    for key, step in (("prev", 1), ("next", 2)):
        target = (rel.get(pagename) or [None, None, None])[step]
        if not is_profile(target):
            continue
        while is_profile(target):
            target = (rel.get(target) or [None, None, None])[step]
        if target is None:
            context[key] = None
            continue
        title = app.env.titles[target].astext() if target in app.env.titles else target
        context[key] = {"link": app.builder.get_relative_uri(pagename, target), "title": title}


def number_by_page(app, env) -> list[str]:
    """Number figures and tables page by page: 'Figure 3.2' in the third chapter, 'Figure 2' on a profile.

    Sphinx numbers them across the whole book when the table of contents is not numbered (a profile's
    first chart would be Figure 186). This runs after Sphinx has numbered them and keeps its order within
    each page. The chapters are the notebook pages the book's root lists, in order."""
    root = env.toctree_includes.get(app.config.root_doc, [])
    chapters = [d for d in root if str(env.doc2path(d)).endswith(".ipynb")]
    for docname, types in env.toc_fignumbers.items():
        prefix = (chapters.index(docname) + 1,) if docname in chapters else ()
        for ids in types.values():
            for n, fid in enumerate(sorted(ids, key=ids.get), 1):
                ids[fid] = (*prefix, n)
    return list(env.toc_fignumbers)


def escape_search_index(app, exception) -> None:
    """HTML-escape the titles in the search index: Sphinx's search page inserts them with ``innerHTML``,
    so a title made from data (an authority's name) must not be able to carry markup."""
    import html

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


def drop_unread_static(app, exception) -> None:
    """Remove what the themes copy into ``_static`` that no page loads: source maps (``*.map``, 3 MB; a
    browser fetches them only for its developer tools) and the book theme's message catalogues
    (``locales/``, 0.7 MB; read when the site is built, not by a browser)."""
    import shutil

    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        for path in static.rglob("*.map"):
            path.unlink()
        shutil.rmtree(static / "locales", ignore_errors=True)


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
    app.connect("html-page-context", drop_source_downloads, priority=900)  # after the theme adds them
    app.connect("html-page-context", files_for_data_uris)
    app.connect("html-page-context", sidebar_without_profiles, priority=900)  # after the theme adds it
    app.connect("html-page-context", chain_without_profiles)
    app.connect("build-finished", escape_search_index)
    app.connect("build-finished", drop_unread_static)
    app.connect("env-get-updated", number_by_page, priority=900)  # after Sphinx numbers them
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
