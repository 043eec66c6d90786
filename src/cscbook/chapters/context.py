"""What a chapter notebook calls: load the data for its parameters, glue numbers, show tables
with CSV downloads, and the comparison with the NAO. Keeps the notebooks thin.

Figures and tables are numbered by the book: a notebook glues each one under its label
(``ctx.glue_figure("fig-<chapter>-<name>", ...)``, ``ctx.glue_table("tbl-<chapter>-<name>", ...)``)
and a markdown cell shows it with ``{glue:figure}`` or ``{glued-table}`` (book/_ext/cscbook_sphinx.py),
giving it a ``:name:`` and a caption, so that the prose can refer to it with ``{numref}``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cscbook import contract, params, reference
from cscbook.analyse import measures
from cscbook.fsutil import csv_safe, map_text
from cscbook.present import figures, markdown

CHAPTER_MODELS = params.CHAPTER_MODELS
#: The NAO's period, years ending 31 March.
NAO_YEARS = (reference.NAO_START, reference.NAO_END)


@dataclass
class Context:
    """A chapter's resolved parameters and its data, filtered to its years and region."""

    chapter: str
    p: params.ChapterParams
    prepared: contract.Prepared
    panel: pd.DataFrame  # all regions, chapter years
    view: pd.DataFrame  # region filter applied
    highlight: str | None  # la_code
    highlight_name: str | None
    glued: dict[str, Any] = field(default_factory=dict)
    _later: Any = field(default=None, repr=False)
    _nao: Any = field(default=None, repr=False)

    def later(self) -> contract.Prepared | None:
        """Today's authorities over every year the data reach (the latest footprint), for carrying the NAO's
        findings past 2017-18: the build's folder, or the same data made here; None on synthetic England,
        which has one footprint and the chapters' years only."""
        if self._later is None and not self.synthetic:
            if self.p.geography == "latest":
                return self.prepared  # already today's authorities over every year
            self._later = self._footprint(self.p.later_dir, "latest")
        return self._later

    def _footprint(self, folder: str, geography: str) -> contract.Prepared:
        """The same data on another footprint: the build's prepared ``folder``, or made here when there is none
        (a chapter run outside the build), with this context's population series under its rates."""
        if folder:
            prep = contract.read_prepared(Path(folder))
        else:
            from cscbook.snapshot.prepare import prepare_official

            prep = prepare_official(Path(self.p.data), geography=geography)
        prep.panel = measures.with_population(prep.panel, self.p.population)
        return prep

    def nao(self) -> Context:
        """The same chapter on the NAO's period (2010-11 to 2017-18) and footprint (the 152 authorities of
        2017-18), for the section that reproduces its findings: this context's own data when they are on that
        footprint (synthetic England has one), else the build's folder or the same data made here. The region
        is kept, and the highlighted authority where it existed then."""
        if self._nao is None:
            on_it = self.synthetic or self.p.geography == "2018"
            prep = self.prepared if on_it else self._footprint(self.p.nao_dir, "2018")
            p = self.p.model_copy(update={"geography": "2018", "years": f"{NAO_YEARS[0]}-{NAO_YEARS[1]}"})
            if p.highlight and self.highlight not in set(prep.panel["la_code"]):
                p = p.model_copy(update={"highlight": ""})
            self._nao = in_years(self.chapter, p, prep, NAO_YEARS)
            self._nao.glued = self.glued  # one page: what either context glues, the chapter glued
        return self._nao

    @property
    def synthetic(self) -> bool:
        return self.prepared.synthetic

    @property
    def first(self) -> int:
        return int(self.view["year"].min())

    @property
    def last(self) -> int:
        return int(self.view["year"].max())

    @property
    def source(self) -> str:
        if self.synthetic:
            return (
                f"synthetic England (seed {self.prepared.meta.get('seed')}), calibrated to published national figures"
            )
        return "; ".join(contract.publishers(self.prepared.meta)) or "official statistics"

    @property
    def scope(self) -> str:
        """'England' or 'the <region> region', for titles and prose."""
        return f"the {self.p.region} region" if self.p.region else "England"

    def highlight_row(self, frame: pd.DataFrame) -> pd.Series | None:
        """The highlighted authority's row of ``frame`` (None if none is highlighted or it is not there)."""
        if not self.highlight or frame.empty:
            return None
        hit = frame[frame["la_code"] == self.highlight]
        return None if hit.empty else hit.iloc[0]

    def glue(self, name: str, value: Any, fmt: str = "{}") -> Any:
        """Glue a number for the prose, formatted as text; keep the raw value for tests."""
        self.glued[name] = value
        text = glue_text(value, fmt)
        _glue_object(name, text)
        # The same text as HTML, which other pages can paste as text ({glue}`chapter.ipynb::name_html`).
        _glue_object(f"{name}_html", _html(html.escape(text)))
        return value

    def table(
        self, df: pd.DataFrame, name: str, caption: str = "", index: bool = True, year: int | None = None,
        turned: bool = False,
    ):  # fmt: skip
        """Write ``df`` as ``<chapter>_<name>.csv`` beside the executed notebook, and return it for display.

        ``year``: the one year a table of authorities holds (a cross-section), which its caption gives on the
        page; the CSV, read away from the page, carries it as a first column. ``turned``: shown a row per
        column of ``df`` (see :func:`turned_table`; the CSV keeps ``df``'s rows). The styled table's element ids
        derive from the chapter and name, so its HTML is the same on every run.
        """
        df = dfe_years(df)
        path = Path(f"{self.chapter}_{name}.csv")
        out = df if year is None else df.assign(Year=contract.year_label(year))[["Year", *df.columns]]
        csv_safe(out).to_csv(path, index=index, float_format="%.6g", lineterminator="\n")
        shown = turned_table(df, caption) if turned else styled_table(df, caption, index=index)
        return shown.set_uuid(f"{self.chapter}_{name}")

    def glue_md(self, name: str, text: str) -> str:
        """Glue a computed sentence as Markdown, shown with ``{glue:md}`` as ordinary text.

        Show it with the ``myst`` format (``{glue:md}`key:myst` `` inline, or the directive with
        ``:format: myst``) when it may contain a role such as the link from ``profile_link``.
        """
        from IPython.display import Markdown

        self.glued[name] = text
        _glue_object(name, Markdown(markdown.md_guard(text)))
        return text

    def glue_figure(self, label: str, fig: figures.Figure | str) -> None:
        """Glue a figure under its label, for a numbered ``{glue:figure}`` block with that ``:name:``.

        A string is glued as a short note in its place (for a chart that these data cannot draw),
        so the block and its references still resolve.
        """
        self.glued[label] = fig
        _glue_object(label, _note(fig) if isinstance(fig, str) else fig)

    def glue_live(self, label: str, live) -> None:
        """Glue an interactive chart (:class:`cscbook.present.interactive.Live`), shown with the ``{glue}``
        directive under the static figure it explores."""
        self.glued[label] = live
        _glue_object(label, live)

    def glue_table(self, label: str, table, note: str = "") -> None:
        """Glue a table (a Styler, a DataFrame, or a string note) as HTML under its label, for a
        numbered ``{glued-table}`` block with that ``:name:``; ``note``: a sentence shown under the table."""
        self.glued[label] = table
        if isinstance(table, str):
            content = _note(table)
        else:
            from pandas.io.formats.style import Styler

            styler = table if isinstance(table, Styler) else styled_table(table)
            after = f'<p class="cscbook-table-note">Note: {html.escape(note)}.</p>' if note else ""
            content = _html(table_html(styler) + after)
        _glue_object(label, content)

    def profile_link(self, code: str | None, name: str | None) -> str:
        """Markdown naming an authority: a link to its profile page when the build makes one, else bold."""
        return profile_link(code, name, links=self.p.profile_links)

    @property
    def highlight_md(self) -> str:
        """The highlighted authority's name as Markdown for the prose (a profile link or bold); '' if none."""
        return self.profile_link(self.highlight, self.highlight_name) if self.highlight_name else ""

    @property
    def unmarked(self) -> str:
        """The sentence in place of a highlighted authority's when the build marks none: where a reader
        finds any one authority (how to mark one on the charts is on the re-run page, for whoever builds)."""
        if markdown.profiles_built(self.p.profile_links):
            return (
                "The charts mark no single authority: each one's own figures are on its [profile](profiles/index.md)."
            )
        return "The charts mark no single authority."


profile_link = markdown.link


def _glue_object(name: str, obj: Any) -> None:
    try:
        from myst_nb import glue as _glue

        _glue(name, obj, display=False)
    except Exception:  # outside a notebook kernel: nothing to glue into
        pass


def _html(text: str):
    try:
        from IPython.display import HTML

        return HTML(text)
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        return text


def _note(text: str):
    return _html(f'<p class="cscbook-note">{html.escape(text)}</p>')


def glue_text(value: Any, fmt: str = "{}") -> str:
    """The text the prose shows for a value: formatted, or said to be missing in words."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and value != value)
    return "n/a (not in these data)" if missing else markdown.unsigned_zero(fmt.format(value))


#: The names a table gives its years (ending 31 March): shown as DfE writes them, '2017-18'.
YEAR_NAMES = ("year", "Year", "Year ending 31 March")


def dfe_years(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its years as DfE writes them ('2017-18' for the year ending 31 March 2018): a year index,
    a year column, or columns that are all years. Anything else is left as it is."""

    def is_years(values) -> bool:
        v = pd.Series(list(values))
        return len(v) > 0 and pd.api.types.is_integer_dtype(v) and v.between(1990, 2100).all()

    out = df
    if out.index.name in YEAR_NAMES and is_years(out.index):
        out = out.rename(index=lambda y: contract.year_label(int(y)))
    for col in [c for c in YEAR_NAMES if c in out.columns]:
        if not out[col].isna().any() and is_years(out[col]):
            out = out.assign(**{col: out[col].map(lambda y: contract.year_label(int(y)))})
    if is_years(out.columns):
        out = out.rename(columns=lambda y: contract.year_label(int(y)))
    return out


def styled_table(df: pd.DataFrame, caption: str = "", index: bool = True):
    """A table as the book shows it: whole numbers and money without decimals, others to one decimal place,
    thousands separated, numbers right-aligned, a named index as the first column (no extra header row),
    and years in headers and cells that never break at their hyphen. Text from the data (an authority's name above
    all) is HTML-escaped first, so that it shows as text whatever it holds and whatever formats follow."""
    from pandas.io.formats.style import Styler

    if index and df.index.name:
        df, index = df.reset_index(), False
    df = as_text_html(df)
    df.columns = [YEAR_IN_TEXT.sub("\\1\u2011\\2", str(c)) if isinstance(c, str) else c for c in df.columns]
    for i in range(df.shape[1]):  # a cell that is a year ('2010-11') never breaks either
        if pd.api.types.is_object_dtype(df.iloc[:, i]):
            df.isetitem(i, df.iloc[:, i].map(lambda v: YEAR_ALONE.sub("\\1\u2011\\2", v) if isinstance(v, str) else v))
    styled = Styler(df, cell_ids=False)
    if not index:
        styled = styled.hide(axis="index")
    if caption:
        styled = styled.set_caption(caption)
    numeric = [i for i, c in enumerate(df.columns) if pd.api.types.is_numeric_dtype(df.iloc[:, i])]
    styled = styled.set_table_styles(
        [{"selector": f"td.col{i}, th.col_heading.col{i}", "props": "text-align: right"} for i in numeric]
    )
    whole = [
        c
        for i, c in enumerate(df.columns)
        if i in numeric and ((df.iloc[:, i].dropna() % 1 == 0).all() or "£" in str(c))
    ]
    styled = styled.format(precision=1, thousands=",", na_rep="—")
    if whole:
        styled = styled.format(precision=0, thousands=",", na_rep="—", subset=whole)
    money = [r for r in df.index if "£" in str(r)]  # a row of money (measures down the side)
    if money and numeric:
        styled = styled.format(precision=0, thousands=",", na_rep="—", subset=(money, df.columns[numeric]))
    return styled


def turned_table(df: pd.DataFrame, caption: str = ""):
    """A table of a few measures (rows) by many statistics (columns), shown turned: a row per statistic and a
    column per measure, so that it fits a laptop's column. Each value is formatted as :func:`styled_table`
    formats it in its own column (whole numbers and money without decimals, others, a ratio of money among them,
    to one decimal place, thousands separated, '—' for none), and the measures' columns are right-aligned."""
    whole = {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and (df[c].dropna() % 1 == 0).all()}

    def cell(measure, stat, value) -> str:
        if isinstance(value, str):
            return value
        if value is None or value != value:
            return "—"
        money = "£" in str(measure) and "/" not in str(stat)  # a ratio of money is not money
        return f"{value:,.{0 if stat in whole or money else 1}f}"

    shown = pd.DataFrame(
        {m: [cell(m, s, df.at[m, s]) for s in df.columns] for m in df.index},
        index=pd.Index([str(c) for c in df.columns], name="Statistic"),
    )
    right = [
        {"selector": f"td.col{i}, th.col_heading.col{i}", "props": "text-align: right"} for i in range(1, len(df) + 1)
    ]
    return styled_table(shown, caption).set_table_styles(right, overwrite=False)


#: A year as DfE writes it ('2017-18'), in a header.
YEAR_IN_TEXT = re.compile(r"\b(\d{4})-(\d{2})\b")
#: A cell that is a year and nothing else.
YEAR_ALONE = re.compile(r"^(\d{4})-(\d{2})$")


def table_html(styler) -> str:
    """A styled table's HTML, with any negative zero a format left ('-0.0') shown as zero. The table
    takes keyboard focus (``tabindex``): on a narrow screen it scrolls sideways, and a reader without
    a mouse must be able to scroll it too."""
    out = markdown.unsigned_zero_html(styler.to_html())
    return out.replace("<table ", '<table tabindex="0" ', 1)


def as_text_html(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, index labels and column labels are HTML-escaped."""
    return map_text(df, html.escape, labels=True)


def load(chapter: str, values: dict[str, Any]) -> Context:
    """Resolve a chapter's parameters and load its data (the prepared folder, or make it).

    ``values`` is either the parameters themselves (a name not in the chapter's model is an error,
    as on the command line) or a notebook's namespace, ``globals()``, from which exactly the names
    the model declares, and the internal ones the build sets, are taken: a parameter is typed once, in
    the notebook's parameters cell.
    """
    model = CHAPTER_MODELS[chapter]
    values = parameter_values(model, values)
    internal = {k: values.pop(k) for k in list(values) if k in params.INTERNAL}
    p = params.resolve(model, values, where=f"chapter {chapter!r}")
    for name, value in internal.items():
        if value:
            setattr(p, name, value)
    prepared = prepare(p)
    prepared.panel = measures.with_population(prepared.panel, p.population)
    contract.check_years(prepared.panel, p.years)
    figures.setup()
    return in_years(chapter, p, prepared, p.year_range)


def in_years(chapter: str, p: params.ChapterParams, prepared: contract.Prepared, years) -> Context:
    """A context on ``prepared`` for the years ``(first, last)`` (None: every year it holds), with the region
    filter and the highlighted authority of ``p`` (no highlight where the data do not hold it)."""
    panel = prepared.panel
    if years is not None:
        first, last = years
        panel = panel[(panel["year"] >= first) & (panel["year"] <= last)].copy()
    view = panel[panel["region"] == p.region].copy() if p.region else panel
    code, name = contract.find_authority(panel, p.highlight)
    return Context(chapter, p, prepared, panel, view, code, name)


def parameter_values(model: type[params.ChapterParams], values: dict[str, Any]) -> dict[str, Any]:
    """The parameter values in ``values`` that are set (not None).

    A namespace (it has ``__name__``, as a notebook's ``globals()`` does) gives only the names the
    model declares and the internal ones; any other mapping is taken whole, so that a misspelled
    name reaches ``params.resolve`` and is rejected there.
    """
    if "__name__" in values:
        wanted = [*model.model_fields, *sorted(params.INTERNAL - set(model.model_fields))]
        values = {k: values[k] for k in wanted if k in values}
    return {k: v for k, v in values.items() if v is not None}


def prepare(p: params.ChapterParams) -> contract.Prepared:
    """The prepared data for these parameters: read from ``panel_dir`` if the build made it."""
    if p.panel_dir:
        return contract.read_prepared(Path(p.panel_dir))
    if p.data == "synthetic":
        from cscbook.acquire import synth

        return synth.generate(seed=p.seed, years=p.synthetic_years)
    from cscbook.snapshot.prepare import prepare_official

    return prepare_official(Path(p.data), geography=p.geography)  # validated, as in a build


def nao_comparison(rows: list[dict]) -> pd.DataFrame:
    """Our figures beside the NAO's, with the tolerance and the result (``measures.compare``)."""
    return measures.compare(rows)


#: How each result of a comparison with the NAO shows: a symbol and a word, on a colour (not colour alone).
RESULT_SHOWN = {"pass": "\u2713 pass", "fail": "\u2717 fail", "n/a": "\u2013 n/a"}


def glue_comparison(ctx: Context, label: str, nao: pd.DataFrame, passed: str, rows: str, note: str = "") -> None:
    """Glue the 'How this compares with the NAO' table (from ``nao_comparison``) under ``label``, offered as
    CSV: each result coded by symbol and colour, and one note under the table for what applies to every row
    (``note``, and any clause that every row's note repeats, taken out of the rows). Glues the number of
    rows within tolerance as ``passed`` and the number of rows as ``rows``."""
    ctx.glue(passed, int((nao["Result"] == "pass").sum()))
    ctx.glue(rows, len(nao))
    nao, common = shared_clauses(nao)
    styler = ctx.table(nao, "nao_comparison", index=False)
    classes = pd.DataFrame("", index=nao.index, columns=nao.columns)
    classes["Result"] = nao["Result"].map(lambda r: f"cscbook-{'na' if r == 'n/a' else r}" if r in RESULT_SHOWN else "")
    styler = styler.format(lambda r: RESULT_SHOWN.get(r, r), subset=["Result"]).set_td_classes(classes)
    ctx.glue_table(label, styler, note="; ".join(x for x in [note, *common] if x))


def shared_clauses(nao: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``nao`` with the clauses ('; '-separated) that every row's Note repeats taken out, and those clauses."""
    notes = [str(n).split("; ") if str(n) else [] for n in nao["Note"]]
    if len(notes) < 2 or not all(notes):
        return nao, []
    common = [c for c in notes[0] if all(c in n for n in notes[1:])]
    kept = ["; ".join(c for c in n if c not in common) for n in notes]
    return nao.assign(Note=kept), common
