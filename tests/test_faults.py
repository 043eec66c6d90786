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


@pytest.mark.slow
def test_every_profile_builds_under_a_limit_of_512_open_files(tmp_path):
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))

    args = [sys.executable, "-m", "cscbook", "build", "--data", "synthetic", "--build-dir", str(tmp_path / "b")]
    run = subprocess.run(args, capture_output=True, text=True, preexec_fn=limit, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    pages = list((tmp_path / "b" / "html" / "book" / "profiles").glob("*.html"))
    assert len(pages) > 100, len(pages)  # every synthetic authority has its page


def _die(*args):
    """A chapter whose worker is killed (as the kernel's out-of-memory killer would)."""
    import os

    os._exit(137)


def test_a_worker_that_dies_is_named_in_one_line_and_the_site_survives(tmp_path, monkeypatch):
    from cscbook.build import pipeline as build_mod
    from cscbook.errors import UserError

    build = tmp_path / "b"
    (build / "html").mkdir(parents=True)
    (build / "html" / "index.html").write_text("<html>the previous site</html>")
    (build / "cache").mkdir()
    monkeypatch.setattr(build_mod, "run_chapter", _die)
    with pytest.raises(UserError) as err:
        build_mod.build({"data": "synthetic"}, build_dir=build, only=["demand"], force=True, profiles="none")
    assert err.value.line() == (
        "error: chapter demand: its worker process ended abruptly (killed, or out of memory); "
        "the previous site is unchanged (a worker must finish)"
    )
    assert (build / "html" / "index.html").read_text() == "<html>the previous site</html>"
