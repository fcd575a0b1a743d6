"""`polybook build notebooks` as a user runs it: outputs, reports, reruns and failures."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from polybook.cli import main
from polybook.fsutil import write_text

PAGES = {
    "index.md": """
        # Book

        ```toc
        intro
        only_torch
        prose
        ```
        """,
    "intro.md": """
        # Intro
        :label:`sec_intro`

        ```{.python .input}
        #@tab all
        x = 1
        ```
        """,
    "only_torch.md": """
        # Torch only

        See :numref:`sec_intro`.

        ```{.python .input}
        #@tab pytorch
        import torch
        ```
        """,
    "prose.md": "# Just prose\n\nNo code here.\n",
}


def build(root: Path, *extra: str) -> int:
    return main(["build", "notebooks", "--source", str(root), *extra])


def test_notebooks_and_coverage(make_book) -> None:  # type: ignore[no-untyped-def]
    root = make_book(PAGES)
    assert build(root) == 0
    out = root / "_build"
    made = sorted(p.relative_to(out / "notebooks").as_posix() for p in (out / "notebooks").rglob("*.ipynb"))
    assert made == [
        "mxnet/index.ipynb",
        "mxnet/intro.ipynb",
        "mxnet/prose.ipynb",
        "pytorch/index.ipynb",
        "pytorch/intro.ipynb",
        "pytorch/only_torch.ipynb",
        "pytorch/prose.ipynb",
        "tensorflow/index.ipynb",
        "tensorflow/intro.ipynb",
        "tensorflow/prose.ipynb",
    ]
    coverage = json.loads((out / "reports" / "coverage.json").read_text())
    assert coverage["pages"]["only_torch"] == {
        "pytorch": {"status": "code", "cells": 1},
        "tensorflow": {"status": "missing", "cells": 0},
        "mxnet": {"status": "missing", "cells": 0},
    }
    assert coverage["pages"]["prose"]["mxnet"] == {"status": "text", "cells": 0}
    nb = nbformat.read(out / "notebooks" / "pytorch" / "only_torch.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.polybook.source_map == ["only_torch.md:1", "only_torch.md:7"]
    assert "{numref}`sec_intro`" in nb.cells[0].source


def test_rebuild_is_byte_identical_and_touches_nothing(make_book) -> None:  # type: ignore[no-untyped-def]
    root = make_book(PAGES)
    assert build(root) == 0
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "_build").rglob("*") if p.is_file()}
    assert build(root) == 0
    again = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "_build").rglob("*") if p.is_file()}
    assert again == files
    assert not [p for p in (root / "_build").rglob("*.tmp")]


def test_a_page_losing_its_code_loses_its_notebook(make_book) -> None:  # type: ignore[no-untyped-def]
    root = make_book(PAGES)
    assert build(root) == 0
    stale = root / "_build" / "notebooks" / "pytorch" / "only_torch.ipynb"
    assert stale.is_file()
    page = root / "only_torch.md"
    page.write_text(page.read_text().replace("#@tab pytorch", "#@tab mxnet"))
    assert build(root) == 0
    assert not stale.exists()
    assert (root / "_build" / "notebooks" / "mxnet" / "only_torch.ipynb").is_file()


def test_errors_write_nothing(make_book) -> None:  # type: ignore[no-untyped-def]
    pages = dict(PAGES, **{"intro.md": "# Intro\n\n```{.python .input}\n#@tab caffe\nx = 1\n```\n"})
    root = make_book(pages)
    assert build(root) == 1
    # nothing but the parse cache (which only ever holds whole entries) and the output folder's
    # lock and owner records
    written = sorted(p.name for p in (root / "_build").iterdir())
    assert written == [".polybook-book.json", ".polybook.lock", "cache"]
    assert [p.name for p in (root / "_build" / "cache").iterdir()] == ["parse"]


def test_framework_selection_and_out(make_book, tmp_path_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    root = make_book(PAGES)
    out = tmp_path_factory.mktemp("elsewhere")
    assert build(root, "--framework", "TensorFlow", "--out", str(out)) == 0
    assert [p.name for p in (out / "notebooks").iterdir()] == ["tensorflow"]
    assert build(root, "--framework", "jax") == 1
    assert "'jax' is not one of the book's: pytorch, tensorflow, mxnet" in capsys.readouterr().err


def test_html_without_execution_and_warnings_at_chapter_lines(make_book, capsys) -> None:  # type: ignore[no-untyped-def]
    root = make_book(PAGES)
    assert main(["build", "html", "--no-exec", "--source", str(root)]) == 0
    captured = capsys.readouterr()
    assert (root / "_build" / "html" / "en" / "only_torch.html").is_file()
    assert (root / "_build" / "html" / "index.html").is_file()
    # the toc is not numbered, so a {numref} to a section fails in Sphinx: said at the chapter's line
    assert captured.err.splitlines() == [
        "only_torch.md:3: WARNING: Failed to create a cross reference. Any number is not assigned: sec-intro"
    ]
    assert "1 Sphinx warning(s)" in captured.out


def test_a_missing_environment_names_the_make_target(
    make_book, capsys, monkeypatch, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POLYBOOK_ENV_CACHE", str(tmp_path_factory.mktemp("empty-cache")))
    root = make_book(PAGES)
    assert main(["eval", "--source", str(root)]) == 1
    err = capsys.readouterr().err
    assert "the pytorch environment is not set up" in err
    assert "`make env-pytorch`" in err


def test_atomic_write_leaves_old_content_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    assert write_text(target, "old") is True
    assert write_text(target, "old") is False

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_missing_image_is_a_placeholder_and_its_page_is_not_read_again(make_book, capsys) -> None:  # type: ignore[no-untyped-def]
    pages = {**PAGES, "prose.md": "# Just prose\n\n![A plot](img/gone.png)\n\nNo code here.\n"}
    root = make_book(pages)
    args = ["build", "html", "--no-exec", "--source", str(root)]
    assert main(args) == 0
    assert "image 'img/gone.png' does not exist [polybook.image-missing]" in capsys.readouterr().err
    html = (root / "_build" / "html" / "en" / "prose.html").read_text()
    assert 'src="data:image/svg+xml;base64,' in html and 'alt="A plot"' in html
    doctree = root / "_build" / "doctrees" / "en" / "prose.doctree"
    before = doctree.stat().st_mtime_ns
    (root / "intro.md").write_text((root / "intro.md").read_text().replace("# Intro", "# Intro, edited"))
    assert main(args) == 0
    # Sphinx read the edited page again, and not the one whose picture is missing
    assert doctree.stat().st_mtime_ns == before
