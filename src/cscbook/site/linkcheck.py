"""The static part of the site check: every internal link and its #fragment must resolve, over
every page of the site (well under a second). Also the pages of a site and where its home page lands."""

from __future__ import annotations

import functools
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

SKIP_DIRS = {"_static", "_sources", "_images", ".doctrees"}


def site_pages(html_dir: Path) -> list[str]:
    """Every HTML page of the site (POSIX paths relative to ``html_dir``), outside the asset folders."""
    out = []
    for f in sorted(Path(html_dir).rglob("*.html")):
        rel = f.relative_to(html_dir)
        if not SKIP_DIRS & set(rel.parts[:-1]):
            out.append(rel.as_posix())
    return out


def landing_page(html_dir: Path) -> Path:
    """The page a visitor of ``index.html`` lands on (following its meta refresh, if any)."""
    home = Path(html_dir) / "index.html"
    target = _parse(home).refresh
    if target and _is_internal(target):
        landed = home.parent / unquote(urlsplit(target).path)
        if landed.is_file():
            return landed
    return home


class _PageParser(HTMLParser):
    """Collects every href, every id/name anchor and a meta-refresh target of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.anchors: set[str] = set()
        self.refresh: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.anchors.add(a["id"])
        if tag == "a" and a.get("name"):
            self.anchors.add(a["name"])
        if a.get("href") is not None:
            self.hrefs.append(a["href"])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", a.get("content") or "", re.I)
            if m:
                self.refresh = m.group(1).strip()

    handle_startendtag = handle_starttag


def _parse(path: Path) -> _PageParser:
    """The parsed page, cached while the file is unchanged."""
    st = path.stat()
    return _parse_file(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=512)
def _parse_file(path: Path, mtime_ns: int, size: int) -> _PageParser:
    p = _PageParser()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    p.close()
    return p


def _is_internal(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and not href.startswith("//")


def check_links(html_dir: Path, pages: list[str]) -> tuple[list[str], int]:
    """Every internal href (and meta-refresh target) must name a file in the site, and its #fragment
    an id or name in that file. Returns the problems and the number of links checked."""
    html_dir = Path(html_dir).resolve()
    problems, checked = [], 0
    exists: dict[str, bool] = {}  # site-relative target -> is a file
    for page in pages:
        parsed = _parse(html_dir / page)
        folder = posixpath.dirname(page)
        for href in parsed.hrefs + ([parsed.refresh] if parsed.refresh else []):
            href = href.strip()
            if not href or not _is_internal(href):
                continue
            checked += 1
            parts = urlsplit(href)
            target = page
            if parts.path:
                path = unquote(parts.path)
                # A root-relative path is taken relative to the site's root.
                joined = path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
                target = posixpath.normpath(joined)
                if path.endswith("/"):
                    target = posixpath.join(target, "index.html")
                if target == ".." or target.startswith("../"):
                    problems.append(f"{page}: link {href!r} points outside the site")
                    continue
                if target not in exists:
                    exists[target] = (html_dir / target).is_file()
                if not exists[target]:
                    problems.append(f"{page}: link {href!r}: no file {target}")
                    continue
            frag = unquote(parts.fragment)
            if not frag or not target.lower().endswith((".html", ".htm")):
                continue
            if frag not in _parse(html_dir / target).anchors:
                problems.append(f"{page}: link {href!r}: no id or name {frag!r} in {target}")
    return problems, checked


def redirects(html_dir: Path, pages: list[str]) -> set[str]:
    """The pages that only send the visitor on (a meta refresh)."""
    return {p for p in pages if _parse(Path(html_dir) / p).refresh}


def forget_pages() -> None:
    """Drop the parsed pages kept for the checks."""
    _parse_file.cache_clear()
