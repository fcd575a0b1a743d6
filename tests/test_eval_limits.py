"""An executor you can trust, found by trying to break it: cells run in their chapter's folder of
a scratch copy, what they start dies with the notebook (and with a killed polybook), memory is
measured after every cell and capped, outputs are capped with a note, GPUs are declared.

One eval of a small book (real PyTorch kernels) serves most tests; the kill tests run their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

POLYBOOK = str(Path(sys.executable).with_name("polybook"))

PAGES = {
    "conf.py": "project = 'Limits'\npolybook_frameworks = ['pytorch']\npolybook_max_output = '64K'\n",
    "index.md": """
        # Limits

        ```toc
        chapter_x/folder
        chapter_x/daemon
        chapter_x/memory_last
        chapter_x/memory_cap
        chapter_x/output
        chapter_x/gpu_guess
        chapter_x/gpu_declared
        ```
        """,
    "img/note.txt": "read from the chapter's folder\n",
    "chapter_x/folder.md": """
        # Folder

        ```{.python .input}
        from pathlib import Path
        print(Path('../img/note.txt').read_text().strip())
        Path('written.txt').write_text('scratch')
        Path('../data').mkdir(exist_ok=True)
        Path('../data/downloaded.txt').write_text('x')
        Path('../img/note.txt').write_text('overwritten')
        print(Path.cwd().name, Path('written.txt').read_text())
        ```
        """,
    "chapter_x/daemon.md": """
        # Daemon

        ```{.python .input}
        import os, subprocess
        subprocess.Popen(['sleep', '4242.25'], start_new_session=True)
        if os.fork() == 0:  # a daemon: fork, new session, fork again, the middle one leaves
            os.setsid()
            if os.fork() == 0:
                os.execvp('sleep', ['sleep', '4242.75'])
            os._exit(0)
        os.wait()
        print('started two')
        ```
        """,
    "chapter_x/memory_last.md": """
        # Memory in the last cell

        ```{.python .input}
        block = b'\\x01' * (300 * 2**20)
        ```
        """,
    "chapter_x/memory_cap.md": """
        # A memory cap

        ```{.python .input}
        #@memory 150M
        print('small')
        ```

        ```{.python .input}
        import time
        block = b'\\x01' * (400 * 2**20)
        time.sleep(20)
        ```
        """,
    "chapter_x/output.md": """
        # Much output

        ```{.python .input}
        for i in range(4000):
            print(f'line {i:05d} ' + 'x' * 40)
        ```

        ```{.python .input}
        print('after the cap')
        ```
        """,
    "chapter_x/gpu_guess.md": """
        # Looks like it wants a GPU

        ```{.python .input}
        def try_gpu():
            return 'cpu'
        print(try_gpu())
        ```
        """,
    "chapter_x/gpu_declared.md": """
        # Declares a GPU

        ```{.python .input}
        #@gpu
        import os
        print('devices:', repr(os.environ.get('CUDA_VISIBLE_DEVICES')))
        ```
        """,
}


def write_book(root: Path, pages: dict[str, str]) -> Path:
    for name, text in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def sleepers(*marks: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] != psutil.STATUS_ZOMBIE and any(m in cmdline for m in marks):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def evaluated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
    root = write_book(tmp_path_factory.mktemp("limits") / "book", PAGES)
    before = files(root)
    out = root.parent / "out"
    done = subprocess.run(
        [POLYBOOK, "eval", "--source", str(root), "--out", str(out), "-j", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = json.loads((out / "reports" / "eval.json").read_text())
    assert files(root) == before, "the eval wrote into the book"
    return out, done, {r["page"]: r for r in report["notebooks"]}


def executed(out: Path, page: str) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "executed" / "pytorch" / f"{page}.ipynb").read_text())


def text_of(cell: dict) -> str:  # type: ignore[type-arg]
    return "".join("".join(o.get("text", "")) for o in cell["outputs"])


def test_cells_run_in_their_chapter_folder_of_a_scratch_copy(evaluated: tuple) -> None:  # type: ignore[type-arg]
    out, _, records = evaluated
    assert records["chapter_x/folder"]["status"] == "executed", records["chapter_x/folder"]
    nb = executed(out, "chapter_x/folder")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert text_of(code[0]) == "read from the chapter's folder\nchapter_x scratch\n"
    # the writes (the book checked in the fixture: unchanged) left nothing in the output either
    assert not list(out.rglob("written.txt")) and not list(out.rglob("downloaded.txt"))


def test_what_a_cell_starts_does_not_outlive_its_notebook(evaluated: tuple) -> None:  # type: ignore[type-arg]
    _, _, records = evaluated
    assert records["chapter_x/daemon"]["status"] == "executed", records["chapter_x/daemon"]
    assert sleepers("4242.25", "4242.75") == []


def test_memory_is_measured_after_the_last_cell(evaluated: tuple) -> None:  # type: ignore[type-arg]
    _, _, records = evaluated
    record = records["chapter_x/memory_last"]
    assert record["status"] == "executed"
    assert record["peak_memory_mb"] >= 300


def test_the_memory_cap_stops_the_kernel_at_its_cell(evaluated: tuple) -> None:  # type: ignore[type-arg]
    out, done, records = evaluated
    record = records["chapter_x/memory_cap"]
    assert (record["status"], record["location"]) == ("failed", "chapter_x/memory_cap.md:9")
    assert "more than its memory cap of 150 MB" in record["error"]
    assert record["seconds"] < 15, "the kernel was not stopped when it passed the cap"
    assert "chapter_x/memory_cap.md:9: pytorch: the notebook used" in done.stderr
    assert done.returncode == 1  # the failure is the run's only one
    assert [r["page"] for r in records.values() if r["status"] == "failed"] == ["chapter_x/memory_cap"]
    # the published page says so under the cell that passed the cap, not "the kernel died"
    first, second = (c for c in executed(out, "chapter_x/memory_cap")["cells"] if c["cell_type"] == "code")
    assert text_of(first) == "small\n"
    errors = [o for o in second["outputs"] if o["output_type"] == "error"]
    assert [o["ename"] for o in errors] == ["MemoryCapExceeded"]
    assert "more than its memory cap of 150 MB" in errors[0]["evalue"]


def test_outputs_past_the_cap_are_cut_with_a_note(evaluated: tuple) -> None:  # type: ignore[type-arg]
    out, done, records = evaluated
    record = records["chapter_x/output"]
    assert record["status"] == "executed"
    assert [where for where, _ in record["cut"]] == ["chapter_x/output.md:4", "chapter_x/output.md:9"]
    nb = executed(out, "chapter_x/output")
    first, second = (c for c in nb["cells"] if c["cell_type"] == "code")
    shown = text_of(first)
    assert shown.startswith("line 00000 ") and "line 03999" not in shown
    assert "of output cut here: this page's outputs passed 64 KB (polybook_max_output)" in shown
    assert "after the cap" not in text_of(second) and "cut here" in text_of(second)
    assert len(json.dumps(nb)) < 100_000
    assert "chapter_x/output.md:4: pytorch:" in done.stderr and "[polybook.eval-output-cut]" in done.stderr


def test_gpus_are_declared_and_the_guess_only_warns(evaluated: tuple) -> None:  # type: ignore[type-arg]
    out, done, records = evaluated
    assert records["chapter_x/gpu_guess"]["wants_gpu"] is False
    assert records["chapter_x/gpu_declared"]["wants_gpu"] is True
    assert records["chapter_x/gpu_declared"]["gpu"] is None  # no GPU here: it ran on the CPU
    assert "devices: ''" in text_of(executed(out, "chapter_x/gpu_declared")["cells"][-1])
    assert (
        "chapter_x/gpu_guess.md:4: warning: pytorch: chapter_x/gpu_guess looks like it wants a GPU; "
        "declare #@gpu" in done.stderr
    )
    assert "gpu_declared" not in "".join(ln for ln in done.stderr.splitlines() if "eval-gpu" in ln)


KILL_PAGES = {
    "conf.py": "project = 'Kill'\npolybook_frameworks = ['pytorch']\n",
    "index.md": "# Kill\n\n```toc\nslow\n```\n",
    "slow.md": """
        # Slow

        ```{.python .input}
        import subprocess, time
        subprocess.Popen(['sleep', '4343.5'], start_new_session=True)
        time.sleep(300)
        ```
        """,
}


@pytest.mark.parametrize(
    "signum, scheduler",
    [(signal.SIGKILL, None), (signal.SIGTERM, None), (signal.SIGKILL, "local:1")],
    ids=["kill-9", "sigterm", "kill-9-dask"],
)
def test_a_killed_eval_leaves_no_process(tmp_path: Path, signum: int, scheduler: str | None) -> None:
    """The signal goes to polybook alone (not its process group, as a terminal's Ctrl-C would):
    its workers, their kernels and what the kernels started must follow it by themselves."""
    root = write_book(tmp_path / "book", KILL_PAGES)
    command = [POLYBOOK, "eval", "--source", str(root), "-j", "1"]
    run = subprocess.Popen(
        command + (["--scheduler", scheduler] if scheduler else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not sleepers("4343.5"):
        assert run.poll() is None, "the eval ended before its notebook started"
        time.sleep(0.2)
    assert sleepers("4343.5"), "the cell's daemon never started"
    started = psutil.Process(run.pid).children(recursive=True) + sleepers("4343.5")
    assert any("ipykernel" in " ".join(p.cmdline()) for p in started)
    os.kill(run.pid, signum)
    run.wait(60)
    deadline = time.monotonic() + 30
    alive = started
    while time.monotonic() < deadline and alive:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.2)
    assert [(p.pid, p.cmdline()) for p in alive] == []
