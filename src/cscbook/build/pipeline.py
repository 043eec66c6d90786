"""The whole build: data -> chapters and profiles executed by papermill -> Jupyter Book -> the site,
swapped in whole. The layout of the build folder is described in :mod:`cscbook.build.registry`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import cscbook
from cscbook import contract, params
from cscbook.build import registry
from cscbook.build.cache import (
    cache_key,
    data_hash,
    is_cached,
    last_duration,
    pages_hash,
    profiles_key,
    stamp_matches,
)
from cscbook.build.execute import forking_quietly, run_chapter, stop_workers, worker_init
from cscbook.build.profile_run import (
    profile_batches,
    profile_keys,
    profile_links,
    profile_selection,
    run_profiles,
)
from cscbook.build.stage import stage
from cscbook.errors import UserError
from cscbook.fsutil import atomic_dir, claim, clear_unfinished, ensure_writable, exclusive, mark
from cscbook.site import pdf as pdf_edition
from cscbook.site.jupyter import build_book
from cscbook.snapshot.prepare import authorities, check_against_data, panel_ids, prepare_data

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


#: What a build folder holds (a folder with anything else, and no marker, is not a build folder).
BUILD_ENTRIES = {"data", "executed", "html", "stage", "cache", "run_record.json", "look", "pdf", "pdf-work"}


def claim_build_dir(build_dir: Path, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse a ``--build-dir`` that holds what cscbook did not write, or the data it reads (see fsutil.claim)."""
    claim(build_dir, BUILD_ENTRIES, inputs=inputs, what="--build-dir")


@dataclass
class BuildResult:
    html: Path
    executed: dict[str, bool] = field(default_factory=dict)  # chapter -> True if run, False if reused
    timings: dict[str, float] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """What a build runs on and the cache keys of everything it would execute."""

    chapters: list[registry.Chapter]
    resolved: dict[str, params.ChapterParams]
    panel_dir: Path
    meta: dict
    ids: Any  # panel identity columns (see data.panel_ids)
    codes: list[str]  # the authorities with a profile
    links: str  # the profile pages the notebooks link to: 'all' or codes
    profile_dir: Path  # the data the profiles are made from (see profile_data)
    profile_ids: Any
    profile_years: str
    keys: dict[str, str]  # chapter -> cache key
    profiles_key: str
    site_key: str
    profile_params: dict = field(default_factory=dict)  # ProfileParams: neighbours, compare
    pdf: str = "book"  # the PDF edition: book, all (with the profiles) or none
    pdf_key: str = ""
    panels: dict = field(default_factory=dict)  # footprint -> prepared folder offered as a download
    folders: dict = field(default_factory=dict)  # the chapters' other footprints (see chapter_folders)

    @property
    def first(self) -> params.ChapterParams:
        return next(iter(self.resolved.values()))


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "cscbook": cscbook.__version__}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def plan(
    overrides: dict[str, Any], build_dir: Path, profiles: str, timings: dict[str, float], pdf: str = "book"
) -> Plan:
    """Check the parameters, prepare the data, check the parameters against it, and compute the keys.
    The profiles' own parameters (:class:`cscbook.params.ProfileParams`) go to the profiles only."""
    if pdf not in pdf_edition.CHOICES:
        raise UserError("--pdf", f"{pdf!r} is not one of {', '.join(pdf_edition.CHOICES)}", "pdf-choice")
    profile_keys(profiles)  # the option is read before the data are prepared
    overrides = dict(overrides)
    mine = {k: overrides.pop(k) for k in params.PROFILE_NAMES if k in overrides}
    profile_params = params.resolve(params.ProfileParams, mine, where="the profiles").model_dump()
    all_ch = registry.chapters()
    resolved = registry.resolve_all(overrides, all_ch)
    first = next(iter(resolved.values()))
    t = time.perf_counter()
    panel_dir = prepare_data(first, build_dir)
    ids = panel_ids(panel_dir)
    check_against_data(resolved, ids)
    profile_dir, profile_ids, profile_years = profile_data(first, panel_dir, ids, build_dir)
    timings["data"] = time.perf_counter() - t
    codes = profile_selection(profiles, profile_ids)
    links = profile_links(codes, profile_ids)
    panels = download_panels(first, panel_dir, profile_dir, build_dir)
    folders = chapter_folders(panels)
    keys = {c.id: cache_key(c, resolved[c.id], panel_dir, links, folders) for c in all_ch}
    pkey = profiles_key(codes, profile_years, profile_dir, links, profile_params)
    pages = pages_hash()
    site_key = hashlib.sha256(json.dumps([keys, pkey, pages, pdf], sort_keys=True).encode()).hexdigest()
    meta = json.loads((panel_dir / "meta.json").read_text())
    return Plan(
        all_ch,
        resolved,
        panel_dir,
        meta,
        ids,
        codes,
        links,
        profile_dir,
        profile_ids,
        profile_years,
        keys,
        pkey,
        site_key,
        profile_params,
        pdf,
        pdf_edition.pdf_key(keys, pages, pdf, pkey),
        panels,
        folders,
    )


def profile_data(first: params.ChapterParams, panel_dir: Path, ids, build_dir: Path) -> tuple[Path, Any, str]:
    """The data, identity columns and years of the authority profiles.

    On official data a profile shows one of today's authorities over every year the data reach (the
    latest footprint), whatever footprint and years the chapters use; on synthetic England, which has
    one footprint, it shows the chapters' years.
    """
    folder = panel_dir if first.data == "synthetic" else footprint(first, panel_dir, "latest", build_dir)
    latest_ids = ids if folder == panel_dir else panel_ids(folder)
    if first.data == "synthetic" and first.year_range:
        return folder, latest_ids, first.years
    return folder, latest_ids, f"{int(latest_ids['year'].min())}-{int(latest_ids['year'].max())}"


def footprint(first: params.ChapterParams, panel_dir: Path, geography: str, build_dir: Path) -> Path:
    """The prepared official data on ``geography``: the chapters' own folder when they use it, else made (or
    reused) beside it."""
    if first.geography == geography:
        return panel_dir
    return prepare_data(first.model_copy(update={"geography": geography}), build_dir)


def download_panels(first: params.ChapterParams, panel_dir: Path, profile_dir: Path, build_dir: Path) -> dict:
    """The prepared folders the Downloads page offers: on official data both footprints (today's authorities,
    and the 152 of 2017-18 the NAO counted), whichever the chapters use; on synthetic England its one panel."""
    if first.data == "synthetic":
        return {"": panel_dir}
    return {"latest": profile_dir, "2018": footprint(first, panel_dir, "2018", build_dir)}


def chapter_folders(panels: dict) -> dict[str, Path]:
    """The prepared folders a chapter reads beside its own, by internal parameter: today's authorities over every
    year (``later_dir``) and the NAO's footprint (``nao_dir``); none on synthetic England, which has one."""
    if "latest" not in panels:
        return {}
    return {"later_dir": panels["latest"], "nao_dir": panels["2018"]}


def site_is_current(pl: Plan, build_dir: Path) -> bool:
    """True when the published site was built from exactly these inputs."""
    site_stamp = build_dir / "html" / ".site-key"
    return (
        site_stamp.exists()
        and site_stamp.read_text() == pl.site_key
        and all(is_cached(c, pl.keys[c.id], build_dir) for c in pl.chapters)
        and stamp_matches(build_dir / "executed" / "profiles", pl.profiles_key)
    )


def chapters_to_run(pl: Plan, only: list[str] | None, build_dir: Path) -> list[registry.Chapter]:
    """The chapters asked for (all by default) and every other chapter whose last run is not this plan's, longest
    first.

    A chapter left out of ``only`` is reused only when it was executed with this plan's cache key (the same data,
    parameters, template and code): a page is never published from other data or parameters than the build's, so
    the run record, which describes the plan, describes every page.
    """
    todo = [c for c in pl.chapters if only is None or c.id in only or not is_cached(c, pl.keys[c.id], build_dir)]
    todo.sort(key=lambda c: -last_duration(c, build_dir))  # longest first keeps both cores busy
    return todo


def run_all(pl, todo, batches, build_dir, force, jobs, progress, timings, profiles_out) -> dict[str, bool]:
    """Run the chapters and profile batches in worker processes; return chapter -> whether it ran.

    Workers, not threads: papermill changes the working directory, which threads share. The first
    failure (or Ctrl-C) ends the workers and their kernels, and clears their unfinished folders.
    """
    executed: dict[str, bool] = {}
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo) + len(batches))), initializer=worker_init)
    try:
        futures = {}
        with forking_quietly():  # the pool forks its workers as the first jobs are submitted
            for ch in todo:
                if progress:
                    progress(ch.id, "start", 0.0)
                args = (ch, pl.resolved[ch.id], pl.panel_dir, build_dir, force, pl.keys[ch.id], pl.links, pl.folders)
                futures[ch.id] = pool.submit(run_chapter, *args)
            for i, batch in enumerate(batches):
                futures[f"profiles:{i}"] = pool.submit(
                    run_profiles, batch, pl.profile_dir, pl.profile_years, profiles_out, pl.links, pl.profile_params
                )
        if batches and progress:
            progress(f"profiles ({len(pl.codes)})", "start", 0.0)
        profile_seconds = 0.0
        names_of = {fut: cid for cid, fut in futures.items()}
        for fut in as_completed(futures.values()):
            cid = names_of[fut]
            try:
                result = fut.result()
            except BrokenProcessPool:
                stop_workers(pool, build_dir)
                raise UserError(
                    "profiles" if cid.startswith("profiles:") else f"chapter {cid}",
                    "its worker process ended abruptly (killed, or out of memory); the previous site is unchanged",
                    "a worker must finish",
                ) from None
            except Exception:
                # the first failure stops the rest: its message is what the user needs, now
                stop_workers(pool, build_dir)
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
        stop_workers(pool, build_dir)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if batches or profiles_out is not None:
        timings["profiles"] = profile_seconds
    return executed


def run_record(pl: Plan, build_dir: Path, executed, run_profiles_now: bool, profiles: str, timings) -> dict:
    """The run record: parameters, versions, the data and its hashes, what ran, and the timings."""
    panel_dir, meta = pl.panel_dir, pl.meta
    return {
        "parameters": {cid: p.model_dump(exclude=params.INTERNAL) for cid, p in pl.resolved.items()},
        "versions": versions(),
        "data": {
            "source": meta.get("source"),
            "edition": meta.get("edition"),  # the official snapshot's edition id (None on other data)
            "folder": str(panel_dir.relative_to(build_dir)) if panel_dir.is_relative_to(build_dir) else str(panel_dir),
            "hash": data_hash(panel_dir),
            "rows": meta.get("rows"),
            "inputs": {path: i.get("sha256") for path, i in meta.get("inputs", {}).items()},
        },
        "executed": {c.id: ("ran" if executed.get(c.id) else "reused from an earlier run") for c in pl.chapters},
        "profiles": {
            "authorities": len(pl.codes),
            "years": pl.profile_years,
            "folder": str(pl.profile_dir.relative_to(build_dir)) if pl.profile_dir.is_relative_to(build_dir) else "",
            "executed": "ran" if run_profiles_now else "reused from an earlier run",
            "selection": profiles,
            "parameters": pl.profile_params,
        },
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
    }


def build(
    overrides: dict[str, Any] | None = None,
    build_dir: Path = registry.ROOT / "_build",
    only: list[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Callable[[str, str, float], None] | None = None,
    profiles: str = "all",
    pdf: str = "book",
) -> BuildResult:
    """Build the book. ``only`` re-executes just those chapters (others reuse their last run).

    ``profiles`` chooses the authority profile pages: 'all' (default), 'none', or codes and names
    separated by commas. ``pdf``: the PDF edition without the profiles ('book', default), with them
    ('all'), or none.
    """
    t0 = time.perf_counter()
    build_dir = Path(build_dir)
    overrides = dict(overrides or {})
    data = str(overrides.get("data", "official"))
    claim_build_dir(build_dir, () if data in ("synthetic", "official") else (Path(data),))
    ensure_writable(build_dir)
    mark(build_dir)
    with exclusive(build_dir):  # one run per build folder at a time
        clear_unfinished(build_dir)
        return _build(overrides, build_dir, only, force, jobs, progress, profiles, pdf, t0)


def _build(overrides, build_dir: Path, only, force, jobs, progress, profiles: str, pdf: str, t0: float) -> BuildResult:
    timings: dict[str, float] = {}
    pl = plan(overrides, build_dir, profiles, timings, pdf)
    html_dir = build_dir / "html"
    if not force and site_is_current(pl, build_dir):  # nothing changed since the published site was built
        timings["total"] = time.perf_counter() - t0
        return BuildResult(html=html_dir, executed={c.id: False for c in pl.chapters}, timings=timings, record={})

    todo = chapters_to_run(pl, only, build_dir)
    profiles_dir = build_dir / "executed" / "profiles"
    run_profiles_now = force or not stamp_matches(profiles_dir, pl.profiles_key)
    profiled = authorities(pl.profile_ids).loc[pl.codes]
    names = profiled["la_name"].to_dict()
    jobs = jobs or os.cpu_count() or 1
    batches = profile_batches(pl.codes, names, jobs) if run_profiles_now else []

    t = time.perf_counter()
    with atomic_dir(profiles_dir) if run_profiles_now else contextlib.nullcontext() as ptmp:
        executed = run_all(pl, todo, batches, build_dir, force, jobs, progress, timings, ptmp)
        if run_profiles_now:
            (ptmp / "cache.json").write_text(json.dumps({"key": pl.profiles_key, "codes": pl.codes}))
            if progress:
                progress(f"profiles ({len(pl.codes)})", "ran", timings["profiles"])
    timings["chapters"] = time.perf_counter() - t
    for c in pl.chapters:  # every page about to be published was executed on this plan (its stamp says so)
        if not stamp_matches(build_dir / "executed" / c.id, pl.keys[c.id]):
            raise UserError(f"chapter {c.id}", "its executed notebook is not from this build's data and parameters",
                            "a page is published only from the build's own run")  # fmt: skip

    record = run_record(pl, build_dir, executed, run_profiles_now, profiles, timings)
    t = time.perf_counter()
    districts = contract.read_districts(pl.profile_dir)
    job = pdf_edition.PdfJob(build_dir, pl.pdf, pl.pdf_key, force=force)
    job.check()
    st = stage(build_dir, pl.meta, record, panels=pl.panels, profiled=profiled, districts=districts,
               pdf_link=job.wanted())  # fmt: skip
    try:
        job.start(st)  # the one-page build for the PDF runs beside the site's
        html = build_book(st, build_dir, pl.site_key, before_swap=job.finish_into)
    finally:
        job.cancel()
    timings["book"] = time.perf_counter() - t
    record["pdf"] = job.record()
    timings["total"] = time.perf_counter() - t0
    record["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    (build_dir / "run_record.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return BuildResult(html=html, executed=executed, timings=timings, record=record)
