"""The chapters of the book: the notebook templates named in the table of contents, and their parameters.

Layout of the build folder (default ``_build``), made by :func:`cscbook.build.pipeline.build`:

    data/<key>/          prepared data folders (see ``contract``)
    executed/<chapter>/  each chapter's executed notebook, its CSV tables and JSON outputs, and
                         cache.json (the key it was executed with)
    executed/profiles/   one executed profile notebook and CSV per authority, and cache.json
    stage/               the book source assembled for Jupyter Book (config, pages, executed notebooks)
    html/                the published site; replaced only when every step succeeded
    run_record.json      parameters, versions, input hashes, row counts and step timings
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cscbook import ROOT, params
from cscbook.errors import UserError

BOOK = ROOT / "book"
PROFILE_TEMPLATE = BOOK / "profiles" / "template.ipynb"
#: The variable that gives a chapter's kernel the profile pages it may link to ('all' or codes separated
#: by commas); the profile template takes the same as its ``profile_links`` parameter.


#: The chapters that reproduce NAO findings, each with its table of them (``tbl-<id>-nao``); the others (the
#: published-studies page) compare with other published results instead.
NAO_CHAPTERS = ("demand", "budgets", "variation", "ofsted", "preventative", "decomposition")


@dataclass
class Chapter:
    id: str
    template: Path

    @property
    def model(self) -> type[params.ChapterParams]:
        return params.CHAPTER_MODELS[self.id]


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
