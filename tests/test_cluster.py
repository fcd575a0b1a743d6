"""`polybook eval --scheduler`: the notebooks on a real Dask cluster (a LocalCluster, or
`dask scheduler` and `dask worker` as the README starts them), real kernels, the small fixture
books."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from polybook.execution import worker
from polybook.project import Project

FIXTURES = Path(__file__).parent / "fixtures"
BIN = Path(sys.executable).parent
POLYBOOK = str(BIN / "polybook")


def copy_book(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def eval_report(out: Path) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    report = json.loads((out / "reports" / "eval.json").read_text())
    return {(r["framework"], r["page"]): r for r in report["notebooks"]}


RETRY_BOOK = {
    "conf.py": "project = 'Retry'\npolybook_frameworks = ['pytorch']\n",
    "index.md": "# Retry\n\n```toc\nvictim\nkiller\n```\n",
    "victim.md": """
        # Its worker is killed once

        ```{{.python .input}}
        import os, pathlib, time
        mark = pathlib.Path({mark!r})
        if not mark.exists():
            mark.write_text(str(os.getppid()))  # the worker that runs this kernel
            time.sleep(120)
        print('survived')
        ```
        """,
    "killer.md": """
        # It kills every worker that runs it

        ```{{.python .input}}
        import os, signal
        os.kill(os.getppid(), signal.SIGKILL)
        ```
        """,
}


def test_a_job_whose_worker_dies_is_retried_once_elsewhere(tmp_path: Path) -> None:
    mark = tmp_path / "victim-worker"
    root = tmp_path / "book"
    for name, text in RETRY_BOOK.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text.format(mark=str(mark))).lstrip("\n"))
    run = subprocess.Popen(
        [POLYBOOK, "eval", "--source", str(root), "--scheduler", "local:2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (mark.is_file() and mark.read_text()):
        assert run.poll() is None, run.communicate()
        time.sleep(0.2)
    os.kill(int(mark.read_text()), signal.SIGKILL)  # the worker, mid-notebook
    out, err = run.communicate(timeout=600)
    assert run.returncode == 1, out + err
    records = eval_report(root / "_build")
    victim, killer = records[("pytorch", "victim")], records[("pytorch", "killer")]
    assert (victim["status"], victim["attempts"]) == ("executed", 2), victim
    nb = json.loads((root / "_build" / "executed" / "pytorch" / "victim.ipynb").read_text())
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "survived\n"
    assert killer["status"] == "failed"
    assert killer["error"].startswith("the worker running it died, and again on a second worker")
    assert "killer.md: pytorch: the worker running it died" in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """`dask scheduler` and three `dask worker`s, as the README starts them: ``full`` with the
    environments of this machine, ``gpu`` with them and the resource GPU=1 (pinned to device 7:
    no GPU is needed to see that the kernel gets the worker's device), and ``bare``, whose
    environment cache is empty."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    }
    started = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    (tmp_path / "no-envs").mkdir()
    workers = (
        ("full", {}, []),
        ("gpu", {"CUDA_VISIBLE_DEVICES": "7"}, ["--resources", "GPU=1"]),
        ("bare", {"POLYBOOK_ENV_CACHE": str(tmp_path / "no-envs")}, []),
    )
    for name, extra, options in workers:
        started.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    address,
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    *options,
                ],
                env={**env, **extra},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    from distributed import Client

    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(3, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            process.wait(60)


def test_a_cluster_run_goes_where_the_environments_are_and_fills_the_store(
    tmp_path: Path, cluster: str
) -> None:
    from distributed import Client

    root = copy_book("evalbook", tmp_path)
    cell = "#@gpu\nimport os\nprint(os.environ['CUDA_VISIBLE_DEVICES'])\n"
    (root / "chapter_b" / "gpu.md").write_text(f"# Declares a GPU\n\n```{{.python .input}}\n{cell}```\n")
    index = root / "index.md"
    index.write_text(index.read_text().replace("chapter_b/prose\n", "chapter_b/prose\nchapter_b/gpu\n"))
    store = tmp_path / "store"
    command = [
        POLYBOOK,
        "eval",
        "--source",
        str(root),
        "--framework",
        "pytorch",
        "--cache",
        f"file://{store}",
    ]
    done = subprocess.run([*command, "--scheduler", cluster], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"(dask {cluster}: 3 worker(s), 1 GPU(s))" in done.stdout
    with Client(cluster) as client:
        names = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
    records = eval_report(root / "_build")
    ran = {page for (_, page), r in records.items() if r["status"] == "executed"}
    assert ran == {
        "chapter_a/saved",
        "chapter_a/uses_double",
        "chapter_a/uses_triple",
        "chapter_b/plain",
        "chapter_b/gpu",
    }
    ran_on = {r["worker"] for r in records.values() if r["status"] == "executed"}
    assert names["bare"] not in ran_on and ran_on <= {names["full"], names["gpu"]}
    gpu = records[("pytorch", "chapter_b/gpu")]
    assert (gpu["worker"], gpu["gpu"], gpu["wants_gpu"]) == (names["gpu"], "7", True)
    nb = json.loads((root / "_build" / "executed" / "pytorch" / "chapter_b" / "gpu.ipynb").read_text())
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "7\n"
    used = json.loads(
        (root / "_build" / "executed" / "pytorch" / "chapter_a" / "uses_double.ipynb").read_text()
    )
    assert "".join(used["cells"][-1]["outputs"][0]["text"]) == "42\n"  # d2l came with the bundle
    assert len(list((store / "entries" / "pytorch").glob("*.ipynb"))) == 5

    # a fresh output folder with the same store: nothing runs, the outputs are the same
    fresh = tmp_path / "fresh"
    done = subprocess.run(
        [*command, "--scheduler", cluster, "--out", str(fresh)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert {r["status"] for r in eval_report(fresh).values()} == {"cached"}
    again = json.loads((fresh / "executed" / "pytorch" / "chapter_a" / "uses_double.ipynb").read_text())
    assert again["cells"][-1]["outputs"] == used["cells"][-1]["outputs"]

    # a job whose environment no worker has fails at once, saying what to do
    project = Project(root, tmp_path / "out")
    todo = project.plan(project.frameworks("pytorch"))
    digest = project.bundle(todo)
    job = dataclasses.replace(todo.jobs[0], bundle=digest, environment="0000deadbeef0000")

    class Events:
        def __init__(self) -> None:
            self.ended: list[str] = []

        def started(self, job: object) -> None:
            pass

        def finished(self, job: object, outcome: object) -> None:
            self.ended.append(job.page)  # type: ignore[attr-defined]

    events = Events()
    with project.executor(scheduler=cluster) as executor:
        (outcome,) = executor.run([job], events)
    assert events.ended == [job.page]
    assert outcome.status == "failed"
    assert outcome.error.startswith(
        "no worker of the cluster has the pytorch environment with packages 0000deadbeef0000: "
        "run `polybook env --framework pytorch` on the workers' machines"
    )


def test_a_machine_without_the_environment_refuses_the_job(tmp_path: Path) -> None:
    root = copy_book("evalbook", tmp_path)
    project = Project(root, tmp_path / "out")
    todo = project.plan(project.frameworks("pytorch"))
    job = dataclasses.replace(todo.jobs[0], bundle=project.bundle(todo), environment="0000deadbeef0000")
    outcome = worker.run(job)
    assert (outcome.status, outcome.extra.get("refused")) == ("failed", True)
    assert f"{socket.gethostname()} has no pytorch environment with packages 0000deadbeef0000; it has " in (
        outcome.error
    )
    assert outcome.error.endswith(
        "run `polybook env --framework pytorch` there, in a clone of the book at the same commit"
    )
