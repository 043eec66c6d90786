"""The PDF edition: the staged book built again as one page (Sphinx's ``singlehtml`` builder), made fit for
paper, and printed once by the headless Chromium the site check drives. Jupyter Book's own PDF builder
downloads a browser, which an offline machine cannot.

The PDF holds the chapters and the appendices (methods, sources, codebook, glossary, bibliography, run
record); ``--pdf all`` adds every profile as an appendix. It is cached on what it is made from (the
chapters' and pages' keys, and the profiles' for ``all``), in ``build_dir/pdf``, so a build that changes
only the profiles, or nothing, reuses it. Without Chromium the build makes no PDF and says so in the run
record; the home page then offers no link.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cscbook import procs
from cscbook.errors import UserError
from cscbook.fsutil import remove_tree, write_atomic
from cscbook.site.jupyter import first_problem, jupyter_book_command, jupyter_book_env

#: The file's name in the site (beside index.html) and in the cache.
PDF_NAME = "pressures-on-childrens-social-care.pdf"
#: The script run in the page before it is printed (beside this module).
PRINT_READY = (Path(__file__).parent / "print_ready.js").read_text(encoding="utf-8")
#: The script that fits the tables to the paper before the page is printed (beside this module).
FIT_TABLES = (Path(__file__).parent / "fit_tables.js").read_text(encoding="utf-8")
#: What the home page says of the PDF until the build knows its pages and size (see stage.PDF_LINK).
PDF_INFO = "(chapters and appendices)"
#: ``--pdf``: the book without the profiles (default), the book and every profile, or no PDF.
CHOICES = ("book", "all", "none")
#: Pages left out of the PDF: the downloads page lists files that live beside the site, not in the PDF.
LEFT_OUT = {"book/downloads"}
PROFILE_INDEX = "book/profiles/index"
#: The paper: A4 in inches, margins that leave room for the page number.
PAGE = {"paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.55, "marginBottom": 0.65,
        "marginLeft": 0.5, "marginRight": 0.5}  # fmt: skip
FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#444">'
    '<span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)
#: What the PDF page leaves out of the web page: a heading's '#' link, a chart's link to its own image,
#: its phone layout and its download line, lazy loading, the find-your-council form and links to
#: downloadable files.
PRINT_EDITS = (
    (re.compile(r'<a class="headerlink"[^>]*>[^<]*</a>'), ""),
    (
        re.compile(
            r'<a class="cscbook-zoom" href="[^"]*">(?:<picture>(?:<source [^>]*>)*)?(<img [^>]*>)(?:</picture>)?</a>'
        ),
        r"\1",
    ),
    (re.compile(r'<p class="cscbook-downloads">.*?</p>', re.S), ""),
    (re.compile(r' loading="lazy"'), ""),
    (re.compile(r'<form class="cscbook-find".*?</form>', re.S), ""),
    (re.compile(r'<a class="reference download internal"[^>]*>(.*?)</a>', re.S), r"\1"),
)


@dataclass
class PdfJob:
    """One PDF edition: reused from the cache, or made while the site is built (see :meth:`start`)."""

    build_dir: Path
    choice: str
    key: str
    force: bool = False  # make it again even when the cache has it (``--force``)
    status: str = ""  # 'made', 'reused', or why none was made
    proc: subprocess.Popen | None = None
    work: Path | None = None
    info: dict = field(default_factory=dict)  # pages, bytes, seconds

    @property
    def cached(self) -> Path:
        return self.build_dir / "pdf" / PDF_NAME

    def wanted(self) -> bool:
        return self.choice != "none" and not self.status.startswith("not made")

    def check(self) -> None:
        """Decide before staging whether the build has a PDF to offer: none asked for, no Chromium, or the
        cache's (``status`` says which; empty when it is to be made)."""
        if self.choice == "none":
            self.status = "not made (--pdf none)"
            return
        from cscbook.site.browsercheck import chromium_available

        if not chromium_available():
            self.status = "not made: Chromium and chromedriver were not found (Debian: chromium, chromium-driver)"
            return
        if self.force:
            return
        stamp = self.build_dir / "pdf" / "key"
        info = self.build_dir / "pdf" / "info.json"
        if self.cached.is_file() and stamp.is_file() and stamp.read_text() == self.key and info.is_file():
            self.status = "reused"
            self.info = json.loads(info.read_text())

    def start(self, st: Path) -> None:
        """Begin the one-page build of the staged book ``st`` in the background, when the PDF is to be made."""
        if self.status:
            return
        self.work = self.build_dir / "pdf-work"
        remove_tree(self.work)
        self.work.mkdir(parents=True)
        toc, config = write_pdf_config(st, with_profiles=self.choice == "all")
        extra = ["--builder", "singlehtml", "--toc", str(toc), "--config", str(config)]
        cmd = jupyter_book_command(st.resolve(), self.work.resolve() / "out", extra)
        self.proc = procs.popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=jupyter_book_env()
        )

    def finish_into(self, html: Path) -> None:
        """Finish the PDF (wait for the one-page build, print it) and put it in the new site ``html``."""
        import time

        if self.proc is not None:
            started = time.perf_counter()
            out, _ = self.proc.communicate()
            page = self.work / "out" / "_build" / "singlehtml" / "book" / "intro.html"
            if self.proc.returncode != 0 or not page.is_file():
                raise UserError(
                    "jupyter-book (PDF edition)", first_problem(out), "the book must build without warnings"
                )
            printable = printable_page(page)
            folder = self.build_dir / "pdf"
            known = folder / "contents.json"  # where each chapter began in the last PDF: usually where it begins now
            guess = json.loads(known.read_text()) if known.is_file() else {}
            pdf, begins, unfit = print_numbered(printable, guess)
            self.info = {"pages": pdf_pages(pdf), "bytes": len(pdf), "profiles": self.choice == "all", "unfit": unfit}
            folder.mkdir(exist_ok=True)
            (folder / "key").unlink(missing_ok=True)  # until both files are in, the cache holds no PDF
            write_atomic(folder / PDF_NAME, pdf)
            write_atomic(folder / "info.json", json.dumps(self.info).encode())
            write_atomic(known, json.dumps(begins, sort_keys=True).encode())
            write_atomic(folder / "key", self.key.encode())
            shutil.rmtree(self.work, ignore_errors=True)
            self.status = "made"
            self.info["seconds"] = round(time.perf_counter() - started, 2)
        if self.cached.is_file() and self.status in ("made", "reused"):
            shutil.copy2(self.cached, html / PDF_NAME)
            home = html / "book" / "intro.html"
            if home.is_file() and self.info:
                size = f"({self.info['pages']} pages, {self.info['bytes'] / 1e6:.1f} MB)"
                home.write_text(home.read_text(encoding="utf-8").replace(PDF_INFO, size, 1), encoding="utf-8")

    def cancel(self) -> None:
        if self.proc is not None:
            procs.kill(self.proc)
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)

    def record(self) -> dict:
        return {"choice": self.choice, "status": self.status, "file": PDF_NAME if self.wanted() else None, **self.info}


def pdf_key(chapter_keys: dict, pages: str, choice: str, profiles: str) -> str:
    """What the PDF is made from: the chapters, the other pages, the choice, and the profiles for 'all'."""
    parts = [chapter_keys, pages, choice, profiles if choice == "all" else ""]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def write_pdf_config(st: Path, with_profiles: bool) -> tuple[Path, Path]:
    """The table of contents and configuration of the one-page build: the site's, less the downloads page
        (and the profiles, unless asked for). A link to a page left out reads as text: the site's own build has
        already checked every reference, so the one-page build does not warn of those it cannot resolve. Both
    files go in the staged book, since the configuration's paths (the book's extension, its references)
    are read from where it lies."""
    toc = yaml.safe_load((st / "_toc.yml").read_text())
    left_out = LEFT_OUT | (set() if with_profiles else {PROFILE_INDEX})
    toc["chapters"] = [c for c in toc.get("chapters", []) if c.get("file") not in left_out]
    config = yaml.safe_load((st / "_config.yml").read_text())
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["suppress_warnings"] = ["myst.xref_missing", "ref.doc"]
    st = st.resolve()  # Jupyter Book reads a relative --toc from the book's folder, not the working one
    (st / "_pdf_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (st / "_pdf_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return st / "_pdf_toc.yml", st / "_pdf_config.yml"


_LINK = re.compile(r'<a\b([^>]*?)\bhref="([^"]*)"([^>]*)>(.*?)</a>', re.S)


def local_links(text: str, page_name: str) -> str:
    """Links as a PDF holds them: one to a place in the page itself becomes ``#place`` (Chromium makes it a
    link inside the PDF), one to another file of the site (a page left out, a download) becomes its text, and
    a link to the web stays. Otherwise Chromium writes each relative link as an address on the temporary local
    server the page was printed from."""

    def fix(m: re.Match) -> str:
        before, href, after, inner = m.groups()
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href) and not href.lower().startswith(("file:", "javascript:")):
            return m.group(0)  # https, mailto, doi: a link to the world
        path, _, frag = href.partition("#")
        if path.rsplit("/", 1)[-1] in ("", page_name) and frag:
            return f'<a{before}href="#{frag}"{after}>{inner}</a>'
        return f"<span{before}{after}>{inner}</span>"

    return _LINK.sub(fix, text)


#: How a solution's fold begins in the HTML.
SOLUTION = '<p class="admonition-title">Solution</p>'


def solutions_at_end(document: str) -> str:
    """Each chapter's exercise solutions, which the web page folds under their exercise, moved to the chapter's
    end on paper (a dropdown prints open, and a solution read before the prediction spoils it): in place a line
    says where it went; at the end, "Solutions" lists them under their exercises' names."""
    from bs4 import BeautifulSoup

    if SOLUTION not in document:
        return document  # nothing to move: the page as it is
    soup = BeautifulSoup(document, "html.parser")
    moved: dict[int, tuple[object, list]] = {}
    for box in soup.select("div.admonition.dropdown"):
        title = box.find(class_="admonition-title")
        if title is None or title.get_text(strip=True) != "Solution":
            continue
        chapter = _chapter_section(box)
        if chapter is None:
            continue
        exercise = box.find_parent("section")
        heading = exercise.find(["h2", "h3", "h4"]) if exercise is not None else None
        name = heading.get_text(" ", strip=True).rstrip("#").strip() if heading is not None else "Exercise"
        note = soup.new_tag("p")
        note["class"] = "cscbook-solution-note"
        note.string = "The solution is at the end of the chapter."
        box.replace_with(note)
        box["class"] = [c for c in box.get("class", []) if c != "dropdown"]
        title.string = f"Solution: {name}"
        moved.setdefault(id(chapter), (chapter, []))[1].append(box)
    for chapter, boxes in moved.values():
        end = soup.new_tag("section")
        end["class"] = "cscbook-solutions"
        head = soup.new_tag("h2")
        head.string = "Solutions"
        end.append(head)
        for box in boxes:
            end.append(box)
        chapter.append(end)
    return str(soup)


def _chapter_section(tag):
    """The chapter a tag belongs to: the section that follows a document's marker in the one-page book."""
    for section in tag.find_parents("section"):
        marker = section.find_previous_sibling()
        if marker is not None and str(marker.get("id", "")).startswith("document-"):
            return section
    return None


def printable_page(page: Path) -> Path:
    """The one page moved to the root of its build (its links to ``_static`` and ``_images`` are written
    from there) with :data:`PRINT_EDITS` applied, its links made the PDF's own (:func:`local_links`) and the
    exercise solutions at each chapter's end (:func:`solutions_at_end`)."""
    text = page.read_text(encoding="utf-8")
    for pattern, repl in PRINT_EDITS:
        text = pattern.sub(repl, text)
    head, sep, body = contents_with_places(solutions_at_end(text)).partition("<body")
    text = head + sep + local_links(body, page.name)
    out = page.parent.parent / "print.html"
    out.write_text(text, encoding="utf-8")
    return out


def _norm(title: str) -> str:
    """A heading's text as a key: no tags, ligatures undone, lower case and no spaces at all (a bookmark of a
    heading that wraps joins its lines without one)."""
    return "".join(re.sub(r"<[^>]+>", "", title).replace("\ufb01", "fi").replace("\ufb00", "ff").split()).lower()


def chapter_pages(pdf: bytes) -> dict[str, int]:
    """Each heading's first page (from 1) in a printed PDF, by its text, from the bookmarks Chromium writes."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    pages: dict[str, int] = {}

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                pages.setdefault(_norm(item.title), reader.get_destination_page_number(item) + 1)

    walk(reader.outline)
    return pages


#: The book's contents list in the one page (the theme's print contents), and a link in it to a chapter.
_CONTENTS = re.compile(r'<div id="jb-print-toc">.*?</nav>', re.S)
_CONTENTS_LINK = re.compile(r'(<a class="reference internal[^"]*" href="#document-[^"]*">)(.*?)(</a>)', re.S)


#: A page number's place in the contents before its number is known: as wide as any number the book reaches,
#: so that the print with the numbers has the same pages as the print without.
PAGE_PLACE = '<span class="cscbook-page">{}</span>'
UNKNOWN_PAGE = "000"


def contents_with_places(document: str) -> str:
    """The contents list with a place for each chapter's page number (see :data:`UNKNOWN_PAGE`)."""
    return _CONTENTS.sub(
        lambda block: _CONTENTS_LINK.sub(lambda m: m.group(0) + PAGE_PLACE.format(UNKNOWN_PAGE), block.group(0)),
        document,
        count=1,
    )


def contents_with_pages(document: str, pages: dict[str, int]) -> str:
    """The contents list's places filled with the page each chapter begins on (``pages``: by its heading, see
    :func:`chapter_pages`); a chapter not in ``pages`` keeps an empty place. The numbers take no more room than
    the places, so the pages do not move."""

    def number(m: re.Match) -> str:
        page = pages.get(_norm(m.group(2)))
        return m.group(0).replace(PAGE_PLACE.format(UNKNOWN_PAGE), PAGE_PLACE.format(page if page else ""))

    linked = re.compile(_CONTENTS_LINK.pattern + re.escape(PAGE_PLACE.format(UNKNOWN_PAGE)), re.S)
    return _CONTENTS.sub(lambda block: linked.sub(number, block.group(0)), document, count=1)


def listed_chapters(document: str) -> list[str]:
    """The headings the contents list names, as :func:`chapter_pages` keys them."""
    block = _CONTENTS.search(document)
    return [_norm(m.group(2)) for m in _CONTENTS_LINK.finditer(block.group(0))] if block else []


def print_numbered(printable: Path, guess: dict[str, int]) -> tuple[bytes, dict[str, int], list[str]]:
    """``printable`` printed with its contents numbered from ``guess`` (where each chapter began in the last
    PDF), then read back for where each chapter begins: printed once more only if the guess was wrong (the
    first PDF of a build folder, or a chapter that grew by a page). Returns the PDF, the pages it lists and what
    did not fit the paper (see :func:`print_pdf`)."""
    document = printable.read_text(encoding="utf-8")
    titles = listed_chapters(document)
    for _ in range(2):
        printable.write_text(contents_with_pages(document, guess), encoding="utf-8")
        pdf, unfit = print_pdf(printable)
        begins = {t: p for t, p in chapter_pages(pdf).items() if t in titles}
        if all(guess.get(t) == begins.get(t) for t in titles):
            break
        guess = begins
    return pdf, begins, unfit


def print_pdf(page: Path) -> tuple[bytes, list[str]]:
    """``page`` printed to PDF by headless Chromium: A4, page numbers, the headings as bookmarks, tagged, its
    tables fitted to the paper. Returns the PDF and what still does not fit it (see :func:`fit_tables`)."""
    from selenium.common.exceptions import WebDriverException

    from cscbook.site.browsercheck import browsing, wait_ready

    try:
        with browsing(page.parent, "cscbook-pdf-") as (drv, base):
            drv.get(base + page.name)
            wait_ready(drv)
            drv.execute_async_script(PRINT_READY)
            unfit = fit_tables(drv)
            options = {"printBackground": True, "generateDocumentOutline": True, "generateTaggedPDF": True,
                       "displayHeaderFooter": True, "headerTemplate": "<span></span>", "footerTemplate": FOOTER,
                       **PAGE}  # fmt: skip
            data = drv.execute_cdp_cmd("Page.printToPDF", options)["data"]
    except WebDriverException as exc:
        raise UserError(str(page), f"Chromium could not print it: {' '.join(str(exc).split())[:200]}",
                        "the PDF edition must print") from None  # fmt: skip
    return base64.b64decode(data), unfit


def fit_tables(drv) -> list[str]:
    """Lay the open page out as Chromium prints it (print styles, the width inside A4's margins) and fit its
    tables to the paper (``fit_tables.js``); the screen's layout is restored for printing. Returns what still
    does not fit: each table wider than the page, each cell of three words or more set one word a line."""
    width = round((PAGE["paperWidth"] - PAGE["marginLeft"] - PAGE["marginRight"]) * 96)
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    metrics = {"width": width, "height": 1100, "deviceScaleFactor": 1, "mobile": False}
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        return drv.execute_script(FIT_TABLES)
    finally:
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def pdf_pages(pdf: bytes) -> int:
    """The number of pages, counted from the page objects (``/Type /Page``, not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
