"""Write the malformed data files in tests/bad_inputs/ (invented values, published layouts).

Run from the repository root: .venv/bin/python -m tests.bad_inputs.make_cases
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd

from tests.fixtures.official import EES, LAS  # the published EES header and the invented authorities

HERE = Path(__file__).resolve().parent


def c1(rows: list[tuple] | None = None, year: str = "2016") -> str:
    """An EES c1 (referrals) file in the 2025 layout."""
    lines = [EES + ",category,referral_count,rereferral_count"]
    lines.append(f"{year},Reporting year,National,E92000001,England,,,,,,Referrals,3000,500")
    for code, old, name, value in rows or [(*la, str(1000 + i)) for i, la in enumerate(LAS)]:
        lines.append(
            f"{year},Reporting year,Local authority,E92000001,England,E12000001,North East,{old},{code},{name},Referrals,{value},c"
        )
    return "\n".join(lines) + "\n"


def cla(drop_count: bool = False) -> str:
    head = (
        EES.replace("new_la_code,la_name", "la_name,new_la_code")
        + ",population_type,population_estimate,children_count"
    )
    if drop_count:
        head = head.replace(",children_count", "")
    lines = [head]
    for code, old, name in LAS:
        row = f"2016,Reporting year,Local authority,E92000001,England,E12000001,North East,{old},{name},{code},Children looked after at 31 March each year,30000,100"
        lines.append(row.rsplit(",", 1)[0] if drop_count else row)
    return "\n".join(lines) + "\n"


def b1_moved() -> str:
    """An EES b1 file whose layout moved again: ``Anypoint_episodes`` renamed."""
    lines = [EES + ",category,anypoint_episode_count,At31_episodes"]
    for code, old, name in LAS:
        lines.append(
            f"2026,Reporting year,Local authority,E92000001,England,E12000001,North East,{old},{code},{name},Children in need,700,400"
        )
    return "\n".join(lines) + "\n"


def s251_bytes() -> bytes:
    rows = [
        ["S251 Outturn 2011-12 - Table A1"],
        [],
        ["LA", "LA Name", "LineNumber", "CYPServiceDescription", "TotalExpenditure"],
    ]
    for _, old, name in LAS:
        rows.append([int(old), name, 1, "1 Spend by individual Sure Start Children's Centres", 100])
    buf = io.BytesIO()
    pd.DataFrame([r + [None] * (5 - len(r)) for r in rows]).to_excel(
        buf, header=False, index=False, sheet_name="TA1_AllData"
    )
    return buf.getvalue()


def zip_not_workbook() -> bytes:
    """A ZIP archive named as a workbook (no worksheets inside)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return buf.getvalue()


def encrypted_workbook() -> bytes:
    """What Excel saves for a password-protected .xlsx: an OLE2 compound file, not a ZIP."""
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504


def short_row() -> str:
    """A c1 file whose second authority row lost its last cell."""
    lines = c1().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]
    return "\n".join(lines) + "\n"


def notes_only_workbook() -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xw:
        pd.DataFrame({"Notes": ["Section 251 outturn: see the data sheet", "Cash terms"]}).to_excel(
            xw, sheet_name="Notes", index=False
        )
    return buf.getvalue()


CASES: dict[str, dict[str, bytes | str]] = {
    "data-empty-file": {"c1.csv": ""},
    "data-wrong-encoding": {
        "c1.csv": c1([(*LAS[0], "1000"), ("E06000902", "902", "Eastf\xf6ld", "900")]).encode("latin-1")
    },
    "data-missing-columns": {"cla.csv": cla(drop_count=True)},
    "data-moved-layout": {"b1.csv": b1_moved()},
    "data-duplicate-authority-years": {"c1.csv": c1([(*LAS[0], "1000"), (*LAS[0], "1000"), (*LAS[1], "900")])},
    "data-negative-count": {"c1.csv": c1([(*LAS[0], "1000"), (*LAS[1], "-5")])},
    "data-non-numeric-cell": {"c1.csv": c1([(*LAS[0], "1000"), (*LAS[1], "abc")])},
    "data-unknown-authority-code": {"c1.csv": c1([(*LAS[0], "1000"), ("E6000099Z", "999", "Nowhere", "50")])},
    "data-year-out-of-range": {"c1.csv": c1(year="1890")},
    "data-mixed-vintages": {"a/c1.csv": c1(), "b/c1.csv": c1([(*LAS[0], "1000"), (*LAS[1], "1"), (*LAS[2], "1002")])},
    "data-workbook-without-data-sheet": {"s251.xlsx": notes_only_workbook()},
    "data-truncated-workbook": {"s251.xlsx": s251_bytes()[:1500]},
    "data-truncated-csv": {"c1.csv": c1()[:-40]},
    "data-no-recognised-files": {"notes.txt": "nothing to read here\n"},
    "data-only-one-source": {"c1.csv": c1()},
    "data-bad-file-in-build": {"c1.csv": c1([(*LAS[0], "1000"), (*LAS[1], "-7")])},
    "data-short-row": {"c1.csv": short_row()},
    "data-infinite-value": {"c1.csv": c1([(*LAS[0], "1000"), (*LAS[1], "inf")])},
    "data-absurd-value": {"c1.csv": c1([(*LAS[0], "1000"), (*LAS[1], "1e20")])},
    "data-encrypted-workbook": {"s251.xlsx": encrypted_workbook()},
    "data-zip-not-workbook": {"s251.xlsx": zip_not_workbook()},
    "data-year-before-publication": {"c1.csv": c1(year="2008")},
    "data-year-in-the-future": {"c1.csv": c1(year="2090")},
}


def main() -> None:
    for name, files in CASES.items():
        folder = HERE / name
        if folder.exists():
            shutil.rmtree(folder)
        for rel, content in files.items():
            f = folder / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


if __name__ == "__main__":
    main()
