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


#: The pages written for those who re-run or check the book, where rules, files and commands are the subject.
FOR_BUILDERS = {"methods", "sources", "codebook", "rerun", "run_record", "downloads", "teaching", "glossary"}


def check_pages(html_dir: Path, pages: list[str]) -> list[str]:
    """The faults of every page, and the builder's words in the running text of every page written for readers
    (not the appendices for those who re-run the book), one line each, named by page."""
    out = []
    for page in pages:
        path = Path(html_dir) / page
        if path.suffix == ".html" and path.is_file():
            html = path.read_text(errors="replace")
            found = faults(html)
            if Path(page).stem not in FOR_BUILDERS:
                found += builder_words(html)
            out += [f"{page}: {f}" for f in found]
    return out


#: A builder's words, which reader text leaves to its folded "How this was computed" notes, its exercises and its
#: download lines: a harmonising rule's code, a file of the repository and a command's parameter.
BUILDER_WORDS = [
    ("a rule code", re.compile(r"\b[A-Z]{1,2}-[A-Z0-9]{3,}(?:-[A-Z0-9]+)*\b")),
    ("a file name", re.compile(r"\b[\w/-]+\.(?:csv|json|ya?ml|py|ipynb)\b")),
    ("a command's parameter", re.compile(r"(?<!\w)-p \w+|\bcscbook (?:run|build|fetch|ingest|snapshot)\b")),
]


#: Elements whose text is not read straight through (code in a sentence is: a file name set as code is still one).
NOT_READ = {"pre", "script", "style", "svg", "math", "title", "table"}


class _Reader(HTMLParser):
    """The article's paragraphs a reader reads straight through: not a folded note, an exercise, a table or
    code, and not a line of downloads."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.stack: list[tuple[str, bool]] = []  # (tag, whether it starts a skipped zone)
        self.skipping = 0
        self.paragraphs: list[str] = []
        self.current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self.inside = True
        classes = (a.get("class") or "").split()
        skip = bool({"dropdown", "toggle"} & set(classes)) or a.get("id") == "exercises" or tag in NOT_READ
        if tag in ("br", "img", "input", "hr", "meta", "link"):
            return
        self.stack.append((tag, skip))
        self.skipping += skip
        if tag == "p" and self.inside and not self.skipping:
            self.current = []
        if tag == "a" and "download" in classes and self.current is not None:
            self.current = None  # a line of downloads names its files

    def handle_endtag(self, tag):
        while self.stack:
            t, skip = self.stack.pop()
            self.skipping -= skip
            if t == "p" and self.current is not None:
                text = " ".join("".join(self.current).split())
                if text and not text.startswith("Download"):
                    self.paragraphs.append(text)
                self.current = None
            if t == tag:
                break
        if tag == "article":
            self.inside = False

    def handle_data(self, data):
        if self.current is not None and not self.skipping:
            self.current.append(data)


def builder_words(html: str) -> list[str]:
    """Each builder's word in a page's running text, with the words around it."""
    parser = _Reader()
    parser.feed(html)
    found = []
    for text in parser.paragraphs:
        for words, pattern in BUILDER_WORDS:
            for m in pattern.finditer(text):
                found.append(f"{words} in running text: '…{text[max(0, m.start() - 40) : m.end() + 40]}…'")
    return found
