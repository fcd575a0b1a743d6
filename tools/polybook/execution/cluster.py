"""The Dask executor: an eval's jobs on a Dask cluster, an existing one (``tcp://HOST:PORT``)
or a ``LocalCluster`` of N worker processes started for the run (``local:N``).

A job is a plain record; the run's bundle (the book's files and library) goes to every worker
once, through a worker plugin, which Dask also runs on workers that join or restart mid-run.
Each worker runs the job in its own environment, found by the job's package digest: the client
first asks every worker which environments it has and sends each job only to workers that have
its one (a job no worker can run fails at once, saying so), and a worker that refuses a job
anyway (its environment changed since) sees it go to another. A job that declares
a GPU asks for the Dask resource ``GPU=1`` when some worker offers it (start one worker per GPU,
each with its ``CUDA_VISIBLE_DEVICES``), and runs on a CPU worker otherwise. A worker that dies
mid-notebook has its job retried once, elsewhere, by the scheduler, then failed with the reason
(``allowed-failures`` 1 and ``worker-saturation`` 1.0 on a ``LocalCluster``; the README says how
to start a scheduler of your own with them).
Progress is live: a worker announces each job it starts (``log_event``), the client shows it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import secrets
import signal
import socket
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from distributed import WorkerPlugin

from .. import __version__
from ..errors import PolybookError
from . import bundle, envs, kernels, worker
from .executors import Events, interrupted
from .jobs import PINNED_GPU, Job, Outcome, failed

#: How often the client looks at the cluster's workers (joined, gone) while jobs wait.
REFRESH_SECONDS = 2.0


class ClusterError(PolybookError):
    """The Dask cluster cannot be reached or started."""

    def __init__(self, scheduler: str, detail: str) -> None:
        super().__init__(scheduler, detail)
        self.scheduler, self.detail = scheduler, detail

    def __str__(self) -> str:
        return f"--scheduler {self.scheduler}: {self.detail}"


def parse_scheduler(text: str) -> tuple[str, int]:
    """``local:N`` → ("local", N); ``tcp://host:port`` (or any Dask address) → (address, 0)."""
    if text.startswith("local"):
        _, _, count = text.partition(":")
        if not count:
            return "local", os.cpu_count() or 1
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(text, "write local:N, N a number of worker processes (local:2)")
        return "local", int(count)
    if "://" not in text:
        raise ClusterError(text, "write tcp://HOST:PORT (a running `dask scheduler`) or local:N")
    return text, 0


def describe_worker() -> dict[str, Any]:
    """What a worker tells the client before the run: its environments, polybook, host."""
    return {"environments": envs.available(), "polybook": __version__, "host": socket.gethostname()}


def stop_run(run: str) -> int:
    """On a worker: end the kernels (and what they started) of the run ``run``."""
    return kernels.sweep(run, prefix=True)


class _QuietWorkerPlugin(WorkerPlugin):
    """A worker of a LocalCluster leaves Ctrl-C to polybook, as the local pool's workers do
    (they share the terminal's process group)."""

    name = "polybook-quiet"

    def setup(self, worker: Any) -> None:
        with contextlib.suppress(ValueError):  # only the main thread may set handlers
            signal.signal(signal.SIGINT, signal.SIG_IGN)


class _BundlePlugin(WorkerPlugin):
    """Keeps a run's bundle on each worker, those that join later too."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def setup(self, worker: Any) -> None:
        bundle.keep(self.data)


def remote_run(job: Job, topic: str, token: str) -> Outcome:
    """A job on a cluster worker: announce the start, run it."""
    from distributed import get_worker

    here = get_worker()
    here.log_event(topic, {"job": job.name, "worker": here.address})
    outcome = worker.run(job, token=token)
    outcome.worker = here.address
    if job.gpu == PINNED_GPU:
        outcome.gpu = os.environ.get("CUDA_VISIBLE_DEVICES") or PINNED_GPU
    return outcome


@dataclasses.dataclass
class _Worker:
    address: str
    environments: dict[str, list[str]]
    gpus: float
    problem: str = ""


class DaskExecutor:
    """Jobs on a Dask cluster.

    :param scheduler: ``tcp://HOST:PORT`` of a running scheduler, or ``local:N``.
    """

    name = "dask"

    def __init__(self, scheduler: str) -> None:
        self.scheduler = scheduler
        self.address, self.local_workers = parse_scheduler(scheduler)
        self.client: Any = None
        self.cluster: Any = None
        self.workers: dict[str, _Worker] = {}
        self.run_id = "pb" + secrets.token_hex(6)

    def describe(self) -> str:
        gpus = sum(w.gpus for w in self.workers.values())
        where = f"local:{self.local_workers}" if self.cluster is not None else self.address
        return f"dask {where}: {len(self.workers)} worker(s), {gpus:g} GPU(s)"

    def __enter__(self) -> DaskExecutor:
        import dask
        from distributed import Client, LocalCluster

        try:
            if self.address == "local":
                # its scheduler lives in this process, and logs what polybook reports better
                logging.getLogger("distributed").setLevel(logging.CRITICAL)
                # the scheduler of a LocalCluster lives in this process: its settings are ours
                # a job waits on the scheduler, not behind another on a worker: a worker that
                # dies then takes only its running job with it (counted as one failure of that job)
                settings = {
                    "distributed.scheduler.allowed-failures": 1,
                    "distributed.scheduler.worker-saturation": 1.0,
                }
                with dask.config.set(settings):
                    self.cluster = LocalCluster(
                        n_workers=self.local_workers,
                        threads_per_worker=1,
                        processes=True,
                        memory_limit=0,  # kernels are processes of their own: the nanny sees none
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                self.client = Client(self.cluster)
                self.client.register_plugin(_QuietWorkerPlugin())
            else:
                self.client = Client(self.address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            self._close()
            raise ClusterError(self.scheduler, f"{type(exc).__name__}: {exc}") from exc
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None and self.client is not None and self.cluster is None:
            # a shared cluster keeps running: end this run's kernels on it
            with contextlib.suppress(Exception):
                self.client.run(stop_run, self.run_id)
        self._close()

    def _close(self) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()
        self.client = self.cluster = None

    # -- the workers -----------------------------------------------------------------------

    def _refresh(self) -> set[str]:
        """Learn about workers that joined (their environments, GPUs); forget those gone.
        Returns the addresses of the workers now."""
        info = self.client.scheduler_info()["workers"]
        now = set(info)
        for gone in set(self.workers) - now:
            del self.workers[gone]
        new = sorted(now - set(self.workers))
        if new:
            answers = self.client.run(describe_worker, workers=new, on_error="return")
            for address in new:
                answer = answers.get(address)
                gpus = float(info[address].get("resources", {}).get("GPU", 0))
                if isinstance(answer, dict):
                    problem = (
                        ""
                        if answer["polybook"] == __version__
                        else f"{address} runs polybook {answer['polybook']}, this client {__version__}"
                    )
                    self.workers[address] = _Worker(address, answer["environments"], gpus, problem)
                else:
                    self.workers[address] = _Worker(address, {}, gpus, f"{address}: {answer}")
        return now

    def _capable(self, job: Job, exclude: set[str]) -> list[str]:
        return [
            w.address
            for w in self.workers.values()
            if not w.problem
            and w.address not in exclude
            and job.environment in w.environments.get(job.framework, [])
        ]

    def _no_worker(self, job: Job, exclude: set[str]) -> Outcome:
        problems = [w.problem for w in self.workers.values() if w.problem]
        detail = (
            f"no worker of the cluster has the {job.framework} environment with packages "
            f"{job.environment}: run `polybook env --framework {job.framework}` on the workers' machines, "
            "in a clone of the book at the same commit"
        )
        if exclude:
            detail += f" (refused by {', '.join(sorted(exclude))})"
        if problems:
            detail += "; " + "; ".join(problems)
        return failed(job, detail)

    # -- the run ---------------------------------------------------------------------------

    def run(self, jobs: Sequence[Job], events: Events) -> list[Outcome]:
        if self.client is None:
            raise RuntimeError("DaskExecutor.run outside its `with` block")
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        client = self.client
        alive = self._refresh()
        topic = f"polybook-started-{self.run_id}"
        starts: queue.SimpleQueue[dict[str, str]] = queue.SimpleQueue()
        client.subscribe_topic(topic, lambda event: starts.put(event[1]))
        # not scattered data: the scheduler forgets that when one worker holding it dies
        plugins = [f"polybook-bundle-{digest}" for digest in sorted({job.bundle for job in jobs})]
        for name in plugins:
            client.register_plugin(_BundlePlugin(bundle.bundle_bytes(name.rsplit("-", 1)[1])), name=name)
        outcomes: list[Outcome] = []
        pending: dict[Any, Job] = {}
        allowed: dict[Any, set[str] | None] = {}
        refused: dict[str, set[str]] = {}
        seen: dict[str, int] = {}
        by_name = {job.name: job for job in jobs}
        order = {job.name: len(jobs) - index for index, job in enumerate(jobs)}  # longest first

        def finish(job: Job, outcome: Outcome) -> None:
            if not seen.get(job.name):
                seen[job.name] = 1
                events.started(job)
            outcome.attempts = max(outcome.attempts, seen[job.name])
            outcomes.append(outcome)
            events.finished(job, outcome)

        def submit(job: Job) -> None:
            exclude = refused.get(job.name, set())
            capable = self._capable(job, exclude)
            if not capable:
                finish(job, self._no_worker(job, exclude))
                return
            with_gpu = [a for a in capable if self.workers[a].gpus > 0]
            gpu = PINNED_GPU if job.wants_gpu and with_gpu else None
            chosen = with_gpu if gpu else capable
            restrict = None if len(chosen) == len(self.workers) else chosen
            future = client.submit(
                remote_run,
                dataclasses.replace(job, gpu=gpu),
                topic,
                f"{self.run_id}.{secrets.token_hex(6)}",
                key=f"polybook-{job.name}-{self.run_id}-{secrets.token_hex(3)}",
                workers=restrict,
                allow_other_workers=False,
                resources={"GPU": 1} if gpu else None,
                priority=order[job.name],
                pure=False,
            )
            pending[future] = job
            allowed[future] = set(restrict) if restrict else None

        def drain() -> None:
            while True:
                try:
                    start = starts.get_nowait()
                except queue.Empty:
                    return
                job = by_name.get(start["job"])
                if job is None or all(j.name != job.name for j in pending.values()):
                    continue
                seen[job.name] = seen.get(job.name, 0) + 1
                if seen[job.name] == 1:
                    events.started(job)

        for job in jobs:
            submit(job)
        last_look = time.monotonic()
        try:
            while pending:
                done = [future for future in pending if future.done()]
                if not done:
                    time.sleep(0.2)
                drain()
                for future in done:
                    job = pending.pop(future)
                    allowed.pop(future, None)
                    try:
                        outcome = future.result()
                    except KilledWorker as exc:
                        outcome = failed(
                            job,
                            f"the worker running it died, and again on a second worker "
                            f"(last {exc.last_worker.address}): see that worker's log",
                            attempts=2,
                        )
                    except FutureCancelledError as exc:
                        outcome = failed(job, f"the cluster cancelled it: {exc.reason}")
                    except Exception as exc:  # the task itself broke: this job fails alone
                        outcome = failed(job, f"{type(exc).__name__}: {exc}")
                    if outcome.extra.get("refused"):
                        refused.setdefault(job.name, set()).add(outcome.worker)
                        self.workers.get(outcome.worker, _Worker("", {}, 0)).environments.pop(
                            job.framework, None
                        )
                        if self._capable(job, refused[job.name]):
                            submit(job)
                            continue
                    finish(job, outcome)
                if time.monotonic() - last_look > REFRESH_SECONDS:
                    last_look = time.monotonic()
                    alive = self._refresh()
                    self._rescue(pending, allowed, alive, submit, finish, seen)
        except KeyboardInterrupt:
            drain()
            for future, job in pending.items():
                future.cancel()
                if seen.get(job.name):
                    outcome = interrupted(job)
                    outcomes.append(outcome)
                    events.finished(job, outcome)
            raise
        finally:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(topic)
            for name in plugins:
                with contextlib.suppress(Exception):
                    client.unregister_worker_plugin(name)
        return outcomes

    def _rescue(
        self,
        pending: dict[Any, Job],
        allowed: dict[Any, set[str] | None],
        alive: set[str],
        submit: Any,
        finish: Any,
        seen: dict[str, int],
    ) -> None:
        """Jobs bound to workers that are all gone would wait forever: send them again (a
        job whose workers died twice fails, as the scheduler would fail it)."""
        for future, job in list(pending.items()):
            workers = allowed.get(future)
            if workers is None or workers & alive:
                continue
            future.cancel()
            del pending[future]
            allowed.pop(future, None)
            if seen.get(job.name, 0) >= 2:
                finish(
                    job,
                    failed(job, "the workers running it died twice: see their logs", attempts=seen[job.name]),
                )
            else:
                submit(job)
