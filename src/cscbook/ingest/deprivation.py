"""English Indices of Deprivation by district (lower tier): the File 10 summaries of IoD2019 and IoD2025 as
reshaped long (one row per district and index or domain), and IoD2019's File 6 population denominators by
LSOA (gzipped CSV), summed to districts, which weight district scores into an upper-tier score."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd

from cscbook.errors import UserError
from cscbook.ingest.common import LONG, Parsed, long_frame, normalise_long, read_text_csv, to_number

#: index_domain -> measure
DOMAINS = {"Income Deprivation Affecting Children": "idaci_score", "Index of Multiple Deprivation": "imd_score"}
#: The layouts of the district summaries: (code column, name column, edition column or None).
LAYOUTS = (("lad19cd", "lad19nm", "year"), ("area_code", "area_name", "deprivation_data_year"))
#: File 6 columns summed to districts: the weight of IMD (everyone) and of IDACI (children 0-15).
WEIGHTS = {
    "Total population: mid 2015 (excluding prisoners)": "weight_imd",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": "weight_idaci",
}
FILE6_CODE = "Local Authority District code (2019)"


def detect_districts(header: list[str]) -> bool:
    return {"index_domain", "average_score"} <= set(header) and any(c in header for c, _, _ in LAYOUTS)


def read_districts(path: Path) -> Parsed:
    """IDACI and IMD average scores by district; ``year`` holds the edition (2019, 2025)."""
    df = read_text_csv(path)
    code, name, ed = next(layout for layout in LAYOUTS if layout[0] in df.columns)
    if ed not in df.columns:
        raise UserError(path, f"missing required column: {ed} (the edition)", "missing-columns")
    editions = pd.to_numeric(df[ed], errors="coerce").dropna().unique()
    if len(editions) != 1:
        raise UserError(path, f"column {ed!r}: one edition expected, found {sorted(editions)}", "iod-edition")
    edition = int(editions[0])
    parts = []
    for domain, measure in DOMAINS.items():
        d = df[df["index_domain"].str.strip() == domain]
        if d.empty:
            raise UserError(path, f"no rows with index_domain {domain!r}", "missing-rows")
        parts.append(long_frame(d, {"average_score": measure}, path, edition, d[code], None, d[name], "district"))
    return Parsed("iod_district", f"IoD{edition} districts", {"iod_district": pd.concat(parts, ignore_index=True)})


def gz_header(path: Path) -> list[str]:
    """The header of a gzipped CSV, or [] when it is not one."""
    try:
        with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
            return [h.strip() for h in fh.readline().split(",")]
    except (OSError, UnicodeDecodeError, EOFError):
        return []


def detect_weights(header: list[str]) -> bool:
    return FILE6_CODE in header and set(WEIGHTS) <= set(header)


def read_weights(path: Path) -> Parsed:
    """LSOA populations of mid-2015 summed to the districts of 2019 (IoD2019's own denominators)."""
    try:
        text = gzip.decompress(Path(path).read_bytes()).decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise UserError(path, f"not a readable gzipped UTF-8 CSV ({err})", "encoding") from None
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    parts = []
    for col, measure in WEIGHTS.items():
        value, _ = to_number(df[col], path, col)
        s = value.groupby(df[FILE6_CODE].str.strip()).sum()
        parts.append(pd.DataFrame({"la_code": s.index, "measure": measure, "value": s.values}))
    out = pd.concat(parts, ignore_index=True).assign(
        old_la_code=pd.NA, la_name=pd.NA, level="district", year=2019, symbol=pd.NA
    )
    out = normalise_long(out[LONG])
    return Parsed("iod_weights", "IoD2019 File 6 (mid-2015)", {"iod_weights": out})
