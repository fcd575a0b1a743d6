"""The project layer: the output folder held by one run, owned by one book, never read as
source; files readable by others; locales as data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from polybook.errors import OutputError
from polybook.i18n.locale import LOCALES, available, locale
from polybook.project import Project

POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


BOOK = {
    "conf.py": "project = 'Project'\npolybook_frameworks = ['pytorch', 'mxnet']\n",
    "index.md": "# Home\n\n```toc\n:maxdepth: 1\n\nchapter/one\nchapter/two\n```\n",
    "chapter/one.md": "# One\n\nText.\n\n```{.python .input}\n#@save\ndef f(x):\n    return x\n```\n",
    "chapter/two.md": "# Two\n\n```{.python .input}\n#@tab mxnet\ny = 2\n```\n",
}


def polybook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYBOOK, *args], capture_output=True, text=True, timeout=600)


# -- files readable by others ----------------------------------------------------------------------


def test_written_files_have_the_usual_mode(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    old = os.umask(0o022)
    try:
        assert polybook("build", "notebooks", "--source", str(root)).returncode == 0
        assert polybook("lib", "--source", str(root)).returncode == 0
    finally:
        os.umask(old)
    written = [
        *(root / "_build" / "notebooks").rglob("*.ipynb"),
        root / "_build" / "reports" / "coverage.json",
        root / "d2l" / "torch.py",
        root / "d2l" / "mxnet.py",
    ]
    assert len(written) == 7
    assert {oct(path.stat().st_mode & 0o777) for path in written} == {oct(0o644)}


def test_the_mode_follows_the_umask(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    done = subprocess.run(
        ["bash", "-c", f"umask 077 && '{POLYBOOK}' build notebooks --source '{root}'"], capture_output=True
    )
    assert done.returncode == 0
    nb = root / "_build" / "notebooks" / "pytorch" / "chapter" / "one.ipynb"
    assert nb.stat().st_mode & 0o777 == 0o600


# -- --out inside and equal to --source ------------------------------------------------------------


def test_an_out_inside_the_book_is_never_read_as_source(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    out = root / "site-out"  # no leading underscore: discovery would read it as a chapter folder
    write(out, {"stray/page.md": "# Stray\n\n:numref:`nowhere`\n"})
    (root / "chapter" / "link-to-out").symlink_to(out, target_is_directory=True)
    project = Project(root, out)
    assert sorted(doc.name for doc in project.book.pages) == ["chapter/one", "chapter/two", "index"]
    assert not project.book.diagnostics.errors


def test_the_site_of_a_book_with_out_inside_does_not_read_out(tmp_path: Path) -> None:
    root = write(tmp_path, {**BOOK, "img/note.txt": "an image folder\n"})
    out = root / "out"
    done = polybook("build", "html", "--no-exec", "--source", str(root), "--out", str(out), "-j", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 Sphinx warning(s)" in done.stdout, done.stdout + done.stderr
    site = out / "site" / "en"
    assert (site / "img").is_symlink()  # the book's own folders are linked for images
    assert not (site / "out").exists()  # the output folder is not: Sphinx would read it again
    pages = sorted(
        p.relative_to(out / "html" / "en").as_posix() for p in (out / "html" / "en").rglob("*.html")
    )
    assert [p for p in pages if not p.startswith(("_", "genindex", "search"))] == [
        "chapter/one.html",
        "chapter/two.html",
        "index.html",
    ]


def test_out_equal_to_source_is_refused(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    with pytest.raises(OutputError, match="--out is the book's own folder"):
        Project(root, root)


# -- one run at a time, one book per folder --------------------------------------------------------


def test_a_second_run_with_no_wait_names_the_holder(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    project = Project(root)
    with project.claim("polybook build html --framework all", on_wait=lambda holder: None):
        done = polybook("build", "notebooks", "--source", str(root), "--no-wait")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(
        f"polybook: error: {root / '_build'}: the output folder is in use by "
        f"`polybook build html --framework all` (pid {os.getpid()} on "
    )
    assert line.endswith("; try again when it ends, or leave out --no-wait [polybook.output]")
    assert not (root / "_build" / "notebooks").exists()


def test_a_second_run_waits_for_the_first_and_says_for_whom(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    project = Project(root)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with project.claim("polybook eval -j 2", on_wait=lambda holder: None):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    waiting = subprocess.Popen(
        [POLYBOOK, "build", "notebooks", "--source", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_line = waiting.stderr.readline() if waiting.stderr else ""
    assert waiting.poll() is None  # it waits…
    assert first_line.startswith(f"polybook: waiting for `polybook eval -j 2` (pid {os.getpid()} on ")
    assert not (root / "_build" / "notebooks").exists()
    release.set()
    holder.join()
    _, err = waiting.communicate(timeout=120)  # …and runs when the first one is done
    assert waiting.returncode == 0, err
    assert (root / "_build" / "notebooks" / "pytorch" / "chapter" / "one.ipynb").is_file()


def test_two_concurrent_builds_into_one_out_both_succeed_whole(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    out = tmp_path / "shared-out"
    command = [POLYBOOK, "build", "html", "--no-exec", "--source", str(root), "--out", str(out), "-j", "1"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    # one of them waited for the other, and said so
    assert sum("polybook: waiting for `polybook build html" in err for _, err in results) == 1
    notebooks = sorted((out / "notebooks").rglob("*.ipynb"))
    assert len(notebooks) == 4  # index in both, each chapter page in its one framework
    for path in notebooks:
        nbformat.validate(nbformat.read(path, as_version=4))
    for page in ("index", "chapter/one", "chapter/two"):
        assert (out / "html" / "en" / f"{page}.html").is_file()
    assert not list(out.rglob("*.tmp"))
    assert not (out / ".polybook-holder.json").exists()  # released


def test_a_run_arriving_as_the_holder_takes_the_lock_still_names_it(tmp_path: Path) -> None:
    """The holder writes its record just after taking the lock: a run that looks in between
    waits for the record instead of naming "another polybook run"."""
    import filelock

    from polybook.outdir import HOLDER, Holder, claim

    book, out = write(tmp_path / "book", BOOK), tmp_path / "out"
    out.mkdir()
    holder = Holder(4242, "polybook build html", "host", time.time(), str(book))
    taken = threading.Event()

    def record_then_release() -> None:
        lock = filelock.FileLock(str(out / ".polybook.lock"))
        lock.acquire()
        taken.set()
        time.sleep(0.3)
        (out / HOLDER).write_text(json.dumps(holder.__dict__), encoding="utf-8")
        time.sleep(0.5)
        (out / HOLDER).unlink()
        lock.release()

    threading.Thread(target=record_then_release).start()
    taken.wait()
    seen: list[Holder | None] = []
    with claim(out, book, "polybook build notebooks", on_wait=seen.append):
        pass
    assert seen == [holder]


def test_a_second_book_is_refused_an_out_the_first_one_owns(tmp_path: Path) -> None:
    first = write(tmp_path / "first", BOOK)
    second = write(tmp_path / "second", BOOK)
    out = tmp_path / "out"
    assert polybook("build", "notebooks", "--source", str(first), "--out", str(out)).returncode == 0
    done = polybook("build", "notebooks", "--source", str(second), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"polybook: error: {out}: this output folder holds the build of another book ({first}); "
        "give each book its own --out [polybook.output]"
    ]
    # a book that moved away gives the folder up
    first.rename(tmp_path / "moved")
    assert polybook("build", "notebooks", "--source", str(second), "--out", str(out)).returncode == 0
    owner = json.loads((out / ".polybook-book.json").read_text())
    assert owner == {"book": str(second)}


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    root = write(tmp_path, BOOK)
    script = (
        "import sys, time; from polybook.project import Project\n"
        f"p = Project({str(root)!r})\n"
        "with p.claim('holder', on_wait=print):\n    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    start = time.monotonic()
    done = polybook("build", "notebooks", "--source", str(root), "--no-wait")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - start < 30


# -- locales as data -------------------------------------------------------------------------------


def test_every_locale_file_has_every_english_key() -> None:
    import tomllib

    english = tomllib.loads((LOCALES / "en.toml").read_text(encoding="utf-8"))
    assert {"en", "ko", "zh", "ja", "de", "fr"} <= set(available())
    for code in available():
        data = tomllib.loads((LOCALES / f"{code}.toml").read_text(encoding="utf-8"))
        assert set(data["words"]) == set(english["words"]), code
        assert set(data["notices"]) == set(english["notices"]), code
        assert data["name"]
        assert all("{fw}" in data["words"][key] for key in ("example", "page", "download")), code
        assert all("%s" in data["words"][key] for key in ("chapter", "section")), code


def test_a_language_without_a_file_gets_english_words() -> None:
    vi = locale("vi")
    assert not vi.found
    assert vi.words == locale("en").words
    assert vi.notices == locale("en").notices
    assert vi.name == "vi"
    assert locale("zh").sphinx_code == "zh_CN"
    assert locale("ko").search == "korean"
    assert not locale("../../en").found  # a path is never read as a locale file


def test_a_book_in_german_gets_german_words_from_data(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            **BOOK,
            "conf.py": "project = 'Buch'\npolybook_frameworks = ['pytorch', 'mxnet']\n"
            "polybook_languages = ['de']\n",
            "index.md": "# Start\n\n```toc\n:numbered:\n\nchapter/one\nchapter/two\n```\n",
            "chapter/one.md": "# Eins\n:label:`chap_one`\n\nSiehe :numref:`chap_one`.\n\n"
            "```{.python .input}\nx = 1\n```\n",
        },
    )
    done = polybook("build", "html", "--no-exec", "--source", str(root), "-j", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 Sphinx warning(s)" in done.stdout, done.stdout + done.stderr
    html = (root / "_build" / "html" / "de" / "chapter" / "one.html").read_text(encoding="utf-8")
    assert "Dieses Beispiel gibt es nicht für MXNet." in html  # the code cell is PyTorch-only
    assert "Kapitel 1" in html  # the numref to a chapter, in the book's language
    assert 'lang="de"' in html
