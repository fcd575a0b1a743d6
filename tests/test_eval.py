"""`polybook eval` on small books, in the real kernels of every framework `make` sets up.

The books are fixtures (tests/fixtures/evalbook, tests/fixtures/failbook), copied to a temporary
folder so edits do not touch the project.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polybook.execution import envs
from polybook.source.config import load_config

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).resolve().parents[1]
POLYBOOK = str(Path(sys.executable).with_name("polybook"))
FRAMEWORKS = ("pytorch", "tensorflow", "mxnet")


def copy_book(name: str, tmp_path: Path) -> Path:
    """A copy of a fixture book; it has no `envs/` links, so its kernels come from the cache."""
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


@pytest.fixture(scope="module", autouse=True)
def frameworks_set_up() -> None:
    """`make test` creates every environment first; a missing one is a failure, not a skip."""
    config = load_config(PROJECT)
    for fw in config.frameworks:
        envs.resolve(config, fw)


def run_eval(root: Path, *args: str) -> tuple[int, str, str, dict]:  # type: ignore[type-arg]
    done = subprocess.run(
        [POLYBOOK, "eval", "--source", str(root), "-j", "2", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report_path = root / "_build" / "reports" / "eval.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    return done.returncode, done.stdout, done.stderr, report


def ran(report: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(r["framework"], r["page"]) for r in report["notebooks"] if r["status"] == "executed"}


def output(nb: dict, index: int = -1) -> str:  # type: ignore[type-arg]
    """The text a code cell printed (nbformat stores multi-line text as a list of lines)."""
    text = nb["cells"][index]["outputs"][0]["text"]
    return "".join(text) if isinstance(text, list) else text


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_cache_reruns_exactly_what_changed(tmp_path: Path) -> None:
    root = copy_book("evalbook", tmp_path)
    code_pages = {"chapter_a/saved", "chapter_a/uses_double", "chapter_a/uses_triple", "chapter_b/plain"}

    code, out, err, report = run_eval(root)
    assert code == 0, err
    assert ran(report) == {(fw, p) for fw in FRAMEWORKS for p in code_pages}
    executed = root / "_build" / "executed"
    for fw in FRAMEWORKS:
        nb = json.loads((executed / fw / "chapter_a" / "uses_double.ipynb").read_text())
        assert output(nb) == "42\n"
        assert nb["metadata"]["kernelspec"]["name"] == f"polybook-{fw}"
    plain = json.loads((executed / "mxnet" / "chapter_b" / "plain.ipynb").read_text())
    assert output(plain) == "mxnet says hello\n"
    # TensorFlow's start-up notices are not the page's output
    tf_plain = json.loads((executed / "tensorflow" / "chapter_b" / "plain.ipynb").read_text())
    assert "import tensorflow" in "".join(tf_plain["cells"][-1]["source"])
    assert [o.get("name") for o in tf_plain["cells"][-1]["outputs"]] == ["stdout"]
    assert (executed / "pytorch" / "chapter_b" / "prose.ipynb").is_file()
    records = {(r["framework"], r["page"]): r for r in report["notebooks"]}
    assert records[("pytorch", "chapter_a/saved")]["reason"] == "new: not executed before"
    assert records[("pytorch", "chapter_a/saved")]["seconds"] > 0

    # nothing changed: nothing runs, and no executed notebook changes by a byte (the site's
    # downloads are made from them: a changed byte would make the next build run Sphinx again)
    first = {p: p.read_bytes() for p in executed.rglob("*.ipynb")}
    code, out, err, report = run_eval(root)
    assert code == 0, err
    assert ran(report) == set()
    assert report["summary"]["cached"] == len(report["notebooks"]) == 18  # 6 pages x 3 frameworks
    assert {p: p.read_bytes() for p in executed.rglob("*.ipynb")} == first

    # a prose edit: nothing runs, and the executed notebook shows the new prose with the old outputs
    edit(root / "chapter_a" / "uses_double.md", "calls `d2l.double` only", "calls nothing but `d2l.double`")
    code, out, err, report = run_eval(root)
    assert (code, ran(report)) == (0, set())
    nb = json.loads((executed / "tensorflow" / "chapter_a" / "uses_double.ipynb").read_text())
    assert "calls nothing but" in "".join(nb["cells"][0]["source"])
    assert output(nb) == "42\n"

    # a code edit in one framework's cell runs that page in that framework only
    edit(root / "chapter_b" / "plain.md", "'pytorch says hello'", "'pytorch says hi'")
    code, out, err, report = run_eval(root, "--explain")
    assert code == 0
    assert "chapter_b/plain" in out and "runs: code changed in cell 1 (chapter_b/plain.md:7)" in out
    code, out, err, report = run_eval(root)
    assert (code, ran(report)) == (0, {("pytorch", "chapter_b/plain")})

    # an edit to a #@save function runs the pages that use it (and the page defining it), no other
    edit(root / "chapter_a" / "saved.md", "return 3 * x", "return x + x + x")
    code, out, err, report = run_eval(root, "--explain")
    assert "runs: library symbol d2l.triple changed" in out
    assert "uses_double" not in [line.split()[1] for line in out.splitlines() if "runs:" in line]
    code, out, err, report = run_eval(root)
    assert code == 0, err
    assert ran(report) == {(fw, p) for fw in FRAMEWORKS for p in ("chapter_a/saved", "chapter_a/uses_triple")}
    assert "return x + x + x" in (root / "d2l" / "torch.py").read_text()

    # --force reruns exactly the pages it names
    code, out, err, report = run_eval(root, "--force", "chapter_b/*")
    assert code == 0, err
    assert ran(report) == {(fw, "chapter_b/plain") for fw in FRAMEWORKS}
    assert {r["reason"] for r in report["notebooks"] if r["status"] == "executed"} == {"forced"}


def test_failures_are_located_and_never_cached(tmp_path: Path) -> None:
    root = copy_book("failbook", tmp_path)
    code, _out, err, report = run_eval(root)
    assert code == 1
    records = {(r["framework"], r["page"]): r for r in report["notebooks"]}
    for fw in FRAMEWORKS:
        raised = records[(fw, "raises")]
        assert (raised["status"], raised["location"]) == ("failed", "raises.md:13")
        assert raised["error"] == "ZeroDivisionError: division by zero"
        timed_out = records[(fw, "times_out")]
        assert (timed_out["status"], timed_out["location"]) == ("failed", "times_out.md:6")
        assert "timeout (3 s)" in timed_out["error"]
        died = records[(fw, "kernel_dies")]
        assert (died["status"], died["location"], died["error"]) == (
            "failed",
            "kernel_dies.md:5",
            "the kernel died",
        )
        assert records[(fw, "fine")]["status"] == "executed"
        assert f"raises.md:13: {fw}: ZeroDivisionError: division by zero [polybook.eval-failed]" in err
        # published for the site with what ran, marked failed; never in the cache
        published = json.loads((root / "_build" / "executed" / fw / "raises.ipynb").read_text())
        assert published["metadata"]["polybook"]["failed"]["location"] == "raises.md:13"
        code_cells = [c for c in published["cells"] if c["cell_type"] == "code"]
        assert [o["output_type"] for o in code_cells[1]["outputs"]] == ["error"]
        timed = json.loads((root / "_build" / "executed" / fw / "times_out.ipynb").read_text())
        # the kernel's own KeyboardInterrupt from nbclient's interrupt, then why it came
        enames = [o.get("ename") for c in timed["cells"] for o in c.get("outputs", [])]
        assert enames[-1] == "CellTimeoutError"
        assert not (root / "_build" / "cache" / "records" / fw / "raises.json").exists()
        assert (root / "_build" / "reports" / "failed" / fw / "raises.ipynb").is_file()
    # the next run reuses the page that worked and tries the failed ones again
    code, _out, err, report = run_eval(root)
    assert code == 1
    assert {r["page"] for r in report["notebooks"] if r["status"] == "cached"} == {"fine", "index"}
    assert {r["page"] for r in report["notebooks"] if r["status"] == "failed"} == {
        "raises",
        "times_out",
        "kernel_dies",
    }


def test_a_killed_build_keeps_what_finished(tmp_path: Path) -> None:
    root = copy_book("evalbook", tmp_path)
    for page in ("chapter_a/uses_double", "chapter_a/uses_triple", "chapter_b/plain"):
        path = root / f"{page}.md"
        path.write_text(path.read_text().replace("#@tab all\n", "#@tab all\nimport time; time.sleep(2)\n"))
    command = [POLYBOOK, "eval", "--source", str(root), "-j", "1", "--framework", "pytorch"]
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    entries = root / "_build" / "cache" / "entries" / "pytorch"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (entries.is_dir() and any(entries.glob("*.ipynb"))):
        time.sleep(0.1)
    assert build.poll() is None, "the build finished before it could be killed"
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    finished = sorted(entries.glob("*.ipynb"))
    assert finished
    assert not list((root / "_build" / "cache").rglob("*.tmp"))
    for entry in finished:
        json.loads(entry.read_text())  # whole, never half-written
    time.sleep(1)  # the killed worker follows its parent (PR_SET_PDEATHSIG)
    code, _out, err, report = run_eval(root, "--framework", "pytorch")
    assert code == 0, err
    reused = {r["page"] for r in report["notebooks"] if r["status"] == "cached" and r["reason"] == "cached"}
    assert len(reused) >= len(finished) - 1 >= 0
    assert len(ran(report)) + len(reused) == 4


def test_out_leaves_the_source_untouched(tmp_path: Path) -> None:
    """With --out, even the library the kernels import goes there: a read-only corpus stays so."""
    root = copy_book("evalbook", tmp_path)
    out = tmp_path / "elsewhere"
    done = subprocess.run(
        [POLYBOOK, "eval", "--source", str(root), "--out", str(out), "--framework", "pytorch", "-j", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in (FIXTURES / "evalbook").iterdir())
    assert (out / "python" / "d2l" / "torch.py").is_file()
    nb = json.loads((out / "executed" / "pytorch" / "chapter_a" / "uses_double.ipynb").read_text())
    assert output(nb) == "42\n"  # d2l.double came from OUT/python/d2l


def test_noise_lines_go_and_the_rest_of_stderr_stays() -> None:
    import nbformat

    from polybook.execution.outputs import drop_noise
    from polybook.source.frameworks import BUILTIN

    nb = nbformat.v4.new_notebook()
    notice = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795452417.053255   11523 port.cc:153] oneDNN custom operations are on. "
        "You may see slightly different numerical results.\n"
    )
    cell = nbformat.v4.new_code_cell("import tensorflow")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=notice),
        nbformat.v4.new_output("stream", name="stderr", text=notice + "UserWarning: a real one\n"),
        nbformat.v4.new_output("stream", name="stdout", text=notice),
    ]
    nb.cells.append(cell)
    drop_noise(nb, BUILTIN["tensorflow"].stderr_noise)
    assert [(o.name, o.text) for o in cell.outputs] == [
        ("stderr", "UserWarning: a real one\n"),
        ("stdout", notice),  # what the code printed is never touched
    ]


def _interrupt_mid_eval(tmp_path: Path, signum: int) -> tuple[int, str, dict, list[int]]:  # type: ignore[type-arg]
    """Start an eval whose second page sleeps, stop it with ``signum`` sent to the whole
    process group (as a terminal's Ctrl-C is) once the first page is done; return its exit
    code, its stderr, its report and the processes it had started."""
    import psutil

    root = tmp_path / "book"
    root.mkdir()
    (root / "conf.py").write_text("project = 'Stop'\npolybook_frameworks = ['pytorch']\n")
    (root / "index.md").write_text("# Stop\n\n```toc\nquick\nslow\n```\n")
    (root / "quick.md").write_text("# Quick\n\n```{.python .input}\nprint('done')\n```\n")
    (root / "slow.md").write_text("# Slow\n\n```{.python .input}\nimport time\ntime.sleep(300)\n```\n")
    run = subprocess.Popen(
        [POLYBOOK, "eval", "--source", str(root), "-j", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a shell gives a command
    )
    assert run.stderr is not None
    lines = []
    for line in run.stderr:
        lines.append(line)
        if "ok      pytorch/quick" in line:
            break
    deadline = time.monotonic() + 60
    started: list[int] = []
    while time.monotonic() < deadline:  # the slow page's kernel is up
        started = [p.pid for p in psutil.Process(run.pid).children(recursive=True)]
        kernels = [
            p
            for p in psutil.Process(run.pid).children(recursive=True)
            if "ipykernel" in " ".join(p.cmdline())
        ]
        if kernels:
            break
        time.sleep(0.2)
    time.sleep(1)
    os.killpg(run.pid, signum)
    _, rest = run.communicate(timeout=60)
    report = json.loads((root / "_build" / "reports" / "eval.json").read_text())
    return run.returncode, "".join(lines) + rest, report, started


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_eval_records_what_ran_and_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    import psutil

    code, err, report, started = _interrupt_mid_eval(tmp_path, signum)
    assert code == 130
    assert "Traceback" not in err, err
    assert err.rstrip().endswith("polybook: interrupted; what finished is kept")
    records = {r["page"]: r for r in report["notebooks"]}
    assert records["quick"]["status"] == "executed"
    assert records["slow"]["status"] == "interrupted"  # not failed
    assert records["slow"]["error"] == "interrupted by the user (Ctrl-C or SIGTERM)"
    assert report["summary"]["interrupted"] == 1 and report["summary"]["failed"] == 0
    entries = list((tmp_path / "book" / "_build" / "cache" / "entries" / "pytorch").glob("*.ipynb"))
    assert len(entries) == 1  # the finished page is kept, whole
    json.loads(entries[0].read_text())
    assert not (tmp_path / "book" / "_build" / "executed" / "pytorch" / "slow.ipynb").exists()
    assert started  # workers and a kernel were running
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(psutil.pid_exists(pid) for pid in started):
        time.sleep(0.2)
    alive = [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert alive == []
