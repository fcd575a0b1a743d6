"""The records that cross from the planner to the executors and back: a job, its outcome.

Both are plain, picklable data that name no file of the machine that planned them: a job says
everything a worker needs to run one notebook on any machine (the notebook itself, the bundle of
files its cells see, the environment it must run in, its limits), an outcome everything the
client needs to keep the result (the executed notebook, the kernel's log) and to report it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import write_json
from .cache import Components

#: What became of a notebook: run now, taken from the cache, failed, or stopped by the user.
STATUSES = ("executed", "cached", "failed", "interrupted")

#: ``Job.gpu`` of a job sent to a cluster worker that owns one GPU (``CUDA_VISIBLE_DEVICES``
#: pinned when the worker was started): the kernel keeps the worker's setting.
PINNED_GPU = "pinned"


@dataclass(frozen=True)
class Job:
    """One notebook to execute, with everything a worker on any machine needs (picklable)."""

    framework: str
    page: str
    notebook: str
    """The built notebook, as JSON text."""
    kernel: str
    """The kernel's name, as the notebook's metadata gives it."""
    environment: str
    """Digest of the framework environment's package list: a worker runs the job only in an
    environment with the same digest (see :func:`polybook.execution.envs.matching`)."""
    timeout: float
    components: Components
    source: str = ""
    """The page's Markdown file, as messages name it (where a failure with no cell is located)."""
    folder: str = "."
    """The page's folder inside the bundle's copy of the book (the cells' working folder)."""
    bundle: str = ""
    """Digest of the bundle of files the cells see (see :mod:`polybook.execution.bundle`)."""
    environment_hint: str = ""
    """Where the planning machine found the environment: tried first, checked by digest."""
    env: tuple[tuple[str, str], ...] = ()
    """Variables the framework wants in its kernels' environment."""
    wants_gpu: bool = False
    """Declared by ``#@gpu``: the job gets a GPU when the executor has one."""
    gpu: str | None = None
    """CUDA_VISIBLE_DEVICES for this job: a GPU id, :data:`PINNED_GPU`, or None to hide every GPU."""
    max_memory: int | None = None
    """Bytes the kernel and what it starts may use; past it the notebook fails."""
    max_output: int | None = None
    """Bytes of outputs the notebook keeps; the rest is cut with a note."""
    reason: str = ""
    noise: tuple[str, ...] = ()
    """Patterns of stderr lines the framework writes on its own (see Framework.stderr_noise)."""

    @property
    def name(self) -> str:
        return f"{self.framework}/{self.page}"


#: Outcome fields that travel back to the client but stay out of ``eval.json``.
_NOT_REPORTED = ("notebook", "log", "extra")


@dataclass
class Outcome:
    """What became of a job."""

    framework: str
    page: str
    status: str
    """One of :data:`STATUSES`."""
    reason: str
    seconds: float = 0.0
    peak_memory_mb: float | None = None
    location: str = ""
    """``path:line`` of the failing cell."""
    raised_at: str = ""
    """For an error raised inside the ``d2l`` library: the chapter's ``path:line`` of the saved
    line that raised it (the failing cell only called it)."""
    error: str = ""
    """The failure's last line, e.g. ``ZeroDivisionError: division by zero``."""
    gpu: str | None = None
    wants_gpu: bool = False
    worker: str = ""
    """Where it ran: ``host pid`` of the local worker, or the cluster worker's address."""
    attempts: int = 1
    """How many workers started it (a cluster retries a job whose worker died)."""
    cut: list[tuple[str, int]] = field(default_factory=list)
    """Cells whose outputs passed the output cap: their ``path:line`` and the bytes cut."""
    notebook: str = ""
    """The executed notebook (JSON text), outputs and all; on a failure, as far as it got."""
    log: str = ""
    """The end of the kernel's own stdout and stderr."""
    extra: dict[str, Any] = field(default_factory=dict)


def failed(job: Job, error: str, *, status: str = "failed", **fields: Any) -> Outcome:
    """The outcome of a job that did not finish (failed before any cell could be blamed, or
    ``interrupted``), located at its page."""
    return Outcome(
        job.framework,
        job.page,
        status,
        job.reason,
        error=error,
        location=job.source,
        wants_gpu=job.wants_gpu,
        **fields,
    )


def write_report(out: Path, outcomes: list[Outcome], started: float) -> Path:
    path = out / "reports" / "eval.json"
    records = []
    for outcome in outcomes:
        record = asdict(outcome)
        for key in _NOT_REPORTED:
            record.pop(key, None)
        record["seconds"] = round(record["seconds"], 3)
        record["cut"] = [list(item) for item in record["cut"]]
        records.append(record)
    records.sort(key=lambda r: (r["framework"], r["page"]))
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in STATUSES}
    write_json(
        path, {"summary": {**counts, "seconds": round(time.time() - started, 3)}, "notebooks": records}
    )
    return path
