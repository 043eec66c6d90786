"""The rules a prepared folder cites (published in its meta.json), the sources, and the meta itself."""

from __future__ import annotations

import cscbook.harmonise.deprivation as deprivation
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
    "Y-POP": "Population (pop_0_17, the consistent series every rate uses): the mid-year estimate for the June inside the year (mid-2017 for 2017-18), from the latest DfE population release that covers the year (the 2025 release is on the Census-2021-consistent basis from mid-2012; Y-POP-GAP for its gaps), from the ONS estimates by age before its first year (Y-POP-NOMIS); where no file has the year, pop = cin_31mar * 10000 / published CIN rate (DfE's own denominator), flagged derived.",
    "Y-POP-GAP": "An authority the latest population release leaves as 'x' (Bournemouth, Poole and Dorset county, mid-2012 to mid-2018, in the 2025 release) is estimated: England's total in that release less its other authorities, shared out by the authorities' proportions in an older release of the same year. Flagged imputed.",
    "Y-POP-NOMIS": "Years before the first population release (2010-11 and 2011-12): ONS mid-year estimates from Nomis, ages 0 to 16 in single bands, plus the 16-year-olds of the year before as the 17-year-olds (ages 0-17). The Nomis exports are on the authorities of April 2021 and are put back on the authorities of the year by reversing the changes in between: North and West Northamptonshire are added into Northamptonshire (G-NORTHANTS-2021); BCP and Dorset are added and shared out among Bournemouth, Poole and Dorset county by their proportions in the first year a release gives them (mid-2012; G-BCP-2019). Cumbria's successors are made as for every count (G-2023). Mid-2010 and mid-2011 were not revised by the 2021 Census, so both population series take them. Flagged derived.",
    "Y-POP-PUBLISHED": "pop_0_17_published: the estimates as ONS first published them, which DfE's rates used at the time: the earliest DfE release that has the year (mid-2012 to mid-2020 before the 2021 Census rebased them), the Nomis estimates before (Y-POP-NOMIS). DfE's own 2010-11 rates used an estimate made before the 2011 Census, which no file here gives by authority. The `population` parameter (as-published) puts this series under every rate.",
    "P-ZERO-NA": "A zero published for an authority of fewer than 5,000 children that a later release calls not applicable ('z'): flagged suspect (the cell is missing under R-RELEASE).",
    "P-SAME-SPEND": "A spending line equal to its value the year before, to the pound: flagged suspect (a figure carried forward rather than a new return); kept as published.",
    "P-SPIKE": "A count that moves by more than 60% in one year (from at least 50) and is back within 25% of its earlier level the next: flagged suspect; kept as published.",
    "B-S251-2013": "A declared break (harmonise.breaks): section 251's other children and family services covers fewer lines from 2012-13, so its fall that year is reclassification. The first year on the new basis is flagged break; the values are as published; the chapters draw a gap there and never state a change across it.",
    "R-RELEASE": "Where two releases give one authority-year, the later release wins. A number it revises is flagged revised, with both releases' values in the flag's detail; a later 'z' (not applicable) or 'u' (low reliability) is DfE's word on the cell: it stays missing for that reason, never an earlier number or a zero.",
    "R-EARLIER": "Where the latest release gives no number for another reason ('x', '..', 'c', blank) and an earlier release gave one, the earlier number is used, flagged imputed, with both releases' entries in the flag's detail.",
    "S-CIN": "Children in need, referrals, section 47 enquiries, initial conferences, plans at 31 March and plans started: every release of DfE's SFR underlying data (2009-10 to 2016-17) and EES files (2022 and 2025 releases in the published sample), the latest release that gives a cell winning (R-RELEASE, R-EARLIER); DfE LAIT only for the years no such file covers (L-LAIT-CIN), never replacing either.",
    "S-CLA": "Children looked after at 31 March: every release of DfE's SFR underlying data (2011 to 2019; the 2018 and 2019 files repeat four earlier years) and EES files (2022 and 2025), the latest release that gives a cell winning (R-RELEASE, R-EARLIER); LAIT after the last EES year (L-LAIT-CLA). Aged 16 and over: the SFR files only, each for its own year.",
    "S-CLA-STARTS": "Children who started to be looked after: every release of DfE's SFR starts files (2011 to 2019; the 2018 and 2019 files repeat four earlier years; SFR34/2015 names its 2014-15 column 2014, and is read as 2014-15) and EES files (2022 and 2025), the latest release that gives a cell winning (R-RELEASE, R-EARLIER); LAIT for any year none covers.",
    "S-S251": "Section 251 gross expenditure by category as in ingest.s251 (sub-totals, never double-counted); financial year ending 31 March. Table A1 (or the EES outturn) to the last year it covers (2018-19 in the published sample), LAIT's outturn lines for the years after (L-LAIT-S251); where both exist, Table A1 wins.",
    "L-LAIT-CIN": "LAIT (DfE Local Authority Interactive Tool, years 2015-16 to 2024-25) for the years no SFR or EES file covers: referrals (CPP_Total_NumRef), plans at 31 March (CPP_Num) and plans started in the year (CPP_Abuse) as published counts; children in need at 31 March (CIN), section 47 enquiries (Section_47) and initial conferences (ISCP_Conf) from published rates (D-LAIT-RATE). 3-digit LA numbers mapped as G-OLDCODE; '-' is missing. Each cell is flagged derived under this rule.",
    "L-LAIT-CLA": "LAIT for the looked-after years no SFR or EES file covers: LACnum (at 31 March) and LACnum_Start (started to be looked after in the year), published counts. Each cell is flagged derived under this rule.",
    "L-LAIT-S251": "LAIT's section 251 outturn lines ('(OT)' years, gross, nominal pounds) for the years no Table A1 file covers: SureStartFinance, TotalLACFinance, OtherChildren&FamilyFinance, SafeguardingFinance, FamilySupportFinance, YoungPeopleFinance, YouthJusticeFinance and C&YPExpenditure (total excluding CERA). Each cell is flagged derived under this rule.",
    "D-LAIT-RATE": "A count LAIT publishes only as a rate per 10,000 children aged 0-17 is derived as rate * pop_0_17 / 10,000 (the population of Y-POP, on the authority's own code before any boundary step), rounded to a whole number; flagged derived under this rule.",
    "S-CLA-AGE": "Children who started to be looked after aged 16 and over on starting: the SFR starts files, each for its own year (2010-11 to 2018-19), then the EES starts by characteristics by authority (2017-18 to 2021-22 in the published sample), the latest release winning (R-RELEASE); England's 2009-10 row from SFR27/2010's table LAC3 (England only, rounded to 100).",
    "S-CINEP": "Children in need at any time in the year (episodes) are published only in the SFR and EES b1 files (to 2024-25 in the published sample); LAIT does not carry them: missing for any year only LAIT covers.",
    "S-S251-LAIT": "LAIT carries no capital expenditure from revenue (CERA) line and no total including CERA: spend_cera and spend_total_incl_cera are missing for the years only LAIT covers.",
    "S-DEFLATOR": "One GDP deflator for every year: the ONS implied deflator YBGB (financial year = mean of Q2-Q4 of one calendar year and Q1 of the next), rebased to 2024-25 = 1; where the ONS file is absent, HM Treasury's GDP deflator, 2017-18 = 1. The base year is stated in the meta ('deflator'). A year the series does not reach is missing.",
    "Y-END": "Latest footprint: the panel ends in the last year that an authority measure other than the workforce reaches (2024-25 in the published sample); the September census of that year (matched to the next year by Y-CSWW) is left out rather than opening a year in which every other measure is missing. The 2018 footprint ends in 2018-19 (G-BCP-2019).",
    "S-IOD": "Deprivation (IDACI and IMD average scores) in every year, one edition per footprint: the 2018 footprint takes IoD2015's upper-tier summaries, the latest footprint IoD2019's (an authority that kept its area under a new code, such as Buckinghamshire, North Yorkshire, Somerset, Barnsley and Sheffield, takes its predecessor's row; S-IOD-DISTRICT for the rest). Editions are separate measures, never joined into one series.",
    "S-IOD-DISTRICT": "An authority the upper-tier summaries do not give (North and West Northamptonshire, Cumberland, Westmorland and Furness) takes the mean of its districts' IoD2019 scores weighted by IoD2019's own population denominators (File 6, mid-2015: everyone for IMD, children aged 0-15 for IDACI), as MHCLG makes its upper-tier scores; the same rebuilds Cumbria's published IMD score to within 0.001. Flagged derived.",
    "S-IOD-2025": "IoD2025 (published 30 October 2025) in its own columns on the latest footprint, the same in every year: a unitary authority's own district row; a county's districts (ONS's April 2023 lower-to-upper tier lookup) weighted by IoD2019's mid-2015 populations, since IoD2025's district file carries none. Not comparable with the IoD2019 or IoD2015 scores.",
    "S-OFSTED": "Ofsted: the latest graded judgement (SLAC, CPI, SIF or ILACS) published on or before 31 March of the year.",
    "F-CODES": "MHCLG's finance returns (RA, RO3, RSX) name authorities by MHCLG's 4-character codes, and by ONS codes only from 2014-15 (RO3) and 2017-18 (RA): every row takes the ONS code its MHCLG code carries in the latest file that gives both (a file's own ONS code can be a misprint: RO3 2015-16 gives North Yorkshire E10000022). Only the authorities with children's social care duties (classes UA, MD, L or LB, SC) are read; shire districts and other bodies are left out, though the England rows include them.",
    "F-BUDGET": "budget_csc and budget_cla: the Revenue Account budget's net current expenditure on children's social care and on children looked after, £ thousand as published turned to pounds. RA 2010-11 and 2011-12 publish no children's total: it is the sum of their children's lines (strategy, safety, asylum seekers, other children's and families' services); they have no looked-after line. No RA file is published here for 2020-21, 2022-23 or 2024-25: those years are missing.",
    "F-OUTTURN": "outturn_csc, outturn_csc_gross and outturn_cla: the revenue outturn (RO3) for children's social care, net current expenditure (C7) and gross expenditure (C3), and its children-looked-after line; £ thousand as published turned to pounds. RO3 to 2010-11 publishes no children's total: it is the sum of its three children's lines. 2021-22 has no RO3 file: its totals come from the service expenditure summary (RSX), which has no looked-after line. Where RO3 and a later RSX release both give a year (2022-23, 2023-24), RO3 is kept, since its lines add up to its total; an authority whose RO3 return was not received in time takes the later RSX release's total (F-LATER).",
    "F-LATER": "An authority's RO3 return was not received in time for its release, and the later service expenditure summary (RSX) gives its children's social care total: the total (net and gross) is the RSX figure. Flagged revised. The looked-after line, which RSX does not give, stays missing.",
    "F-RETURN": "A finance return's cell is empty: missing, never imputed, with the publisher's reason in the flag's detail (return not received, not available, not received in time).",
    "F-ENGLAND-LINES": "finance_lines.csv: England's rows of the Revenue Account budget and the outturn, each children's line, net current expenditure in pounds. The outturn is RO3's where a year has an RO3 file and the service expenditure summary's total (no lines) in 2021-22. The lines were redefined in 2011-12 and again in 2014-15 (commissioning, strategy and safety ended; safeguarding, Sure Start and services for young people began), so a line is comparable only within one set. RA 2023-24 has no England row: that year has no England budget here, since the sum over the authorities that made a return is not England's figure (five returns were not received).",
    "F-LINES": "A finance return's children's lines that do not add up to its published total, to within 0.1% (or £1,000 of rounding): flagged suspect; the total is kept as published.",
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
    (
        "Office for National Statistics",
        "Mid-year population estimates (DfE format, 2022 and 2025 releases; Nomis by single age band)",
    ),
    (
        "Ministry of Housing, Communities and Local Government",
        "English Indices of Deprivation 2015 and 2019, upper-tier summaries; IoD2019 and IoD2025 district summaries and IoD2019 population denominators",
    ),
    ("Ofsted", "Children's social care data in England 2023; LA inspection outcomes as at 31 March 2025"),
    ("Office for National Statistics", "GDP at market prices: implied deflator, SA (YBGB), quarterly"),
    ("HM Treasury", "GDP deflators at market prices (used only where the ONS series is absent)"),
    ("Department for Education", "Local Authority Interactive Tool (LAIT): years after the EES and Table A1 files"),
    (
        "Ministry of Housing, Communities and Local Government",
        "Local authority revenue expenditure and financing: Revenue Account budget (RA) and revenue outturn "
        "(RO3 social care; RSX service expenditure summary), data by authority",
    ),
]


def meta(result: IngestResult, geography: str, years: list[int], deflator, panel, fl) -> dict:
    """The prepared folder's meta.json: geography, years, rules, sources and every input file's hash."""
    return {
        "source": "official",
        "geography": geography,
        "years": [years[0], years[-1]],
        "deflator": deflator,
        "deprivation": deprivation.editions(result.tables, geography),
        "rules": RULES,
        "sources": [{"publisher": p, "title": t, "licence": "Open Government Licence v3.0"} for p, t in SOURCES],
        "inputs": {  # the files read (a duplicate of another was read and checked against it)
            r.path: {"sha256": r.sha256, "rows": int(r.rows), "source": r.source, "vintage": r.vintage}
            for r in result.inventory.itertuples()
            if r.status in ("ok", "duplicate")
        },
        "not_read": {  # files in the folder that no reader takes (yet), each with the reason
            r.path: {"sha256": r.sha256, "why": r.note}
            for r in result.inventory.itertuples()
            if r.status == "unrecognised"
        },
        "rows": {"panel": int(len(panel)), "flags": int(len(fl))},
    }
