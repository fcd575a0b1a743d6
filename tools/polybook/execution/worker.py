"""Execute one notebook in its framework's kernel (nbclient), on whichever machine has the job.

The worker needs nothing of the planning machine but the job and the job's bundle: it finds the
environment whose packages match the job's digest, runs the cells in the page's folder of a
scratch copy of the book, and hands back the executed notebook (outputs capped) inside the
outcome; the client keeps it (:mod:`polybook.execution.results`). A failure (exception,
timeout, dead kernel, memory cap) is located at the failing cell's ``path:line``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets import Unicode
from traitlets.config import Config

from ..processes import quiet_worker
from . import bundle, envs, kernels
from .jobs import PINNED_GPU, Job, Outcome
from .outputs import cap_outputs, drop_noise

__all__ = ["drop_noise", "run", "worker_init"]

_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: The end of a kernel's own log that travels back with the outcome.
LOG_TAIL = 64 * 1024


#: The tokens of the kernels this worker runs now, so that stopping the worker stops them and
#: everything they started (see :mod:`polybook.execution.kernels`).
_running: set[str] = set()


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM in a worker: end the running kernel and its children, then the worker itself."""
    for token in list(_running):
        kernels.sweep(token)
    os._exit(128 + signum)


def _error_output(nb: Any, index: int | None, name: str, message: str) -> None:
    """Under the cell that was running, an error output saying why it stopped (a timeout, a
    dead kernel), so the published page shows it where it happened, as an exception is shown."""
    if index is not None and 0 <= index < len(nb.cells) and nb.cells[index].cell_type == "code":
        nb.cells[index].outputs.append(
            nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])
        )


def worker_init() -> None:
    """A worker process's set-up: it dies with its parent, leaves Ctrl-C to the parent (which
    stops the run and records what was running as interrupted, with no traceback from any
    worker), and on SIGTERM takes its kernel down with it."""
    quiet_worker()
    signal.signal(signal.SIGTERM, _stop)


class EnvironmentKernels(KernelSpecManager):
    """Kernel specs that start ``python -m ipykernel_launcher`` of one environment, whatever
    kernel name a notebook gives: the job chose the environment, by its packages' digest."""

    python = Unicode()

    def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
        return KernelSpec(
            name=kernel_name,
            argv=[self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=kernel_name,
            language="python",
        )


def where() -> str:
    """This worker, as a report names it."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def run(job: Job, token: str = "") -> Outcome:
    """Execute ``job``'s notebook; the outcome carries the executed notebook and the kernel's log.

    A machine without the job's environment or bundle refuses it: the outcome is failed, with
    ``extra["refused"]`` set, so that a cluster can send the job elsewhere.

    :param token: marks the kernel and what it starts (a new one by default).
    """
    outcome = Outcome(
        job.framework, job.page, "executed", job.reason, gpu=job.gpu, wants_gpu=job.wants_gpu, worker=where()
    )
    try:
        env = envs.matching(job.framework, job.environment, job.environment_hint)
        with bundle.scratch(job.bundle) as folder:
            _execute(job, env, folder, outcome, token or kernels.new_token())
    except (envs.EnvironmentMismatch, bundle.MissingBundle) as exc:
        outcome.status, outcome.error, outcome.location = "failed", str(exc), job.source
        outcome.extra["refused"] = True
    return outcome


def _kernel_env(job: Job, folder: Path, token: str) -> dict[str, str]:
    env = dict(os.environ)
    python = str(folder / "python")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (python, env.get("PYTHONPATH", "")) if p)
    if job.gpu != PINNED_GPU:  # a cluster worker that owns a GPU keeps its own setting
        env["CUDA_VISIBLE_DEVICES"] = job.gpu if job.gpu is not None else ""
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger warns on every start otherwise
    env.update(dict(job.env))
    env[kernels.TOKEN] = token
    return env


def _execute(job: Job, env: Path, folder: Path, outcome: Outcome, token: str) -> None:
    nb = nbformat.reads(job.notebook, as_version=4)
    source_map: list[str] = nb.metadata.get("polybook", {}).get("source_map", [])
    watch = kernels.MemoryWatch(token, job.max_memory)
    state: dict[str, Any] = {"cell": None}

    def on_start(**_: Any) -> None:
        watch.start(getattr(client.km.provisioner, "pid", None) if client.km else None)

    def on_cell_start(cell: Any, cell_index: int, **_: Any) -> None:
        state["cell"] = watch.cell = cell_index

    def on_cell_executed(**_: Any) -> None:
        watch.measure()  # after every cell, the last one too

    # Kernels talk over Unix sockets in a private folder: TCP ports picked by one kernel manager
    # can be taken by another one starting at the same moment ("Address already in use").
    sockets = Path(tempfile.mkdtemp(prefix="polybook-k-"))
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(sockets / "kernel")}})
    python = env / "bin" / "python"
    manager = AsyncKernelManager(
        kernel_name=job.kernel,
        kernel_spec_manager=EnvironmentKernels(python=str(python)),
        config=config,
    )
    cwd = folder / "book" / job.folder
    cwd.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        nb,
        km=manager,
        config=config,
        timeout=int(job.timeout),
        kernel_name=job.kernel,
        resources={"metadata": {"path": str(cwd)}},
        on_notebook_start=on_start,
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    # The kernel's own stdout/stderr (start-up chatter, a crash's last words) go to a log
    # that travels back with the outcome, not into the build's output.
    log_path = folder / "kernel.log"

    def execute() -> None:
        # in the thread that starts the kernel: the watchdog outlives neither
        with kernels.watchdog(token):
            client.execute(cleanup_kc=True, env=_kernel_env(job, folder, token), stdout=log, stderr=log)

    start = time.perf_counter()
    _running.add(token)
    with open(log_path, "wb") as log:
        try:
            # off the main thread, nbclient installs no signal handlers of its own (on it, it
            # takes SIGINT and SIGTERM and afterwards resets them to Python's defaults, undoing
            # worker_init): this worker keeps leaving Ctrl-C to polybook, and SIGTERM to _stop
            with ThreadPoolExecutor(max_workers=1) as thread:
                thread.submit(execute).result()
        except CellTimeoutError:
            outcome.status, outcome.error = (
                "failed",
                f"a cell ran longer than the timeout ({job.timeout:g} s)",
            )
            _error_output(nb, state["cell"], "CellTimeoutError", outcome.error)
        except DeadKernelError:
            outcome.status, outcome.error = "failed", "the kernel died"
            _error_output(nb, state["cell"], "DeadKernelError", "the kernel died while this cell ran")
        except CellExecutionError as exc:
            outcome.status = "failed"
            outcome.error = f"{exc.ename}: {exc.evalue}" if exc.ename else str(exc).strip().splitlines()[-1]
            # IPython's traceback names the failing line of the cell: "Cell In[3], line 2"
            at = _CELL_LINE.search(_ANSI.sub("", str(exc)))
            state["line_in_cell"] = int(at.group(1)) if at else None
        except Exception as exc:  # a kernel that cannot start, a broken notebook: this job fails alone
            outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            watch.stop()
            _running.discard(token)
    shutil.rmtree(sockets, ignore_errors=True)
    outcome.seconds = time.perf_counter() - start
    outcome.peak_memory_mb = watch.peak_mb
    if watch.exceeded is not None:
        cap = kernels.size_words(job.max_memory or 0)
        outcome.status = "failed"
        outcome.error = (
            f"the notebook used {kernels.size_words(watch.exceeded)}, more than its memory cap of {cap} "
            "(#@memory or polybook_max_memory): its kernel was stopped"
        )
        state["cell"], state["line_in_cell"] = watch.exceeded_cell, None
        for cell in nb.cells:  # the kernel's death was the cap's doing: say so, not "it died"
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if o.get("ename") != "DeadKernelError"]
        _error_output(nb, state["cell"], "MemoryCapExceeded", outcome.error)
    with contextlib.suppress(OSError), open(log_path, "rb") as handle:
        handle.seek(max(0, log_path.stat().st_size - LOG_TAIL))
        outcome.log = handle.read().decode("utf-8", "replace")
    drop_noise(nb, job.noise)
    if outcome.status == "failed":
        index = state["cell"]
        if index is not None and index < len(source_map):
            outcome.location = source_map[index]
            path, _, first = outcome.location.rpartition(":")
            if state.get("line_in_cell") and first.isdigit():
                outcome.location = f"{path}:{int(first) + state['line_in_cell'] - 1}"
        else:
            outcome.location = job.source  # the kernel never ran a cell: the page is to blame
    outcome.cut = cap_outputs(nb, job.max_output, source_map)
    outcome.notebook = nbformat.writes(nb)
