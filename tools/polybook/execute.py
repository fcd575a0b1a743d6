"""Execute one notebook in its framework's kernel (nbclient), in a worker process.

The worker does the whole job: it runs the notebook, and on success stores the cache entry and
the executed notebook itself. A build killed mid-run so keeps every notebook that finished.
A failure (exception, timeout, dead kernel) is located at the failing cell's ``path:line``.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets.config import Config

from .cache import Cache, Components
from .fsutil import write_text
from .notebooks import dumps, merge_outputs


@dataclass(frozen=True)
class Job:
    """One notebook to execute, with everything the worker needs (picklable)."""

    framework: str
    page: str
    notebook: Path
    executed: Path
    out: Path
    kernel: str
    timeout: float
    cwd: Path
    pythonpath: str
    components: Components
    env: tuple[tuple[str, str], ...] = ()
    """Variables the framework wants in its kernels' environment."""
    gpu: str | None = None
    """CUDA_VISIBLE_DEVICES for this job: a GPU id, or None to hide every GPU."""
    reason: str = ""
    noise: tuple[str, ...] = ()
    """Patterns of stderr lines the framework writes on its own (see Framework.stderr_noise)."""


def drop_noise(nb: Any, patterns: tuple[str, ...]) -> None:
    """Remove the lines matching ``patterns`` from the stderr outputs; drop outputs left empty."""
    if not patterns:
        return
    noise = re.compile("|".join(f"(?:{p})" for p in patterns))
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                output["text"] = "".join(ln for ln in lines if not noise.fullmatch(ln.rstrip("\n")))
                if not output["text"]:
                    continue
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept


@dataclass
class Outcome:
    """What became of a job."""

    framework: str
    page: str
    status: str
    """``executed``, ``cached`` or ``failed``."""
    reason: str
    seconds: float = 0.0
    peak_memory_mb: float | None = None
    location: str = ""
    """``path:line`` of the failing cell."""
    error: str = ""
    """The failure's last line, e.g. ``ZeroDivisionError: division by zero``."""
    gpu: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def die_with_parent() -> None:
    """Worker initializer: ask Linux to kill this process when its parent dies.

    Without it, a SIGKILLed build would leave workers running notebooks nobody waits for.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        pass


def _peak_rss_mb(pid: int | None) -> float | None:
    """Peak resident memory of a process so far (Linux ``VmHWM``)."""
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run(job: Job) -> Outcome:
    """Execute ``job``'s notebook; on success, store it in the cache and in ``executed/``."""
    built = job.notebook.read_text(encoding="utf-8")
    nb = nbformat.reads(built, as_version=4)
    source_map: list[str] = nb.metadata.get("polybook", {}).get("source_map", [])
    state: dict[str, Any] = {"cell": None, "peak": None, "pid": None}

    def on_start(**_: Any) -> None:
        provisioner = getattr(client.km, "provisioner", None)
        state["pid"] = getattr(provisioner, "pid", None)

    def on_cell_start(cell: Any, cell_index: int, **_: Any) -> None:
        state["cell"] = cell_index

    def on_cell_complete(**_: Any) -> None:
        peak = _peak_rss_mb(state["pid"])
        if peak is not None:
            state["peak"] = max(peak, state["peak"] or 0.0)

    # Kernels talk over Unix sockets in a private folder: TCP ports picked by one kernel manager
    # can be taken by another one starting at the same moment ("Address already in use").
    sockets = Path(tempfile.mkdtemp(prefix="polybook-k-"))
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(sockets / "kernel")}})
    client = NotebookClient(
        nb,
        config=config,
        timeout=int(job.timeout),
        kernel_name=job.kernel,
        resources={"metadata": {"path": str(job.cwd)}},
        on_notebook_start=on_start,
        on_cell_start=on_cell_start,
        on_cell_complete=on_cell_complete,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (job.pythonpath, env.get("PYTHONPATH", "")) if p)
    env["CUDA_VISIBLE_DEVICES"] = job.gpu if job.gpu is not None else ""
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger warns on every start otherwise
    env.update(dict(job.env))
    job.cwd.mkdir(parents=True, exist_ok=True)
    # The kernel's own stdout/stderr (start-up chatter, a crash's last words) go to a log
    # beside the reports, not into the build's output.
    log_path = job.out / "reports" / "kernels" / job.framework / f"{job.page}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    outcome = Outcome(job.framework, job.page, "executed", job.reason, gpu=job.gpu)
    with open(log_path, "wb") as log:
        try:
            client.execute(env=env, stdout=log, stderr=log)
        except CellTimeoutError:
            outcome.status, outcome.error = (
                "failed",
                f"a cell ran longer than the timeout ({job.timeout:g} s)",
            )
        except DeadKernelError:
            outcome.status, outcome.error = "failed", "the kernel died"
        except CellExecutionError as exc:
            outcome.status = "failed"
            outcome.error = f"{exc.ename}: {exc.evalue}" if exc.ename else str(exc).strip().splitlines()[-1]
            # IPython's traceback names the failing line of the cell: "Cell In[3], line 2"
            at = _CELL_LINE.search(_ANSI.sub("", str(exc)))
            state["line_in_cell"] = int(at.group(1)) if at else None
        except Exception as exc:  # a kernel that cannot start, a broken notebook: this job fails alone
            outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
    if outcome.status == "failed":
        outcome.extra["kernel_log"] = str(log_path)
    shutil.rmtree(sockets, ignore_errors=True)
    outcome.seconds = time.perf_counter() - start
    outcome.peak_memory_mb = state["peak"]
    if outcome.status == "failed":
        index = state["cell"]
        if index is not None and index < len(source_map):
            outcome.location = source_map[index]
            path, _, first = outcome.location.rpartition(":")
            if state.get("line_in_cell") and first.isdigit():
                outcome.location = f"{path}:{int(first) + state['line_in_cell'] - 1}"
        job.executed.unlink(missing_ok=True)  # never leave outputs of an older version behind
        failed = job.out / "reports" / "failed" / job.framework / f"{job.page}.ipynb"
        write_text(failed, nbformat.writes(nb))
        return outcome
    drop_noise(nb, job.noise)
    text = nbformat.writes(nb)
    Cache(job.out).store(
        job.framework, job.page, job.components, text, outcome.seconds, outcome.peak_memory_mb
    )
    # the very bytes a later run writes from the cache entry, so that run changes nothing
    write_text(job.executed, dumps(merge_outputs(json.loads(built), json.loads(text))))
    return outcome
