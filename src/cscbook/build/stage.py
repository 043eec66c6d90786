"""Staging: the book source assembled for Jupyter Book from the pages, the executed chapters and
profiles, with the data banner on every page built on the data, the downloads and the run record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import yaml

from cscbook import contract
from cscbook.build import registry
from cscbook.build.registry import BOOK, ROOT
from cscbook.fsutil import copy_writable, csv_safe, remove_tree
from cscbook.present import interactive
from cscbook.present.markdown import link, md_escape
from cscbook.profiles.page import profile_downloads
from cscbook.site.pdf import PDF_INFO, PDF_NAME

SYNTHETIC_BANNER = """```{{admonition}} Synthetic data
:class: warning
This page is built on **synthetic England** (seed {seed}, years {years}): a made-up data set,
calibrated to published national figures. **The authorities are fictional**; no figure here
describes a real authority. Run the book on the official statistics to see real figures.
```
"""
OFFICIAL_NOTE = """```{{admonition}} Data
:class: note
Official statistics from {sources} (every file is listed in {{doc}}`/book/sources`). Contains public
sector information licensed under the Open Government Licence v3.0.
```
"""


#: Pages about the book rather than built on its data: no data banner in the text (a synthetic build
#: still shows the site-wide announcement on them).
REFERENCE_PAGES = {"methods", "sources", "rerun", "glossary", "bibliography", "codebook"}
#: Pages that name the snapshot's edition and years (the home page and the profile index).
EDITION_PAGES = {"intro", "index"}
EDITION_NOTE = """```{{admonition}} This edition: {edition}
:class: note
Built on the official snapshot in `data/official/` (edition **{edition}**: the latest year with
activity data and a short hash of the snapshot's files), on {footprint}. The snapshot holds the 152
authorities of 2017-18 for {y2018[panel]} (activity {y2018[activity]}) and today's authorities
for {latest[panel]} (activity {latest[activity]}). The chapters cover every year on today's authorities
(`years` and `geography` change that), and each reproduces the NAO's findings on its period and the
authorities of 2017-18; each authority's profile shows today's authorities over every year of the snapshot.
```
"""


def stage(
    build_dir: Path,
    prepared_meta: dict,
    record: dict,
    panels: dict[str, Path] | None = None,
    profiled=None,
    districts=None,
    pdf_link: bool = False,
) -> Path:
    """Assemble the book source: config, pages, executed notebooks and profiles (with the data banner).
    ``panels``: the prepared folders offered as downloads, by footprint ('latest', '2018'; '' for synthetic
    England's one footprint). ``pdf_link``: the home page links to the PDF edition (which the build puts
    beside the site)."""
    import nbformat

    st = build_dir / "stage"
    remove_tree(st)
    st.mkdir(parents=True)
    # the checkout's files are copied as the build's own (a read-only checkout gives writable copies)
    copy_writable(ROOT / "_toc.yml", st / "_toc.yml")
    stage_config(st, prepared_meta)
    copy_writable(BOOK, st / "book", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
    interactive.write_bundle(st / "book" / "_static", build_dir / "cache")  # the interactive charts' scripts
    banner = data_banner(prepared_meta)
    edition = edition_note(prepared_meta)
    for md in (st / "book").rglob("*.md"):
        if md.stem not in REFERENCE_PAGES:
            note = edition if md.stem in EDITION_PAGES else ""
            if md.stem == "intro":  # the home page keeps its first screen for the findings: the edition goes last
                md.write_text(insert_after_title(md.read_text(), banner) + "\n" + note)
            else:
                md.write_text(insert_after_title(md.read_text(), banner + note))
    stage_codebook(st)
    downloads: dict[str, list[str]] = {}
    for ch in registry.chapters():
        src = build_dir / "executed" / ch.id
        for f in sorted(src.iterdir()):
            if f.name == "cache.json":
                continue
            if f.suffix == ".ipynb":
                nb = nbformat.read(f, as_version=4)
                prepare_notebook_for_book(nb, banner)
                nbformat.write(nb, st / "book" / f.name)
            else:
                shutil.copy2(f, st / "book" / f.name)
                if f.suffix == ".csv":
                    downloads.setdefault(ch.id, []).append(f.name)
    offered = stage_panels(st / "book", panels or {})
    downloads_page = st / "book" / "downloads.md"
    if downloads_page.exists():
        downloads_page.write_text(downloads_page.read_text() + downloads_list(downloads, offered))
    if profiled is not None:
        stage_profiles(st, build_dir / "executed" / "profiles", profiled, banner)
    home = st / "book" / "intro.md"
    text = home.read_text().replace("{{find-council}}", find_council(profiled, districts))
    home.write_text(text.replace("{{pdf-link}}", PDF_LINK if pdf_link else ""))
    (st / "book" / "run_record.md").write_text(run_record_page(record, banner))
    return st


def edition_note(meta: dict) -> str:
    """On a build on the official snapshot: its edition and the years it holds (home page, profiles); else ''."""
    from cscbook.snapshot import write as snapshot

    if not meta.get("edition"):
        return ""
    held = snapshot.years_held()
    names = {"2018": "the 152 authorities of 2017-18", "latest": "today's authorities"}
    footprint = names.get(meta.get("geography", "2018"), "its footprint")
    return "\n" + EDITION_NOTE.format(
        edition=meta["edition"], footprint=footprint, y2018=held["2018"], latest=held["latest"]
    )


def stage_codebook(st: Path) -> None:
    """The codebook page: its text, then the table of columns made from the snapshot's codebook.csv."""
    from cscbook.snapshot import codebook
    from cscbook.snapshot import write as snapshot

    page = st / "book" / "codebook.md"
    if page.exists():
        page.write_text(page.read_text() + codebook.page(snapshot.SNAPSHOT))


def stage_config(st: Path, meta: dict) -> None:
    """The book's _config.yml, with a banner on every page (search and index pages too) for synthetic data."""
    config = (ROOT / "_config.yml").read_text()
    if meta.get("source") == "synthetic":
        cfg = yaml.safe_load(config)
        cfg.setdefault("html", {})["announcement"] = (
            "Synthetic data: every figure on this site comes from synthetic England, a made-up data set; "
            "the authorities are fictional."
        )
        config = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    (st / "_config.yml").write_text(config)


#: The footprints a download of the panel may be on, today's first, with what each holds.
PANEL_FOOTPRINTS = {
    "latest": "Today's authorities",
    "2018": "The 152 authorities of 2017-18 (the NAO's footprint)",
    "": "The panel",
}


def panel_names(footprint: str) -> tuple[str, str]:
    """The download names of a footprint's panel and data log ('panel-latest.csv'; 'panel.csv' for one footprint)."""
    tail = f"-{footprint}" if footprint else ""
    return f"panel{tail}.csv", f"flags{tail}.csv"


def stage_panels(book: Path, panels: dict[str, Path]) -> list[str]:
    """Write each footprint's panel and data log for download (no text cell reads as a formula), and, when there
    is more than one footprint, the codebook of both; return the footprints offered, today's first."""
    from cscbook.snapshot import codebook

    offered = [g for g in PANEL_FOOTPRINTS if g in panels and (panels[g] / "panel.csv").exists()]
    for g in offered:
        for src, name in zip(("panel.csv", "flags.csv"), panel_names(g)):
            if (panels[g] / src).exists():
                table = pd.read_csv(panels[g] / src, dtype=str, keep_default_na=False)
                csv_safe(table).to_csv(book / name, index=False, lineterminator="\n")
    if any(offered):
        book_table = codebook.table_of({g: panels[g] for g in offered})
        csv_safe(book_table).to_csv(book / "codebook.csv", index=False, lineterminator="\n")
    return offered


def downloads_list(downloads: dict[str, list[str]], offered: list[str] | None = None) -> str:
    """Markdown list of the panels (today's footprint first, each with its data log and the codebook) and every
    chapter table, as download links."""
    lines = [""]
    for g in offered if offered is not None else [""]:
        panel, flags = panel_names(g)
        lines += [f"## {PANEL_FOOTPRINTS[g]}", ""]
        lines.append(f"- {{download}}`{panel}`: the LA-year panel" + (" the chapters are built on" if not g else ""))
        lines.append(f"- {{download}}`{flags}`: the data log (every derived, imputed or missing cell and its rule)")
        if g:
            lines.append("- {download}`codebook.csv`: what each column means, its rules and the years it covers")
        lines.append("")
    for chapter_id, files in downloads.items():
        lines += [f"## {chapter_id.capitalize()}", ""]
        lines += [f"- {{download}}`{name}`" for name in files]
        lines.append("")
    return "\n".join(lines)


def stage_profiles(st: Path, executed: Path, profiled, banner: str) -> None:
    """Copy the executed profiles, write their index (a searchable table) and list them in the TOC.

    ``profiled``: the authorities with a profile (see :func:`authorities`).
    """
    import nbformat

    folder = st / "book" / "profiles"
    folder.mkdir(exist_ok=True)
    table = profiled.reset_index().sort_values(["la_name", "la_code"], kind="stable")
    for code in table["la_code"]:
        nb = nbformat.read(executed / f"{code}.ipynb", as_version=4)
        prepare_notebook_for_book(nb, banner)
        nbformat.write(nb, folder / f"{code}.ipynb")
        for name in profile_downloads(code):
            shutil.copy2(executed / name, folder / name)
    index = folder / "index.md"
    index.write_text(index.read_text() + profile_index(table))
    toc_path = st / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    for entry in toc.get("chapters", []):
        if entry.get("file") == "book/profiles/index":
            if len(table):
                entry["sections"] = [{"file": f"book/profiles/{c}"} for c in table["la_code"]]
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False))


#: The search box of the profile index; book/_static/profile-search.js (added to that page by the
#: book's Sphinx extension) makes it filter the table.
PROFILE_SEARCH = """
<label for="profile-search">Find an authority:</label>
<input id="profile-search" type="search" placeholder="Name, code or region" autocomplete="off">
<span id="profile-count" aria-live="polite"></span>
"""


#: The home page's link to the PDF edition; the build fills in its pages and size (see pdf.PdfJob).
PDF_LINK = (
    f'<p class="cscbook-pdf-link"><a href="../{PDF_NAME}" download>The whole book as one PDF</a> '
    f'<span id="cscbook-pdf-info">{PDF_INFO}</span></p>'
)


def find_council(profiled, districts) -> str:
    """The home page's "find your council" box: a name list of every authority with a profile, of the district
    councils within them, and of the districts and councils abolished since 2019 (the prepared folder's
    districts table, when the data have it), each pointing at the authority's profile (a former council split in
    two, at both). book/_static/find-council.js goes there, or offers the nearest names; without script the
    form opens the profile index, filtered by what was typed. '' when the build made no profiles."""
    import html

    if profiled is None or not len(profiled):
        return ""
    table = profiled.reset_index()
    names = dict(zip(table["la_code"], table["la_name"]))
    options = [(name, code) for code, name in names.items()]
    if districts is not None and len(districts):
        kinds = districts["kind"] if "kind" in districts else ["district"] * len(districts)
        for row, kind in zip(districts.itertuples(), kinds):
            if row.la_code not in names or row.district_name.strip().lower() == names[row.la_code].strip().lower():
                continue
            how = {"former district": "a former district, now in", "former authority": "now"}.get(kind, "a district of")
            options.append((f"{row.district_name} ({how} {names[row.la_code]})", row.la_code))
    items = "\n".join(
        f'<option value="{html.escape(" ".join(str(v).split()))}" data-code="{html.escape(c)}" '
        f'data-name="{html.escape(" ".join(str(names[c]).split()))}"></option>'
        for v, c in sorted(options, key=lambda o: o[0].lower())
    )
    return (
        '<form class="cscbook-find" id="find-council" role="search" action="profiles/index.html" method="get">\n'
        '<label for="find-council-name">Find your council</label>\n'
        '<input id="find-council-name" name="q" type="search" list="find-council-list" autocomplete="off" '
        'placeholder="A council or a district, today’s or former, such as Leeds or Carlisle">\n'
        '<button type="submit">Go to its profile</button>\n'
        '<span id="find-council-note" aria-live="polite"></span>\n'
        f'<datalist id="find-council-list">\n{items}\n</datalist>\n'
        "</form>\n"
    )


def profile_index(table) -> str:
    """The searchable list of profiles for the index page."""
    if table.empty:
        return "\nThis build made no profiles (`cscbook build --profiles none`).\n"
    lines = [
        PROFILE_SEARCH,
        "",
        ":::{table} Authority profiles",
        ":name: profile-list",
        "",
        "| Authority | Code | Region |",
        "|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {link(row.la_code, row.la_name, '', 'all')} | {md_escape(row.la_code)} | {md_escape(row.region)} |"
        )
    lines += [":::", ""]
    return "\n".join(lines)


def data_banner(meta: dict) -> str:
    if meta.get("source") == "synthetic":
        y = meta.get("years", ["?", "?"])
        return SYNTHETIC_BANNER.format(seed=meta.get("seed"), years=f"{y[0]}-{y[1]}")
    from cscbook.analyse.measures import and_list

    return OFFICIAL_NOTE.format(sources=and_list(contract.publishers(meta)) or "the publishers named in the run record")


def insert_after_title(text: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "".join(lines[: i + 1]) + "\n" + block + "\n" + "".join(lines[i + 1 :])
    return block + "\n" + text


def prepare_notebook_for_book(nb, banner: str) -> None:
    """Put the data banner under the title and hide the parameter cells."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            cell.metadata["tags"] = sorted(set(tags) | {"remove-cell"})
    first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    import nbformat

    cell = nbformat.v4.new_markdown_cell(banner)
    cell.id = "data-banner"
    nb.cells.insert(first_md + 1, cell)


def run_record_page(record: dict, banner: str) -> str:
    lines = ["# Appendix: run record", "", banner, ""]
    edition = record.get("data", {}).get("edition")
    if edition:
        lines += [f"This copy is edition **{edition}** of the official snapshot (`data/official/`).", ""]
    lines += [
        "Every build writes this record (also `_build/run_record.json`): the resolved parameters,",
        "the package and dependency versions, input hashes, row counts and step timings.",
        "",
        "```json",
        json.dumps(record, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)
