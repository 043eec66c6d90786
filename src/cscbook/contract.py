"""The data contract: the columns of the LA-year panel and the folder that carries it.

Every data source (synthetic England or the official files) ends as a *prepared data folder*:

    panel.parquet   one row per (la_code, year); the columns below
    panel.csv       the same, for people without parquet
    flags.csv       one row per cell that was derived, aggregated, apportioned, imputed or left missing:
                    la_code, year, column, flag, rule
    meta.json       what made the folder: source ("synthetic" or "official"), parameters, deflator,
                    sources cited, input hashes, row counts
    truth.json      synthetic only: the generator's true parameters
    neighbours.csv  optional: statistical neighbours (la_code, rank, neighbour; DfE's editions add
                    closeness, edition and source)
    districts.csv   optional: the district councils in each authority (district_code, district_name, la_code)

Rates per 10,000 children aged 0-17 are derived (see ``measures``), never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

KEYS = ["la_code", "year"]

#: The footprints a panel of the official statistics is put on: the 152 authorities of 2017-18, or today's.
GEOGRAPHIES = ("2018", "latest")

#: Identity columns.
IDENTITY = ["la_code", "la_name", "region", "year"]

#: Activity counts (children), as at 31 March or during the year ending 31 March.
COUNTS = [
    "pop_0_17",  # mid-year estimate for the June before the year's end (mid-2017 for 2017-18)
    "referrals",  # during the year
    "s47_enquiries",  # during the year
    "icpcs",  # initial child protection conferences, during the year
    "cpp_31mar",  # children on a child protection plan at 31 March
    "cpp_starts",  # child protection plans started during the year
    "cin_31mar",  # children in need at 31 March
    "cin_episodes",  # children in need at any time in the year (episodes of need)
    "cla_31mar",  # children looked after at 31 March
    "cla_starts",  # children who started to be looked after during the year
    "cla_16plus",  # children looked after aged 16 and over at 31 March
    "cla_starts_16plus",  # children who started to be looked after during the year aged 16 and over on starting
]

#: The 0-17 population as ONS first published it (the denominators of DfE's rates at the time), beside the
#: consistent series in ``pop_0_17``; official data only (the ``population`` parameter picks one for rates).
POP_PUBLISHED = "pop_0_17_published"

#: Section 251 outturn by category, nominal pounds, financial year ending 31 March.
SPEND_CATEGORIES = [
    "sure_start",  # Sure Start children's centres and services for children under 5
    "cla",  # children looked after
    "other_cfs",  # other children and family services
    "safeguarding",  # safeguarding children and young people's services
    "family_support",  # family support services
    "young_people",  # services for young people
    "youth_justice",  # youth justice
    "cera",  # capital expenditure from revenue
]
SPEND = [f"spend_{c}" for c in SPEND_CATEGORIES]

#: Children's social care budgets and outturn (MHCLG's RA, RO3 and RSX returns), nominal pounds, financial year
#: ending 31 March: net current expenditure unless named gross.
FINANCE = [
    "budget_csc",  # Revenue Account budget, children's social care (set before the year)
    "budget_cla",  # Revenue Account budget, children looked after
    "outturn_csc",  # revenue outturn, children's social care
    "outturn_csc_gross",  # revenue outturn, children's social care, gross expenditure (before income)
    "outturn_cla",  # revenue outturn, children looked after
]

#: Other authority characteristics.
CONTEXT = [
    "deflator",  # price index for the financial year, base year = 1 (named in meta.json)
    "childrens_centres",  # number of children's centres open at 31 March
    "idaci_score",  # Income Deprivation Affecting Children Index, average score (authority level)
    "imd_score",  # Index of Multiple Deprivation, average score (authority level)
    "sw_vacancy_rate",  # children's social worker vacancy rate, 0-1
    "ofsted_overall",  # latest overall judgement as at 31 March (one of OFSTED_SCALE)
    "ofsted_framework",  # SLAC, CPI, SIF or ILACS
    "ofsted_date",  # date of that judgement (ISO string)
]

#: Flows the synthetic generator does not model (its panel carries them as missing, flagged).
NOT_SYNTHESISED = ["cpp_starts", "cla_starts", "cla_starts_16plus"]

COLUMNS = IDENTITY + COUNTS + SPEND + FINANCE + CONTEXT
NUMERIC = COUNTS + SPEND + FINANCE + ["deflator", "childrens_centres", "idaci_score", "imd_score", "sw_vacancy_rate"]

#: The four-point scale onto which every Ofsted framework is mapped, worst to best.
#: Rates are per 10,000 children aged 0-17: derived from a count and ``pop_0_17``, never stored.
PER = 10_000

OFSTED_SCALE = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
#: Each judgement's place on that scale, 0 (Inadequate) to 3 (Outstanding).
OFSTED_SCORE = {j: i for i, j in enumerate(OFSTED_SCALE)}

#: The two authorities of a few hundred or a few thousand children, whose rates and shares rest on tiny numbers.
TINY = {"E09000001": "City of London", "E06000053": "Isles of Scilly"}

#: The nine English regions.
REGIONS = [
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
]

FLAG_COLUMNS = ["la_code", "year", "column", "flag", "rule"]
#: An optional sixth column: what a flag records beyond its rule (a revision's two values).
FLAG_DETAIL = "detail"
FLAG_KINDS = ["derived", "aggregated", "apportioned", "imputed", "missing", "revised", "suspect", "break"]


def flag_columns(flags: pd.DataFrame) -> list[str]:
    """The columns a flag table is written with: the five, and the detail when it has one."""
    return FLAG_COLUMNS + ([FLAG_DETAIL] if FLAG_DETAIL in flags.columns else [])


@dataclass
class Prepared:
    """A prepared data folder, loaded."""

    panel: pd.DataFrame
    flags: pd.DataFrame
    meta: dict
    truth: dict | None = None
    path: Path | None = None
    extra: dict = field(default_factory=dict)
    england: pd.DataFrame | None = None  # England rows as published (year x count columns), official data only

    @property
    def synthetic(self) -> bool:
        return self.meta.get("source") == "synthetic"


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "year" else "object") for c in FLAG_COLUMNS})


def order_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Put the contract columns first, in contract order, with any extras after, sorted by key."""
    for col in COLUMNS:
        if col not in panel.columns:
            panel[col] = pd.NA
    extras = [c for c in panel.columns if c not in COLUMNS]
    out = panel[COLUMNS + extras].sort_values(KEYS, kind="stable").reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    return out


#: Extra tables a prepared folder carries as CSV when the data give them, written as they are.
TABLE_EXTRAS = ("lait_overlap", "districts", "finance_lines")
#: The files of the extra tables a chapter may read (their hashes are part of a chapter's cache key).
PREPARED_EXTRAS = ("neighbours.csv", *(f"{name}.csv" for name in TABLE_EXTRAS))
#: Every file a prepared folder may hold (see :func:`write_prepared`; ``stamp.json`` is the build's).
PREPARED_FILES = {"panel.parquet", "panel.csv", "flags.csv", "meta.json", "england.csv", *PREPARED_EXTRAS, "truth.json",
                  "stamp.json"}  # fmt: skip


def write_prepared(prep: Prepared, out: Path) -> None:
    """Write a prepared folder atomically: files go to a temporary sibling, then replace ``out``."""
    from cscbook.fsutil import atomic_dir, mark

    with atomic_dir(out) as tmp:
        mark(tmp)
        panel = order_panel(prep.panel.copy())
        panel.to_parquet(tmp / "panel.parquet", index=False)
        panel.to_csv(tmp / "panel.csv", index=False, float_format="%.10g", lineterminator="\n")
        flags = prep.flags if len(prep.flags) else empty_flags()
        flags = flags[flag_columns(flags)].sort_values(["la_code", "year", "column"], kind="stable")
        flags.to_csv(tmp / "flags.csv", index=False, lineterminator="\n")
        (tmp / "meta.json").write_text(json.dumps(prep.meta, indent=2, sort_keys=True) + "\n")
        if prep.england is not None:
            prep.england.to_csv(tmp / "england.csv", index=False, float_format="%.10g", lineterminator="\n")
        if prep.extra.get("neighbours") is not None:
            prep.extra["neighbours"].to_csv(tmp / "neighbours.csv", index=False, lineterminator="\n")
        for name in TABLE_EXTRAS:
            if prep.extra.get(name) is not None:
                prep.extra[name].to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        if prep.truth is not None:
            (tmp / "truth.json").write_text(json.dumps(prep.truth, indent=2, sort_keys=True) + "\n")


def read_prepared(path: Path) -> Prepared:
    """Load a prepared folder written by :func:`write_prepared`."""
    path = Path(path)
    panel = pd.read_parquet(path / "panel.parquet")
    flags = pd.read_csv(path / "flags.csv", dtype={"la_code": str, "column": str, "flag": str, "rule": str})
    meta = json.loads((path / "meta.json").read_text())
    truth_file = path / "truth.json"
    truth = json.loads(truth_file.read_text()) if truth_file.exists() else None
    england = pd.read_csv(path / "england.csv") if (path / "england.csv").exists() else None
    prep = Prepared(panel=panel, flags=flags, meta=meta, truth=truth, path=path, england=england)
    _read_extras(prep, path)
    return prep


def _read_extras(prep: Prepared, path: Path) -> None:
    """DfE's statistical neighbours, the LAIT overlap, the districts (both ways) and England's finance lines, when
    the folder has them."""
    if (path / "neighbours.csv").exists():
        prep.extra["neighbours"] = pd.read_csv(path / "neighbours.csv", dtype={"la_code": str, "neighbour": str})
    if (path / "lait_overlap.csv").exists():
        prep.extra["lait_overlap"] = pd.read_csv(path / "lait_overlap.csv", dtype={"la_code": str, "measure": str})
    if (districts := read_districts(path)) is not None:
        prep.extra["districts"] = districts
    if (path / "finance_lines.csv").exists():
        lines = pd.read_csv(path / "finance_lines.csv", dtype={"line": str, "line_name": str, "outturn_source": str})
        prep.extra["finance_lines"] = lines.fillna({"outturn_source": ""})


def read_districts(path: Path) -> pd.DataFrame | None:
    """A prepared folder's district councils (see harmonise.district_table), or None when it has none."""
    f = Path(path) / "districts.csv"
    return pd.read_csv(f, dtype=str, keep_default_na=False) if f.exists() else None


def publishers(meta: dict) -> list[str]:
    """The publishers of the sources a prepared folder's meta cites, sorted, each once."""
    return sorted({s.get("publisher", "") for s in meta.get("sources", []) if s.get("publisher")})


def find_authority(
    panel: pd.DataFrame,
    key: str,
    parameter: str = "highlight",
    rule: str = "highlight must be an authority code or name",
) -> tuple[str | None, str | None]:
    """Find an authority by code or (case-insensitive) name; a one-line error naming ``parameter`` (and,
    when it is not there, ``rule``) otherwise."""
    from cscbook.errors import UserError

    if not key:
        return None, None
    names = panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    if key in names.index:
        return key, str(names[key])
    matches = [c for c, n in names.items() if str(n).strip().lower() == key.strip().lower()]
    if len(matches) > 1:
        listed = ", ".join(f"{names[c]} ({c})" for c in sorted(matches))
        raise UserError(
            f"parameter {parameter!r}",
            f"{key!r} names {len(matches)} authorities: {listed}",
            "give the code of the one you mean",
        )
    if matches:
        return matches[0], str(names[matches[0]])
    raise UserError(
        f"parameter {parameter!r}",
        f"{key!r} is not an authority in the data",
        rule,
    )


def apportioned_rows(flags: pd.DataFrame | None) -> dict[tuple[str, int], str]:
    """The authority-years a boundary step made by sharing out a predecessor's figures (flagged apportioned for the
    whole row), each with the rule that shared them out (one rule per predecessor that was split)."""
    if flags is None or not len(flags):
        return {}
    f = flags[(flags["flag"] == "apportioned") & (flags["column"] == "*")]
    return {(str(c), int(y)): str(r) for c, y, r in zip(f["la_code"], f["year"], f["rule"])}


def check_years(panel: pd.DataFrame, years: str) -> None:
    """The chosen years (``first-last``) must lie within the panel's years (``all`` always does)."""
    from cscbook.errors import UserError

    if years == "all":
        return
    first, last = (int(y) for y in years.split("-"))
    have = sorted(int(y) for y in panel["year"].unique())
    if first not in have or last not in have:
        raise UserError(
            "parameter 'years'",
            f"{years} is outside the data, which cover {have[0]}-{have[-1]}",
            "years must lie within the data",
        )


#: The float format of every CSV a text-only prepared folder holds: stable, and exact for counts and pounds.
TEXT_FLOAT = "%.10g"
#: Panel columns read back as text from a text-only folder (the rest of the contract columns are numbers).
TEXT_COLUMNS = ["la_code", "la_name", "region", "ofsted_overall", "ofsted_framework", "ofsted_date"]


def write_text_prepared(prep: Prepared, out: Path, tables: dict | None = None) -> None:
    """Write a prepared folder as text only (CSV and JSON, sorted, "\\n" line ends), the same bytes on every run:
    panel.csv, flags.csv, meta.json, england.csv and neighbours.csv when present, and one CSV per extra table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    panel = order_panel(prep.panel.copy())
    panel.to_csv(out / "panel.csv", index=False, float_format=TEXT_FLOAT, lineterminator="\n")
    flags = prep.flags if len(prep.flags) else empty_flags()
    flags = flags[flag_columns(flags)].sort_values(FLAG_COLUMNS, kind="stable")
    flags.to_csv(out / "flags.csv", index=False, lineterminator="\n")
    (out / "meta.json").write_text(json.dumps(prep.meta, indent=2, sort_keys=True, allow_nan=False) + "\n")
    if prep.england is not None:
        eng = prep.england.sort_values("year", kind="stable")
        eng.to_csv(out / "england.csv", index=False, float_format=TEXT_FLOAT, lineterminator="\n")
    named = dict(tables or {})
    if prep.extra.get("neighbours") is not None:
        nb = prep.extra["neighbours"]
        named["neighbours"] = nb.sort_values([c for c in ("edition", "la_code", "rank") if c in nb], kind="stable")
    for name in TABLE_EXTRAS:
        if prep.extra.get(name) is not None:
            named[name] = prep.extra[name]
    for name, table in named.items():
        table.to_csv(out / f"{name}.csv", index=False, float_format=TEXT_FLOAT, lineterminator="\n")


def read_text_prepared(path: Path) -> Prepared:
    """Load a folder written by :func:`write_text_prepared` (no parquet): text columns as text, the rest numbers."""
    path = Path(path)
    panel = pd.read_csv(path / "panel.csv", dtype={c: "object" for c in TEXT_COLUMNS}, keep_default_na=False)
    for col in panel.columns:
        if col in TEXT_COLUMNS:
            panel[col] = panel[col].replace("", None)
        elif col != "year":
            panel[col] = pd.to_numeric(panel[col].replace("", None), errors="raise").astype("float64")
    flags = pd.read_csv(path / "flags.csv", dtype={"la_code": str, "column": str, "flag": str, "rule": str})
    meta = json.loads((path / "meta.json").read_text())
    england = pd.read_csv(path / "england.csv") if (path / "england.csv").exists() else None
    prep = Prepared(panel=order_panel(panel), flags=flags, meta=meta, path=path, england=england)
    _read_extras(prep, path)
    return prep


def year_label(year: int) -> str:
    """2018 -> '2017-18' (years end 31 March)."""
    return f"{year - 1}-{str(year)[-2:]}"
