"""The rules a prepared folder cites (published in its meta.json), the sources, and the meta itself."""

from __future__ import annotations

from cscbook.ingest import IngestResult

RULES: dict[str, str] = {
    "G-BCP-2019": "Bournemouth (E06000028), Poole (E06000029) and Dorset county (E10000009) became BCP (E06000058) and Dorset (E06000059) in April 2019. 2018 footprint: the old three are kept and the panel ends in 2018-19; latest footprint: Bournemouth+Poole -> BCP, Dorset county -> Dorset (Christchurch moved from Dorset to BCP; not adjusted).",
    "G-BUCKS-2020": "Buckinghamshire E10000002 -> E06000060 in April 2020, same footprint: recoded.",
    "G-NORTHANTS-2021": "Northamptonshire E10000021 split into North (E06000061) and West (E06000062) Northamptonshire in April 2021. 2018 footprint: the two are summed; latest: Northamptonshire counts are apportioned by the successors' 0-17 population shares. The joint children's trust rows in the workforce census are split with each member taking the joint rate.",
    "G-2023": "Cumbria (E10000006) -> Cumberland (E06000063) + Westmorland and Furness (E06000064); North Yorkshire E10000023 -> E06000065 and Somerset E10000027 -> E06000066 (same footprints, recoded), April 2023. 2018 footprint: Cumbria's successors summed; latest: Cumbria apportioned by population share.",
    "G-RECODE-2025": "Barnsley and Sheffield codes reissued (E08000038 -> E08000016, E08000039 -> E08000019).",
    "G-RECODE-2013": "Northumberland E06000048 -> E06000057 and Gateshead E08000020 -> E08000037 (2013 code changes, same boundaries).",
    "G-NAMES": "Ofsted 2023 gives names only; names are matched to codes after removing case, punctuation and 'City of'/'County of', with the published differences (Bedford Borough, Bristol, Durham, Herefordshire, Kingston Upon Hull, Richmond Upon Thames, St Helens) mapped explicitly.",
    "G-OLDCODE": "3-digit DfE codes (s251, LAIT) are mapped to 9-character ONS codes through the code pairs published in the CIN, CLA and EES files.",
    "G-OUTSIDE": "A row for an authority outside the chosen footprint that no rule maps is left out and flagged.",
    "W-LAIT": "Vacancy rates for census years the workforce files do not cover (September 2016) come from DfE's LAIT table, which carries the same measure (identical where both exist), matched by Y-CSWW.",
    "Y-CSWW": "Workforce census at 30 September Y is matched to the year ending 31 March Y+1 (Sept 2017 census -> 2017-18).",
    "Y-POP": "Population: the mid-year estimate for the June inside the year (mid-2017 for 2017-18), from the earliest DfE release that has it (the denominator of the rates DfE published); where no release has it, pop = cin_31mar * 10000 / published CIN rate (DfE's own denominator).",
    "S-CIN": "Children in need: EES from 2012-13 (latest release), SFR before; an EES gap is filled from the SFR of the same year.",
    "S-CLA": "Children looked after: SFR to 2016-17, EES from 2017-18; cla_16plus from SFR only.",
    "S-S251": "Section 251 gross expenditure by category as in ingest.s251 (sub-totals, never double-counted); financial year ending 31 March.",
    "S-IOD": "IoD2015 for years to 2018-19, IoD2019 from 2019-20 (average scores).",
    "S-OFSTED": "Ofsted: the latest graded judgement (SLAC, CPI, SIF or ILACS) published on or before 31 March of the year.",
    "S-NOSOURCE": "No source in the folder provides this column: all missing.",
    "S-MISSING": "The published cell is missing (the publisher's symbol is in the ingest flags) or the authority has no row.",
}

SOURCES = [
    (
        "Department for Education",
        "Characteristics of children in need (SFR underlying data 2009-10 to 2016-17; EES releases)",
    ),
    (
        "Department for Education",
        "Children looked after in England including adoptions (SFR underlying data; EES releases)",
    ),
    ("Department for Education", "Section 251 outturn, Table A1 (LA and school expenditure)"),
    ("Department for Education", "Children's social work workforce (EES)"),
    ("Office for National Statistics", "Mid-year population estimates (DfE format; Nomis)"),
    (
        "Ministry of Housing, Communities and Local Government",
        "English Indices of Deprivation 2015 and 2019, upper-tier summaries",
    ),
    ("Ofsted", "Children's social care data in England 2023; LA inspection outcomes as at 31 March 2025"),
    ("HM Treasury", "GDP deflators at market prices"),
    ("Department for Education", "Local Authority Interactive Tool (cross-check only)"),
]


def meta(result: IngestResult, geography: str, years: list[int], deflator, panel, fl) -> dict:
    """The prepared folder's meta.json: geography, years, rules, sources and every input file's hash."""
    return {
        "source": "official",
        "geography": geography,
        "years": [years[0], years[-1]],
        "deflator": deflator,
        "rules": RULES,
        "sources": [{"publisher": p, "title": t, "licence": "Open Government Licence v3.0"} for p, t in SOURCES],
        "inputs": {
            r.path: {"sha256": r.sha256, "rows": int(r.rows), "source": r.source, "vintage": r.vintage}
            for r in result.inventory.itertuples()
        },
        "rows": {"panel": int(len(panel)), "flags": int(len(fl))},
    }
