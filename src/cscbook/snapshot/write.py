"""The official snapshot (``data/official/``): the harmonised panel our ingest makes from the published
files, on both footprints, committed as text so that the real book builds offline.

Layout: ``<footprint>/`` (``2018``: the 152 authorities of 2017-18; ``latest``: today's authorities), each
with ``panel.csv``, ``flags.csv``, ``england.csv``, ``meta.json``, ``ofsted.csv`` (every graded inspection
on the footprint's codes), ``neighbours.csv`` when DfE's list was read, ``lait_overlap.csv`` (the
section 251 lines both ways in the years Table A1 and LAIT share) and ``districts.csv`` (the district
councils in each authority, from ONS's lookup, for finding an authority by a district); ``codebook.csv`` (see
:mod:`cscbook.snapshot.codebook`) and ``README.md``. Every file is the same, byte for byte, on every run
from the same published files. The edition id is the latest year with activity data and a short hash
of the footprint files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from cscbook import ROOT, contract
from cscbook.contract import year_label
from cscbook.errors import UserError
from cscbook.fsutil import atomic_dir, file_sha256

#: The ``data`` parameter's value for the committed snapshot.
KEYWORD = "official"
SNAPSHOT = ROOT / "data" / "official"
FOOTPRINTS = contract.GEOGRAPHIES
#: The files of a footprint folder, in the order the edition hash reads them.
#: What the snapshot folder holds (``make`` replaces it whole, so it must hold nothing else).
OWNED = {"2018", "latest", "codebook.csv", "README.md"}
FILES = ("panel.csv", "flags.csv", "england.csv", "meta.json", "ofsted.csv", *contract.PREPARED_EXTRAS)
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    f"({OGL_URL}): data published by the Department for Education, the Office for National Statistics, "
    "the Ministry of Housing, Communities and Local Government, Ofsted and HM Treasury."
)
#: Measures whose latest year dates an edition: the children's social care activity counts.
ACTIVITY = [c for c in contract.COUNTS if c != "pop_0_17"]
OFSTED_COLUMNS = ["la_code", "la_name", "framework", "date", "judgement"]


def make(folder: Path, out: Path | None = None, cache: Path | None = None) -> str:
    """Ingest ``folder``, harmonise it on both footprints and replace ``out`` whole; return the edition id.

    A failure at any step leaves the previous snapshot as it was.
    """
    from cscbook.snapshot import codebook
    from cscbook.snapshot.official import harmonise_checked, ingest_official

    result = ingest_official(Path(folder), cache=cache)
    with atomic_dir(Path(out or SNAPSHOT)) as tmp:
        for geography in FOOTPRINTS:
            prep = harmonise_checked(result, geography)
            prep.meta = snapshot_meta(prep.meta)
            tables = {"ofsted": ofsted_table(result, prep.panel, geography)}
            contract.write_text_prepared(prep, tmp / geography, tables)
        codebook.write(tmp)
        edition = edition_id(tmp)
        (tmp / "README.md").write_text(readme(tmp, edition))
    return edition


def snapshot_meta(meta: dict) -> dict:
    """The harmonised meta with the licence and the attribution the published data require."""
    inputs = {path: {k: (None if v != v else v) for k, v in i.items()} for path, i in meta["inputs"].items()}
    return meta | {
        "inputs": inputs,  # an unrecognised file has no source or vintage: null, not NaN
        "licence": {"name": "Open Government Licence v3.0", "url": OGL_URL, "attribution": ATTRIBUTION},
        "made_by": "cscbook snapshot (ingest and harmonise of the published files listed in inputs)",
    }


def ofsted_table(result, panel: pd.DataFrame, geography: str) -> pd.DataFrame:
    """Every graded inspection of an authority on the footprint: code, name, framework, ISO date, judgement.

    Inspections published with a name only get the code of the panel's authority of that name
    (rule G-NAMES); codes reissued for the same area are recoded (the footprint's recodes).
    """
    from cscbook.harmonise.sources import ofsted_codes

    of = result.tables.get("ofsted", pd.DataFrame())
    if not len(of):
        return pd.DataFrame(columns=OFSTED_COLUMNS)
    names = panel.drop_duplicates("la_code", keep="last").set_index("la_code")["la_name"]
    of = of.copy()
    of["la_code"] = ofsted_codes(of, names.to_dict(), geography)
    of = of[of["la_code"].isin(set(names.index))].copy()
    of["la_name"] = of["la_code"].map(names)
    of["date"] = pd.to_datetime(of["date"]).dt.strftime("%Y-%m-%d")
    of = of[OFSTED_COLUMNS].drop_duplicates().sort_values(["la_code", "date", "framework", "judgement"])
    return of.reset_index(drop=True)


def edition_id(root: Path | None = None) -> str:
    """``<latest year with activity data>+<8 hex digits>``, e.g. ``2021-22+ab12cd34``, from the footprint files."""
    h = hashlib.sha256()
    latest = 0
    for geography in FOOTPRINTS:
        folder = Path(root or SNAPSHOT) / geography
        for name in FILES:
            if (folder / name).exists():
                h.update(f"{geography}/{name}:{file_sha256(folder / name)}\n".encode())
        panel = pd.read_csv(folder / "panel.csv", usecols=["year", *ACTIVITY])
        have = panel.dropna(how="all", subset=ACTIVITY)["year"]
        latest = max(latest, int(have.max()) if len(have) else 0)
    return f"{year_label(latest)}+{h.hexdigest()[:8]}"


def footprint(geography: str, root: Path | None = None) -> Path:
    """The snapshot's folder for a footprint; a one-line error when it is not there."""
    folder = Path(root or SNAPSHOT) / geography
    if not (folder / "panel.csv").is_file():
        raise UserError(
            str(folder),
            "the official snapshot is missing",
            "run `make snapshot` (needs the published files) or build with --data synthetic",
        )
    return folder


def file_hashes(geography: str, root: Path | None = None) -> dict[str, str]:
    """The sha256 of every file of a footprint folder (the key of its conversion to a prepared folder)."""
    folder = footprint(geography, root)
    return {name: file_sha256(folder / name) for name in FILES if (folder / name).exists()}


def read(geography: str = "2018", root: Path | None = None) -> contract.Prepared:
    """The snapshot on one footprint as a prepared panel, its meta naming the edition and the snapshot."""
    folder = footprint(geography, root)
    prep = contract.read_text_prepared(folder)
    prep.meta |= {"edition": edition_id(root), "snapshot": f"data/official/{geography}"}  # named in the run record
    prep.extra["ofsted_inspections"] = pd.read_csv(folder / "ofsted.csv", dtype=str)
    return prep


def years_held(root: Path | None = None) -> dict[str, dict[str, str]]:
    """Per footprint: the panel's years, and the years with activity counts, as DfE-style labels."""
    out = {}
    for geography in FOOTPRINTS:
        panel = pd.read_csv(Path(root or SNAPSHOT) / geography / "panel.csv", usecols=["year", *ACTIVITY])
        act = panel.dropna(how="all", subset=ACTIVITY)["year"]
        out[geography] = {
            "panel": f"{year_label(int(panel['year'].min()))} to {year_label(int(panel['year'].max()))}",
            "activity": f"{year_label(int(act.min()))} to {year_label(int(act.max()))}" if len(act) else "none",
        }
    return out


def readme(root: Path, edition: str) -> str:
    """data/official/README.md: what the snapshot is, how it was made, its licence and its edition."""
    held = years_held(root)
    lines = [
        "# The official snapshot",
        "",
        f"Edition **{edition}** (the latest year with activity data, then the first 8 hex digits of a",
        "sha256 over the footprint files).",
        "",
        "The harmonised LA-year panel that `cscbook` makes from the published official statistics, so that",
        "the book builds on the real England offline (`make book`). It is made by `make snapshot`",
        "(`cscbook snapshot FOLDER --out data/official`) from a folder of the published files; a fresh",
        "run on the same files gives these files byte for byte. The published files themselves are not here:",
        "`meta.json` lists every one it read with its path and sha256 (`inputs`), and the files of the folder",
        "that no reader takes yet with the reason (`not_read`).",
        "",
        "| folder | footprint | panel years | activity data |",
        "|---|---|---|---|",
        f"| `2018/` | the 152 authorities of 2017-18 (the NAO's period) | {held['2018']['panel']} | "
        f"{held['2018']['activity']} |",
        f"| `latest/` | today's authorities | {held['latest']['panel']} | {held['latest']['activity']} |",
        "",
        "Each footprint folder holds `panel.csv` (one row per authority and year; columns in",
        "`codebook.csv`), `flags.csv` (the data log: every cell derived, aggregated, apportioned, imputed",
        "or missing, with its rule), `england.csv` (England rows as published), `ofsted.csv` (every",
        "graded inspection with its date and framework), `neighbours.csv` when DfE's statistical",
        "neighbours were read, `lait_overlap.csv` (the section 251 lines in the years both Table A1 and",
        "LAIT give them, both ways, so that the change of source can be checked), `districts.csv` (the",
        "district councils in each authority, from ONS's lower-to-upper tier lookup, on the footprint's",
        "codes), `finance_lines.csv` (England's children's social care budget and outturn line by line, net",
        "current expenditure in pounds, from MHCLG's England rows) and `meta.json` (sources, rules, deflator,",
        "input files and hashes).",
        "",
        "## Licence and attribution",
        "",
        ATTRIBUTION,
        "",
        "The harmonisation (code, rules and this arrangement of the figures) is released under the MIT",
        "licence with the rest of the project.",
        "",
    ]
    return "\n".join(lines)
