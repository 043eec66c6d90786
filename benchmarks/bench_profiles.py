"""Benchmark of the authority profiles: all of them generated from the template, as the build does
(a batch per core, one kernel each), against the naive way (papermill running the
template in a new kernel for each profile, timed on a sample and scaled to all authorities).

    .venv/bin/python benchmarks/bench_profiles.py [--naive-sample N]

Target (2-core machine): all profiles in at most 120 s, and at most 0.10 x the naive time.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cscbook import params  # noqa: E402
from cscbook.build.execute import worker_init  # noqa: E402
from cscbook.build.kernels import KERNEL_ARGS  # noqa: E402
from cscbook.build.pipeline import profile_data  # noqa: E402
from cscbook.build.profile_batch import fill_template  # noqa: E402
from cscbook.build.profile_run import profile_batches, run_profiles  # noqa: E402
from cscbook.build.registry import PROFILE_TEMPLATE  # noqa: E402
from cscbook.snapshot.prepare import authorities, panel_ids, prepare_data  # noqa: E402

TARGET_SECONDS = 120.0
TARGET_RATIO = 0.10


def batched(codes: list[str], names: dict[str, str], panel_dir: Path, years: str, out: Path, jobs: int) -> float:
    """Wall seconds to generate every profile the way the build does."""
    batches = profile_batches(codes, names, jobs)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, initializer=worker_init) as pool:
        for fut in [pool.submit(run_profiles, b, panel_dir, years, out, "all") for b in batches]:
            fut.result()
    return time.perf_counter() - start


def naive(codes: list[str], names: dict[str, str], panel_dir: Path, years: str, out: Path) -> float:
    """Wall seconds per profile when papermill runs every profile's template in a kernel of its own
    (one at a time)."""
    import nbformat
    import papermill as pm

    template = nbformat.read(PROFILE_TEMPLATE, as_version=4)
    start = time.perf_counter()
    for code in codes:
        pm.execute_notebook(
            fill_template(copy.deepcopy(template), code, names[code]),
            str(out / f"{code}.ipynb"),
            parameters={"la_code": code, "panel_dir": str(panel_dir), "years": years, "out_dir": str(out)}
            | {"profile_links": "all"},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(out),
            extra_arguments=KERNEL_ARGS,
        )
    return (time.perf_counter() - start) / len(codes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive-sample", type=int, default=6, help="profiles timed the naive way")
    args = ap.parse_args()
    jobs = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        first = params.ChapterParams()
        chapters_dir = prepare_data(first, work / "build")
        # the profiles' own data, as the build makes it: on the official snapshot today's authorities, every year
        panel_dir, ids, years = profile_data(first, chapters_dir, panel_ids(chapters_dir), work / "build")
        names = authorities(ids)["la_name"].to_dict()
        codes = sorted(names)
        (work / "fast").mkdir()
        wall = batched(codes, names, panel_dir, years, work / "fast", jobs)
        made = len(list((work / "fast").glob("*.ipynb")))
        (work / "naive").mkdir()
        per = naive(codes[: args.naive_sample], names, panel_dir, years, work / "naive")
    naive_all = per * len(codes) / jobs
    print(f"profiles generated                 {made} ({years})")
    print(f"batched ({jobs} kernels, {jobs} workers)        {wall:8.1f} s   {wall / made:.2f} s per profile")
    print(
        f"naive (one kernel each, sample {args.naive_sample})  {per:8.2f} s per profile, {naive_all:.1f} s for all on {jobs} cores"
    )
    print(f"ratio batched / naive:             {wall / naive_all:.2f} (target <= {TARGET_RATIO:.2f})")
    print(f"target: <= {TARGET_SECONDS:.0f} s for all profiles: {'met' if wall <= TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
