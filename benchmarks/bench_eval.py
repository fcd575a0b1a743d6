"""Execute a book with `-j 1` and `-j 2` from an empty cache, then time a no-op rerun; print JSON.

Targets: a speedup of at least 1.6x with two workers on 2 cores; a no-op rerun under 2 s.
The frameworks' environments must exist (`make envs`).

    python benchmarks/bench_eval.py [--source DIR] [--framework all]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def eval_once(source: Path, out: Path, jobs: int, framework: str, *extra: str) -> tuple[float, dict]:  # type: ignore[type-arg]
    """``polybook eval`` into ``out`` (``extra``: more options); its seconds and its report."""
    exe = str(Path(sys.executable).with_name("polybook"))
    command = [
        exe,
        "eval",
        "--source",
        str(source),
        "--out",
        str(out),
        "-j",
        str(jobs),
        "--framework",
        framework,
    ]
    start = time.perf_counter()
    done = subprocess.run([*command, *extra], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"eval failed:\n{done.stdout}\n{done.stderr}")
    return seconds, json.loads((out / "reports" / "eval.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=PROJECT)
    parser.add_argument("--framework", default="all")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    try:
        one, report = eval_once(args.source, work / "j1", 1, args.framework)
        two, _ = eval_once(args.source, work / "j2", 2, args.framework)
        noop, noop_report = eval_once(args.source, work / "j2", 2, args.framework)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    executed = [r for r in report["notebooks"] if r["status"] == "executed"]
    print(
        json.dumps(
            {
                "benchmark": "polybook eval from an empty cache",
                "source": str(args.source),
                "notebooks_executed": len(executed),
                "notebook_seconds_sum": round(sum(r["seconds"] for r in executed), 2),
                "peak_kernel_memory_mb": max((r["peak_memory_mb"] or 0 for r in executed), default=0),
                "seconds_j1": round(one, 2),
                "seconds_j2": round(two, 2),
                "speedup_j2": round(one / two, 2),
                "target_speedup": 1.6,
                "seconds_noop_rerun": round(noop, 2),
                "noop_executed": noop_report["summary"]["executed"],
                "target_noop_seconds": 2.0,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
