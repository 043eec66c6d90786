"""Benchmark of the site's weight: its size on disk, the largest page and the largest profile page,
with what takes the room, against the targets.

    .venv/bin/python benchmarks/bench_site.py [--site _build/html]

Without --site it builds the default book (the official snapshot, every profile) in a temporary folder.
Targets: the whole site at most 25 MB; no profile page over 100 KB of HTML.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SITE_TARGET_MB = 25.0
PROFILE_TARGET_KB = 100.0


def weigh(site: Path) -> None:
    files = [p for p in site.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    by_top: dict[str, int] = {}
    for p in files:
        top = p.relative_to(site).parts[0] if len(p.relative_to(site).parts) > 1 else "(top level)"
        by_top[top] = by_top.get(top, 0) + p.stat().st_size
    pages = [p for p in files if p.suffix == ".html"]
    largest = max(pages, key=lambda p: p.stat().st_size)
    profiles = [p for p in pages if p.parent.name == "profiles" and p.stem != "index"]
    print(f"site                      {total / 1e6:8.1f} MB in {len(files)} files ({len(pages)} pages)")
    for top, size in sorted(by_top.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {top:<22}  {size / 1e6:8.1f} MB")
    print(f"largest page              {largest.stat().st_size / 1e3:8.1f} KB  {largest.relative_to(site)}")
    if profiles:
        big = max(profiles, key=lambda p: p.stat().st_size)
        mean = sum(p.stat().st_size for p in profiles) / len(profiles)
        print(f"largest profile page      {big.stat().st_size / 1e3:8.1f} KB  {big.relative_to(site)}")
        print(f"mean profile page         {mean / 1e3:8.1f} KB over {len(profiles)}")
    print(f"target: site <= {SITE_TARGET_MB:.0f} MB: {'met' if total / 1e6 <= SITE_TARGET_MB else 'NOT met'}")
    if profiles:
        ok = big.stat().st_size / 1e3 <= PROFILE_TARGET_KB
        print(f"target: every profile page <= {PROFILE_TARGET_KB:.0f} KB: {'met' if ok else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, help="a built site (its html folder); default: build the book")
    args = ap.parse_args()
    if args.site:
        weigh(args.site)
        return
    from cscbook.build.pipeline import build

    with tempfile.TemporaryDirectory() as tmp:
        res = build({}, build_dir=Path(tmp) / "build")
        weigh(res.html)


if __name__ == "__main__":
    main()
