"""The codebook of the official panel: every column's meaning and unit (written here), its source rules
(ids from the snapshot's meta.json, with their text, plus every rule its flags cite) and the years it
covers on each footprint (computed from the panel). Written as ``data/official/codebook.csv`` and shown
as the book's codebook page."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cscbook.contract import GEOGRAPHIES as FOOTPRINTS
from cscbook.contract import year_label

COUNT = "children (count)"
DEFLATOR_UNIT = "index, 1 in the base year that meta.json names"
POUNDS = "pounds, nominal (financial year ending 31 March)"
SPEND_RULES = ["S-S251", "L-LAIT-S251", "G-OLDCODE"]
CIN_RULES = ["S-CIN", "L-LAIT-CIN"]
CIN_RATE_RULES = [*CIN_RULES, "D-LAIT-RATE"]  # LAIT publishes these as rates only
#: column: (meaning, unit, rule ids of its source). Every contract column has an entry (tests check it).
COLUMNS: dict[str, tuple[str, str, list[str]]] = {
    "la_code": ("Local authority, ONS 9-character code on the footprint", "code", ["G-RECODE-2013", "G-RECODE-2025"]),
    "la_name": ("Local authority name", "text", []),
    "region": ("English region (one of the nine)", "text", []),
    "year": ("Year ending 31 March (2018 = 2017-18)", "year", []),
    "pop_0_17": (
        "Children aged 0-17, mid-year estimate for the June inside the year, one consistent series (every rate's "
        "denominator)",
        "children",
        ["Y-POP", "Y-POP-GAP", "Y-POP-NOMIS"],
    ),
    "pop_0_17_published": (
        "Children aged 0-17 as ONS first published the estimate (DfE's denominator at the time)",
        "children",
        ["Y-POP-PUBLISHED", "Y-POP-NOMIS"],
    ),
    "referrals": ("Referrals to children's social care during the year", COUNT, CIN_RULES),
    "s47_enquiries": ("Section 47 enquiries started during the year", COUNT, CIN_RATE_RULES),
    "icpcs": ("Initial child protection conferences during the year", COUNT, CIN_RATE_RULES),
    "cpp_31mar": ("Children on a child protection plan at 31 March", COUNT, CIN_RULES),
    "cpp_starts": ("Child protection plans started during the year", COUNT, CIN_RULES),
    "cin_31mar": ("Children in need at 31 March", COUNT, CIN_RATE_RULES),
    "cin_episodes": ("Children in need at any time during the year (episodes)", COUNT, ["S-CIN", "S-CINEP"]),
    "cla_31mar": ("Children looked after at 31 March", COUNT, ["S-CLA", "L-LAIT-CLA"]),
    "cla_starts": ("Children who started to be looked after during the year", COUNT, ["S-CLA-STARTS"]),
    "cla_16plus": ("Children looked after aged 16 and over at 31 March", COUNT, ["S-CLA"]),
    "cla_starts_16plus": (
        "Children who started to be looked after during the year, aged 16 and over on starting",
        COUNT,
        ["S-CLA-AGE"],
    ),
    "spend_sure_start": ("Section 251: Sure Start children's centres and services for under-5s", POUNDS, SPEND_RULES),
    "spend_cla": ("Section 251: children looked after", POUNDS, SPEND_RULES),
    "spend_other_cfs": ("Section 251: other children and family services", POUNDS, SPEND_RULES),
    "spend_safeguarding": ("Section 251: safeguarding children and young people's services", POUNDS, SPEND_RULES),
    "spend_family_support": ("Section 251: family support services", POUNDS, SPEND_RULES),
    "spend_young_people": ("Section 251: services for young people", POUNDS, SPEND_RULES),
    "spend_youth_justice": ("Section 251: youth justice", POUNDS, SPEND_RULES),
    "budget_csc": (
        "Revenue Account budget: children's social care, net current expenditure, set before the year",
        POUNDS,
        ["F-BUDGET", "F-CODES", "F-LINES", "F-RETURN"],
    ),
    "budget_cla": (
        "Revenue Account budget: children looked after, net current expenditure",
        POUNDS,
        ["F-BUDGET", "F-CODES", "F-RETURN"],
    ),
    "outturn_csc": (
        "Revenue outturn: children's social care, net current expenditure (gross less sales, fees and other income)",
        POUNDS,
        ["F-OUTTURN", "F-CODES", "F-LINES", "F-LATER", "F-RETURN"],
    ),
    "outturn_csc_gross": (
        "Revenue outturn: children's social care, gross expenditure (employees and running expenses)",
        POUNDS,
        ["F-OUTTURN", "F-CODES", "F-LINES", "F-LATER", "F-RETURN"],
    ),
    "outturn_cla": (
        "Revenue outturn: children looked after, net current expenditure",
        POUNDS,
        ["F-OUTTURN", "F-CODES", "F-RETURN"],
    ),
    "spend_cera": ("Section 251: capital expenditure from revenue", POUNDS, [*SPEND_RULES, "S-S251-LAIT"]),
    "spend_total_excl_cera": ("Section 251: children's services total, excluding CERA", POUNDS, SPEND_RULES),
    "spend_total_incl_cera": (
        "Section 251: children's services total, including CERA",
        POUNDS,
        [*SPEND_RULES, "S-S251-LAIT"],
    ),
    "deflator": ("GDP deflator for the financial year (series named in meta.json)", DEFLATOR_UNIT, ["S-DEFLATOR"]),
    "childrens_centres": ("Children's centres open at 31 March", "centres (count)", []),
    "idaci_score": (
        "Income Deprivation Affecting Children Index, authority average score",
        "score, 0-1",
        ["S-IOD", "S-IOD-DISTRICT"],
    ),
    "imd_score": ("Index of Multiple Deprivation, authority average score", "score", ["S-IOD"]),
    "idaci_score_2025": ("IDACI average score, IoD2025 (latest footprint only)", "score, 0-1", ["S-IOD-2025"]),
    "imd_score_2025": ("IMD average score, IoD2025 (latest footprint only)", "score", ["S-IOD-2025"]),
    "sw_vacancy_rate": ("Children's social worker vacancy rate (census at 30 September)", "share, 0-1", ["Y-CSWW"]),
    "ofsted_overall": ("Latest graded Ofsted overall judgement as at 31 March", "one of four grades", ["S-OFSTED"]),
    "ofsted_framework": ("Framework of that judgement (SLAC, CPI, SIF or ILACS)", "text", ["S-OFSTED"]),
    "ofsted_date": ("Publication date of that judgement", "ISO date", ["S-OFSTED"]),
}
HEADER = ["column", "meaning", "unit", "rules", "rule_text", "years_2018", "years_latest"]


def table(root: Path) -> pd.DataFrame:
    """One row per panel column: meaning, unit, rule ids and text, and the years with data on each footprint."""
    return table_of({g: Path(root) / g for g in FOOTPRINTS})


def table_of(folders: dict[str, Path]) -> pd.DataFrame:
    """:func:`table` for the footprints' folders (the snapshot's, or a build's prepared folders), each holding
    ``panel.csv``, ``flags.csv`` and ``meta.json``."""
    panels, flags, rules = {}, {}, {}
    for g in FOOTPRINTS:
        if g not in folders:
            continue
        panels[g] = pd.read_csv(folders[g] / "panel.csv", dtype=str, keep_default_na=False)
        flags[g] = pd.read_csv(folders[g] / "flags.csv", dtype=str, keep_default_na=False)
        rules |= json.loads((folders[g] / "meta.json").read_text()).get("rules", {})
    rows = []
    for col in dict.fromkeys(c for g in panels for c in panels[g].columns):
        meaning, unit, own = COLUMNS.get(col, ("(not described)", "", []))
        cited = sorted({r for g in panels for r in flags[g].loc[flags[g]["column"] == col, "rule"]} & set(rules))
        ids = [r for r in dict.fromkeys(own + cited) if r in rules]
        rows.append(
            {
                "column": col,
                "meaning": meaning,
                "unit": unit,
                "rules": " ".join(ids),
                "rule_text": " | ".join(f"{r}: {rules[r]}" for r in ids),
                **{f"years_{g}": covered(panels[g], col) if g in panels else "" for g in FOOTPRINTS},
            }
        )
    return pd.DataFrame(rows, columns=HEADER)


def covered(panel: pd.DataFrame, col: str) -> str:
    """The years with at least one value of ``col``, as ranges of DfE-style labels ('2010-11 to 2017-18')."""
    years = sorted({int(y) for y, v in zip(panel["year"], panel.get(col, [])) if v != ""})
    spans: list[list[int]] = []
    for y in years:
        if spans and y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    if not spans:
        return "none"
    return ", ".join(year_label(a) if a == b else f"{year_label(a)} to {year_label(b)}" for a, b in spans)


def write(root: Path) -> None:
    table(Path(root)).to_csv(Path(root) / "codebook.csv", index=False, lineterminator="\n")


def page(root: Path) -> str:
    """The codebook as Markdown tables for the book (appended to book/codebook.md at staging)."""
    f = Path(root) / "codebook.csv"
    if not f.exists():
        return "\nThe official snapshot (`data/official/`) is not in this copy of the book.\n"
    cb = pd.read_csv(f, dtype=str, keep_default_na=False)
    lines = [
        "",
        "| Column | Meaning | Unit | Years (2018 footprint) | Years (latest footprint) |",
        "|---|---|---|---|---|",
    ]
    for r in cb.itertuples():
        lines.append(f"| `{r.column}` | {r.meaning} | {r.unit} | {r.years_2018} | {r.years_latest} |")
    lines += ["", "## Rules by column", ""]
    for r in cb.itertuples():
        if r.rules:
            lines.append(f"- `{r.column}`: " + ", ".join(f"**{rid}**" for rid in r.rules.split()))
    rules = dict(t.split(": ", 1) for r in cb.itertuples() if r.rule_text for t in r.rule_text.split(" | "))
    lines += ["", "## The rules", ""]
    lines += [f"- **{rid}**: {text}" for rid, text in sorted(rules.items())]
    lines.append("")
    return "\n".join(lines)
