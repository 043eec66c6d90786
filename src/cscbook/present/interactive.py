"""Interactive charts that need no server: Vega-Lite specifications made with Altair from the same results as
a page's static figures, drawn in the reader's browser by Vega.

A chart is a :class:`Live` block placed under its static figure: the figure stays for the PDF edition and
for readers without JavaScript, and the block adds what paper cannot (hover names an authority and its
value; a reader picks an authority to highlight). A page carries only its chart's specification and data;
the scripts (Vega, Vega-Lite and vega-embed, from vl-convert's bundle at the pinned version) are written
once into the site's ``_static`` by :func:`write_bundle`, and the book's Sphinx extension adds them to the
pages that have a chart.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import pandas as pd

from cscbook.analyse import measures
from cscbook.fsutil import write_atomic
from cscbook.present import figures

#: The scripts' file in ``_static`` (the extension adds it, and ``cscbook-live.js``, to a page with a chart).
BUNDLE_NAME = "vega-bundle.js"
#: The class of a chart's block, which the extension and ``cscbook-live.js`` look for.
LIVE_CLASS = "cscbook-live"
GREY = "#b8b8b8"
#: Legends sit above the plot, so that a chart keeps its width on a narrow screen.
LEGEND = {"orient": "top", "labelFontSize": 12}
#: Charts take their block's width (so a phone's too), and fit their axes and legend inside it.
WIDTH = "container"


class Live:
    """One interactive chart: its specification (JSON inside the page, never run as script) and a line
    saying what the reader can do with it. Shown as HTML in a notebook output or glued."""

    def __init__(self, spec: dict, label: str, how: str):
        self.spec, self.label, self.how = spec, label, how

    def __repr__(self) -> str:
        """The notebook's plain-text form: the same on every run (no memory address)."""
        return f"<{self.label}>"

    def _repr_html_(self) -> str:
        # '<', '>' and '&' as JSON escapes: no text from the data can end the script element
        data = json.dumps(self.spec, separators=(",", ":"), sort_keys=True, allow_nan=False)
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return (
            f'<div class="{LIVE_CLASS}" role="group" aria-label="{html.escape(self.label)}">'
            f'<p class="cscbook-live-how">{html.escape(self.how)}</p>'
            '<div class="cscbook-live-chart"></div>'
            f'<script type="application/json" class="cscbook-live-spec">{data}</script></div>'
        )


def write_bundle(static_dir: Path, cache_dir: Path) -> Path:
    """Write the Vega scripts into ``static_dir``, from a copy kept in ``cache_dir`` per version of
    vl-convert (making the bundle takes seconds; copying it, milliseconds). The bundle sets
    the global ``vegaEmbed``; it is wrapped in a function so that its own top-level names stay its own."""
    import vl_convert

    wrapper = (Path(__file__).parent / "vega_bundle.js").read_text(encoding="utf-8")
    tag = hashlib.sha256(wrapper.encode()).hexdigest()[:8]
    cached = cache_dir / f"vega-bundle-{vl_convert.__version__}-{tag}.js"
    if not cached.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(cached, wrapper.replace("/* BUNDLE */", vl_convert.javascript_bundle()).encode("utf-8"))
    out = static_dir / BUNDLE_NAME
    out.write_bytes(cached.read_bytes())
    return out


#: The drop-down's first choice: no authority highlighted.
NONE = "(none)"


def _highlight_param(names: list[str], chosen: str):
    """A drop-down of every authority (and none) that picks the one to highlight."""
    import altair as alt

    options = [NONE, *sorted(names, key=str.lower)]
    return alt.param(
        name="authority",
        value=chosen if chosen in names else NONE,
        bind=alt.binding_select(options=options, name="Highlight an authority: "),
    )


def _data(d: pd.DataFrame):
    """The rows inline as CSV (its header once, four significant figures), which Vega reads as it reads a
    file: about a third of the size of the same rows as JSON objects. A missing value is an empty cell."""
    import altair as alt

    numbers = {c: "number" for c in d.columns if pd.api.types.is_numeric_dtype(d[c]) and d[c].dtype != bool}
    text = d.to_csv(index=False, float_format="%.4g", lineterminator="\n")
    return alt.Data(values=text, format=alt.DataFormat(type="csv", parse=numbers))


def _three(picked: str, chosen, mate, other):
    """A channel's value: one for the chosen authority, another for its neighbours, a third for the rest."""
    import altair as alt

    return alt.when(picked).then(alt.value(chosen)).when("datum.mate").then(alt.value(mate)).otherwise(alt.value(other))


def _spec(chart) -> dict:
    """The chart's Vega-Lite specification, with the book's fonts and no border."""
    autosize = {"type": "fit-x", "contains": "padding"}
    chart = chart.properties(width=WIDTH, autosize=autosize).configure_view(stroke=None)
    spec = chart.configure_axis(labelFontSize=12, titleFontSize=12).to_dict()
    spec.pop("$schema", None)  # the bundle's Vega-Lite reads it without
    return spec


def funnel(fun: pd.DataFrame, year: str, highlight: str = "") -> Live:
    """The funnel plot of rates against children, with England's rate, the exact 95% and 99.8% limits and
    the 99.8% limits allowing for overdispersion. ``fun``: see :func:`cscbook.chapters.variation.funnel`."""
    import altair as alt

    cols = ["la_name", "pop_0_17", "rate", "position", "position_od", "lo_95", "hi_95", "lo_998", "hi_998",
            "lo_od_998", "hi_od_998"]  # fmt: skip
    d = fun[cols].sort_values("pop_0_17").round(2)
    d["pop_0_17"] = d["pop_0_17"].round(0).astype(int)
    d["england"] = round(fun.attrs.get("theta", float("nan")) * measures.PER, 2)
    base = alt.Chart(_data(d))
    pick = _highlight_param(d["la_name"].tolist(), highlight)
    x = alt.X("pop_0_17:Q", scale=alt.Scale(type="log"), title="Children aged 0-17 (log scale)")
    limits = {"lo_95": "95% limits", "hi_95": "95% limits", "lo_998": "99.8% limits", "hi_998": "99.8% limits",
              "lo_od_998": "99.8%, overdispersed", "hi_od_998": "99.8%, overdispersed"}  # fmt: skip
    lines = (
        base.transform_fold(list(limits), as_=["limit", "value"])
        .transform_calculate(kind=f"{json.dumps(limits)}[datum.limit]")
        .mark_line(strokeWidth=1.2)
        .encode(
            x=x,
            y=alt.Y("value:Q", title="Child protection plans per 10,000 children"),
            detail="limit:N",
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=figures.SERIES[:3]), legend=LEGEND),
            strokeDash=alt.StrokeDash("kind:N", title=None, legend=LEGEND),
        )
    )
    centre = base.mark_rule(color="#333333", strokeDash=[2, 2]).encode(y="mean(england):Q")
    is_picked = "datum.la_name === authority"
    points = (
        base.mark_circle(opacity=0.9, stroke="black")
        .encode(
            x=x,
            y="rate:Q",
            color=alt.when(is_picked).then(alt.value(figures.HIGHLIGHT)).otherwise(alt.value("#6f6f6f")),
            size=alt.when(is_picked).then(alt.value(180)).otherwise(alt.value(30)),
            strokeWidth=alt.when(is_picked).then(alt.value(1)).otherwise(alt.value(0)),
            tooltip=[
                alt.Tooltip("la_name:N", title="Authority"),
                alt.Tooltip("rate:Q", title="Rate per 10,000", format=",.1f"),
                alt.Tooltip("pop_0_17:Q", title="Children aged 0-17", format=","),
                alt.Tooltip("position:N", title="Position"),
                alt.Tooltip("position_od:N", title="Allowing for overdispersion"),
            ],  # fmt: skip
        )
        .add_params(pick)
    )
    label = base.transform_filter(is_picked).mark_text(align="left", dx=9, fontSize=13, fontWeight="bold").encode(
        x=x, y="rate:Q", text="la_name:N"
    )  # fmt: skip
    chart = alt.layer(lines, centre, points, label).properties(height=420, title=f"Funnel plot, {year}")
    return Live(
        _spec(chart),
        f"Interactive funnel plot, {year}",
        "Point at an authority to see its name, rate and position; choose one to highlight.",
    )


#: Each panel's position chart, as JSON, made once per kernel (see :func:`positions`).
_POSITIONS: dict[str, str] = {}


def positions(values: pd.DataFrame, names: pd.Series, labels: dict[str, str], year: str, chosen: str,
              neighbours: list[str], key: str) -> Live:  # fmt: skip
    """Every authority on each measure as a multiple of the median authority's value (log scale), ``chosen``
    highlighted and its ``neighbours`` (names) marked; hover gives each one's name and value. ``values``: one
    row per authority (index la_code), a column per measure in ``labels``. The chart is made once per
    ``key`` (the panel); a profile only sets the two parameters, so each of a batch's profiles costs a
    copy, not a chart."""
    if key not in _POSITIONS:
        _POSITIONS[key] = json.dumps(_positions_spec(values, names, labels, year))
    spec = json.loads(_POSITIONS[key])
    for param in spec["params"]:
        if param["name"] == "authority":
            param["value"] = chosen if chosen in param["bind"]["options"] else NONE
        elif param["name"] == "neighbours":
            param["value"] = list(neighbours)
    return Live(
        spec,
        f"Interactive chart of every authority's position, {year}",
        "Point at a dot to see the authority and its value; choose an authority to highlight it in every row. "
        "Diamonds are this authority's statistical neighbours.",
    )


def _positions_spec(values: pd.DataFrame, names: pd.Series, labels: dict[str, str], year: str) -> dict:
    import altair as alt

    d = values[list(labels)].round(1).rename(columns=labels)
    d.insert(0, "la_name", names.reindex(d.index).astype(str).values)
    d.insert(1, "j", (pd.Series(range(len(d)), index=d.index) * 7919 % 97 / 96 - 0.5).round(2).values)
    pick = _highlight_param(d["la_name"].tolist(), "")
    mates = alt.param(name="neighbours", value=[])
    is_picked, is_mate = "datum.la_name === authority", "indexof(neighbours, datum.la_name) >= 0"
    chart = (
        alt.Chart(_data(d))
        .transform_fold(list(labels.values()), as_=["measure", "value"])
        .transform_filter("isValid(datum.value)")
        .transform_joinaggregate(median="median(value)", groupby=["measure"])
        .transform_calculate(times="max(datum.value / datum.median, 0.125)", mate=is_mate)
        .mark_point(filled=True, stroke="black")
        .encode(
            x=alt.X("times:Q", scale=alt.Scale(type="log", base=2), title="× the median authority (log scale)"),
            y=alt.Y("measure:N", sort=list(labels.values()), title=None),
            yOffset=alt.YOffset("j:Q", scale=alt.Scale(domain=[-1.2, 1.2])),
            shape=alt.when("datum.mate").then(alt.value("diamond")).otherwise(alt.value("circle")),
            color=_three(is_picked, figures.HIGHLIGHT, figures.SERIES[0], GREY),
            size=_three(is_picked, 200, 70, 25),
            strokeWidth=alt.when(is_picked).then(alt.value(1)).otherwise(alt.value(0)),
            tooltip=[
                alt.Tooltip("la_name:N", title="Authority"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("value:Q", title="Value", format=",.1f"),
                alt.Tooltip("times:Q", title="× the median", format=".2f"),
            ],
        )  # fmt: skip
        .add_params(pick, mates)
        .properties(height=60 * len(labels), title=f"Every authority, {year}")
    )
    return _spec(chart)
