"""Interactive charts: made from the chapter's and the profile's own results, carried safely inside the page,
drawn in Chromium with a tooltip that names an authority and a drop-down that highlights one."""

from __future__ import annotations

import io
import json
import re

import altair as alt
import pandas as pd
import pytest

from cscbook.present import interactive
from cscbook.site.browsercheck import chromium_available

HOSTILE = "Ab</script><img src=x onerror=alert(1)>"
SPEC = re.compile(r'<script type="application/json" class="cscbook-live-spec">(.*?)</script>', re.S)


def _funnel_frame() -> pd.DataFrame:
    d = pd.DataFrame({"la_name": ["Small", HOSTILE, "Large"], "pop_0_17": [900.0, 20_000.0, 150_000.0],
                      "rate": [80.0, 41.5, 38.25], "position": ["above 99.8%", "within 95%", "within 95%"]})  # fmt: skip
    d["position_od"] = "within 95%"
    for tag, (lo, hi) in {"95": (30, 50), "998": (25, 55), "od_998": (15, 65)}.items():
        d[f"lo_{tag}"], d[f"hi_{tag}"] = lo, hi
    d.attrs["theta"] = 0.004
    return d


def _rows(spec: dict) -> pd.DataFrame:
    """The chart's rows, read from the CSV it carries inline."""
    return pd.read_csv(io.StringIO(spec["data"]["values"]))


def _embedded(live: interactive.Live) -> dict:
    html = live._repr_html_()
    found = SPEC.findall(html)
    assert len(found) == 1  # the spec is one script element: nothing inside it can end it
    return json.loads(found[0])


def test_a_hostile_name_stays_data_inside_the_page():
    live = interactive.funnel(_funnel_frame(), "2017-18", HOSTILE)
    html = live._repr_html_()
    assert "<img" not in html and html.count("</script>") == 1
    spec = _embedded(live)
    assert HOSTILE in _rows(spec)["la_name"].tolist()
    assert next(p for p in spec["params"] if p["name"] == "authority")["value"] == HOSTILE


def test_the_funnel_carries_every_authority_its_limits_and_the_highlight():
    fun = _funnel_frame()
    spec = _embedded(interactive.funnel(fun, "2017-18", "Large"))
    rows = _rows(spec).set_index("la_name")
    assert list(rows.index) == ["Small", HOSTILE, "Large"]  # by population, as the limits are drawn
    assert rows.loc["Large", "rate"] == 38.25 and rows.loc["Small", "pop_0_17"] == 900
    assert (rows["england"] == 40).all() and (rows["hi_od_998"] == 65).all()
    param = next(p for p in spec["params"] if p["name"] == "authority")
    assert param["value"] == "Large" and param["bind"]["options"][0] == interactive.NONE
    assert sorted(param["bind"]["options"][1:]) == sorted(fun["la_name"])
    alt.LayerChart.from_dict(spec)  # a valid Vega-Lite specification
    unknown = _embedded(interactive.funnel(fun, "2017-18", "Nowhere"))
    assert next(p for p in unknown["params"] if p["name"] == "authority")["value"] == interactive.NONE


def test_each_profile_sets_only_its_authority_and_neighbours_on_one_shared_chart():
    values = pd.DataFrame(
        {"referrals": [500.0, 250.0, None], "cpp_31mar": [40.0, 20.0, 80.0]}, index=["E1", "E2", "E3"]
    )
    names = pd.Series({"E1": "One", "E2": "Two", "E3": "Three"})
    labels = {"referrals": "Referrals", "cpp_31mar": "Child protection plans"}
    a = _embedded(interactive.positions(values, names, labels, "2024-25", "One", ["Two"], key="t"))
    b = _embedded(interactive.positions(values, names, labels, "2024-25", "Three", [], key="t"))
    params = lambda s: {p["name"]: p["value"] for p in s["params"]}  # noqa: E731
    assert params(a) == {"authority": "One", "neighbours": ["Two"]}
    assert params(b) == {"authority": "Three", "neighbours": []}
    assert a["data"] == b["data"]
    rows = _rows(a).set_index("la_name")
    assert rows.loc["One", "Referrals"] == 500 and pd.isna(rows.loc["Three", "Referrals"])  # missing stays missing
    alt.Chart.from_dict(a)


def test_the_built_pages_load_the_chart_scripts_only_where_a_chart_is(built_book, sample_profiles):
    html = built_book / "html"
    bundle = (html / "_static" / interactive.BUNDLE_NAME).read_text()
    assert "window.vegaEmbed" in bundle and "\n(function () {\n" in bundle[:1000]
    for page in ["book/variation.html", f"book/profiles/{sample_profiles[0]}.html"]:
        text = (html / page).read_text()
        assert text.count('class="cscbook-live"') == 1 and interactive.BUNDLE_NAME in text, page
    assert interactive.BUNDLE_NAME not in (html / "book" / "demand.html").read_text()


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="Chromium, chromedriver or selenium not installed")
def test_hover_names_an_authority_and_the_reader_picks_one(built_book):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from cscbook.site import browsercheck

    with browsercheck.browsing(built_book / "html") as (drv, base):
        drv.get(base + "book/variation.html")
        browsercheck.wait_ready(drv)
        WebDriverWait(drv, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cscbook-live-drawn"))
        block = drv.find_element(By.CSS_SELECTOR, ".cscbook-live")
        drv.execute_script("arguments[0].scrollIntoView()", block)
        point = block.find_elements(By.CSS_SELECTOR, ".mark-symbol path")[0]
        ActionChains(drv).move_to_element(point).perform()
        tip = WebDriverWait(drv, 5).until(lambda d: d.find_element(By.ID, "vg-tooltip-element").text)
        assert "Rate per 10,000" in tip and "Authority" in tip
        pick = Select(block.find_element(By.TAG_NAME, "select"))
        chosen = pick.options[1].text
        pick.select_by_visible_text(chosen)
        WebDriverWait(drv, 5).until(lambda d: chosen in block.find_element(By.TAG_NAME, "svg").text)
