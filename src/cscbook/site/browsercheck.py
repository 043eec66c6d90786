"""A check of the published site in headless Chromium: accessibility by axe-core's rules, console
errors, images, the synthetic-data banner, and (statically, see :mod:`cscbook.site.linkcheck` and
:mod:`cscbook.site.prose`) internal links and their fragments, and values a reader should never meet in text.

axe-core (the npm package at the version ``package-lock.json`` pins, installed by ``make``) runs in
every page checked; a serious or critical violation is a problem, and the rest are counted by rule
in the report (:attr:`SiteReport.axe`).

The site is served from a local HTTP server on 127.0.0.1 and visited page by page in one browser
session driven by selenium with the system's chromedriver (no driver download). Each problem is one
line naming the page; an empty list means the site passed. The script run in each page is
``page_check.js`` beside this module.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cscbook import ROOT
from cscbook.errors import UserError
from cscbook.site import linkcheck, prose

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_PATHS = ("/usr/bin/chromedriver",)
#: axe-core as ``make`` installs it from package-lock.json.
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: The impacts of an axe violation that fail the check; lesser ones are counted, by rule.
AXE_FAILING = ("serious", "critical")
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
    axe: Counter = field(default_factory=Counter)  # (rule, impact) -> pages with that violation
    axe_version: str = ""


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


# The script run in each page (async); see page_check.js.
PAGE_SCRIPT = (Path(__file__).parent / "page_check.js").read_text(encoding="utf-8")
AXE_RUN = (Path(__file__).parent / "axe_run.js").read_text(encoding="utf-8")


@functools.cache
def axe_source() -> str:
    """axe-core's script, or a one-line error saying how to install it."""
    if not AXE_JS.is_file():
        raise UserError(str(AXE_JS), "axe-core is not installed", "run make test (it runs npm ci), or npm ci here")
    return AXE_JS.read_text(encoding="utf-8")


def axe_version() -> str:
    """The version of axe-core the check runs, from its script's first line ('/*! axe v4.14.1')."""
    first = axe_source().split("\n", 1)[0]
    return first.split(" v", 1)[1].strip() if " v" in first else "unknown"


def _serve(html_dir: Path) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="browsercheck-http", daemon=True).start()
    return server


def driver(profile: Path):
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


def wait_ready(drv, leave: str | None = None) -> None:
    """Wait until the document is complete (and, for a redirect page, until the URL has left it)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        if leave and d.current_url.split("#")[0].endswith(leave):
            return False
        return d.execute_script("return document.readyState") == "complete"

    WebDriverWait(drv, PAGE_TIMEOUT, poll_frequency=0.05).until(ready)


@contextlib.contextmanager
def browsing(html_dir: Path, prefix: str = "cscbook-chromium-"):
    """Chromium, with a profile of its own, on the site at ``html_dir`` served on 127.0.0.1: yields the driver
    and the site's base URL; the browser, its profile and the server are gone afterwards."""
    server = _serve(Path(html_dir))
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as profile:
            drv = driver(Path(profile))
            try:
                yield drv, f"http://127.0.0.1:{server.server_address[1]}/"
            finally:
                drv.quit()
    finally:
        server.shutdown()
        server.server_close()


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
    for img in info["images"]:
        if not img["ok"]:
            out.append(f"{page}: image did not load: {img['desc']} src={img['src']!r}")
    out += [f"{page}: a paragraph is bold throughout: {text!r}" for text in info.get("bold", [])]
    for chart in info.get("live", []):
        if not chart["drawn"]:
            out.append(f"{page}: interactive chart not drawn: {chart['label']} ({chart['note'] or 'no message'})")
    if synthetic and not info["banner"]:
        out.append(
            f"{page}: no synthetic-data banner (announcement bar mentioning synthetic or 'Synthetic data' admonition)"
        )
    return out, len(info["images"])


def _axe_problems(page: str, violations, counts: Counter) -> list[str]:
    """A line per serious or critical violation; every violation counted by (rule, impact)."""
    if isinstance(violations, dict):  # axe itself failed in the page
        return [f"{page}: axe-core did not run: {violations.get('error', '')[:200]}"]
    out = []
    for v in violations:
        counts[(v["id"], v["impact"] or "unknown")] += 1
        if v["impact"] in AXE_FAILING:
            where = ", ".join(v["targets"]) + (f" and {v['count'] - len(v['targets'])} more" if v["count"] > 3 else "")
            out.append(f"{page}: axe {v['id']} ({v['impact']}): {v['help']}: {where}")
    return out


def _check_page(drv, base: str, page: str, redirect: bool, synthetic: bool, axe: Counter) -> tuple[list[str], int]:
    """Open one page and check it; returns its problems and its number of images (``axe`` counts its
    violations by rule)."""
    drv.get(base + page)
    wait_ready(drv, leave=page if redirect else None)
    if redirect:
        # A redirect stub has no content of its own: its target is checked as a link and as a page;
        # here only its console (and the screenshot of where it lands).
        return _console_problems(page, drv.get_log("browser"), base), 0
    info = drv.execute_async_script(PAGE_SCRIPT)
    problems, n = _page_problems(page, info, synthetic)
    drv.execute_script(axe_source())
    problems += _axe_problems(page, drv.execute_async_script(AXE_RUN), axe)
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
    every = linkcheck.site_pages(html_dir)
    link_problems, report.links = linkcheck.check_links(html_dir, every)
    report.problems += prose.check_pages(html_dir, every)  # static, like the links: every page
    if pages is None:
        pages = every
    else:
        wanted = set(pages)
        report.problems += [f"{p}: no such page in the site" for p in sorted(wanted - set(every))]
        pages = [p for p in every if p in wanted]
    report.pages = len(pages)
    redirects = linkcheck.redirects(html_dir, pages)
    linkcheck.forget_pages()
    shots = _screenshot_pages(pages) if screenshots else {}
    report.axe_version = axe_version()  # before the browser starts: a missing axe-core fails at once

    from selenium.common.exceptions import WebDriverException

    server = _serve(html_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    profile = Path(tempfile.mkdtemp(prefix="cscbook-chromium-"))
    drv = None
    try:
        drv = driver(profile)
        previous = None
        for page in pages:
            # Anything logged since the last page was read belongs to that page.
            if previous:
                report.problems += _console_problems(previous, drv.get_log("browser"), base)
            previous = page
            try:
                problems, n = _check_page(drv, base, page, page in redirects, synthetic, report.axe)
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


def axe_summary(report: SiteReport) -> str:
    """One line: axe-core's version and its violations by rule, impact and the pages with each."""
    if not report.axe:
        return f"axe-core {report.axe_version}: no violations on {report.pages} pages"
    rules = sorted(report.axe.items(), key=lambda kv: (-kv[1], kv[0]))
    return f"axe-core {report.axe_version}: " + "; ".join(f"{r} ({i}) on {n} pages" for (r, i), n in rules)


def check_site(
    html_dir: Path, synthetic: bool, screenshots: Path | None = None, pages: list[str] | None = None
) -> list[str]:
    """One line per problem found in the site at ``html_dir`` (empty when it passes).

    ``synthetic``: every page must carry the synthetic-data banner. ``screenshots``: a folder for
    home.png, chapter.png and profile.png. ``pages``: only these pages in the browser (default all).
    """
    return inspect_site(html_dir, synthetic, screenshots, pages).problems


#: The script elements a browser runs (no type, or a JavaScript or module type); others are data blocks.
RUNNABLE_SCRIPTS = 'script:not([type]), script[type=""], script[type="text/javascript"], script[type="module"]'


def injected(html_dir: Path, pages: list[str]) -> list[str]:
    """Each page of ``pages`` (paths under ``html_dir``, a query string allowed) loaded in Chromium: one line
    per alert that ran and per element that data text injected (an ``img`` with ``src="x"``, a ``script``
    the browser would run that calls ``alert``; a data block, such as a chart's JSON, is not run). Empty when
    data shows only as text."""
    from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException
    from selenium.webdriver.common.by import By

    problems: list[str] = []
    with browsing(html_dir, "cscbook-inject-") as (drv, base):
        for page in pages:
            try:
                drv.get(base + page)
                wait_ready(drv)
                if page.startswith("search.html"):
                    _wait_results(drv)
                imgs = drv.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
                scripts = [s for s in drv.find_elements(By.CSS_SELECTOR, RUNNABLE_SCRIPTS)
                           if "alert(" in (s.get_attribute("textContent") or "")]  # fmt: skip
                if imgs or scripts:
                    problems.append(f"{page}: {len(imgs)} injected image(s), {len(scripts)} injected script(s)")
            except UnexpectedAlertPresentException as err:
                problems.append(f"{page}: an alert ran ({err.alert_text})")
            try:
                alert = drv.switch_to.alert
                problems.append(f"{page}: an alert ran ({alert.text})")
                alert.dismiss()
            except NoAlertPresentException:
                pass
    return problems


#: The widths a reader's page must fit without scrolling sideways: a phone and a laptop.
WIDTHS = (400, 1366)


def sideways(html_dir: Path, pages: list[str], widths: tuple[int, ...] = WIDTHS) -> list[str]:
    """Each page at each width whose body scrolls sideways (a table may scroll inside its own box), one line
    each, naming the widest elements that stick out; and each chart that scrolls inside its own box, or that
    has a phone layout the browser did not show on a screen narrow enough for it."""
    script = (Path(__file__).parent / "sideways.js").read_text()
    charts = (Path(__file__).parent / "phone_charts.js").read_text()
    out = []
    with browsing(html_dir, "cscbook-sideways-") as (drv, base):
        for width in widths:
            drv.set_window_size(width, WINDOW[1])
            for page in pages:
                drv.get(base + page)
                wait_ready(drv)
                got = drv.execute_script(script)
                if got["scroll"] > got["width"] + 1:
                    what = ", ".join(f"{w['what']} to {w['right']} px" for w in got["wide"]) or "nothing named"
                    out.append(f"{page}: at {width} px the page is {got['scroll']} px wide ({what})")
                out += [f"{page}: at {width} px {fault}" for fault in drv.execute_async_script(charts)]
    return out


def find_council(html_dir: Path, queries: list[str]) -> dict[str, str]:
    """Each query typed into the home page's "find your council" box and submitted, in Chromium: the path
    (under ``html_dir``, with any query string) of the page the browser went to, or, when it stayed on the
    home page, ``stayed: `` and the box's note."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out: dict[str, str] = {}
    with browsing(html_dir, "cscbook-find-") as (drv, base):
        for q in queries:
            drv.get(base + "book/intro.html")
            wait_ready(drv)
            box = drv.find_element(By.ID, "find-council-name")
            box.send_keys(q)
            box.submit()
            try:
                WebDriverWait(drv, 3).until(lambda d: not d.current_url.endswith("book/intro.html"))
            except TimeoutException:
                out[q] = "stayed: " + drv.find_element(By.ID, "find-council-note").text
                continue
            wait_ready(drv)
            out[q] = drv.current_url.removeprefix(base)
    return out


def _wait_results(drv) -> None:
    """Give the search page time to list its results (it fills them in after the page has loaded)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(drv, 10, poll_frequency=0.1).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results li, #search-results p")
        )
    except TimeoutException:
        pass
