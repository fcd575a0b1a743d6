"""What the client keeps of an outcome, wherever the job ran: the cache entry and run record (in
``OUT/cache`` and the shared store), the executed notebook, or the failed one and the kernel log.

A notebook is kept as soon as its outcome arrives, one at a time, each file written whole: a
run killed at any moment keeps every notebook that finished before.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..fsutil import write_text
from ..generate.notebooks import dumps, merge_outputs
from .cache import Cache
from .jobs import Job, Outcome


def executed_path(out: Path, framework: str, page: str) -> Path:
    return out / "executed" / framework / f"{page}.ipynb"


def kernel_log_path(out: Path, framework: str, page: str) -> Path:
    return out / "reports" / "kernels" / framework / f"{page}.log"


def failed_path(out: Path, framework: str, page: str) -> Path:
    return out / "reports" / "failed" / framework / f"{page}.ipynb"


def keep(out: Path, cache: Cache, job: Job, outcome: Outcome) -> None:
    """Store what ``outcome`` brought back for ``job``, and drop what it travelled with."""
    if outcome.log or outcome.status in ("executed", "failed"):
        log = kernel_log_path(out, job.framework, job.page)
        write_text(log, outcome.log)
        if outcome.status == "failed":
            outcome.extra["kernel_log"] = str(log)
    executed = executed_path(out, job.framework, job.page)
    if outcome.status == "executed" and outcome.notebook:
        cache.store(
            job.framework, job.page, job.components, outcome.notebook, outcome.seconds, outcome.peak_memory_mb
        )
        # the very bytes a later run writes from the cache entry, so that run changes nothing
        write_text(executed, dumps(merge_outputs(json.loads(job.notebook), json.loads(outcome.notebook))))
    elif outcome.status == "failed":
        executed.unlink(missing_ok=True)  # never leave outputs of an older version behind
        if outcome.notebook:
            failed = failed_path(out, job.framework, job.page)
            write_text(failed, outcome.notebook)
            outcome.extra["failed_notebook"] = str(failed)
    outcome.notebook = outcome.log = ""
