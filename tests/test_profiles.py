"""Authority profiles: neighbours, the profile's numbers, the template, the selection and the built pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from cscbook import contract
from cscbook.analyse import measures, neighbours
from cscbook.build import profile_batch
from cscbook.build import profile_run as profile_build
from cscbook.build.registry import PROFILE_TEMPLATE
from cscbook.errors import UserError
from cscbook.ingest import parse_file
from cscbook.ingest.neighbours import detect_neighbours
from cscbook.present import markdown
from cscbook.profiles import core as profiles
from cscbook.profiles import figures as profile_figures
from cscbook.snapshot.prepare import panel_ids

from .fixtures.official import LAS


def test_computed_neighbours_are_the_nearest_ten_and_never_itself(england):
    nb = neighbours.compute_neighbours(england.panel)
    codes = set(england.panel["la_code"])
    assert set(nb["la_code"]) == codes
    counts = nb.groupby("la_code").size()
    assert (counts == neighbours.N_NEIGHBOURS).all()
    assert not (nb["la_code"] == nb["neighbour"]).any()
    # ranked by distance, and nobody outside the ten is nearer than the tenth
    assert (nb.groupby("la_code")["distance"].apply(lambda d: d.is_monotonic_increasing)).all()
    last = england.panel[england.panel["year"] == england.panel["year"].max()].set_index("la_code")
    feats = pd.DataFrame(
        {"i": last["idaci_score"], "m": last["imd_score"], "p": np.log(last["pop_0_17"].astype(float))}
    )
    z = (feats - feats.mean()) / feats.std(ddof=0)
    code = sorted(codes)[17]
    dist = np.sqrt(((z - z.loc[code]) ** 2).sum(axis=1)).drop(code).sort_values(kind="stable")
    assert nb[nb["la_code"] == code]["neighbour"].tolist() == dist.index[: neighbours.N_NEIGHBOURS].tolist()


def test_published_neighbours_are_preferred(england):
    prep = contract.Prepared(panel=england.panel, flags=england.flags, meta=england.meta)
    a, b, c = sorted(england.panel["la_code"].unique())[:3]
    prep.extra["neighbours"] = pd.DataFrame({"la_code": [a, a], "rank": [1, 2], "neighbour": [c, b]})
    nb = neighbours.neighbours_for(prep)
    mine = nb[nb["la_code"] == a]
    assert mine["neighbour"].tolist() == [c, b]
    assert mine["source"].str.startswith("DfE").all()
    others = nb[nb["la_code"] == b]
    assert len(others) == neighbours.N_NEIGHBOURS and others["source"].str.startswith("computed").all()


def _sn_csv(path, rows):
    header = "la_code,la_name," + ",".join(f"SN{i}" for i in range(1, 7))
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_dfe_neighbours_file_is_recognised_and_read(tmp_path):
    codes = [c for c, _, _ in LAS]
    rows = [
        f"{c},{n}," + ",".join([codes[(i + 1) % 3], codes[(i + 2) % 3], "", "", "", ""])
        for i, (c, _, n) in enumerate(LAS)
    ]
    parsed = parse_file(_sn_csv(tmp_path / "sn.csv", rows))
    t = parsed.tables["neighbours"]
    assert parsed.source == "neighbours"
    assert t[t["la_code"] == codes[0]]["neighbour"].tolist() == [codes[1], codes[2]]
    assert detect_neighbours(["la_code", "SN1", "SN2", "SN3", "SN4", "SN5"])
    assert not detect_neighbours(["la_code", "SN1", "SN2"])


def test_dfe_neighbours_with_a_name_instead_of_a_code_fail_in_one_line(tmp_path):
    rows = [f"{LAS[0][0]},{LAS[0][2]},Eastfold,{LAS[2][0]},,,,"]
    with pytest.raises(UserError) as exc:
        parse_file(_sn_csv(tmp_path / "sn.csv", rows))
    line = exc.value.line()
    assert "sn.csv" in line and "Eastfold" in line and "\n" not in line


def test_profile_of_the_tiniest_authority_copes_with_suppressed_counts(england, panel_dir):
    names = england.panel.drop_duplicates("la_code").set_index("la_name")["la_code"]
    pf = profiles.Profile(str(panel_dir), names["Isle of Varrow"], "2011-2018")
    pos = pf.positions()
    assert len(pos) == len(profiles.MEASURES)
    last = england.panel[(england.panel["la_code"] == pf.code) & (england.panel["year"] == 2018)].iloc[0]
    # a suppressed count gives no rank, not a made-up one
    assert pos.loc[pos["Measure"] == profiles.MEASURES["cpp_31mar"], "Rank (1 = highest)"].iloc[0] == (
        "—"
        if pd.isna(last["cpp_31mar"])
        else pos.loc[pos["Measure"] == profiles.MEASURES["cpp_31mar"], "Rank (1 = highest)"].iloc[0]
    )
    for sentence in (pf.intro_sentence(), pf.position_sentence(), pf.spending_sentence(), pf.ofsted_sentence()):
        assert "nan" not in sentence
    mix = pf.spending_mix()
    assert mix.sum().round(6).tolist() == [100.0] * 4
    assert profile_figures.series(pf).alt and profile_figures.positions(pf).png[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_series_pool_counts_not_rates(england, panel_dir):
    code = sorted(england.panel["la_code"].unique())[5]
    pf = profiles.Profile(str(panel_dir), code, "2011-2018")
    p = england.panel[(england.panel["year"] == 2018) & england.panel["cpp_31mar"].notna()]
    expected = p["cpp_31mar"].sum() / p["pop_0_17"].sum() * measures.PER
    assert pf.last_year_table().loc[
        [i for i in pf.last_year_table().index if i.startswith("Child protection")][0], "England"
    ] == pytest.approx(expected)


def test_link_follows_the_profiles_the_build_makes():
    assert markdown.link("A1", "Aville", links="A1,B2") == "[Aville](profiles/A1.ipynb)"
    assert markdown.link("C3", "Cton", links="A1,B2") == "**Cton**"
    assert markdown.link("C3", "Cton", here="", links="all") == "[Cton](C3.ipynb)"
    assert markdown.link("A1", "Aville") == "**Aville**"  # outside the build: no pages to link to
    assert markdown.link("A1", "Aville", links="") == "**Aville**"


def test_profile_links_its_neighbours_when_the_build_makes_their_pages(england, panel_dir):
    code = sorted(england.panel["la_code"].unique())[3]
    assert ".ipynb)" not in profiles.Profile(str(panel_dir), code, "2011-2018").intro_sentence()
    linked = profiles.Profile(str(panel_dir), code, "2011-2018", links="all").intro_sentence()
    assert linked.count(".ipynb)") == neighbours.N_NEIGHBOURS


def test_selection_accepts_codes_and_names_and_rejects_strangers(england, panel_dir):
    names = england.panel.drop_duplicates("la_code").set_index("la_code")["la_name"]
    a, b = names.index[:2]
    ids = panel_ids(panel_dir)
    assert profile_build.profile_selection(f"{a}, {names[b].upper()}", ids) == sorted([a, b])
    assert profile_build.profile_selection("none", ids) == []
    assert len(profile_build.profile_selection("all", ids)) == len(names)
    with pytest.raises(UserError) as exc:
        profile_build.profile_selection("Atlantis", ids)
    assert "--profiles" in exc.value.line() and "Atlantis" in exc.value.line()


def test_template_placeholders_are_filled():
    nb = profile_batch.fill_template(nbformat.read(PROFILE_TEMPLATE, as_version=4), "X1", "Aville")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{{" not in text and "# Aville" in text and "X1_profile.csv" in text and "fig-x1-series" in text


def _has_profiles(build_dir: Path, codes: set[str]) -> None:
    """The built site has a profile page for exactly ``codes``, an index that links them, and their downloads."""
    html = build_dir / "html" / "book" / "profiles"
    pages = {p.stem for p in html.glob("*.html")} - {"index"}
    assert pages == codes
    index = (html / "index.html").read_text()
    assert 'id="profile-search"' in index
    assert len(re.findall(r'href="(X[A-Z]{2}\d{6})\.html"', index)) >= len(codes)
    code = sorted(codes)[0]
    page = (html / f"{code}.html").read_text()
    assert "Its Ofsted history" in page and f"{code}_profile.csv" in page
    csv = next((build_dir / "html").rglob(f"{code}_profile.csv"))
    table = pd.read_csv(csv)
    assert set(table["series"]) >= {"England", "Statistical neighbours"}
    assert "Referrals (per 10,000 children)" in table and table["year"].str.match(r"^\d{4}-\d{2}$").all()
    for name in (f"{code}_tables.csv", f"{code}_profile.xlsx"):
        assert name in page and next((build_dir / "html").rglob(name)).stat().st_size > 0
    for part in ("Its neighbours one by one", "Bands and trends", "Its place in the book", "Its context"):
        assert part in page
    record = json.loads((build_dir / "run_record.json").read_text())
    assert record["profiles"]["authorities"] == len(codes)
    assert record["profiles"]["parameters"] == {"neighbours": "dfe", "compare": ""}


def test_built_book_has_the_sample_of_profiles(built_book, sample_profiles):
    assert len(sample_profiles) >= 5
    _has_profiles(built_book, set(sample_profiles))


@pytest.mark.slow
def test_full_book_has_a_profile_for_every_authority(full_book):
    panel = pd.read_parquet(next((full_book / "data").iterdir()) / "panel.parquet")
    _has_profiles(full_book, set(panel["la_code"]))


@pytest.mark.slow
def test_profiles_run_into_a_relative_folder(england, panel_dir, tmp_path, monkeypatch):
    """The default build folder is relative ('_build'); the kernel must still find it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rel").mkdir()
    code = sorted(england.panel["la_code"].unique())[0]
    name = england.panel.loc[england.panel["la_code"] == code, "la_name"].iloc[0]
    profile_build.run_profiles([(code, name)], panel_dir, "2011-2018", Path("rel"), "all")
    assert (tmp_path / "rel" / f"{code}.ipynb").exists() and (tmp_path / "rel" / f"{code}_profile.csv").exists()


def test_profile_batches_cover_every_authority_once_and_few_share_a_kernel():
    for n, want in [(152, 4), (30, 3), (5, 1), (1, 1)]:
        codes = [f"X{i:03d}" for i in range(n)]
        batches = profile_build.profile_batches(codes, {c: c.lower() for c in codes}, 4)
        assert len(batches) == want, n
        assert sorted(c for b in batches for c, _ in b) == codes
        assert max(map(len, batches)) - min(map(len, batches)) <= 1


def _own_line_inside(pf) -> list[str]:
    """The panels of a profile's series figure whose y-range leaves out a value of the authority's own line."""
    from cscbook.profiles import figures as profile_figures

    profile_figures.draw_series(pf)
    canvas, axes, lines, _, _ = profile_figures._series_canvas(pf.s.first, pf.s.last)
    out = []
    for ax, c in zip(axes, profiles.MEASURES):
        y = np.asarray(lines[c][0].get_ydata(), dtype=float)
        y = y[np.isfinite(y)]
        low, high = ax.get_ylim()
        if y.size and not (low <= y.min() and y.max() <= high):
            out.append(f"{pf.code} {c}: {y.min():.0f}-{y.max():.0f} outside {low:.0f}-{high:.0f}")
    return out


@pytest.mark.slow  # draws every profile chart of every synthetic authority
def test_no_profile_chart_hides_its_own_authority(england, panel_dir):
    """Every synthetic authority, drawn in turn on the kept canvas (as a batch draws them)."""
    codes = sorted(england.panel["la_code"].unique())
    shown = [m for code in codes for m in _own_line_inside(profiles.Profile(str(panel_dir), code, "2011-2018"))]
    assert shown == []


def test_the_real_extremes_stay_on_their_own_charts(latest):
    """Blackpool (the NAO's highest), the Isles of Scilly and the City of London on the latest edition,
    each drawn after a low-rate authority (Wokingham) has set the canvas."""
    folder, years = latest
    shown = []
    for code in ("E06000041", "E06000009", "E06000053", "E09000001"):
        shown += _own_line_inside(profiles.Profile(folder, code, years))
    assert shown == []


def test_a_reorganised_authority_has_its_reorganisation_marked(latest):
    """Bournemouth, Christchurch and Poole (made in April 2019) carries the line on every panel and its entry in
    the key, drawn after and before authorities that were not reorganised (North Yorkshire was recoded, not
    reshaped, in April 2023), which carry neither."""
    from cscbook.profiles import figures as profile_figures

    folder, years = latest

    def marks(code):
        profile_figures.draw_series(profiles.Profile(folder, code, years))
        canvas = profile_figures._series_canvas(int(years[:4]), int(years[-4:]))
        legend, lines = canvas[3], [line for p in canvas[4] for line in p if line.get_visible()]
        key = legend.get_texts()[-1].get_text() if legend.legend_handles[-1].get_visible() else ""
        return [line.get_xdata()[0] for line in lines], key

    assert marks("E06000041") == ([], "")
    xs, key = marks("E06000058")
    assert len(xs) == len(profiles.MEASURES) and set(xs) == {2019.5} and key == "Reorganisation, April 2019"
    assert marks("E06000065") == ([], "")
