"""Cold and warm (cached) ingest of ../shared/real-data; prints the times and their ratio."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from cscbook.ingest import ingest_folder

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-data"

if __name__ == "__main__":
    if not REAL.is_dir():
        print(f"skipped: {REAL} is absent")
        raise SystemExit(0)
    cache = Path(tempfile.mkdtemp(prefix="ingest-cache-"))
    try:
        t = time.perf_counter()
        ingest_folder(REAL, cache=cache)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        ingest_folder(REAL, cache=cache)
        warm = time.perf_counter() - t
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"cold ingest {cold:.1f} s, warm ingest {warm:.2f} s, ratio {cold / warm:.0f}x")
