"""Harmonise the ingested official tables into one LA-year panel on one stated footprint. Imports ingest and the
base modules.

Every boundary change has one rule (``RULES``); each rule's id is the ``rule`` of the flags it causes.
Year = year ending 31 March (2018 = 2017-18). Rates are never stored.

The steps live by job: ``boundaries`` (the table of boundary and code changes and the footprint steps
derived from it), ``sources`` (the source picked for each measure), ``population`` (the back-derived
population), ``flags`` (contract columns, missing cells, the flag table) and ``meta`` (rules and sources).
"""

from __future__ import annotations

import pandas as pd

from cscbook import contract
from cscbook.errors import UserError
from cscbook.harmonise import boundaries, breaks, finance, lait, neighbours, plausibility, population, sources
from cscbook.harmonise.boundaries import CHANGES, RECODE, RULE_OF, TO_2018, TO_LATEST, Change
from cscbook.harmonise.flags import contract_columns, flag_missing_cells, flag_table
from cscbook.harmonise.meta import RULES, SOURCES, meta
from cscbook.harmonise.sources import CIN_MEASURES, OFSTED_NAMES
from cscbook.ingest import IngestResult

__all__ = [
    "harmonise",
    "RULES",
    "SOURCES",
    "CHANGES",
    "Change",
    "RECODE",
    "RULE_OF",
    "TO_2018",
    "TO_LATEST",
    "CIN_MEASURES",
    "OFSTED_NAMES",
]

GEOGRAPHIES = contract.GEOGRAPHIES


def harmonise(result: IngestResult, geography: str = "2018") -> contract.Prepared:
    """One LA-year panel on the 2018 footprint (152 authorities of 2017-18) or the latest one."""
    if geography not in GEOGRAPHIES:
        raise UserError("geography", f"unknown geography {geography!r}; use '2018' or 'latest'", "geography")
    _require_cin_and_cla(result)
    flags: list[tuple] = []  # (la_code, year, column, flag, rule), in the order the steps find them
    tables, old_to_new, names, regions = boundaries.one_code_per_authority(result.tables, geography)
    long, overlap, coverage = sources.long_table(tables, old_to_new, flags)
    long = pd.concat([long, *population.population_parts(tables, geography, flags)], ignore_index=True)
    long, base, last_year = boundaries.onto_footprint(long, tables, geography, flags)
    panel, years = boundaries.on_grid(long, base, last_year, flags)
    panel = population.back_derive_population(panel, tables["cin"], geography, flags)
    population.check_coverage(panel, tables, names)
    panel, deflator = sources.context(panel, tables, names, geography, flags)
    panel = contract_columns(panel, *boundaries.carry_names(names, regions), flags)
    lait.gap_flags(panel, coverage, flags)
    plausibility.check(panel, flags)
    found_breaks = breaks.mark(panel, flags)
    flags[:] = lait.prune(flags, panel)
    flag_missing_cells(panel, flags)
    fl = flag_table(flags)
    prep = contract.Prepared(
        panel=panel,
        flags=fl,
        meta=meta(result, geography, years, deflator, panel, fl),
        england=sources.england(result, years),
    )
    prep.meta["breaks"] = found_breaks
    prep.extra.update(_extras(result, panel, overlap, geography))
    if notes := prep.extra.pop("neighbour_notes", None):
        prep.meta["neighbours"] = notes
    both = coverage["overlap"]
    prep.extra["lait_overlap"] = both[both["la_code"].isin(set(panel["la_code"]))].reset_index(drop=True)
    return prep


def _require_cin_and_cla(result: IngestResult) -> None:
    """A panel needs both children-in-need and looked-after files; say which is missing and what was not read."""
    cin, cla = result.tables.get("cin", pd.DataFrame()), result.tables.get("cla", pd.DataFrame())
    if len(cin) and len(cla):
        return
    inv = result.inventory
    unrec = inv[inv["status"] == "unrecognised"] if len(inv) else inv
    why = "; ".join(f"{r.path}: {r.note}" for r in unrec.itertuples())
    have = "children-in-need" if len(cin) else "looked-after" if len(cla) else "neither"
    raise UserError(
        result.folder or "ingest",
        f"a panel needs both children-in-need and looked-after files; found {have}"
        + (f" (unrecognised: {why})" if why else ""),
        "missing-source",
    )


def _extras(result: IngestResult, panel: pd.DataFrame, overlap: list, geography: str) -> dict[str, pd.DataFrame]:
    """The SFR/EES children-in-need overlap, DfE's statistical neighbours among the panel's authorities, and
    the district councils in each authority."""
    overlap_df = pd.concat(overlap, ignore_index=True)
    out = {"sfr_ees_overlap": overlap_df[overlap_df["value_sfr"].notna() | overlap_df["value_ees"].notna()]}
    known = set(panel["la_code"])
    parts = []
    nb = result.tables.get("neighbours")
    if nb is not None and len(nb):
        nb = nb[nb["la_code"].isin(known) & nb["neighbour"].isin(known)]
        parts.append(
            nb[["la_code", "rank", "neighbour"]]
            .drop_duplicates(["la_code", "rank"])
            .assign(source="statistical neighbours supplied with the data")
        )
    dfe = result.tables.get("neighbours_dfe")
    if dfe is not None and len(dfe):
        table, notes = neighbours.on_footprint(dfe, result.tables, known, geography)
        parts.append(table)
        out["neighbour_notes"] = notes
    if parts:
        out["neighbours"] = pd.concat(parts, ignore_index=True)
    districts = district_table(result.tables.get("ons_lookup"), panel, geography)
    if districts is not None:
        districts = pd.concat([districts, former_names(result.tables, panel, geography)], ignore_index=True)
        out["districts"] = districts
    fin = result.tables.get("finance")
    if fin is not None and (lines := finance.england_lines(fin)) is not None:
        out["finance_lines"] = lines
    return out


def district_table(lookup: pd.DataFrame | None, panel: pd.DataFrame, geography: str) -> pd.DataFrame | None:
    """Each district council (lower tier) with the authority on the footprint that runs its children's
    services: ONS's lower-to-upper tier lookup, its upper-tier codes put on the footprint (a recode, or on
    the 2018 footprint the authority a successor came from). For finding an authority by a district's name."""
    if lookup is None or not len(lookup) or "district_code" not in lookup:
        return None
    codes = lookup["la_code"].replace(boundaries.same_area_recodes(geography))
    if geography == "2018":
        codes = codes.map(boundaries.on_2018())
    out = pd.DataFrame(
        {"district_code": lookup["district_code"], "district_name": lookup["district_name"], "la_code": codes}
    )
    out = out[out["la_code"].isin(set(panel["la_code"]))].assign(kind="district")
    return out.drop_duplicates().sort_values(["district_name", "district_code"], kind="stable").reset_index(drop=True)


def former_names(T: dict[str, pd.DataFrame], panel: pd.DataFrame, geography: str) -> pd.DataFrame:
    """The names a reader may still look an authority up by: the districts of 2019 abolished since (IoD2019's
    district list; :data:`boundaries.FORMER_DISTRICTS` says which authority took each), and on today's footprint
    the former authorities, each with every successor (Cumbria: Cumberland and Westmorland and Furness). A former
    authority whose name a successor kept (Dorset, North Yorkshire) is found by that name already."""
    rows = []
    iod = T.get("iod_district", pd.DataFrame())
    if len(iod):
        d = iod[iod["year"] == 2019].drop_duplicates("la_code")
        on_footprint = (lambda la: la) if geography == "latest" else boundaries.on_2018()
        for code, name in zip(d["la_code"], d["la_name"]):
            if code in boundaries.FORMER_DISTRICTS:
                rows.append((code, name, on_footprint(boundaries.FORMER_DISTRICTS[code]), "former district"))
    if geography == "latest":
        names = _last_names(T)
        for old, new in boundaries.TO_LATEST.items():
            succ = {code for code, how in new if how != "recode"}  # a new code for the same area keeps its name
            if old in names and names[old].lower() not in {names.get(c, "").lower() for c in succ}:
                rows += [(old, names[old], code, "former authority") for code in sorted(succ)]
    out = pd.DataFrame(rows, columns=["district_code", "district_name", "la_code", "kind"])
    out = out[out["la_code"].isin(set(panel["la_code"]))]
    return out.sort_values(["district_name", "la_code"], kind="stable").reset_index(drop=True)


def _last_names(T: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each code's name in the latest children-in-need row that gives it."""
    cin = T.get("cin", pd.DataFrame())
    named = cin.dropna(subset=["la_code", "la_name"]).sort_values("year", kind="stable")
    return dict(zip(named["la_code"], named["la_name"]))
