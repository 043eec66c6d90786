"""The project's habits: locked requirements with hashes, one set of tool versions, clean notebook
templates, and a CI that runs the lint, the tests and the slow checks."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.M)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    return {_norm(n): v for n, v in PIN.findall(path.read_text())}


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_requirement_has_a_hash(name):
    text = (ROOT / name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text[PIN.search(text).start() :])
    assert len(entries) > 50
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_dev_lock_agrees_with_the_runtime_lock_and_covers_the_direct_dependencies():
    import tomllib

    run, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert {k: dev.get(k) for k in run} == run
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    for req in direct:
        name = _norm(re.match(r"[A-Za-z0-9_.-]+", req).group(0))
        assert name in dev, req
    for req in project["dependencies"]:
        assert _norm(re.match(r"[A-Za-z0-9_.-]+", req).group(0)) in run, req


def test_pre_commit_hooks_use_the_locked_versions():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    dev = pins(ROOT / "requirements-dev.txt")
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    assert {h["id"] for h in hooks} >= {"ruff-check", "ruff-format", "nbstripout"}
    for hook in hooks:
        for dep in hook.get("additional_dependencies", []):
            name, version = dep.split("==")
            assert dev[_norm(name)] == version, (hook["id"], dep)


def test_notebook_templates_carry_no_outputs():
    templates = sorted((ROOT / "book").rglob("*.ipynb"))
    assert len(templates) >= 6
    for path in templates:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


def test_ci_runs_lint_tests_and_slow_checks_in_order():
    ci = (ROOT / ".ci" / "run").read_text()
    steps = re.findall(r"^make ([\w-]+)$", ci, re.M)
    assert steps == ["lint", "test", "test-slow"]
    make = (ROOT / "Makefile").read_text()
    assert "ruff check" in make and "ruff format --check" in make and "nbstripout --keep-id --verify" in make
