"""The package's shape: one folder per stage, imports that flow one way, small modules and
functions, thin notebooks, and one definition of "per 10,000"."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cscbook"
MODULES = sorted(PKG.rglob("*.py"))
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 100
MAX_CELL_LINES = 8

#: The stages in the order the data flow through them; each folder of the package is one.
STAGES = ["acquire", "ingest", "harmonise", "snapshot", "analyse", "present", "chapters", "profiles", "site", "build"]
#: The modules at the package's root that every stage may use (the data contract, errors, files, processes,
#: parameters, the published figures and the one rule for shares of variance that the generator and the models
#: share); ``validate`` checks a harmonised panel, ``cli`` is the command line over everything.
BASE = {"contract", "errors", "fsutil", "limits", "params", "procs", "reference", "shares", "validate"}
#: stage -> the stages below it that it may import (besides itself and BASE): acquire and ingest are two
#: independent starts, analyse stands on the contract alone, and the site is handed what it builds.
MAY_IMPORT = {
    "acquire": set(),
    "ingest": set(),
    "harmonise": {"ingest"},
    "snapshot": {"acquire", "ingest", "harmonise"},
    "analyse": set(),
    "present": {"analyse"},
    "chapters": {"acquire", "harmonise", "snapshot", "analyse", "present"},
    "profiles": {"acquire", "harmonise", "snapshot", "analyse", "present", "chapters"},
    "site": set(),
    "build": {"acquire", "ingest", "harmonise", "snapshot", "analyse", "present", "chapters", "profiles", "site"},
}
assert set(MAY_IMPORT) == set(STAGES) and all(
    STAGES.index(s) > max((STAGES.index(b) for b in below), default=-1) for s, below in MAY_IMPORT.items()
)  # only downward


def _rel(path: Path) -> str:
    return path.relative_to(PKG).as_posix()


def _imports(path: Path) -> set[str]:
    """Every cscbook module a file imports, at any depth of the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cscbook"):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("cscbook"))
    return names


def test_the_package_has_one_folder_per_stage():
    for stage in STAGES:
        assert (PKG / stage / "__init__.py").exists(), stage
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert top == sorted(
        [
            "__init__.py",
            "__main__.py",
            "cli.py",
            "contract.py",
            "errors.py",
            "fsutil.py",
            "limits.py",
            "params.py",
            "procs.py",
            "reference.py",
            "shares.py",
            "validate.py",
        ]
    )


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_module_stays_small(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{_rel(path)} has {n} lines (limit {MAX_MODULE_LINES})"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_functions_stay_small(path):
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_rel(path)}: {', '.join(long)}"


def _stage_of(module: str) -> str:
    """The stage a dotted module name belongs to ('cscbook.build.cache' -> 'build'); '' for a base module or a
    name the package's root defines (``cscbook.ROOT``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else ""


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_imports_flow_one_way(path):
    """A stage imports only itself, the stages below it that it needs, and the base modules."""
    stage = _rel(path).split("/")[0]
    if stage not in STAGES:
        return  # a base module or the command line (checked by the test below)
    allowed = MAY_IMPORT[stage] | {stage} | BASE
    bad = sorted(m for m in _imports(path) if _stage_of(m) and _stage_of(m) not in allowed)
    assert not bad, f"{_rel(path)} ({stage}) imports {bad}"


def test_the_base_modules_import_no_stage():
    for name in BASE:
        found = sorted(m for m in _imports(PKG / f"{name}.py") if _stage_of(m) in STAGES)
        assert not found, f"{name}.py imports {found}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def test_no_import_closes_a_circle():
    """The graph of imports between the package's modules (at any depth of a file) has no cycle."""
    import graphlib

    names = {_module_name(p): p for p in MODULES}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cscbook"):
                for a in node.names:  # 'from a.b import c': the module a.b.c when there is one, else a.b
                    sub = f"{node.module}.{a.name}"
                    targets.add(sub if sub in names else node.module)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in names)
        graph[name] = {t for t in targets if t in names and t not in (name, "cscbook")}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        pytest.fail(f"an import circle: {' -> '.join(err.args[1])}")


def test_only_the_contract_defines_per_ten_thousand():
    """Rates are per 10,000 children aged 0-17 (``contract.PER``, which ``analyse.measures`` uses): no other
    module writes the number."""
    hits = [
        f"{_rel(path)}:{node.lineno}"
        for path in MODULES
        if _rel(path) != "contract.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == 10_000
    ]
    assert not hits, hits


def _strings(path: Path) -> list[str]:
    return [
        n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant) and type(n.value) is str
    ]


def test_no_javascript_in_python_strings():
    """The site's scripts are files in book/_static (the browser check's own script sits beside it in publish/)."""
    js = re.compile(r"\bdocument\.|\bwindow\.|addEventListener|querySelector|\bfunction\s*\(|=>")
    probes = re.compile(r"^return [^\n]*$")  # one-line WebDriver probes (execute_script) are not the site's code
    hits = [_rel(p) for p in MODULES if any(js.search(s) and not probes.match(s) for s in _strings(p))]
    assert not hits, hits


@pytest.mark.parametrize("path", sorted((ROOT / "book").rglob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_code_cells_are_a_call_and_a_display(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        assert len(lines) <= MAX_CELL_LINES, f"{path.name}: a code cell of {len(lines)} lines:\n{cell.source}"


def test_glue_keys_are_literal():
    """A glued number in the prose is found in the code with one search: no glue key is built by formatting."""
    call = re.compile(r"\.glue(?:_md|_table|_figure)?\(\s*f[\"']")
    hits = [
        f"{_rel(p)}:{no}" for p in MODULES for no, line in enumerate(p.read_text().splitlines(), 1) if call.search(line)
    ]
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in nbformat.read(nb, as_version=4).cells:
            if cell.cell_type == "code" and call.search(cell.source):
                hits.append(nb.name)
    assert not hits, hits
