"""d2l-en, whole: its site builds in four frameworks with no Sphinx error, and its first
chapter executes in PyTorch.

The corpus (../shared/corpus/d2l-en) is read in place; everything polybook makes goes to a
temporary `--out`, so the corpus is never written.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

POLYBOOK = str(Path(sys.executable).with_name("polybook"))
PYTORCH = ("--framework", "pytorch", "-j", "2")


@pytest.fixture(scope="module")
def corpus_site(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("d2l-en-site")
    done = subprocess.run(
        [
            POLYBOOK,
            "build",
            "html",
            "--source",
            str(corpus),
            "--out",
            str(out),
            "--no-exec",
            "--framework",
            "all",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout, done.stderr


def test_every_page_renders_without_a_sphinx_error(corpus: Path, corpus_site: tuple[Path, str, str]) -> None:
    out, stdout, stderr = corpus_site
    assert re.search(r"html \(en\) rendered .*: 192 pages, .*, 0 Sphinx warning\(s\)", stdout), (
        stdout + stderr
    )
    sphinx = (out / "reports" / "sphinx-en.txt").read_text()
    assert not re.search(r"ERROR|CRITICAL|SEVERE", sphinx), sphinx
    pages = {p.relative_to(corpus).as_posix()[:-3] for p in corpus.rglob("*.md")} - {
        "README",
        "STYLE_GUIDE",
        "INFO",
    }
    html = out / "html" / "en"
    missing = sorted(page for page in pages if not (html / f"{page}.html").is_file())
    assert missing == []


def test_the_api_page_documents_the_library(corpus_site: tuple[Path, str, str]) -> None:
    out, _, _ = corpus_site
    api = (out / "html" / "en" / "chapter_appendix-tools-for-deep-learning" / "d2l.html").read_text()
    for name in ("d2l.torch.Trainer", "d2l.torch.Vocab", "d2l.torch.try_gpu", "d2l.torch.add_to_class"):
        assert f'id="{name}"' in api, name
    assert "Defined in" in api  # the docstrings polybook adds name the section


def test_labels_d2l_en_writes_inside_paragraphs_resolve(corpus_site: tuple[Path, str, str]) -> None:
    out, _, _ = corpus_site
    page = (
        out / "html" / "en" / "chapter_appendix-mathematics-for-deep-learning" / "integral-calculus.html"
    ).read_text()
    # docutils makes ids of labels with hyphens: eq_ftc becomes equation-eq-ftc
    assert len(re.findall(r'id="equation-eq[_-]ftc"', page)) == 1
    # the three :eqref: links (the equation's own headerlink is not one of them)
    assert len(re.findall(r'class="reference internal" href="#equation-eq[_-]ftc"', page)) == 3


def test_a_missing_resource_is_one_polybook_warning(corpus: Path, corpus_site: tuple[Path, str, str]) -> None:
    _, _, stderr = corpus_site
    lines = [line for line in stderr.splitlines() if "frontpage.html" in line]
    assert len(lines) == 1
    assert lines[0].endswith(
        "index.md:6: warning: `.. raw::` reads 'frontpage.html', which does not exist; "
        "the directive is left out [polybook.file-missing]"
    )


#: What d2l-en keeps by hand above the generated part of ``d2l/torch.py`` (its `d2l/` folder is a
#: `resources` entry of its config.ini that the corpus leaves out): the data hub its saved code
#: uses, and the framework imports. polybook keeps such a head, as d2lbook does.
TORCH_HEAD = """\
DATA_HUB = dict()
DATA_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/'

import numpy as np
import torch
from torch import nn

nn_Module = nn.Module

#################   WARNING   ################
"""


def test_the_preliminaries_execute_in_pytorch(corpus: Path, tmp_path: Path) -> None:
    """The first chapter of d2l-en, executed with the library extracted from the book."""
    book = tmp_path / "d2l-en"
    shutil.copytree(corpus, book)
    (book / "d2l").mkdir()
    (book / "d2l" / "torch.py").write_text(TORCH_HEAD)
    out = tmp_path / "out"
    done = subprocess.run(
        [POLYBOOK, "eval", "chapter_preliminaries/*", "--source", str(book), "--out", str(out), *PYTORCH],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    report = json.loads((out / "reports" / "eval.json").read_text())
    records = {r["page"]: r for r in report["notebooks"]}
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(records) == {
        p.relative_to(corpus).as_posix()[:-3] for p in (corpus / "chapter_preliminaries").glob("*.md")
    }
    assert {r["status"] for r in records.values() if r["reason"] != "no code to run"} == {"executed"}
    assert report["summary"]["failed"] == 0
    library = (out / "python" / "d2l" / "torch.py").read_text()  # the book's own library
    assert library.startswith(TORCH_HEAD)
    assert "def synthetic_data(" in library
    assert sorted(p.name for p in book.iterdir()) == sorted([*(p.name for p in corpus.iterdir()), "d2l"])
