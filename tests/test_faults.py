"""Process faults leave nothing behind: a build killed with SIGKILL while its kernels run leaves the previous
site and prepared data as they were and no worker or kernel running; the next build clears what the killed
one left unfinished and recovers."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _build(build: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "cscbook", "build", "--data", "synthetic", "--profiles", "none"]
    return subprocess.Popen([*args, "--build-dir", str(build), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_a_build_killed_with_sigkill_leaves_no_process_and_the_previous_site(tmp_path):
    build = tmp_path / "build"
    first = _build(build)
    assert first.wait(timeout=600) == 0, first.stderr.read().decode()
    site, data = _hashes(build / "html"), _hashes(build / "data")

    run = _build(build, "--force")
    main = psutil.Process(run.pid)
    deadline = time.monotonic() + 120
    kernels = []
    while time.monotonic() < deadline and not kernels:  # wait until the chapters' kernels are running
        kernels = [p for p in main.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
        time.sleep(0.2)
    assert kernels, "no kernel started"
    family = main.children(recursive=True)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    gone, alive = psutil.wait_procs(family, timeout=15)
    assert not alive, [(p.pid, p.name()) for p in alive]  # no worker, no kernel left running

    assert _hashes(build / "html") == site and _hashes(build / "data") == data
    again = _build(build)
    assert again.wait(timeout=600) == 0, again.stderr.read().decode()
    left = [p for p in build.rglob(".*") if p.is_dir() and (".new-" in p.name or ".old-" in p.name)]
    assert not left, left  # the next build cleared what the killed one left unfinished
