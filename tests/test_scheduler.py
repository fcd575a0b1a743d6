"""The scheduler: GPUs handed out one per job when there are any, longest jobs first."""

from __future__ import annotations

import itertools
import time

from polybook.execution.cache import components
from polybook.execution.executors import LocalPoolExecutor
from polybook.execution.jobs import Job, Outcome
from polybook.execution.plan import order_jobs


def job(page: str, wants_gpu: bool) -> Job:
    comps = components([("pass", f"{page}.md:1")], "env", {}, {})
    return Job(
        framework="pytorch",
        page=page,
        notebook="{}",
        kernel="polybook-pytorch",
        environment="env",
        timeout=10,
        components=comps,
        wants_gpu=wants_gpu,
    )


def fake_run(job: Job) -> Outcome:
    """Stands in for a kernel: holds its device a moment and says which one it had."""
    start = time.time()
    time.sleep(0.3)
    return Outcome(job.framework, job.page, "executed", "", gpu=job.gpu, extra={"span": (start, time.time())})


class Recorder:
    """The events an executor reports."""

    def __init__(self) -> None:
        self.began: list[str] = []
        self.ended: list[tuple[str, str]] = []

    def started(self, job: Job) -> None:
        self.began.append(job.page)

    def finished(self, job: Job, outcome: Outcome) -> None:
        self.ended.append((job.page, outcome.status))


def execute(jobs: list[Job], workers: int, gpus: int) -> list[Outcome]:
    events = Recorder()
    with LocalPoolExecutor(workers, gpus, runner=fake_run) as executor:
        outcomes = executor.run(jobs, events)
    assert sorted(events.began) == sorted(j.page for j in jobs)
    assert sorted(events.ended) == sorted((o.page, o.status) for o in outcomes)
    return outcomes


def test_gpus_go_one_per_job_and_cpu_jobs_see_none() -> None:
    jobs = [job(f"g{i}", True) for i in range(4)] + [job(f"c{i}", False) for i in range(2)]
    outcomes = execute(jobs, workers=3, gpus=2)
    by_page = {o.page: o for o in outcomes}
    assert {by_page[f"c{i}"].gpu for i in range(2)} == {None}
    assert {by_page[f"g{i}"].gpu for i in range(4)} <= {"0", "1"}
    # never two jobs on one GPU at the same time
    for device in ("0", "1"):
        spans = sorted(o.extra["span"] for o in outcomes if o.gpu == device)
        assert all(a[1] <= b[0] + 0.05 for a, b in itertools.pairwise(spans))


def test_without_gpus_every_job_runs_on_the_cpu() -> None:
    jobs = [job("a", False), job("b", False)]
    outcomes = execute(jobs, workers=2, gpus=0)
    assert sorted((o.page, o.gpu, o.status) for o in outcomes) == [
        ("a", None, "executed"),
        ("b", None, "executed"),
    ]


def test_longest_known_jobs_start_first_after_new_ones() -> None:
    jobs = [job(p, False) for p in ("short", "new", "long", "middle")]
    durations = {("pytorch", "short"): 1.0, ("pytorch", "long"): 90.0, ("pytorch", "middle"): 10.0}
    assert [j.page for j in order_jobs(jobs, durations)] == ["new", "long", "middle", "short"]
