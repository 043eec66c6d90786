"""Benchmark of the build on synthetic England: cold, warm, one parameter changed, and the naive
baseline (papermill on each chapter template in turn, then jupyter-book build), measured in one
run, with peak memory of the whole process tree and the ratios between them.

    .venv/bin/python benchmarks/bench_build.py [--repeat N]

Targets (2-core machine): cold <= 0.6 x naive; warm <= 5 s and <= 0.15 x cold; changing one
chapter's parameter re-executes only that chapter; peak memory < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Run ``cmd``; return wall seconds and the peak summed RSS (MB) of its process tree."""
    peak = 0.0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
                peak = max(peak, total / 1e6)
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    done.set()
    th.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{err}")
    return wall, peak


def naive(work: Path) -> tuple[float, float]:
    """papermill on each template in turn (each makes its own data), then jupyter-book build."""
    script = work / "naive.sh"
    src = work / "naive-src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir()
    shutil.copy2(ROOT / "_config.yml", src)
    shutil.copy2(ROOT / "_toc.yml", src)
    shutil.copytree(ROOT / "book", src / "book", ignore=shutil.ignore_patterns("*.ipynb"))
    lines = ["set -e"]
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        out = src / "book" / nb.name
        lines.append(
            f"cd {src / 'book'} && {BIN / 'papermill'} -k python3 --no-progress-bar {nb} {out} >/dev/null 2>&1"
        )
    lines.append(f"{BIN / 'jupyter-book'} build {src} --path-output {work / 'naive-out'} -q >/dev/null 2>&1")
    script.write_text("\n".join(lines) + "\n")
    return run(["bash", str(script)])


def executed_chapters(build_dir: Path) -> dict[str, str]:
    rec = json.loads((build_dir / "run_record.json").read_text())
    return rec.get("executed", {})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1, help="repeat each measurement and take the median")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cscbook-bench-"))
    build_dir = work / "build"
    cli = [
        str(BIN / "cscbook"),
        "build",
        "--build-dir",
        str(build_dir),
        "--profiles",
        "none",
    ]  # profiles: bench_profiles.py
    res: dict[str, list[tuple[float, float]]] = {"naive": [], "cold": [], "warm": [], "param": []}
    changed: dict[str, str] = {}
    for _ in range(args.repeat):
        res["naive"].append(naive(work))
        if build_dir.exists():
            shutil.rmtree(build_dir)
        res["cold"].append(run(cli))
        res["warm"].append(run(cli))
        res["param"].append(run([*cli, "-p", "definition", "A"]))
        changed = executed_chapters(build_dir)
        run(cli)  # back to the defaults for the next repeat
    med = {k: statistics.median(w for w, _ in v) for k, v in res.items()}
    mem = {k: max(m for _, m in v) for k, v in res.items()}
    print(f"machine: {psutil.cpu_count()} cores; repeats: {args.repeat}; build folder {build_dir}")
    for k, label in [
        ("naive", "naive baseline (papermill each, then jupyter-book)"),
        ("cold", "cold build"),
        ("warm", "warm build, nothing changed"),
        ("param", "rebuild after one chapter's parameter (definition=A)"),
    ]:
        print(f"{label:<55} {med[k]:7.2f} s   peak {mem[k]:7.0f} MB")
    ran = sorted(c for c, state in changed.items() if state == "ran")
    print(f"chapters re-executed after the parameter change: {', '.join(ran) or 'none'}")
    print(f"ratio cold / naive: {med['cold'] / med['naive']:.2f}  (target <= 0.60)")
    print(f"ratio warm / cold:  {med['warm'] / med['cold']:.3f}  (target <= 0.15; warm target <= 5 s)")
    print(f"ratio param / cold: {med['param'] / med['cold']:.2f}")
    print(f"peak memory: {max(mem.values()):.0f} MB  (target < 2000 MB)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
