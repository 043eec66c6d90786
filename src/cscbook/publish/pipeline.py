"""The build: data -> chapters executed by papermill -> Jupyter Book -> the site, swapped in whole.

Layout of the build folder (default ``_build``):

    data/<key>/          prepared data folders (see ``contract``)
    executed/<chapter>/  each chapter's executed notebook, its CSV tables and JSON outputs, and
                         cache.json (the key it was executed with)
    executed/profiles/   one executed profile notebook and CSV per authority, and cache.json
    stage/               the book source assembled for Jupyter Book (config, pages, executed notebooks)
    html/                the published site; replaced only when every step succeeded
    run_record.json      parameters, versions, input hashes, row counts and step timings
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

import cscbook
from cscbook import contract, params
from cscbook.errors import UserError
from cscbook.fsutil import atomic_dir, ensure_writable, file_sha256, swap_in

ROOT = Path(__file__).resolve().parents[3]
BOOK = ROOT / "book"
KEY_PACKAGES = [
    "jupyter-book",
    "papermill",
    "pandas",
    "numpy",
    "seaborn",
    "matplotlib",
    "statsmodels",
    "scipy",
    "pyarrow",
]

SYNTHETIC_BANNER = """```{{admonition}} Synthetic data
:class: warning
This page is built on **synthetic England** (seed {seed}, years {years}): a made-up data set,
calibrated to published national figures. **The authorities are fictional**; no figure here
describes a real authority. Run the book on the official statistics to see real figures.
```
"""
OFFICIAL_NOTE = """```{{admonition}} Data
:class: note
Built on official statistics: {sources}. Contains public sector information licensed under the
Open Government Licence v3.0.
```
"""


PROFILE_TEMPLATE = BOOK / "profiles" / "template.ipynb"
#: Pages about the book rather than built on its data: no data banner in the text (a synthetic build
#: still shows the site-wide announcement on them).
REFERENCE_PAGES = {"methods", "sources", "rerun", "glossary", "bibliography"}
#: Profiles run in at most this many batches; each batch pays one kernel start for all its authorities.
PROFILE_BATCHES = 4
#: A kernel's start and imports cost about as much as this many profiles, so fewer authorities take fewer batches.
PROFILES_PER_BATCH = 12


@dataclass
class Chapter:
    id: str
    template: Path

    @property
    def model(self) -> type[params.ChapterParams]:
        return params.CHAPTER_MODELS[self.id]


@dataclass
class BuildResult:
    html: Path
    executed: dict[str, bool] = field(default_factory=dict)  # chapter -> True if run, False if reused
    timings: dict[str, float] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file named in _toc.yml, in order (without suffix)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            for part in e.get("parts", []) or []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return files


def chapters(root: Path = ROOT) -> list[Chapter]:
    """The chapters: notebook templates named in the table of contents."""
    out = []
    for f in toc_files(root):
        nb = root / f"{f}.ipynb"
        if nb.exists():
            out.append(Chapter(Path(f).name, nb))
    return out


def chapter_by_id(name: str) -> Chapter:
    found = {c.id: c for c in chapters()}
    if name not in found:
        raise UserError(f"chapter {name!r}", "no such chapter", f"chapters are: {', '.join(found)}")
    return found[name]


def resolve_all(overrides: dict[str, Any], selected: list[Chapter]) -> dict[str, params.ChapterParams]:
    """Check the user's parameters for every chapter before anything runs.

    A name must belong to at least one chapter; each chapter takes the names it knows.
    """
    known = set()
    for ch in selected:
        known |= set(params.allowed(ch.model))
    for k in overrides:
        if k not in known:
            raise UserError(f"parameter {k!r}", "unknown parameter", f"allowed names: {', '.join(sorted(known))}")
    out = {}
    for ch in selected:
        mine = {k: v for k, v in overrides.items() if k in ch.model.model_fields}
        out[ch.id] = params.resolve(ch.model, mine, where=f"chapter {ch.id!r}")
    return out


# --- data -------------------------------------------------------------------------------


def ingest_official(folder: Path, cache: Path | None = None):
    """Read a folder of official files (cached per file on its hash, in ``cache`` or the default folder)."""
    from cscbook.ingest import DEFAULT_CACHE, ingest_folder

    if not Path(folder).is_dir():
        raise UserError(str(folder), "data folder not found", "data must be 'synthetic' or a folder of official files")
    return ingest_folder(Path(folder), cache=cache or DEFAULT_CACHE)


def prepare_official(folder: Path, geography: str = "2018") -> contract.Prepared:
    """Ingest and harmonise a folder of official files."""
    from cscbook.harmonise import harmonise

    return harmonise(ingest_official(folder), geography=geography)


def prepare_data(p: params.ChapterParams, build_dir: Path) -> Path:
    """Make (or reuse) the prepared data folder for these parameters and return its path.

    The folder is reused when its stamp (package version, code hash and, for official data, the
    geography and every input file's hash) matches; otherwise it is made again and validated.
    """
    from cscbook import validate

    stamp = {"version": cscbook.__version__, "code": code_hash()}
    if p.data == "synthetic":
        out = build_dir / "data" / f"synthetic-s{p.seed}-{p.years}"
        if _stamp_ok(out, stamp):
            return out
        from cscbook.acquire import synth

        prep = synth.generate(seed=p.seed, years=p.year_range)
    else:
        from cscbook.harmonise import harmonise

        folder = Path(p.data)
        result = ingest_official(folder, cache=build_dir / "cache" / "ingest")  # parsed files, kept in the build folder
        digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]
        out = build_dir / "data" / f"official-{p.geography}-{digest}"
        stamp |= {"geography": p.geography, "inputs": result.hashes}
        if _stamp_ok(out, stamp):
            return out
        prep = harmonise(result, geography=p.geography)
    validate.validate_prepared(prep)
    contract.write_prepared(prep, out)
    (out / "stamp.json").write_text(json.dumps(stamp, sort_keys=True))
    return out


def _stamp_ok(out: Path, stamp: dict) -> bool:
    f = out / "stamp.json"
    return f.exists() and (out / "panel.parquet").exists() and json.loads(f.read_text()) == stamp


def panel_ids(panel_dir: Path):
    """The identity columns of every panel row (read once per build)."""
    import pandas as pd

    return pd.read_parquet(panel_dir / "panel.parquet", columns=["la_code", "la_name", "region", "year"])


def authorities(ids):
    """One row per authority (index la_code): its name and region in its latest year."""
    latest = ids.sort_values("year", kind="stable").drop_duplicates("la_code", keep="last")
    return latest.set_index("la_code")[["la_name", "region"]].astype(str).sort_index()


def check_against_data(resolved: dict[str, params.ChapterParams], ids) -> None:
    """Parameters that refer to the data (years, highlighted authority) must match it, before any chapter runs."""
    for p in resolved.values():
        contract.check_years(ids, p.years)
        contract.find_authority(ids, p.highlight)


# --- hashes for the cache ------------------------------------------------------------------


@functools.cache
def code_hash() -> str:
    """A hash of the package's source files (computed once per process)."""
    h = hashlib.sha256()
    pkg = Path(cscbook.__file__).parent
    for f in sorted(pkg.rglob("*.py")):
        h.update(f.relative_to(pkg).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@functools.cache
def environment_hash() -> str:
    """A hash of the pinned environment: requirements.txt and the Python version."""
    h = hashlib.sha256(platform.python_version().encode())
    req = ROOT / "requirements.txt"
    if req.exists():
        h.update(req.read_bytes())
    return h.hexdigest()


def data_hash(panel_dir: Path) -> str:
    h = hashlib.sha256()
    for name in ("panel.parquet", "flags.csv", "meta.json", "truth.json", "neighbours.csv"):
        f = panel_dir / name
        if f.exists():
            h.update(file_sha256(f).encode())
    return h.hexdigest()


def cache_key(ch: Chapter, p: params.ChapterParams, panel_dir: Path, profiles: str = "all") -> str:
    parts = {
        "template": hashlib.sha256(ch.template.read_bytes()).hexdigest(),
        "params": p.model_dump(exclude={"panel_dir"}),
        "data": data_hash(panel_dir),
        "code": code_hash(),
        "env": environment_hash(),
        "profiles": profiles,  # chapters link to the profiles that exist
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# --- execution ---------------------------------------------------------------------------


def is_cached(ch: Chapter, key: str, build_dir: Path) -> bool:
    return stamp_matches(build_dir / "executed" / ch.id, key)


def stamp_matches(folder: Path, key: str) -> bool:
    """True if ``folder`` was executed with this cache key (its cache.json says so)."""
    stamp = folder / "cache.json"
    return stamp.exists() and json.loads(stamp.read_text()).get("key") == key


def last_duration(ch: Chapter, build_dir: Path) -> float:
    """Seconds the chapter took when it last ran (0 if never)."""
    stamp = build_dir / "executed" / ch.id / "cache.json"
    return float(json.loads(stamp.read_text()).get("seconds", 0)) if stamp.exists() else 0.0


def pages_hash(root: Path = ROOT) -> str:
    """A hash of the book's configuration and pages other than the chapter templates."""
    h = hashlib.sha256()
    files = [root / "_config.yml", root / "_toc.yml", *sorted((root / "book").rglob("*"))]
    for f in files:
        if f.is_file() and f.suffix != ".ipynb":
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def execute(
    ch: Chapter, p: params.ChapterParams, panel_dir: Path, build_dir: Path, force: bool = False, key: str | None = None
) -> bool:
    """Execute one chapter into ``executed/<id>/``; return False if the cached result was reused.

    The chapter runs in a fresh folder that replaces the old one only on success, so a failure
    leaves the last good execution in place; the failed notebook is kept as ``<id>.failed.ipynb``
    for inspection.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    target = build_dir / "executed" / ch.id
    key = key or cache_key(ch, p, panel_dir)
    if not force and is_cached(ch, key, build_dir):
        return False
    values = p.model_dump()
    values["panel_dir"] = str(panel_dir.resolve())
    started = time.perf_counter()
    with atomic_dir(target) as tmp:
        out_nb = tmp / f"{ch.id}.ipynb"
        try:
            pm.execute_notebook(
                str(ch.template),
                str(out_nb),
                parameters=values,
                cwd=str(tmp),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except PapermillExecutionError as exc:
            if exc.ename == "KeyboardInterrupt":
                raise KeyboardInterrupt from None
            failed = build_dir / "executed" / f"{ch.id}.failed.ipynb"
            if out_nb.exists():
                shutil.copyfile(out_nb, failed)
            user = _user_error_in(exc)
            if user:
                raise UserError(*user) from None
            raise UserError(
                f"{ch.template.relative_to(ROOT)}",
                f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}; executed copy kept at {failed}",
                "a chapter notebook must run without errors",
            ) from None
        seconds = round(time.perf_counter() - started, 2)
        (tmp / "cache.json").write_text(
            json.dumps({"key": key, "params": p.model_dump(exclude={"panel_dir"}), "seconds": seconds})
        )
    return True


def _worker_init() -> None:
    """Detach a worker from the terminal's signals; the main process stops it on Ctrl-C."""
    import signal

    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_workers(pool: ProcessPoolExecutor, build_dir: Path) -> None:
    """End the workers and their kernels, and remove the folders of chapters they left unfinished."""
    import signal

    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    time.sleep(0.2)
    for tmp in (build_dir / "executed").glob(".*.new-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def _run_chapter(ch, p, panel_dir, build_dir, force, key) -> tuple[bool, float]:
    """Worker-process entry: execute one chapter and time it."""
    s = time.perf_counter()
    ran = execute(ch, p, panel_dir, build_dir, force=force, key=key)
    return ran, time.perf_counter() - s


def _user_error_in(exc) -> tuple[str, str, str] | None:
    """A UserError raised inside the notebook comes back as its three parts."""
    if exc.ename != "UserError":
        return None
    text = str(exc.evalue).removeprefix("error: ")
    where, _, rest = text.partition(": ")
    what, _, rule = rest.rpartition(" (")
    return where, what, rule.rstrip(")")


# --- authority profiles ----------------------------------------------------------------------


def profile_selection(value: str, ids) -> list[str]:
    """The authorities to profile: 'all', 'none', or codes and names separated by commas."""
    value = (value or "all").strip()
    if value == "all":
        return sorted(ids["la_code"].unique())
    if value == "none":
        return []
    codes = []
    for key in (k.strip() for k in value.split(",")):
        try:
            code, _ = contract.find_authority(ids, key)
        except UserError:
            raise UserError(
                "option --profiles",
                f"{key!r} is not an authority in the data",
                "use all, none or authority codes/names",
            ) from None
        codes.append(code)
    return sorted(set(codes))


def profiles_env(codes: list[str], ids) -> str:
    """The value of CSCBOOK_PROFILES for this build: 'all' or the chosen codes."""
    return "all" if set(codes) == set(ids["la_code"]) else ",".join(codes)


def profiles_key(codes: list[str], years: str, panel_dir: Path, env_value: str) -> str:
    parts = {
        "template": hashlib.sha256(PROFILE_TEMPLATE.read_bytes()).hexdigest(),
        "codes": codes,
        "years": years,
        "links": env_value,
        "data": data_hash(panel_dir),
        "code": code_hash(),
        "env": environment_hash(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def fill_template(nb, code: str, name: str):
    """Put the authority's name and code into the template's markdown (title, download link)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for placeholder, value in (("{{la_name}}", name), ("{{la_code}}", code), ("{{key}}", code.lower())):
                cell.source = cell.source.replace(placeholder, value)
    return nb


def _run_profiles(items: list[tuple[str, str]], panel_dir: Path, years: str, out_dir: Path) -> float:
    """Worker-process entry: execute the profile template for each (code, name) in one kernel.

    Starting a kernel and importing the scientific stack costs more than a profile itself, so a
    batch keeps one kernel for all its authorities; the data every profile needs is loaded once
    per kernel (``profiles.shared``).
    """
    import copy

    import nbformat
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    out_dir, panel_dir = Path(out_dir).resolve(), Path(panel_dir).resolve()  # the kernel has its own cwd
    template = nbformat.read(PROFILE_TEMPLATE, as_version=4)
    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=["--IPKernelApp.log_level=CRITICAL"], cwd=str(out_dir))
    try:
        for code, name in items:
            out_nb = out_dir / f"{code}.ipynb"
            try:
                pm.execute_notebook(
                    fill_template(copy.deepcopy(template), code, name),
                    str(out_nb),
                    parameters={
                        "la_code": code,
                        "panel_dir": str(panel_dir),
                        "years": years,
                        "out_dir": str(out_dir),
                    },
                    km=km,
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                )
            except PapermillExecutionError as exc:
                if exc.ename == "KeyboardInterrupt":
                    raise KeyboardInterrupt from None
                failed = out_dir.parent / f"profile-{code}.failed.ipynb"
                if out_nb.exists():
                    shutil.copyfile(out_nb, failed)
                raise UserError(
                    f"{PROFILE_TEMPLATE.relative_to(ROOT)} for {code} ({name})",
                    f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}; executed copy kept at {failed}",
                    "a profile must run without errors",
                ) from None
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    return time.perf_counter() - started


def profile_batches(codes: list[str], names: dict[str, str], n: int) -> list[list[tuple[str, str]]]:
    """Split the authorities into at most ``n`` batches of near-equal size (round robin keeps them
    balanced), and no more batches than there are PROFILES_PER_BATCH authorities to share a kernel."""
    n = max(1, min(n, -(-len(codes) // PROFILES_PER_BATCH)))
    batches = [[(c, names[c]) for c in codes[i::n]] for i in range(n)]
    return [b for b in batches if b]


# --- staging and the book ---------------------------------------------------------------------


def stage(
    build_dir: Path,
    prepared_meta: dict,
    record: dict,
    panel_dir: Path | None = None,
    profiled=None,
) -> Path:
    """Assemble the book source: config, pages, executed notebooks and profiles (with the data banner)."""
    import nbformat

    st = build_dir / "stage"
    if st.exists():
        shutil.rmtree(st)
    st.mkdir(parents=True)
    shutil.copy2(ROOT / "_toc.yml", st / "_toc.yml")
    stage_config(st, prepared_meta)
    shutil.copytree(BOOK, st / "book", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
    banner = data_banner(prepared_meta)
    for md in (st / "book").rglob("*.md"):
        if md.stem not in REFERENCE_PAGES:
            md.write_text(insert_after_title(md.read_text(), banner))
    downloads: dict[str, list[str]] = {}
    for ch in chapters():
        src = build_dir / "executed" / ch.id
        for f in sorted(src.iterdir()):
            if f.name == "cache.json":
                continue
            if f.suffix == ".ipynb":
                nb = nbformat.read(f, as_version=4)
                prepare_notebook_for_book(nb, banner)
                nbformat.write(nb, st / "book" / f.name)
            else:
                shutil.copy2(f, st / "book" / f.name)
                if f.suffix == ".csv":
                    downloads.setdefault(ch.id, []).append(f.name)
    if panel_dir is not None:
        for name in ("panel.csv", "flags.csv"):
            if (panel_dir / name).exists():
                shutil.copy2(panel_dir / name, st / "book" / name)
    downloads_page = st / "book" / "downloads.md"
    if downloads_page.exists():
        downloads_page.write_text(downloads_page.read_text() + downloads_list(downloads))
    if profiled is not None:
        stage_profiles(st, build_dir / "executed" / "profiles", profiled, banner)
    (st / "book" / "run_record.md").write_text(run_record_page(record, banner))
    return st


def stage_config(st: Path, meta: dict) -> None:
    """The book's _config.yml, with a banner on every page (search and index pages too) for synthetic data."""
    config = (ROOT / "_config.yml").read_text()
    if meta.get("source") == "synthetic":
        cfg = yaml.safe_load(config)
        cfg.setdefault("html", {})["announcement"] = (
            "Synthetic data: every figure on this site comes from synthetic England, a made-up data set; "
            "the authorities are fictional."
        )
        config = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    (st / "_config.yml").write_text(config)


def downloads_list(downloads: dict[str, list[str]]) -> str:
    """Markdown list of every chapter table (and the panel) as download links."""
    lines = [
        "",
        "## The panel",
        "",
        "- {download}`panel.csv`: the LA-year panel the book is built on",
        "- {download}`flags.csv`: the data log (every derived, imputed or missing cell and its rule)",
        "",
    ]
    for chapter_id, files in downloads.items():
        lines += [f"## {chapter_id.capitalize()}", ""]
        lines += [f"- {{download}}`{name}`" for name in files]
        lines.append("")
    return "\n".join(lines)


def stage_profiles(st: Path, executed: Path, profiled, banner: str) -> None:
    """Copy the executed profiles, write their index (a searchable table) and list them in the TOC.

    ``profiled``: the authorities with a profile (see :func:`authorities`).
    """
    import nbformat

    folder = st / "book" / "profiles"
    folder.mkdir(exist_ok=True)
    table = profiled.reset_index().sort_values(["la_name", "la_code"], kind="stable")
    for code in table["la_code"]:
        nb = nbformat.read(executed / f"{code}.ipynb", as_version=4)
        prepare_notebook_for_book(nb, banner)
        nbformat.write(nb, folder / f"{code}.ipynb")
        shutil.copy2(executed / f"{code}_profile.csv", folder / f"{code}_profile.csv")
    index = folder / "index.md"
    index.write_text(index.read_text() + profile_index(table))
    toc_path = st / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    for entry in toc.get("chapters", []):
        if entry.get("file") == "book/profiles/index":
            if len(table):
                entry["sections"] = [{"file": f"book/profiles/{c}"} for c in table["la_code"]]
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False))


PROFILE_SEARCH = """
<label for="profile-search">Find an authority:</label>
<input id="profile-search" type="search" placeholder="Name, code or region" autocomplete="off">
<span id="profile-count" aria-live="polite"></span>
<script>
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("profile-search");
  var table = document.getElementById("profile-list");
  var count = document.getElementById("profile-count");
  if (!box || !table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  function filter() {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var hit = row.textContent.toLowerCase().indexOf(q) !== -1;
      row.style.display = hit ? "" : "none";
      if (hit) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " authorities";
  }
  box.addEventListener("input", filter);
  filter();
});
</script>
"""


def profile_index(table) -> str:
    """The searchable list of profiles for the index page."""
    if table.empty:
        return "\nThis build made no profiles (`cscbook build --profiles none`).\n"
    lines = [
        PROFILE_SEARCH,
        "",
        ":::{table} Authority profiles",
        ":name: profile-list",
        "",
        "| Authority | Code | Region |",
        "|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(f"| {{doc}}`{row.la_name} <{row.la_code}>` | {row.la_code} | {row.region} |")
    lines += [":::", ""]
    return "\n".join(lines)


def data_banner(meta: dict) -> str:
    if meta.get("source") == "synthetic":
        y = meta.get("years", ["?", "?"])
        return SYNTHETIC_BANNER.format(seed=meta.get("seed"), years=f"{y[0]}-{y[1]}")
    cited = sorted({s.get("title", "") for s in meta.get("sources", []) if s.get("title")})
    return OFFICIAL_NOTE.format(sources="; ".join(cited) or "see the run record")


def insert_after_title(text: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "".join(lines[: i + 1]) + "\n" + block + "\n" + "".join(lines[i + 1 :])
    return block + "\n" + text


def prepare_notebook_for_book(nb, banner: str) -> None:
    """Put the data banner under the title and hide the parameter cells."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            cell.metadata["tags"] = sorted(set(tags) | {"remove-cell"})
    first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    import nbformat

    cell = nbformat.v4.new_markdown_cell(banner)
    cell.id = "data-banner"
    nb.cells.insert(first_md + 1, cell)


def run_record_page(record: dict, banner: str) -> str:
    lines = ["# Appendix: run record", "", banner, ""]
    lines += [
        "Every build writes this record (also `_build/run_record.json`): the resolved parameters,",
        "the package and dependency versions, input hashes, row counts and step timings.",
        "",
        "```json",
        json.dumps(record, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)


def build_book(st: Path, build_dir: Path, site_key: str = "") -> Path:
    """Run Jupyter Book (warnings are errors, references checked nitpickily) and swap the new site into
    ``build_dir/html``."""
    out = build_dir / "book-out"
    if out.exists():
        shutil.rmtree(out)
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(st),
        "--path-output",
        str(out),
        "-W",
        "-n",
        "--keep-going",
        "-q",
    ]
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    html = out / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").exists():
        text = proc.stderr + proc.stdout
        first = next(
            (ln for ln in text.splitlines() if "WARNING" in ln or "ERROR" in ln or "Error" in ln), text.strip()[-300:]
        )
        raise UserError("jupyter-book", first.strip(), "the book must build without warnings")
    drop_repeated_scripts(html)
    (html / ".site-key").write_text(site_key)
    target = build_dir / "html"
    swap_in(html, target)
    shutil.rmtree(out, ignore_errors=True)
    return target


_INLINE_SCRIPT = re.compile(r"<script>[^<]*</script>\n?")


def drop_repeated_scripts(html_dir: Path) -> int:
    """Keep only the first copy of each inline script in a page's head.

    Jupyter Book 1.0.4 writes sphinx-thebe's and sphinx-togglebutton's setup scripts twice, and the
    second ``const THEBE_JS_URL`` is a console error in every browser. Returns the pages changed.
    """
    changed = 0
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        head, sep, body = text.partition("</head>")
        new_head = _drop_repeats(head)
        if new_head != head:
            page.write_text(new_head + sep + body, encoding="utf-8")
            changed += 1
    return changed


def _drop_repeats(head: str) -> str:
    seen: set[str] = set()

    def once(m: re.Match) -> str:
        key = m.group(0).strip()
        if key in seen:
            return ""
        seen.add(key)
        return m.group(0)

    return _INLINE_SCRIPT.sub(once, head)


# --- the whole build -----------------------------------------------------------------------


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "cscbook": cscbook.__version__}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def build(
    overrides: dict[str, Any] | None = None,
    build_dir: Path = ROOT / "_build",
    only: list[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Callable[[str, str, float], None] | None = None,
    profiles: str = "all",
) -> BuildResult:
    """Build the book. ``only`` re-executes just those chapters (others reuse their last run).

    ``profiles`` chooses the authority profile pages: 'all' (default), 'none', or codes and names
    separated by commas.
    """
    overrides = dict(overrides or {})
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    all_ch = chapters()
    resolved = resolve_all(overrides, all_ch)
    first = next(iter(resolved.values()))
    build_dir = Path(build_dir)
    ensure_writable(build_dir)

    t = time.perf_counter()
    panel_dir = prepare_data(first, build_dir)
    timings["data"] = time.perf_counter() - t
    meta = json.loads((panel_dir / "meta.json").read_text())
    ids = panel_ids(panel_dir)
    check_against_data(resolved, ids)
    codes = profile_selection(profiles, ids)
    links = profiles_env(codes, ids)
    os.environ["CSCBOOK_PROFILES"] = links  # read by chapters and profiles (in their kernels) to link pages

    keys = {c.id: cache_key(c, resolved[c.id], panel_dir, links) for c in all_ch}
    pkey = profiles_key(codes, first.years, panel_dir, links)
    site_key = hashlib.sha256(json.dumps([keys, pkey, pages_hash()], sort_keys=True).encode()).hexdigest()
    html_dir = build_dir / "html"
    site_stamp = html_dir / ".site-key"
    profiles_dir = build_dir / "executed" / "profiles"
    profiles_cached = stamp_matches(profiles_dir, pkey)
    if (
        not force
        and site_stamp.exists()
        and site_stamp.read_text() == site_key
        and all(is_cached(c, keys[c.id], build_dir) for c in all_ch)
        and profiles_cached
    ):  # nothing changed since the published site was built
        timings["total"] = time.perf_counter() - t0
        return BuildResult(html=html_dir, executed={c.id: False for c in all_ch}, timings=timings, record={})

    todo = [c for c in all_ch if only is None or c.id in only]
    for c in all_ch:
        if c not in todo and not (build_dir / "executed" / c.id / f"{c.id}.ipynb").exists():
            todo.append(c)  # never executed yet: it must run for the book to build
    todo.sort(key=lambda c: -last_duration(c, build_dir))  # longest first keeps both cores busy
    run_profiles = force or not profiles_cached
    profiled = authorities(ids).loc[codes]
    batches = profile_batches(codes, profiled["la_name"].to_dict(), PROFILE_BATCHES) if run_profiles else []
    executed: dict[str, bool] = {}
    jobs = jobs or os.cpu_count() or 1

    t = time.perf_counter()
    # Chapters and profile batches run in worker processes: papermill changes the working directory,
    # which threads share. Workers (and their kernels) live in their own session, so Ctrl-C reaches
    # only this process, which then ends them and clears their unfinished folders.
    with atomic_dir(profiles_dir) if run_profiles else contextlib.nullcontext() as ptmp:
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo) + len(batches))), initializer=_worker_init)
        try:
            futures = {}
            for ch in todo:
                if progress:
                    progress(ch.id, "start", 0.0)
                futures[ch.id] = pool.submit(
                    _run_chapter, ch, resolved[ch.id], panel_dir, build_dir, force, keys[ch.id]
                )
            for i, batch in enumerate(batches):
                futures[f"profiles:{i}"] = pool.submit(_run_profiles, batch, panel_dir, first.years, ptmp)
            if batches and progress:
                progress(f"profiles ({len(codes)})", "start", 0.0)
            profile_seconds = 0.0
            names_of = {fut: cid for cid, fut in futures.items()}
            for fut in as_completed(futures.values()):
                cid = names_of[fut]
                try:
                    result = fut.result()
                except Exception:
                    # the first failure stops the rest: its message is what the user needs, now
                    _stop_workers(pool, build_dir)
                    raise
                if cid.startswith("profiles:"):
                    profile_seconds += result
                    continue
                ran, dt = result
                executed[cid] = ran
                timings[f"chapter:{cid}"] = dt
                if progress:
                    progress(cid, "ran" if ran else "cached", dt)
        except KeyboardInterrupt:
            _stop_workers(pool, build_dir)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if run_profiles:
            (ptmp / "cache.json").write_text(json.dumps({"key": pkey, "codes": codes}))
            timings["profiles"] = profile_seconds
            if progress:
                progress(f"profiles ({len(codes)})", "ran", profile_seconds)
    timings["chapters"] = time.perf_counter() - t

    record = {
        "parameters": {cid: p.model_dump(exclude={"panel_dir"}) for cid, p in resolved.items()},
        "versions": versions(),
        "data": {
            "source": meta.get("source"),
            "folder": str(panel_dir.relative_to(build_dir)) if panel_dir.is_relative_to(build_dir) else str(panel_dir),
            "hash": data_hash(panel_dir),
            "rows": meta.get("rows"),
            "inputs": {path: i.get("sha256") for path, i in meta.get("inputs", {}).items()},
        },
        "executed": {c.id: ("ran" if executed.get(c.id) else "reused from an earlier run") for c in all_ch},
        "profiles": {
            "authorities": len(codes),
            "executed": "ran" if run_profiles else "reused from an earlier run",
            "selection": profiles,
        },
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    t = time.perf_counter()
    st = stage(build_dir, meta, record, panel_dir=panel_dir, profiled=profiled)
    html = build_book(st, build_dir, site_key)
    timings["book"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    record["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    (build_dir / "run_record.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return BuildResult(html=html, executed=executed, timings=timings, record=record)
