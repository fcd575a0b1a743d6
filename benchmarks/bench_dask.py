"""The Dask executor on our book, and a scale simulation of d2l-en on a cluster; print JSON.

Measured (each run from an empty output folder; the frameworks' environments must exist):

- `--scheduler local:1` against `local:2`: the speedup of a second worker (target >= 1.6x on
  2 cores);
- `local:2` against the local pool with `-j 2` on the same work: the Dask executor's overhead
  (target <= 10 %);
- a run from a fresh `--out` with the shared store the `local:2` run filled: kernels started
  (target 0) and seconds (target < 5).

Simulated: d2l-en's pages in its four frameworks (760 notebooks), each given in turn one of the
durations recorded by the `local:1` run, replayed on 1, 8 and 32 workers with several GPU
mixes, scheduled as the executors do (longest first; a job that declares a GPU waits for a GPU
worker when the cluster has one, runs on any worker otherwise). A page wants a GPU when its
d2l-en source calls try_gpu/try_all_gpus/num_gpus or .cuda(). No speed model: a job takes its
recorded seconds wherever it runs. Printed: makespan and idle fraction per mix.

    python benchmarks/bench_dask.py [--source DIR] [--framework all] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from bench_eval import eval_once  # the script's folder is on the path: a sibling benchmark

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("POLYBOOK_CORPUS", PROJECT.parent / "shared" / "corpus" / "d2l-en"))
WANTS_GPU = re.compile(r"try_gpu|try_all_gpus|num_gpus|\.cuda\(")
MIXES = [(1, 0), (1, 1), (8, 0), (8, 2), (8, 8), (32, 0), (32, 8), (32, 32)]


def executed(report: dict) -> list[dict]:  # type: ignore[type-arg]
    return [r for r in report["notebooks"] if r["status"] == "executed"]


def d2l_notebooks(corpus: Path) -> list[tuple[str, str, bool]]:
    """(page, framework, wants a GPU) for every page of d2l-en in its four frameworks."""
    frameworks = ("pytorch", "mxnet", "tensorflow", "jax")
    pages = sorted(corpus.glob("chapter_*/*.md"))
    return [
        (page.relative_to(corpus).as_posix(), fw, bool(WANTS_GPU.search(page.read_text(encoding="utf-8"))))
        for page in pages
        for fw in frameworks
    ]


def simulate(jobs: list[tuple[float, bool]], workers: int, gpus: int) -> dict[str, float]:
    """List scheduling of ``(seconds, wants GPU)`` jobs, longest first, on ``workers`` of which
    ``gpus`` have a GPU; returns the makespan and the idle fraction."""
    pending = sorted(jobs, key=lambda j: -j[0])
    free = [(0.0, i) for i in range(workers)]  # (free from, worker); workers < gpus have a GPU
    heapq.heapify(free)
    busy = 0.0
    makespan = 0.0
    while pending:
        now, worker = heapq.heappop(free)
        has_gpu = worker < gpus
        # the longest job this worker may take: a GPU job needs a GPU worker when there is one
        index = next((i for i, (_, g) in enumerate(pending) if has_gpu or not (g and gpus)), None)
        if index is None:  # a CPU worker with only GPU jobs left: it stays idle from now on
            continue
        seconds, _ = pending.pop(index)
        busy += seconds
        makespan = max(makespan, now + seconds)
        heapq.heappush(free, (now + seconds, worker))
    return {
        "workers": workers,
        "gpus": gpus,
        "makespan_s": round(makespan, 1),
        "idle_fraction": round(1 - busy / (workers * makespan), 3) if makespan else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=PROJECT)
    parser.add_argument("--framework", default="all")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        store = ("--cache", str(work / "store"))
        one, report_one = eval_once(args.source, work / "local1", 1, args.framework, "--scheduler", "local:1")
        two, report_two = eval_once(
            args.source, work / "local2", 2, args.framework, "--scheduler", "local:2", *store
        )
        pool, report_pool = eval_once(args.source, work / "pool", 2, args.framework)
        fresh, report_fresh = eval_once(args.source, work / "fresh", 2, args.framework, *store)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    recorded = [r["seconds"] for r in executed(report_one)]
    notebooks = d2l_notebooks(args.corpus)
    replay = [(recorded[i % len(recorded)], gpu) for i, (_, _, gpu) in enumerate(notebooks)]
    print(
        json.dumps(
            {
                "benchmark": "the Dask executor: our book on local:1, local:2 and the local pool; "
                "a fresh out with the shared store; a scale simulation of d2l-en",
                "source": str(args.source),
                "notebooks_executed": len(executed(report_one)),
                "notebook_seconds_sum": round(sum(recorded), 1),
                "seconds_local1": round(one, 1),
                "seconds_local2": round(two, 1),
                "speedup_local2": round(one / two, 2),
                "target_speedup": 1.6,
                "seconds_pool_j2": round(pool, 1),
                "dask_overhead_vs_pool": round(two / pool - 1, 3),
                "target_overhead": 0.10,
                "fresh_out_kernels_started": len(executed(report_fresh)),
                "fresh_out_reused_from_store": sum(
                    r["reason"] == "cached from the shared store" for r in report_fresh["notebooks"]
                ),
                "fresh_out_seconds": round(fresh, 2),
                "target_fresh_out_seconds": 5.0,
                "consistent": len(executed(report_two)) == len(executed(report_pool)) == len(recorded),
                "simulation": {
                    "notebooks": len(replay),
                    "wanting_gpu": sum(g for _, g in replay),
                    "seconds_sum": round(sum(s for s, _ in replay), 1),
                    "mixes": [simulate(replay, w, g) for w, g in MIXES],
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
