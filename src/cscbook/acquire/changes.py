"""What a fetch changed against the files already in the destination: new and changed files, and inside
each table (a CSV, or a CSV member of an archive) the years and columns that came or went."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from pathlib import Path
from typing import IO

from cscbook.errors import UserError
from cscbook.fsutil import file_sha256
from cscbook.limits import check_archive

#: A four-digit year in a column name (wide layouts put the year there), or in a ``time_period`` value.
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def apply(dest: Path, files: list[str], staged: list[Path], targets: list[Path], notes: dict[str, str]) -> list[str]:
    """Move each staged download over its target and return one report line per file (more when it changed)."""
    report = []
    for name, new, target in zip(files, staged, targets):
        report += compare(name, target if target.is_file() else None, new)
        if notes.get(name):
            report.append(f"  {notes[name]}")
    moved: list[tuple[Path, Path | None]] = []  # (target, the previous file kept aside)
    try:
        for new, target in zip(staged, targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            kept = target.with_name(f".{target.name}.previous") if target.is_file() else None
            if kept is not None:
                os.replace(target, kept)
            moved.append((target, kept))
            os.replace(new, target)
    except BaseException:  # one file could not be placed: every file goes back as it was
        for target, kept in reversed(moved):
            if kept is not None:
                os.replace(kept, target)
            elif target.is_file():
                target.unlink()
        raise
    for _, kept in moved:
        if kept is not None:
            kept.unlink()
    return report


def compare(name: str, old: Path | None, new: Path) -> list[str]:
    if old is None:
        return [f"new      {name} ({new.stat().st_size:,} bytes){_years_note(tables(new))}"]
    before, after = file_sha256(old), file_sha256(new)
    if before == after:
        return [f"same     {name}"]
    lines = [f"changed  {name}: sha256 {before[:12]} -> {after[:12]}"]
    was, now = tables(old), tables(new)
    for table in sorted(set(was) | set(now)):
        label = f"  {table}: " if table else "  "
        if table not in was or table not in now:
            lines.append(f"{label}{'new table' if table in now else 'table gone'}")
            continue
        (cols0, years0), (cols1, years1) = was[table], now[table]
        diffs = [
            _diff("years", years1 - years0, years0 - years1),
            _diff("columns", set(cols1) - set(cols0), set(cols0) - set(cols1)),
        ]
        if any(diffs):
            lines.append(label + "; ".join(d for d in diffs if d))
    return lines


def tables(path: Path) -> dict[str, tuple[list[str], set[str]]]:
    """(columns, years) of each CSV table in a file: the file itself, or each CSV member of an archive, read as
    a stream (a large file is never held in memory). Spreadsheets are compared by hash only."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, "rb") as fh:
            return {"": _profile(fh)}
    if suffix == ".zip" and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                infos = [i for i in check_archive(path, z) if i.filename.lower().endswith(".csv")]
                found = {}
                for i in infos:
                    with z.open(i) as fh:
                        found[i.filename] = _profile(fh)
                return found
        except (UserError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError):
            return {}  # what cannot be profiled is compared by hash only (ingest names the problem)
    return {}


def _profile(raw: IO[bytes]) -> tuple[list[str], set[str]]:
    rows = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline=""))
    try:
        header = [h.strip() for h in next(rows, [])]
        if "time_period" in header:
            k = header.index("time_period")
            years = {r[k].strip() for r in rows if len(r) > k and r[k].strip()}
        else:
            years = {m for h in header for m in YEAR.findall(h)}
    except csv.Error:  # a field past the parser's limit: not a table to profile
        return [], set()
    return header, years


def _diff(what: str, added: set[str], gone: set[str]) -> str:
    parts = [f"+{x}" for x in sorted(added)] + [f"-{x}" for x in sorted(gone)]
    shown = parts[:8] + ([f"(+{len(parts) - 8} more)"] if len(parts) > 8 else [])
    return f"{what} {' '.join(shown)}" if parts else ""


def _years_note(found: dict[str, tuple[list[str], set[str]]]) -> str:
    years = sorted(set().union(*(y for _, y in found.values()))) if found else []
    return f", years {years[0]}-{years[-1]}" if years else ""
