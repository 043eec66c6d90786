"""What a reader should never meet in a page's text: a computed value that came out as 'n/a' in running text, a
negative zero ('-0', '−0.0%', '0 (-0 to 0)') or a number in e-notation ('1.4e-05'). Read from the built HTML,
outside code, scripts and styles; a table may say 'n/a' (a comparison that cannot be made), never the others."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

#: Each fault, by the words a problem line gives it, with where it counts: in prose only, or in tables too.
FAULTS = [
    ("'n/a' in running text", re.compile(r"(?<![\w/])n/a(?![\w/])", re.I), False),
    ("a negative zero", re.compile(r"(?<![\w.,])[-\u2212]0(?:[.,]0+)?(?![\d.,]*\d)"), True),
    ("a number in e-notation", re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[-+\u2212]?\d{1,3}(?!\w)", re.I), True),
]
#: Elements whose text is not the reader's prose.
SKIP = {"code", "pre", "script", "style", "kbd", "samp", "svg", "math", "title"}


class _Text(HTMLParser):
    """The page's text, as (in a table, text) runs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.tables = 0
        self.runs: list[tuple[bool, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag == "table":
            self.tables += 1
        elif tag in ("p", "li", "td", "th", "div", "br", "figcaption", "caption", "h1", "h2", "h3", "h4"):
            self.runs.append((self.tables > 0, "\n"))

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            self.tables = max(0, self.tables - 1)

    def handle_data(self, data):
        if not self.skip:
            self.runs.append((self.tables > 0, data))


def faults(html: str) -> list[str]:
    """Each fault in one page's HTML, with the words around it."""
    parser = _Text()
    parser.feed(html)
    found = []
    for in_table in (False, True):
        text = "".join(t for tab, t in parser.runs if tab == in_table)
        for words, pattern, tables_too in FAULTS:
            if in_table and not tables_too:
                continue
            for m in pattern.finditer(text):
                around = " ".join(text[max(0, m.start() - 40) : m.end() + 40].split())
                found.append(f"{words}: '…{around}…'")
    return found


def check_pages(html_dir: Path, pages: list[str]) -> list[str]:
    """The faults of every page, one line each, named by page."""
    out = []
    for page in pages:
        path = Path(html_dir) / page
        if path.suffix == ".html" and path.is_file():
            out += [f"{page}: {f}" for f in faults(path.read_text(errors="replace"))]
    return out
