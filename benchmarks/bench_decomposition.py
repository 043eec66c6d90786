"""Time the decomposition chapter's analysis with 200 bootstrap replicates against the 60-second target.

Prints one MixedLM fit, one profile-REML fit, the bootstrap, the robustness checks and the whole
analysis (the notebook adds kernel start-up and imports on top; `cscbook build` records
the chapter's full time in run_record.json).
"""

from __future__ import annotations

import os
import tempfile
import time

from cscbook.analyse import models
from cscbook.chapters import context as chapter
from cscbook.chapters import decomposition as dc
from cscbook.chapters.decomposition import fit as dc_fit

TARGET_S = 60.0
N_BOOT = 200


def main() -> None:
    t = time.perf_counter()
    ctx = chapter.load("decomposition", {"n_boot": N_BOOT})
    t_load = time.perf_counter() - t
    spec = dc_fit.spec_for(ctx)
    t = time.perf_counter()
    main_fit = models.fit(ctx.view, spec, "mixedlm")
    t_mixed = time.perf_counter() - t
    t = time.perf_counter()
    models.fit_frame(main_fit.frame, spec, "profile")
    t_prof = time.perf_counter() - t
    t = time.perf_counter()
    res = dc.results(ctx)  # the fits, then the tables and figures
    t_analyse = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        cwd = os.getcwd()
        os.chdir(d)
        try:
            t = time.perf_counter()
            dc.glue_all(ctx, res)
            dc.write_json(ctx, res)
            t_out = time.perf_counter() - t
        finally:
            os.chdir(cwd)
    total = t_load + t_analyse + t_out
    print(f"cpus: {os.cpu_count()}; rows in model: {len(main_fit.frame)}; replicates: {N_BOOT}")
    print(f"one MixedLM fit:            {t_mixed:7.2f} s")
    print(f"one profile-REML fit:       {t_prof:7.3f} s  (ratio {t_mixed / t_prof:.0f}x)")
    for k, v in res.timings.items():
        print(f"analysis, {k + ':':18s}{v:7.2f} s")
    print(f"load data:                  {t_load:7.2f} s")
    print(f"tables and figures:         {t_analyse - sum(res.timings.values()):7.2f} s")
    print(f"glue and JSON:              {t_out:7.2f} s")
    print(
        f"chapter work in total:      {total:7.2f} s  against a target of {TARGET_S:.0f} s ({total / TARGET_S:.0%} of target)"
    )


if __name__ == "__main__":
    main()
