"""Hashes for the cache: a chapter or the profiles run again only when an input of theirs changed
(template, parameters, data, package code, pinned environment, the profile pages linked to)."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from pathlib import Path

from cscbook import ROOT, contract, params
from cscbook.build.registry import PROFILE_TEMPLATE, Chapter
from cscbook.fsutil import code_hash, file_sha256, read_json


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
    for name in ("panel.parquet", "flags.csv", "meta.json", "truth.json", "england.csv", *contract.PREPARED_EXTRAS):
        f = panel_dir / name
        if f.exists():
            h.update(file_sha256(f).encode())
    return h.hexdigest()


def cache_key(
    ch: Chapter, p: params.ChapterParams, panel_dir: Path, profiles: str = "all", folders: dict | None = None
) -> str:
    """The key of one chapter's run: its template, parameters, data and the other footprints' data it reads
    (``folders``: internal parameter name -> prepared folder, see :func:`cscbook.build.pipeline.chapter_folders`)."""
    parts = {
        "template": hashlib.sha256(ch.template.read_bytes()).hexdigest(),
        "params": p.model_dump(exclude=params.INTERNAL),
        "data": data_hash(panel_dir),
        "code": code_hash(),
        "env": environment_hash(),
        "profiles": profiles,  # chapters link to the profiles that exist
        "folders": {k: data_hash(v) for k, v in sorted((folders or {}).items()) if v != panel_dir},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def profiles_key(codes: list[str], years: str, panel_dir: Path, env_value: str, options: dict | None = None) -> str:
    parts = {
        "options": options or {},
        "template": hashlib.sha256(PROFILE_TEMPLATE.read_bytes()).hexdigest(),
        "codes": codes,
        "years": years,
        "links": env_value,
        "data": data_hash(panel_dir),
        "code": code_hash(),
        "env": environment_hash(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def pages_hash(root: Path = ROOT) -> str:
    """A hash of the book's configuration and pages other than the chapter templates."""
    h = hashlib.sha256()
    files = [root / "_config.yml", root / "_toc.yml", *sorted((root / "book").rglob("*"))]
    for f in files:
        if f.is_file() and f.suffix != ".ipynb":
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def is_cached(ch: Chapter, key: str, build_dir: Path) -> bool:
    folder = build_dir / "executed" / ch.id
    return stamp_matches(folder, key) and read_json(folder / f"{ch.id}.ipynb") is not None


def stamp_matches(folder: Path, key: str) -> bool:
    """True if ``folder`` was executed with this cache key (its cache.json says so)."""
    stamp = read_json(folder / "cache.json")
    return stamp is not None and stamp.get("key") == key


def last_duration(ch: Chapter, build_dir: Path) -> float:
    """Seconds the chapter took when it last ran (0 if never)."""
    stamp = read_json(build_dir / "executed" / ch.id / "cache.json")
    return float(stamp.get("seconds", 0)) if stamp else 0.0
