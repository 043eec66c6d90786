"""Nothing is left behind: SIGTERM ends a command as Ctrl-C does (no ingest worker, Jupyter Book or kernel goes
on), a read-only checkout gives a build folder the next run can change, and a command run twice into its own
output accepts it."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cscbook import procs
from cscbook.fsutil import copy_writable, remove_tree
from tests.conftest import REAL_DATA
from tests.fixtures import official
from tests.fixtures.cli import run_cli


def _read_only(folder: Path) -> None:
    for root, dirs, files in os.walk(folder, topdown=False):
        for f in files:
            os.chmod(os.path.join(root, f), 0o444)
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o555)
    os.chmod(folder, 0o555)


def test_a_read_only_checkout_is_copied_as_files_the_build_owns(tmp_path):
    src = tmp_path / "book"
    (src / "sub").mkdir(parents=True)
    (src / "intro.md").write_text("# Intro\n")
    (src / "sub" / "page.md").write_text("# Page\n")
    _read_only(src)
    dst = tmp_path / "stage" / "book"
    copy_writable(src, dst)
    for p in [dst, *dst.rglob("*")]:
        assert p.stat().st_mode & stat.S_IWUSR, p  # the build may change and remove what it staged
    assert (dst / "sub" / "page.md").read_text() == "# Page\n"
    remove_tree(dst)
    assert not dst.exists()


def test_a_folder_left_with_read_only_entries_is_removed(tmp_path):
    left = tmp_path / "stage"
    (left / "book" / "sub").mkdir(parents=True)
    (left / "book" / "sub" / "x.md").write_text("x")
    _read_only(left)
    remove_tree(left)
    assert not left.exists()
    remove_tree(left)  # nothing there: nothing to do


def test_a_command_and_its_children_end_on_sigterm(tmp_path):
    """SIGTERM while a tied command runs: it and what it started are killed before the error propagates."""
    pidfile = tmp_path / "pids"
    script = f"sleep 30 & echo $! > {pidfile}; wait"
    procs.end_on_sigterm()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        signal.signal(signal.SIGALRM, lambda *a: os.kill(os.getpid(), signal.SIGTERM))
        with pytest.raises(procs.Terminated):
            procs.run(["sh", "-c", script])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    grandchild = int(pidfile.read_text())
    gone, alive = (
        psutil.wait_procs([psutil.Process(grandchild)], timeout=5) if psutil.pid_exists(grandchild) else ([], [])
    )
    assert not alive


def test_ingest_twice_into_its_own_output_inside_the_build_folder(tmp_path, monkeypatch, capsys):
    folder = official.write_all(tmp_path / "published")
    args = ["ingest", str(folder), "--out", "b/prepared", "--build-dir", "b"]
    first = run_cli(args, tmp_path, monkeypatch, capsys)
    second = run_cli(args, tmp_path, monkeypatch, capsys)
    assert first[0] == 0 and second == (0, ""), second


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def _family_while(cmd: list[str], cwd: Path, ready) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """Start ``cmd``; once ``ready(descendants)`` holds, send it SIGTERM; return it and the processes it had."""
    run = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    main = psutil.Process(run.pid)
    deadline = time.monotonic() + 300
    family: list[psutil.Process] = []
    while time.monotonic() < deadline and run.poll() is None:
        try:
            family = main.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        if ready(family):
            break
        time.sleep(0.1)
    assert run.poll() is None and ready(family), "the moment to stop it never came"
    run.send_signal(signal.SIGTERM)
    return run, family


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/real-data is absent")
def test_sigterm_during_ingest_leaves_no_worker(tmp_path):
    cmd = [sys.executable, "-m", "cscbook", "ingest", str(REAL_DATA), "--out", "b/p", "--build-dir", "b"]
    run, family = _family_while(cmd, tmp_path, lambda fam: len(fam) >= 2)  # the parsing workers
    assert run.wait(timeout=30) == 143
    err = run.stderr.read().strip()
    assert err == "error: terminated; the previous site is unchanged (terminate)", err
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, [(p.pid, p.name()) for p in alive]
    assert not (tmp_path / "b" / "p").exists()  # nothing half-written


@pytest.mark.slow
def test_sigterm_during_jupyter_book_stops_it_before_the_lock_is_free(own_book, sample_profiles, tmp_path):
    """The chapters are reused; Jupyter Book is running when SIGTERM comes. It ends with the build: nothing in
    the build folder changes after the command has ended, the site is as it was, and the next run can start."""
    site = _hashes(own_book / "html")
    cmd = [sys.executable, "-m", "cscbook", "build", "--data", "synthetic", "-p", "n_boot", "20", "--pdf", "none"]
    cmd += ["--profiles", ",".join(sample_profiles), "--build-dir", str(own_book)]

    def jupyter_book(fam):
        def line(p):
            try:
                return " ".join(p.cmdline())
            except psutil.Error:  # ended meanwhile
                return ""

        return any("jupyter-book" in line(p) for p in fam)

    run, family = _family_while(cmd, tmp_path, jupyter_book)
    assert run.wait(timeout=30) == 143, run.stderr.read()
    gone, alive = psutil.wait_procs(family, timeout=2)
    assert not alive, [(p.pid, p.name()) for p in alive]
    after = {p: p.stat().st_mtime_ns for p in own_book.rglob("*") if p.is_file()}
    time.sleep(3)
    assert {p: p.stat().st_mtime_ns for p in own_book.rglob("*") if p.is_file()} == after  # nothing writes on
    assert _hashes(own_book / "html") == site


ROOT = Path(__file__).resolve().parents[1]
DROP = "cap_dac_override,cap_dac_read_search,cap_fowner"


@pytest.mark.slow
def test_a_read_only_checkout_builds_into_a_writable_build_folder_twice(tmp_path):
    """The checkout's files and folders are read-only (and root's power to write anyway is dropped): the book
    builds into a writable --build-dir, again into the same one, and the default --build-dir inside the checkout
    is refused in one line."""
    import shlex
    import shutil

    if os.geteuid() == 0 and not shutil.which("capsh"):
        pytest.skip("running as root without capsh: cannot make the checkout read-only to this process")
    checkout = tmp_path / "checkout"
    for name in ("src", "book", "data"):
        shutil.copytree(ROOT / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("_config.yml", "_toc.yml", "requirements.txt"):
        shutil.copyfile(ROOT / name, checkout / name)
    _read_only(checkout)

    def cscbook(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "cscbook", *args]
        if os.geteuid() == 0:
            cmd = ["capsh", f"--drop={DROP}", "--", "-c", shlex.join(cmd)]
        env = dict(os.environ, PYTHONPATH=str(checkout / "src"), PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True, timeout=600)

    try:
        build = ["build", "--data", "synthetic", "--profiles", "none", "--pdf", "none"]
        first = cscbook(*build, "--build-dir", str(tmp_path / "b"))
        assert first.returncode == 0, first.stderr[-1000:]
        again = cscbook(*build, "-p", "seed", "7", "--build-dir", str(tmp_path / "b"))
        assert again.returncode == 0, again.stderr[-1000:]
        inside = cscbook(*build)
        assert inside.returncode == 2 and inside.stderr.strip().endswith("(the output folder must be writable)")
    finally:
        for root, _dirs, _files in os.walk(checkout):
            os.chmod(root, 0o755)
