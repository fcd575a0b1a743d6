"""`polybook new DIR && cd DIR && make html`: a starter book that builds right away.

The book is built by its own Makefile, executed in the real kernels of both its frameworks and
rendered by Sphinx with no warning; then `make test` passes on it as it is.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from polybook.cli import main

PROJECT = Path(__file__).resolve().parents[1]
POLYBOOK = Path(sys.executable).with_name("polybook")


def make(root: Path, *targets: str, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOBS": "2"}
    env.pop("MAKEFLAGS", None)
    return subprocess.run(
        ["make", *targets], cwd=root, capture_output=True, text=True, timeout=timeout, env=env
    )


def text_of(page: Path) -> str:
    """The page's article as text without white space: tags split words unpredictably."""
    body = page.read_text(encoding="utf-8")
    body = body[body.find("<article") :]
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", body)))


def squeezed(phrase: str) -> str:
    return re.sub(r"\s+", "", phrase)


def test_a_new_book_builds_with_make_html_and_passes_make_test(tmp_path: Path) -> None:
    root = tmp_path / "my-first-book"
    done = subprocess.run([str(POLYBOOK), "new", str(root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"its Makefile uses {POLYBOOK} (from {PROJECT})" in done.stdout
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert names == [
        ".gitignore",
        "Makefile",
        "README.md",
        "chapter_basics/index.md",
        "chapter_basics/linear-model.md",
        "chapter_basics/using-the-library.md",
        "conf.py",
        "d2l/__init__.py",
        "d2l/tensorflow.py",
        "d2l/torch.py",
        "img/pipeline.svg",
        "index.md",
        "references.bib",
        "references.md",
    ]
    conf = (root / "conf.py").read_text()
    assert 'project = "My first book"' in conf and 'polybook_name = "my-first-book"' in conf
    assert f"RECORDED := {POLYBOOK}\n" in (root / "Makefile").read_text()
    assert "def linear(X, w, b):" in (root / "d2l" / "torch.py").read_text()

    built = make(root, "html")
    assert built.returncode == 0, built.stdout + built.stderr
    assert "4 executed" in built.stdout and "0 failed" in built.stdout
    assert "html (en) rendered" in built.stdout and "5 pages, 5 changed, 0 Sphinx warning(s)" in built.stdout
    site = root / "_build" / "html" / "en"
    model = text_of(site / "chapter_basics" / "linear-model.html")
    assert squeezed("tensor([[-0.5000], [ 1.0000]])") in model  # PyTorch's tab, executed
    assert squeezed("[[-0.5] [ 1. ]], shape=(2, 1), dtype=float32)") in model  # TensorFlow's
    assert squeezed("as (1.1.1) says") in model  # the equation's reference
    assert squeezed("Fig. 1.1.1 shows") in model and squeezed("Table 1.1.1 lists") in model
    assert squeezed("Legendre [1805]") in model and squeezed("[Gauss, 1809]") in model
    assert (site / "_images" / "pipeline.svg").is_file() or list(site.rglob("pipeline*.svg"))
    library = text_of(site / "chapter_basics" / "using-the-library.html")
    assert library.count(squeezed("print(d2l.linear(ones, w, 1.0))")) == 2
    assert (
        squeezed("tensor([[1.5000], [1.5000]])") in library
        and squeezed("[[1.5] [1.5]], shape=(2, 1)") in library
    )
    references = text_of(site / "references.html")
    assert squeezed("Theoria motus corporum") in references and squeezed("Nouvelles méthodes") in references

    checked = make(root, "test")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 module(s) up to date" in checked.stdout
    assert "0 executed, 4 reused from the cache" in checked.stdout  # make html ran them already


def test_the_makefile_installs_polybook_where_the_recorded_one_is_missing(tmp_path: Path) -> None:
    """On another machine, the recorded command is not there: make installs polybook into the
    book's .venv from a checkout, or says how to give it one."""
    root = tmp_path / "book"
    assert main(["new", str(root)]) == 0
    planned = make(root, "-n", "html", "RECORDED=/nowhere/bin/polybook", f"POLYBOOK_SOURCE={PROJECT}")
    assert planned.returncode == 0, planned.stderr
    assert "-m venv .venv" in planned.stdout
    assert f'.venv/bin/python -m pip install --quiet --quiet "{PROJECT}"' in planned.stdout
    assert ".venv/bin/polybook env" in planned.stdout
    assert ".venv/bin/polybook build html -j 2" in planned.stdout
    refused = make(root, "html", "RECORDED=/nowhere/bin/polybook", "POLYBOOK_SOURCE=/nowhere/either")
    assert refused.returncode != 0
    assert "polybook is not installed: run make with POLYBOOK_SOURCE=" in refused.stdout
    assert not (root / ".venv").exists()


def test_new_refuses_a_folder_that_holds_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["new", str(tmp_path)]) == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
