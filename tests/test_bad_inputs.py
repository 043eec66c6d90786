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


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_fails_cleanly(case, tmp_path):
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
        proc = subprocess.run(
            [sys.executable, "-m", "cscbook", *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
        )
    finally:
        if case.get("read_only_build_dir"):
            _lock(build_dir, False)
    err = proc.stderr.strip()
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for text in case["expect"]:
        assert text in lines[0], (text, lines[0])
    assert _snapshot(html) == before
