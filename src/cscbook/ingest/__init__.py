"""Ingest: readers for the official files: recognise each file by its content, parse it to tidy tables, keep an
inventory. Imports only the base modules.

``ingest_folder(folder)`` reads every file under ``folder`` (recursively; ``*.md`` ignored) and returns an
:class:`IngestResult`: per-source long tables (``la_code, old_la_code, la_name, level, year, measure, value,
symbol`` plus ``file`` and ``vintage``; Ofsted is a table of inspections), an inventory with one record per
file, and flags for every published cell that is missing (with the publisher's symbol as the reason).
Parsed files are cached by content hash so that re-ingesting unchanged files is fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscbook import procs
from cscbook.errors import UserError
from cscbook.fsutil import atomic_dir, file_sha256, warn_damaged
from cscbook.ingest import archives, cin, cla, deprivation, finance, neighbours, ofsted, other, population, s251
from cscbook.ingest.common import SYMBOLS, Parsed, Workbook, clean_header, head_lines

__all__ = ["IngestResult", "ingest_folder", "parse_file"]

#: Cache entries are keyed by file hash and by the readers' own source, so a changed reader re-parses.
READER_VERSION = hashlib.sha256(
    b"".join(f.read_bytes() for f in sorted(Path(__file__).parent.glob("*.py")))
).hexdigest()[:12]
WORKBOOK_SUFFIXES = {".xls", ".xlsx", ".ods"}
INVENTORY = ["path", "source", "vintage", "years", "authorities", "rows", "sha256", "status", "note"]

CSV_READERS = [
    ("cin", cin.detect_sfr, cin.read_sfr),
    ("cin", cin.detect_ees, cin.read_ees),
    ("cla", cla.detect_sfr, cla.read_sfr),
    ("cla", cla.detect_ees, cla.read_ees),
    ("cla", cla.detect_sfr_starts, cla.read_sfr_starts),
    ("cla", cla.detect_ees_starts_by_age, cla.read_ees_starts_by_age),
    ("population", population.detect_dfe, population.read_dfe),
    ("workforce", other.detect_csww, other.read_csww),
    ("s251", s251.detect_ees, s251.read_ees),
    ("lait", other.detect_lait, other.read_lait),
    ("ons_lookup", other.detect_lookup, other.read_lookup),
    ("neighbours", neighbours.detect_neighbours, neighbours.read_neighbours),
    ("neighbours_dfe", neighbours.detect_dfe, neighbours.read_dfe),
    ("iod_district", deprivation.detect_districts, deprivation.read_districts),
]


@dataclass
class IngestResult:
    """Tidy tables per source, the file inventory and the missing-cell flags."""

    tables: dict[str, pd.DataFrame]
    inventory: pd.DataFrame
    flags: pd.DataFrame
    hashes: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    folder: Path | None = None

    def table(self, source: str) -> pd.DataFrame:
        return self.tables.get(source, pd.DataFrame())


def parse_file(path: Path) -> Parsed | str:
    """Parse one file, or return the reason it was not recognised."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise UserError(path, "the file is empty", "empty-file")
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        wb = Workbook(path)
        if (product := _finance_product(wb)) is not None:
            return finance.read_workbook(wb, product)
        if (sheet := s251.detect(wb)) is not None:
            return s251.read_table_a1(wb, sheet)
        if (kind := ofsted.detect(wb)) is not None:
            return ofsted.read(wb, kind)
        for det, reader in (
            (other.detect_iod, other.read_iod),
            (other.detect_deflator, other.read_deflator),
            (other.detect_lait_codes, other.read_lait_codes),
            (cla.detect_starts_table, cla.read_starts_table),
        ):
            if det(wb):
                return reader(wb)
        return f"workbook without a recognised data sheet (sheets: {', '.join(wb.sheets[:6])})"
    lines = _text_file(path, suffix)
    if isinstance(lines, (Parsed, str)):
        return lines
    header = [
        clean_header(h) for h in pd.read_csv(pd.io.common.StringIO(lines[0]), dtype=str, header=None).iloc[0].fillna("")
    ]
    for _, det, reader in CSV_READERS:
        if det(header):
            return reader(path)
    return f"header not recognised (starts {', '.join(header[:4])})"


def _finance_product(wb: Workbook) -> str | None:
    """The finance product (RA, RO3, RSX) of a workbook, from its first data sheet ('... LA Data ...')."""
    name = next(filter(finance.DATA_SHEET.search, wb.sheets), None)
    return None if name is None else finance.detect(wb.sheet(name))


def _finance_csv(path: Path, encoding: str) -> Parsed | None:
    """A CSV export of a finance worksheet (its title names the return), or None."""
    grid = finance.csv_grid(path, encoding)
    product = finance.detect(grid)
    return finance.read_csv_grid(grid, product, path.name) if product else None


def _text_file(path: Path, suffix: str) -> Parsed | str | list[str]:
    """A gzipped CSV or a text file read by its first lines: the parse or the reason it was not recognised, or
    the first lines of a UTF-8 CSV for the header readers."""
    if path.name.lower().endswith(".csv.gz"):
        if deprivation.detect_weights(deprivation.gz_header(path)):
            return deprivation.read_weights(path)
        return "a gzipped file without a recognised header"
    lines = head_lines(path, 15)
    if suffix == ".csv" and lines and finance.product_of(lines[0]):
        return _finance_csv(path, "utf-8-sig") or lines
    if not lines or not any(ln.strip() for ln in lines):
        if suffix == ".csv" and (legacy := head_lines(path, 15, encoding="cp1252")) and finance.product_of(legacy[0]):
            return _finance_csv(path, finance.legacy_encoding(path)) or "a finance title without its table"
        if suffix == ".csv" and legacy:
            # Windows text (a spreadsheet's CSV re-save): readers need UTF-8, so a recognised header is an error
            header = [clean_header(h) for h in legacy[0].split(",")]
            if any(det(header) for _, det, _ in CSV_READERS):
                raise UserError(path, "not UTF-8 text (Windows-1252): save it again as UTF-8", "encoding")
            return f"Windows-1252 text, header not recognised (starts {', '.join(header[:4])})"
        if suffix == ".csv":
            raise UserError(path, "not UTF-8 text or empty", "encoding")
        return "not a CSV or spreadsheet"
    if population.detect_nomis(lines):
        return population.read_nomis(path)
    if other.detect_ons_deflator(lines):
        return other.read_ons_deflator(path)
    return lines


def _cached_parse(path: Path, sha: str, cache: Path | None) -> Parsed | str:
    """Parse ``path`` or load its parsed tables from ``cache/<sha>``."""
    entry = cache / f"{sha}-{READER_VERSION}" if cache else None
    if entry and (entry / "meta.json").exists():
        try:
            meta = json.loads((entry / "meta.json").read_text())
            if "unrecognised" in meta:
                return str(meta["unrecognised"])
            tables = {n: pd.read_parquet(entry / f"{n}.parquet") for n in meta["tables"]}
            return Parsed(meta["source"], meta["vintage"], tables, meta["notes"])
        except Exception as err:  # truncated, emptied or half-deleted by something else: parse the file again
            warn_damaged(entry, err, f"{path.name} is read again")
    parsed = parse_file(path)
    if entry:
        with atomic_dir(entry) as tmp:
            if isinstance(parsed, str):
                (tmp / "meta.json").write_text(json.dumps({"unrecognised": parsed}))
            else:
                for n, t in parsed.tables.items():
                    t.to_parquet(tmp / f"{n}.parquet", index=False)
                meta = {
                    "source": parsed.source,
                    "vintage": parsed.vintage,
                    "notes": parsed.notes,
                    "tables": list(parsed.tables),
                }
                (tmp / "meta.json").write_text(json.dumps(meta))
    return parsed


def _job(args: tuple[Path, str, Path | None]) -> Parsed | str | UserError:
    try:
        return _cached_parse(*args)
    except UserError as err:
        return err
    except OSError as err:  # a file that cannot be read (permissions, a device that went away)
        return _unreadable(args[0], err)


def _unreadable(shown: Path, err: OSError) -> UserError:
    return UserError(shown, f"cannot read the file ({err.strerror or type(err).__name__})", "unreadable-file")


def _sha256(path: Path, shown: Path) -> str:
    """The content hash of a file about to be read, or a one-line error naming it when it cannot be read."""
    try:
        return file_sha256(path)
    except OSError as err:
        raise _unreadable(shown, err) from None


def ingest_folder(folder: Path, cache: Path | None = None, workers: int | None = None) -> IngestResult:
    """Read every file under ``folder``; raise UserError on the first bad file. Parsed files are kept in
    ``cache`` (a build folder's ``cache/ingest``), keyed on their hash, when it is given."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(folder, "no such folder", "missing-folder")
    files, skipped = data_files(folder)
    with tempfile.TemporaryDirectory(prefix="cscbook-archives-") as scratch:
        listed = archives.listing(folder, files, Path(scratch))  # (inventory name, file to read)
        shas = [_sha256(p, folder / rel) for rel, p in listed]  # each file read is keyed on its own content
        hashes = {str(folder / rel): sha for (rel, _), sha in zip(listed, shas)}
        jobs = [(p, sha, Path(cache) if cache else None) for (_, p), sha in zip(listed, shas)]
        cold = [j for j in jobs if not (j[2] and (j[2] / f"{j[1]}-{READER_VERSION}" / "meta.json").exists())]
        workers = workers if workers is not None else min(len(cold), os.cpu_count() or 1)
        if workers > 1 and len(cold) > 2:
            pool = ProcessPoolExecutor(workers, initializer=procs.tied_worker)  # workers die with this process
            try:
                results = list(pool.map(_job, jobs))
            except BaseException:  # Ctrl-C, SIGTERM, an error: the workers stop now, not after their files
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.kill()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown()
        else:
            results = [_job(j) for j in jobs]
    results = [
        archives.named(r, p, folder / rel) if isinstance(r, UserError) else r for (rel, p), r in zip(listed, results)
    ]
    tables: dict[str, list[pd.DataFrame]] = {}
    inventory, notes = [], {}
    seen_vintage: dict[tuple[str, str], str] = {}
    for (rel, _), (_, sha, _), res in zip(listed, jobs, results):
        if isinstance(res, UserError):
            raise res
        path = folder / rel
        if isinstance(res, str):
            inventory.append(
                dict(
                    path=rel,
                    source=None,
                    vintage=None,
                    years="",
                    authorities=0,
                    rows=0,
                    sha256=sha,
                    status="unrecognised",
                    note=res,
                )
            )
            continue
        main = next(iter(res.tables.values()))
        years = (
            sorted(main["year"].unique())
            if "year" in main
            else sorted(main["date"].dt.year.unique())
            if "date" in main
            else []
        )
        la = main[main["level"] == "la"] if "level" in main else main
        key = (
            "ecode"  # MHCLG's own codes: the finance returns carry ONS codes in later years only
            if "ecode" in la
            else "la_code"
            if "la_code" in la and la["la_code"].notna().any()
            else "old_la_code"
            if "old_la_code" in la
            else "la_name"
        )
        inventory.append(
            dict(
                path=rel,
                source=res.source,
                vintage=res.vintage,
                years=f"{years[0]}-{years[-1]}" if years else "",
                authorities=int(la[key].nunique()),
                rows=int(len(main)),
                sha256=sha,
                status="ok",
                note="; ".join(res.notes)[:300],
            )
        )
        notes[rel] = res.notes
        tkey = (
            res.source,
            res.vintage + "|" + ",".join(main["measure"].unique()) if "measure" in main else res.vintage,
        )
        if tkey in seen_vintage:
            _check_same(tables[res.source], res.tables[res.source], rel, seen_vintage[tkey], path)
            inventory[-1]["status"] = "duplicate"
            inventory[-1]["note"] = f"same data as {seen_vintage[tkey]}; ignored"
            continue
        seen_vintage[tkey] = rel
        for name, t in res.tables.items():
            tables.setdefault(name, []).append(t.assign(file=rel, vintage=res.vintage))
    out = {n: pd.concat(ts, ignore_index=True) for n, ts in tables.items()}
    inventory += [_skipped(rel, why) for rel, why in skipped]
    inv = pd.DataFrame(inventory, columns=INVENTORY)
    return IngestResult(out, inv, _flags(out), hashes, notes, folder=folder)


def _skipped(rel: str, why: str) -> dict:
    """The inventory row of a link ingest did not follow."""
    row = dict(path=rel, source=None, vintage=None, years="", authorities=0, rows=0, sha256="")
    return row | {"status": "skipped", "note": why}


def data_files(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files ingest reads under ``folder`` (``*.md`` and hidden files aside), and the symbolic links it
    does not follow, each with the reason. The folder itself may be a link (it is resolved first); a link
    inside it is never followed, so nothing outside the folder is read and nothing inside is read twice."""
    root = folder.resolve()
    files, skipped = [], []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:  # a byte the file system kept that no text can hold: named, escaped
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise UserError(folder, f"the name {shown!r} is not UTF-8 text: rename it", "file-name") from None
        if p.name.startswith(".") or any(part.startswith(".") for part in p.relative_to(folder).parts[:-1]):
            continue
        if p.is_symlink():
            target = p.resolve()
            where = "inside the folder, read where it is" if target.is_relative_to(root) else "outside the folder"
            kind = "folder" if target.is_dir() else "file"
            skipped.append((rel, f"a link to a {kind} {where}: not followed"))
        elif p.is_file() and p.suffix.lower() != ".md" and p.resolve().is_relative_to(root):
            files.append(p)
    return files, skipped


def _check_same(existing: list[pd.DataFrame], new: pd.DataFrame, rel: str, first: str, path: Path) -> None:
    """Two files of the same source and vintage must agree; otherwise the folder is ambiguous."""
    old = next(t for t in existing if t["file"].iloc[0] == first).drop(columns=["file", "vintage"])
    keys = [c for c in ["la_code", "old_la_code", "la_name", "year", "measure"] if c in new.columns]
    if "value" not in new.columns:
        return
    m = old.merge(new, on=keys, suffixes=("_a", "_b"))
    diff = m[
        ~((m["value_a"] - m["value_b"]).abs() <= 1e-9 * m["value_a"].abs().clip(lower=1))
        & ~(m["value_a"].isna() & m["value_b"].isna())
    ]
    if len(diff):
        r = diff.iloc[0]
        raise UserError(
            path,
            f"disagrees with {first} (same release): {r.measure} {r.year} {r.la_name}: {r.value_b} vs {r.value_a}",
            "conflicting-files",
        )


def _flags(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One flag per missing published cell, the publisher's symbol as the reason."""
    parts = []
    for src, t in tables.items():
        if "value" not in t.columns:
            continue
        miss = t[t["value"].isna()]
        parts.append(
            pd.DataFrame(
                {
                    "source": src,
                    "file": miss["file"],
                    "la_code": miss["la_code"],
                    "old_la_code": miss["old_la_code"],
                    "la_name": miss["la_name"],
                    "year": miss["year"],
                    "column": miss["measure"],
                    "flag": "missing",
                    "rule": "published-symbol: "
                    + miss["symbol"].fillna("").map(lambda s: SYMBOLS.get(s, s or "blank")),
                }
            )
        )
        if "apportioned" in t.columns:
            a = t[t["apportioned"].fillna(False).astype(bool)]
            parts.append(
                pd.DataFrame(
                    {
                        "source": src,
                        "file": a["file"],
                        "la_code": a["la_code"],
                        "old_la_code": a["old_la_code"],
                        "la_name": a["la_name"],
                        "year": a["year"],
                        "column": a["measure"],
                        "flag": "apportioned",
                        "rule": "csww-joint-row",
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
