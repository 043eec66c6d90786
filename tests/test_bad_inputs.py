"""Every malformed input in tests/bad_inputs/ fails with a one-line error naming the file or
parameter, the field and the rule, a non-zero exit, no traceback, and the previous site unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.cli import run_cli

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yml").read_text())


def _site(build_dir: Path) -> Path:
    """A previous site: a few pages the failing run must leave exactly as they are."""
    html = build_dir / "html"
    (html / "book").mkdir(parents=True)
    (html / "index.html").write_text("<html>previous site</html>")
    (html / "book" / "demand.html").write_text("<html>previous chapter</html>")
    return html


def _snapshot(html: Path) -> dict[str, bytes]:
    return {str(p.relative_to(html)): p.read_bytes() for p in sorted(html.rglob("*")) if p.is_file()}


def _lock(folder: Path, on: bool) -> None:
    if os.geteuid() == 0:  # root ignores permissions; the immutable attribute still applies
        subprocess.run(["chattr", "+i" if on else "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555 if on else 0o755)


def test_there_are_at_least_twenty_cases():
    assert len(CASES) >= 20


def _param(case: dict):
    """A case as a test parameter: one that starts its own process (``slow: true``) runs with the slow checks."""
    return pytest.param(case, id=case["id"], marks=pytest.mark.slow if case.get("slow") else ())


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_fails_cleanly(case, tmp_path, monkeypatch, capsys):
    build_dir = tmp_path / "build"
    html = _site(build_dir)
    before = _snapshot(html)
    folder = HERE / case["id"]
    args = [a.replace("{case}", str(folder)) for a in case["args"]]
    if args[0] in ("build", "run"):
        args += ["--build-dir", str(build_dir)]
    if case.get("read_only_build_dir"):
        if os.geteuid() == 0 and not shutil.which("chattr"):
            pytest.skip("running as root without chattr: cannot make a read-only folder")
        _lock(build_dir, True)
    try:
        if not case.get("read_only_build_dir"):  # in this process: the same entry point, no start-up per case
            code, stderr = run_cli(args, tmp_path, monkeypatch, capsys)
        else:  # a real process, for its exit code and stderr
            proc = subprocess.run(
                [sys.executable, "-m", "cscbook", *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
            )
            code, stderr = proc.returncode, proc.stderr
    finally:
        if case.get("read_only_build_dir"):
            _lock(build_dir, False)
    err = stderr.strip()
    assert code != 0, err
    assert "Traceback" not in stderr
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for text in case["expect"]:
        assert text in lines[0], (text, lines[0])
    assert _snapshot(html) == before


def _official_folder(folder: Path, cin_rate: str) -> Path:
    """Children-in-need and looked-after files for three real authority codes (invented values, published
    layouts); ``cin_rate`` is the first authority's published CIN rate, from which its population is derived."""
    from tests.fixtures.official import LAS, ees_cla, sfr_cin

    real = [("E06000001", "805", "Hartlepool"), ("E06000002", "806", "Middlesbrough"), ("E06000003", "807", "Redcar")]
    folder.mkdir(parents=True)
    for f in (sfr_cin(folder, year=2018), ees_cla(folder)):
        text = f.read_text(encoding="utf-8")
        for (code, old, name), (new_code, new_old, new_name) in zip(LAS, real):
            text = text.replace(code, new_code).replace(f",{old},", f",{new_old},").replace(name, new_name)
        f.write_text(
            text.replace('Hartlepool,"1,000",600,300.0', f'Hartlepool,"1,000",600,{cin_rate}'), encoding="utf-8"
        )
    return folder


def test_chapter_on_invalid_official_folder_fails_with_the_validation_error(tmp_path, monkeypatch):
    """A chapter run directly on official files (not through the build) validates the panel as the build does."""
    from cscbook.chapters import context
    from cscbook.errors import UserError

    monkeypatch.chdir(tmp_path)  # the ingest cache of a direct run goes under the working directory
    values = {"years": "2016-2018"}
    good = _official_folder(tmp_path / "good", "300.0")
    assert len(context.load("demand", values | {"data": str(good)}).panel)
    bad = _official_folder(tmp_path / "bad", "20000.0")  # a population of 300 for 600 children in need
    with pytest.raises(UserError) as exc:
        context.load("demand", values | {"data": str(bad)})
    line = exc.value.line()
    assert "\n" not in line and line.startswith("error: ")
    assert "cin_31mar at E06000001 2018: more children than the population" in line and "(V03 " in line
