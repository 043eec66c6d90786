"""The build: data -> chapters executed by papermill -> Jupyter Book -> the site, swapped in whole.

Layout of the build folder (default ``_build``):

    data/<key>/          prepared data folders (see ``contract``)
    executed/<chapter>/  each chapter's executed notebook, its CSV tables and JSON outputs, and
                         cache.json (the key it was executed with)
    stage/               the book source assembled for Jupyter Book (config, pages, executed notebooks)
    html/                the published site; replaced only when every step succeeded
    run_record.json      parameters, versions, input hashes, row counts and step timings
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

import cscbook
from cscbook import contract, params
from cscbook.errors import UserError
from cscbook.fsutil import atomic_dir, ensure_writable, file_sha256, swap_in

ROOT = Path(__file__).resolve().parents[2]
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


def ingest_official(folder: Path):
    """Read a folder of official files (cached per file on its hash)."""
    from cscbook.ingest import ingest_folder

    if not Path(folder).is_dir():
        raise UserError(str(folder), "data folder not found", "data must be 'synthetic' or a folder of official files")
    return ingest_folder(Path(folder))


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
        from cscbook import synth

        prep = synth.generate(seed=p.seed, years=p.year_range)
    else:
        from cscbook.harmonise import harmonise

        folder = Path(p.data)
        result = ingest_official(folder)
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


def check_against_data(resolved: dict[str, params.ChapterParams], panel_dir: Path) -> None:
    """Parameters that refer to the data (years, highlighted authority) must match it, before any chapter runs."""
    import pandas as pd

    ids = pd.read_parquet(panel_dir / "panel.parquet", columns=["la_code", "la_name", "year"])
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
    for name in ("panel.parquet", "flags.csv", "meta.json", "truth.json"):
        f = panel_dir / name
        if f.exists():
            h.update(file_sha256(f).encode())
    return h.hexdigest()


def cache_key(ch: Chapter, p: params.ChapterParams, panel_dir: Path) -> str:
    parts = {
        "template": hashlib.sha256(ch.template.read_bytes()).hexdigest(),
        "params": p.model_dump(exclude={"panel_dir"}),
        "data": data_hash(panel_dir),
        "code": code_hash(),
        "env": environment_hash(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# --- execution ---------------------------------------------------------------------------


def is_cached(ch: Chapter, key: str, build_dir: Path) -> bool:
    stamp = build_dir / "executed" / ch.id / "cache.json"
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


# --- staging and the book ---------------------------------------------------------------------


def stage(build_dir: Path, prepared_meta: dict, record: dict) -> Path:
    """Assemble the book source: config, pages, executed notebooks (with the data banner)."""
    st = build_dir / "stage"
    if st.exists():
        shutil.rmtree(st)
    st.mkdir(parents=True)
    for f in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / f, st / f)
    shutil.copytree(BOOK, st / "book", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
    banner = data_banner(prepared_meta)
    for md in (st / "book").glob("*.md"):
        md.write_text(insert_after_title(md.read_text(), banner))
    for ch in chapters():
        src = build_dir / "executed" / ch.id
        for f in src.iterdir():
            if f.name == "cache.json":
                continue
            if f.suffix == ".ipynb":
                import nbformat

                nb = nbformat.read(f, as_version=4)
                prepare_notebook_for_book(nb, banner)
                nbformat.write(nb, st / "book" / f.name)
            else:
                shutil.copy2(f, st / "book" / f.name)
    (st / "book" / "run_record.md").write_text(run_record_page(record, banner))
    return st


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
    """Run Jupyter Book (warnings are errors) and swap the new site into ``build_dir/html``."""
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
    (html / ".site-key").write_text(site_key)
    target = build_dir / "html"
    swap_in(html, target)
    shutil.rmtree(out, ignore_errors=True)
    return target


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
) -> BuildResult:
    """Build the book. ``only`` re-executes just those chapters (others reuse their last run)."""
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
    check_against_data(resolved, panel_dir)

    keys = {c.id: cache_key(c, resolved[c.id], panel_dir) for c in all_ch}
    site_key = hashlib.sha256(json.dumps([keys, pages_hash()], sort_keys=True).encode()).hexdigest()
    html_dir = build_dir / "html"
    site_stamp = html_dir / ".site-key"
    if (
        not force
        and site_stamp.exists()
        and site_stamp.read_text() == site_key
        and all(is_cached(c, keys[c.id], build_dir) for c in all_ch)
    ):  # nothing changed since the published site was built
        timings["total"] = time.perf_counter() - t0
        return BuildResult(html=html_dir, executed={c.id: False for c in all_ch}, timings=timings, record={})

    todo = [c for c in all_ch if only is None or c.id in only]
    for c in all_ch:
        if c not in todo and not (build_dir / "executed" / c.id / f"{c.id}.ipynb").exists():
            todo.append(c)  # never executed yet: it must run for the book to build
    todo.sort(key=lambda c: -last_duration(c, build_dir))  # longest first keeps both cores busy
    executed: dict[str, bool] = {}
    jobs = jobs or os.cpu_count() or 1

    t = time.perf_counter()
    # Chapters run in worker processes: papermill changes the working directory, which threads share.
    # Workers (and their kernels) live in their own session, so Ctrl-C reaches only this process,
    # which then ends them and clears their unfinished folders.
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo) or 1)), initializer=_worker_init)
    try:
        futures = {}
        for ch in todo:
            if progress:
                progress(ch.id, "start", 0.0)
            futures[ch.id] = pool.submit(_run_chapter, ch, resolved[ch.id], panel_dir, build_dir, force, keys[ch.id])
        errors = []
        for cid, fut in futures.items():
            try:
                ran, dt = fut.result()
                executed[cid] = ran
                timings[f"chapter:{cid}"] = dt
                if progress:
                    progress(cid, "ran" if ran else "cached", dt)
            except Exception as exc:  # keep waiting for the others, then report the first
                errors.append(exc)
        if errors:
            raise errors[0]
    except KeyboardInterrupt:
        _stop_workers(pool, build_dir)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
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
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    t = time.perf_counter()
    st = stage(build_dir, meta, record)
    html = build_book(st, build_dir, site_key)
    timings["book"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    record["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    (build_dir / "run_record.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return BuildResult(html=html, executed=executed, timings=timings, record=record)
