"""Time `polybook build notebooks` over the whole d2l-en corpus, all four frameworks; print JSON.

d2lbook's same step (`d2lbook build eval --tab X`, evaluation off) takes about 3 s per framework
on the project's 2-core machine, 13 s for all four. Target: all four in under 2 s.

    python benchmarks/bench_notebooks.py [--corpus DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus" / "d2l-en"


def polybook() -> list[str]:
    exe = Path(sys.executable).with_name("polybook")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "polybook"]


def run(corpus: Path, out: Path, jobs: int) -> float:
    cmd = [*polybook(), "build", "notebooks", "--source", str(corpus), "--out", str(out)]
    cmd += ["--framework", "all", "-j", str(jobs)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-notebooks-"))
    try:
        cold, warm, single = [], [], []
        for i in range(args.repeat):
            out = work / f"cold{i}"
            cold.append(run(args.corpus, out, jobs))
            warm.append(run(args.corpus, out, jobs))
            single.append(run(args.corpus, work / f"single{i}", 1))
        coverage = json.loads((work / "cold0" / "reports" / "coverage.json").read_text())
        cells = {
            fw: sum(page[fw]["cells"] for page in coverage["pages"].values()) for fw in coverage["frameworks"]
        }
        notebooks = sum(1 for _ in (work / "cold0" / "notebooks").rglob("*.ipynb"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "benchmark": "build notebooks, d2l-en, all frameworks",
                "pages": len(coverage["pages"]),
                "frameworks": coverage["frameworks"],
                "notebooks": notebooks,
                "code_cells": cells,
                "jobs": jobs,
                "seconds_cold_median": round(statistics.median(cold), 3),
                "seconds_noop_rebuild_median": round(statistics.median(warm), 3),
                "seconds_one_worker_median": round(statistics.median(single), 3),
                "peak_memory_mib": round(peak_kib / 1024, 1),
                "target_seconds": 2.0,
                "d2lbook_seconds": 13.0,
                "meets_target": statistics.median(cold) < 2.0,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
