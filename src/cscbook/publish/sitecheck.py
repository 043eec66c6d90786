"""A check of the published site in headless Chromium: console errors, images, headings, contrast,
the synthetic-data banner, and (statically) internal links and their fragments.

The site is served from a local HTTP server on 127.0.0.1 and visited page by page in one browser
session driven by selenium with the system's chromedriver (no driver download). Each problem is one
line naming the page; an empty list means the site passed.
"""

from __future__ import annotations

import functools
import http.server
import posixpath
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_PATHS = ("/usr/bin/chromedriver",)
SKIP_DIRS = {"_static", "_sources", "_images", ".doctrees"}
MIN_CONTRAST = 4.5
WINDOW = (1280, 900)
MAX_SHOT_HEIGHT = 15000  # Chromium cannot capture arbitrarily tall surfaces
PAGE_TIMEOUT = 30  # seconds for one page to load and settle
CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
]


@dataclass
class SiteReport:
    """The problems found (one line each, grouped by page) and what was checked."""

    problems: list[str] = field(default_factory=list)
    pages: int = 0
    images: int = 0
    links: int = 0
    seconds: float = 0.0
    screenshots: dict[str, Path] = field(default_factory=dict)


def _first_existing(paths) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None)


def chromium_path() -> str | None:
    return _first_existing(CHROMIUM_PATHS) or shutil.which("chromium")


def chromedriver_path() -> str | None:
    return _first_existing(CHROMEDRIVER_PATHS) or shutil.which("chromedriver")


def chromium_available() -> bool:
    """True when Chromium, chromedriver and selenium are all installed."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return bool(chromium_path() and chromedriver_path())


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


# --- static checks: internal links and fragments -----------------------------------------------


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


# --- contrast -----------------------------------------------------------------------------------


def _composite(top: tuple[float, ...], bottom: tuple[float, float, float]) -> tuple[float, float, float]:
    """``top`` (r, g, b, alpha 0-1) drawn over an opaque ``bottom`` (r, g, b)."""
    a = top[3]
    return tuple(top[i] * a + bottom[i] * (1 - a) for i in range(3))


def _luminance(rgb) -> float:
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg, bg) -> float:
    """WCAG 2 contrast ratio of two opaque sRGB colours given as (r, g, b) in 0-255."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def effective_colours(fg, layers) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The opaque text and background colours: ``layers`` are the background colours (r, g, b,
    alpha) from the element outwards, ending at the first opaque one; white is the canvas."""
    bg = (255.0, 255.0, 255.0)
    for layer in reversed(layers):
        bg = _composite(layer, bg)
    return _composite(fg, bg), bg


# --- the browser pass ---------------------------------------------------------------------------

# Runs in the page (async): makes lazy images load, scrolls to the bottom, waits for every image to
# finish or fail, then reports images, article headings, contrast samples and the banner.
_PAGE_SCRIPT = r"""
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
window.scrollTo(0, document.documentElement.scrollHeight);
const pending = imgs.filter(i => !i.complete).map(i => new Promise(r => {
  i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true});
}));
Promise.race([Promise.all(pending), new Promise(r => setTimeout(r, 10000))]).then(() => {
  window.scrollTo(0, 0);
  const article = document.querySelector('article.bd-article') || document.querySelector('article')
    || document.querySelector('main') || document.body;
  const short = t => (t || '').replace(/\s+/g, ' ').trim().slice(0, 50);
  const describe = el => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    else if (el.classList.length) d += '.' + Array.from(el.classList).slice(0, 2).join('.');
    return d;
  };
  const images = imgs.map(i => ({
    src: (i.getAttribute('src') || '').slice(0, 80), ok: i.complete && i.naturalWidth > 0,
    alt: (i.getAttribute('alt') || '').trim(), inArticle: article.contains(i),
    desc: describe(i), cls: i.className || '',
  }));
  const headings = Array.from(article.querySelectorAll('h1, h2, h3, h4, h5, h6'))
    .map(h => ({level: Number(h.tagName[1]), text: short(h.textContent)}));
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = c => {
    const m = /^rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)$/.exec(c);
    if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
    // Other colour syntaxes (oklch(), color(), ...) are converted by drawing one pixel.
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = 'rgba(0, 0, 0, 0)'; ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255];
  };
  const visible = el => {
    if (!el.getClientRects().length) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0;
  };
  const pick = (list, n) => {
    list = list.filter(el => visible(el) && el.textContent.trim());
    if (list.length <= n) return list;
    const step = list.length / n; return Array.from({length: n}, (_, k) => list[Math.floor(k * step)]);
  };
  const groups = [
    ['paragraph', Array.from(article.querySelectorAll('p')), 9],
    ['link', Array.from(document.querySelectorAll('a[href]')), 9],
    ['table cell', Array.from(article.querySelectorAll('td, th')), 6],
    ['caption', Array.from(document.querySelectorAll('figcaption, caption, .caption-text')), 3],
    ['admonition title', Array.from(document.querySelectorAll('.admonition-title')), 3],
    ['announcement', Array.from(document.querySelectorAll('.bd-header-announcement__content')), 1],
  ];
  const contrast = [];
  for (const [kind, list, n] of groups) {
    for (const el of pick(list, n)) {
      const layers = [];
      for (let a = el; a; a = a.parentElement) {
        const c = rgba(getComputedStyle(a).backgroundColor);
        if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
      }
      contrast.push({kind, desc: describe(el), text: short(el.textContent),
                     fg: rgba(getComputedStyle(el).color), layers});
    }
  }
  const announce = Array.from(document.querySelectorAll('.bd-header-announcement'))
    .some(e => /synthetic/i.test(e.textContent));
  const admonition = Array.from(document.querySelectorAll('.admonition .admonition-title'))
    .some(e => e.textContent.replace(/\s+/g, ' ').trim().toLowerCase() === 'synthetic data');
  done({images, headings, contrast, banner: announce || admonition});
});
"""


def _serve(html_dir: Path) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sitecheck-http", daemon=True).start()
    return server


def _driver(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium_path()
    for a in CHROME_ARGS:
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver_path()), options=opts)
    drv.set_page_load_timeout(PAGE_TIMEOUT)
    drv.set_script_timeout(PAGE_TIMEOUT)
    drv.set_window_size(*WINDOW)
    return drv


def _wait_ready(drv, leave: str | None = None) -> None:
    """Wait until the document is complete (and, for a redirect page, until the URL has left it)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        if leave and d.current_url.split("#")[0].endswith(leave):
            return False
        return d.execute_script("return document.readyState") == "complete"

    WebDriverWait(drv, PAGE_TIMEOUT, poll_frequency=0.05).until(ready)


def _screenshot(drv, out: Path) -> None:
    """A PNG of the whole page at the window's width (capped in height)."""
    import base64

    width, height = drv.execute_script(
        "return [window.innerWidth, Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, MAX_SHOT_HEIGHT), "scale": 1}
    shot = drv.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))


def _screenshot_pages(pages: list[str]) -> dict[str, str]:
    """Which page each screenshot shows: home, one chapter, one profile."""
    out = {}
    if "index.html" in pages:
        out["index.html"] = "home"
    chapters = [p for p in pages if re.fullmatch(r"book/[^/]+\.html", p)]
    chapter = "book/variation.html" if "book/variation.html" in pages else next(iter(chapters), None)
    if chapter:
        out[chapter] = "chapter"
    profile = next((p for p in pages if p.startswith("book/profiles/") and not p.endswith("/index.html")), None)
    if profile:
        out[profile] = "profile"
    return out


def _console_problems(page: str, entries: list[dict], base: str) -> list[str]:
    out = []
    for e in entries:
        if e.get("level") != "SEVERE":
            continue
        msg = " ".join(str(e.get("message", "")).split())
        # The browser asks for /favicon.ico by itself when a page declares no icon; its 404 is not
        # a resource the site requested, so it is ignored (a declared icon lives elsewhere).
        if msg.startswith(f"{base}favicon.ico "):
            continue
        out.append(f"{page}: console error: {msg.replace(base, '/')[:300]}")
    return out


def _page_problems(page: str, info: dict, synthetic: bool) -> tuple[list[str], int]:
    out = []
    n_images = 0
    for img in info["images"]:
        n_images += 1
        if not img["ok"]:
            out.append(f"{page}: image did not load: {img['desc']} src={img['src']!r}")
        # The theme's logo image sits in the header/sidebar and may carry no alt text; only such an
        # image outside the article is exempt from the alt rule.
        logo = "logo" in img["cls"] and not img["inArticle"]
        if not img["alt"] and not logo:
            out.append(f"{page}: image without alt text: {img['desc']} src={img['src']!r}")
    heads = info["headings"]
    h1 = [h for h in heads if h["level"] == 1]
    if len(h1) != 1:
        out.append(f"{page}: headings: {len(h1)} h1 in the article (expected exactly one)")
    prev = 0
    for h in heads:
        if h["level"] > prev + 1:
            was = f"h{prev}" if prev else "the start"
            out.append(f"{page}: headings: h{h['level']} {h['text']!r} follows {was} (a level is skipped)")
        prev = h["level"]
    for c in info["contrast"]:
        fg, bg = effective_colours(c["fg"], c["layers"])
        ratio = contrast_ratio(fg, bg)
        if ratio < MIN_CONTRAST:
            hexs = ["#" + "".join(f"{round(v):02x}" for v in col) for col in (fg, bg)]
            out.append(
                f"{page}: contrast {ratio:.2f} < {MIN_CONTRAST} for {c['kind']} {c['desc']} {c['text']!r}"
                f" ({hexs[0]} on {hexs[1]})"
            )
    if synthetic and not info["banner"]:
        out.append(
            f"{page}: no synthetic-data banner (announcement bar mentioning synthetic or 'Synthetic data' admonition)"
        )
    return out, n_images


def _check_page(drv, base: str, page: str, redirect: bool, synthetic: bool) -> tuple[list[str], int]:
    """Open one page and check it; returns its problems and its number of images."""
    drv.get(base + page)
    _wait_ready(drv, leave=page if redirect else None)
    if redirect:
        # A redirect stub has no content of its own: its target is checked as a link and as a page;
        # here only its console (and the screenshot of where it lands).
        return _console_problems(page, drv.get_log("browser"), base), 0
    info = drv.execute_async_script(_PAGE_SCRIPT)
    problems, n = _page_problems(page, info, synthetic)
    return _console_problems(page, drv.get_log("browser"), base) + problems, n


def inspect_site(
    html_dir: Path, synthetic: bool, screenshots: Path | None = None, pages: list[str] | None = None
) -> SiteReport:
    """Check the site at ``html_dir``; see the module docstring for the rules.

    ``pages`` (paths relative to ``html_dir``) limits the browser to a sample; the static link check
    always covers every page, since it takes well under a second.
    """
    started = time.perf_counter()
    html_dir = Path(html_dir).resolve()
    report = SiteReport()
    if not (html_dir / "index.html").is_file():
        report.problems.append(f"{html_dir}: no index.html (build the site first)")
        return report
    every = site_pages(html_dir)
    link_problems, report.links = check_links(html_dir, every)
    if pages is None:
        pages = every
    else:
        wanted = set(pages)
        report.problems += [f"{p}: no such page in the site" for p in sorted(wanted - set(every))]
        pages = [p for p in every if p in wanted]
    report.pages = len(pages)
    redirects = {p for p in pages if _parse(html_dir / p).refresh}
    _parse_file.cache_clear()
    shots = _screenshot_pages(pages) if screenshots else {}

    from selenium.common.exceptions import WebDriverException

    server = _serve(html_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    profile = Path(tempfile.mkdtemp(prefix="cscbook-chromium-"))
    drv = None
    try:
        drv = _driver(profile)
        previous = None
        for page in pages:
            # Anything logged since the last page was read belongs to that page.
            if previous:
                report.problems += _console_problems(previous, drv.get_log("browser"), base)
            previous = page
            try:
                problems, n = _check_page(drv, base, page, page in redirects, synthetic)
                if page in shots:
                    out = Path(screenshots) / f"{shots[page]}.png"
                    _screenshot(drv, out)
                    report.screenshots[shots[page]] = out
            except WebDriverException as exc:
                problems, n = [f"{page}: could not be checked: {' '.join(str(exc).split())[:200]}"], 0
            report.problems += problems
            report.images += n
        if previous:
            report.problems += _console_problems(previous, drv.get_log("browser"), base)
    finally:
        if drv is not None:
            drv.quit()
        server.shutdown()
        server.server_close()
        shutil.rmtree(profile, ignore_errors=True)
    report.problems += link_problems
    report.problems.sort(key=lambda line: line.split(": ", 1)[0])  # stable: grouped by page, in order found
    report.seconds = time.perf_counter() - started
    return report


def check_site(
    html_dir: Path, synthetic: bool, screenshots: Path | None = None, pages: list[str] | None = None
) -> list[str]:
    """One line per problem found in the site at ``html_dir`` (empty when it passes).

    ``synthetic``: every page must carry the synthetic-data banner. ``screenshots``: a folder for
    home.png, chapter.png and profile.png. ``pages``: only these pages in the browser (default all).
    """
    return inspect_site(html_dir, synthetic, screenshots, pages).problems
