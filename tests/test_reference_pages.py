"""The reference pages (methods, sources, re-running, glossary, bibliography): the glossary defines the
required terms, every citation key exists in book/references.bib, every `cscbook` command shown in
book/rerun.md parses against the real command-line interface, and the pages are in the table of
contents."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml
from pybtex.database import parse_file

from cscbook import params
from cscbook.cli import app

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAGES = ["methods", "sources", "rerun", "glossary", "bibliography"]
REQUIRED_TERMS = [
    "referral",
    "section 47 enquiry",
    "ICPC",
    "CPP",
    "CIN",
    "CLA",
    "section 251",
    "SLAC",
    "SIF",
    "ILACS",
    "IDACI",
]
CITE_RE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
FENCE_RE = re.compile(r"^(`{3,}|~{3,})\s*(\{?[\w-]*\}?)\s*$")


# --- helpers -----------------------------------------------------------------------------------


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of each top-level fenced block of a markdown page."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence, info = m.group(1), m.group(2)
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        blocks.append((info, body))
        i += 1
    return blocks


def glossary_terms(text: str) -> set[str]:
    """Terms of the {glossary} directive: the unindented lines of its body, options excluded."""
    terms = set()
    for info, body in fenced_blocks(text):
        if info == "{glossary}":
            for line in body:
                if line.strip() and not line[0].isspace() and not line.startswith(":"):
                    terms.add(line.strip().lower())
    return terms


def cited_keys(text: str) -> set[str]:
    return {k.strip() for m in CITE_RE.finditer(text) for k in m.group(1).split(",") if k.strip()}


def page_texts() -> dict[str, str]:
    """Every markdown page and the markdown cells of every notebook under book/."""
    out = {str(p.relative_to(ROOT)): p.read_text() for p in BOOK.rglob("*.md")}
    for nb in BOOK.rglob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        out[str(nb.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return out


def command_lines(text: str) -> list[tuple[str, bool]]:
    """Command lines shown in a page that start with `cscbook` (after a path, `python -m` or a prompt),
    each with whether the page shows it succeeding.

    Lines of shell code blocks; in console blocks, the lines after a `$ ` prompt, where a command whose
    output starts with `error:` is shown failing; and inline code spans that are whole commands.
    """
    candidates: list[tuple[str, bool]] = []
    for info, body in fenced_blocks(text):
        if info in ("sh", "bash", "shell"):
            candidates += [(ln, True) for ln in body]
        elif info == "console":
            for i, ln in enumerate(body):
                if ln.strip().startswith("$ "):
                    output = body[i + 1].strip() if i + 1 < len(body) else ""
                    candidates.append((ln.strip()[2:], not output.startswith("error:")))
    spans = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text)
    candidates += [(span, True) for span in spans if _cscbook_argv(span)]  # a bare `cscbook` is a name
    return [(ln.strip(), ok) for ln, ok in candidates if _cscbook_argv(ln) is not None]


def _cscbook_argv(line: str) -> list[str] | None:
    """The arguments after `cscbook` if the line runs it, else None."""
    try:
        argv = shlex.split(line, comments=True)
    except ValueError:
        return None
    if argv and argv[0].endswith("python") and argv[1:3] == ["-m", "cscbook"]:
        return argv[3:]
    if argv and (argv[0] == "cscbook" or argv[0].endswith("/cscbook")):
        return argv[1:]
    return None


def check_command(line: str) -> None:
    """Parse a `cscbook` command line with the real click group; raise AssertionError if it is wrong.

    The subcommand must exist, every option must be one it has with a value of the right type, the
    arguments must fit, and the parameters given with -p must be chapter parameters (for `run`, of that
    chapter).
    """
    argv = _cscbook_argv(line)
    assert argv is not None, f"not a cscbook command: {line}"
    argv = [a for a in argv if a not in ("-h", "--help")]
    group_options = {o for p in app.params for o in (*p.opts, *p.secondary_opts)}
    while argv and argv[0].startswith("-"):  # the group's own options (all flags) come first
        assert argv[0] in group_options, f"{line}: cscbook has no option {argv[0]!r}"
        argv = argv[1:]
    if not argv:
        return  # `cscbook --help`
    name, args = argv[0], argv[1:]
    sub = app.commands.get(name)
    assert sub is not None, f"{line}: no subcommand {name!r} (have {sorted(app.commands)})"
    try:
        ctx = sub.make_context(name, args)
    except click.UsageError as exc:
        raise AssertionError(f"{line}: {exc.format_message()}") from None
    if "p" not in ctx.params:
        return
    if name == "run":
        chapter = ctx.params.get("chapter")
        if chapter in params.RUN_PROFILES:
            models = [params.ProfileParams]
        else:
            assert chapter in params.CHAPTER_MODELS, f"{line}: no chapter {chapter!r}"
            models = [params.CHAPTER_MODELS[chapter]]
    else:
        models = list(params.CHAPTER_MODELS.values())
    allowed = {n for m in models for n in params.allowed(m)}
    for key, _ in ctx.params["p"]:
        assert key in allowed, f"{line}: -p {key} is not a parameter of {name} (allowed: {sorted(allowed)})"


# --- tests -------------------------------------------------------------------------------------


def test_glossary_has_the_required_terms():
    terms = glossary_terms((BOOK / "glossary.md").read_text())
    missing = [t for t in REQUIRED_TERMS if t.lower() not in terms]
    assert not missing, f"glossary lacks {missing}"


def test_every_cited_key_is_in_the_bibliography():
    known = set(parse_file(str(BOOK / "references.bib")).entries)
    used: dict[str, list[str]] = {}
    for page, text in page_texts().items():
        for key in cited_keys(text):
            used.setdefault(key, []).append(page)
    assert used, "no citations found in the book"
    unknown = {k: pages for k, pages in used.items() if k not in known}
    assert not unknown, f"cited keys missing from book/references.bib: {unknown}"


def test_rerun_commands_are_real():
    lines = command_lines((BOOK / "rerun.md").read_text())
    names = {_cscbook_argv(ln)[0] for ln, _ in lines if _cscbook_argv(ln)}
    assert {"build", "run", "chapters", "synth", "fetch", "ingest", "validate", "check"} <= names, names
    for line, shown_ok in lines:
        if shown_ok:
            check_command(line)
        else:  # shown with its error: it must be wrong
            with pytest.raises(AssertionError):
                check_command(line)


@pytest.mark.parametrize(
    "line",
    [
        "cscbook publish",  # no such subcommand
        ".venv/bin/cscbook build --fast",  # no such option
        ".venv/bin/cscbook build -j many",  # wrong type
        "cscbook run",  # missing CHAPTER
        "cscbook run demand -p definition A",  # a parameter of another chapter
        "cscbook run nowhere -p seed 7",  # no such chapter
        "cscbook ingest data/raw --geography 2030",  # not a choice
        "cscbook build -p colour red",  # no chapter has this parameter
    ],
)
def test_command_check_rejects_wrong_lines(line):
    with pytest.raises(AssertionError):
        check_command(line)


def test_command_lines_are_found_in_every_form():
    text = "\n".join(
        [
            "```sh",
            ".venv/bin/cscbook build --force   # a comment",
            "make book",
            "```",
            "```console",
            "$ cscbook chapters",
            "demand: data='synthetic'",
            "$ cscbook build --fast",
            "error: no such option",
            "```",
            "Inline: `.venv/bin/python -m cscbook synth --seed 7` and `-p seed 7`.",
        ]
    )
    assert command_lines(text) == [
        (".venv/bin/cscbook build --force   # a comment", True),
        ("cscbook chapters", True),
        ("cscbook build --fast", False),
        (".venv/bin/python -m cscbook synth --seed 7", True),
    ]


def test_reference_pages_are_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())

    def files(node) -> list[str]:
        if isinstance(node, dict):
            return ([node["file"]] if "file" in node else []) + [f for v in node.values() for f in files(v)]
        if isinstance(node, list):
            return [f for v in node for f in files(v)]
        return []

    listed = files(toc) + [toc["root"]]
    for page in PAGES:
        assert f"book/{page}" in listed, f"book/{page}.md is not in _toc.yml"
        assert (BOOK / f"{page}.md").exists()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "book/references.bib" in config["bibtex_bibfiles"]


@pytest.mark.parametrize("page", PAGES)
def test_reference_page_headings(page):
    """One `#` title, and headings that never skip a level (code blocks ignored)."""
    lines, inside = [], None
    for line in (BOOK / f"{page}.md").read_text().splitlines():
        m = FENCE_RE.match(line.strip())
        if m and inside is None:
            inside = m.group(1)
        elif inside is not None and line.strip() == inside:
            inside = None
        elif inside is None:
            lines.append(line)
    levels = [len(m.group(1)) for ln in lines if (m := re.match(r"^(#{1,6}) ", ln))]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
