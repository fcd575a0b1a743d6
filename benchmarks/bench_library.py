"""Time `polybook lib` over the whole d2l-en corpus (four frameworks); print JSON.

The first run is cold (nothing cached in its output folder); the others find the pages and the
library unchanged. Target: under 1 s warm; d2lbook 1.0.3 needs about 5 s.

python benchmarks/bench_library.py [--corpus DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("polybook")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "polybook"]
    work = Path(tempfile.mkdtemp(prefix="bench-lib-"))
    times = []
    load = [round(x, 2) for x in os.getloadavg()]
    try:
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(
                [*command, "lib", "--source", str(args.corpus), "--out", str(work)],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
        modules = {}
        for path in sorted((work / "lib").glob("*.py")):
            tree = ast.parse(path.read_text())
            modules[path.stem] = {
                "lines": len(path.read_text().splitlines()),
                "functions": sum(isinstance(n, ast.FunctionDef) for n in tree.body),
                "classes": sum(isinstance(n, ast.ClassDef) for n in tree.body),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "polybook lib, d2l-en, all frameworks",
                "modules": modules,
                "jobs": os.cpu_count(),
                "seconds_cold": round(times[0], 3),
                "seconds_warm_median": round(statistics.median(times[1:] or times), 3),
                "seconds_warm_min": round(min(times[1:] or times), 3),
                "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
                "target_seconds_warm": 1.0,
                "meets_target": statistics.median(times[1:] or times) < 1.0,
                "d2lbook_seconds": 5.0,
                "load_average_at_start": load,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
