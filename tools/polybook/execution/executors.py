"""Executors: who runs the jobs of an eval. One interface; a local process pool here, a Dask
cluster in :mod:`polybook.execution.cluster`.

An executor takes plain job records and hands back outcome records as they arrive, through
``started``/``finished`` callbacks; how and where the jobs run is its own affair. The project
opens one for a run (``with executor: executor.run(jobs, events)``) and keeps each outcome as
it arrives (:mod:`polybook.execution.results`).

Ctrl-C (or SIGTERM, which the command line turns into the same thing) stops a run: the jobs
that were running are reported ``interrupted``, their workers and kernels are stopped, the
jobs that had not started are not reported at all, and ``KeyboardInterrupt`` goes on up.
Everything that finished before is already stored, whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Protocol

from ..processes import process_pool
from .jobs import Job, Outcome, failed
from .worker import run, worker_init

INTERRUPTED = "interrupted by the user (Ctrl-C or SIGTERM)"


class Events(Protocol):
    """What an executor tells its caller while it works."""

    def started(self, job: Job) -> None: ...

    def finished(self, job: Job, outcome: Outcome) -> None: ...


class Executor(Protocol):
    """Runs jobs; a context manager that owns its workers for the length of a run."""

    name: str

    def describe(self) -> str:
        """Where the jobs run, for the run's summary line (``-j 2, 0 GPU(s)``)."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def run(self, jobs: Sequence[Job], events: Events) -> list[Outcome]:
        """Run every job; return their outcomes in the order they finished.

        :raises KeyboardInterrupt: after reporting the running jobs as interrupted.
        """
        ...


def interrupted(job: Job) -> Outcome:
    return failed(job, INTERRUPTED, status="interrupted", gpu=job.gpu)


class LocalPoolExecutor:
    """Jobs on a pool of worker processes of this machine; a job that wants a GPU waits for one.

    :param runner: what a worker does with a job (a module-level function: it is pickled).
    """

    name = "local"

    def __init__(self, workers: int, gpus: int = 0, runner: Callable[[Job], Outcome] = run) -> None:
        self.workers = max(1, workers)
        self.gpus = gpus
        self.runner = runner
        self.pool: ProcessPoolExecutor | None = None
        self._context: contextlib.AbstractContextManager[ProcessPoolExecutor]

    def describe(self) -> str:
        return f"-j {self.workers}, {self.gpus} GPU(s)"

    def __enter__(self) -> LocalPoolExecutor:
        # forkserver: workers start from a clean process, not a fork of one holding threads
        self._context = process_pool(self.workers, "forkserver", initializer=worker_init)
        self.pool = self._context.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        # on an exception the workers are stopped (each takes its kernel down: see worker_init)
        self.pool = None
        self._context.__exit__(kind, value, tb)

    def run(self, jobs: Sequence[Job], events: Events) -> list[Outcome]:
        if self.pool is None:
            raise RuntimeError("LocalPoolExecutor.run outside its `with` block")
        outcomes: list[Outcome] = []
        free_gpus = [str(i) for i in range(self.gpus)]
        pending = list(jobs)
        running: dict[Future[Outcome], Job] = {}
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    # without GPUs on this machine, a job that wants one runs on the CPU
                    index = next(
                        (i for i, j in enumerate(pending) if not (j.wants_gpu and self.gpus) or free_gpus),
                        None,
                    )
                    if index is None:
                        break
                    job = pending.pop(index)
                    if job.wants_gpu and self.gpus:
                        job = dataclasses.replace(job, gpu=free_gpus.pop(0))
                    events.started(job)
                    running[self.pool.submit(self.runner, job)] = job
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    if job.gpu is not None:
                        free_gpus.append(job.gpu)
                    try:
                        outcome = future.result()
                    except Exception as exc:  # the worker itself died
                        outcome = failed(job, f"worker failed: {exc}")
                    outcomes.append(outcome)
                    events.finished(job, outcome)
        except KeyboardInterrupt:
            for job in running.values():
                outcome = interrupted(job)
                outcomes.append(outcome)
                events.finished(job, outcome)
            raise
        return outcomes
