"""The data a build runs on: the committed official snapshot (the default, ``data="official"``),
synthetic England, or a folder of published files, ingested, harmonised, validated and written as a
prepared folder (see ``contract``) that later builds reuse."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cscbook
from cscbook import contract, params
from cscbook.fsutil import code_hash, read_json, warn_damaged
from cscbook.snapshot.official import harmonise_checked, ingest_official


def prepare_official(folder: Path, geography: str = "2018", cache: Path | None = None) -> contract.Prepared:
    """Ingest, harmonise and validate a folder of official files; ``official`` is the committed snapshot."""
    from cscbook import validate
    from cscbook.snapshot import write as snapshot

    if str(folder) == snapshot.KEYWORD:
        prep = snapshot.read(geography)
        validate.validate_prepared(prep)
        return prep
    return harmonise_checked(ingest_official(folder, cache=cache), geography=geography)


def prepare_data(p: params.ChapterParams, build_dir: Path) -> Path:
    """Make (or reuse) the prepared data folder for these parameters and return its path.

    The folder is reused when its stamp (package version, code hash and, for official data, the
    geography and every input or snapshot file's hash) matches; otherwise it is made again and validated.
    """
    from cscbook.snapshot import write as snapshot

    stamp = {"version": cscbook.__version__, "code": code_hash()}
    if p.data == snapshot.KEYWORD:
        out = build_dir / "data" / f"snapshot-{p.geography}"
        stamp |= {"geography": p.geography, "snapshot": snapshot.file_hashes(p.geography)}
        if _stamp_ok(out, stamp):
            return out
        prep = prepare_official(Path(snapshot.KEYWORD), geography=p.geography)
    elif p.data == "synthetic":
        out = build_dir / "data" / f"synthetic-s{p.seed}-{p.years}"
        if _stamp_ok(out, stamp):
            return out
        from cscbook import validate
        from cscbook.acquire import synth

        prep = synth.generate(seed=p.seed, years=p.synthetic_years)
        validate.validate_prepared(prep)
    else:
        folder = Path(p.data)
        result = ingest_official(folder, cache=build_dir / "cache" / "ingest")  # parsed files, kept in the build folder
        digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]
        out = build_dir / "data" / f"official-{p.geography}-{digest}"
        stamp |= {"geography": p.geography, "inputs": result.hashes}
        if _stamp_ok(out, stamp):
            return out
        prep = harmonise_checked(result, geography=p.geography)
    contract.write_prepared(prep, out)
    (out / "stamp.json").write_text(json.dumps(stamp, sort_keys=True))
    return out


def _stamp_ok(out: Path, stamp: dict) -> bool:
    """Whether the prepared folder was made from these inputs and is whole (a damaged one is made again)."""
    import pyarrow.parquet as pq

    if read_json(out / "stamp.json") != stamp or read_json(out / "meta.json") is None:
        return False
    try:
        pq.read_metadata(out / "panel.parquet")
    except (OSError, ValueError) as err:
        warn_damaged(out / "panel.parquet", err)
        return False
    return True


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
