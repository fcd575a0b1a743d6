"""The real d2l-en book (../shared/corpus/d2l-en) builds into valid notebooks, cell for cell.

The corpus is test data outside the project: these tests read it in place and pin only the
structure of the notebooks (cell kinds, positions, hashes, marks), never its text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from polybook.cli import main

TABS = ("pytorch", "mxnet", "jax", "tensorflow")
_FENCE = re.compile(r"^(`{3,})\s*\{[^}]*\.input[^}]*\}\s*$")
_TAB = re.compile(r"# *@tab +([\w, ]+)")
_MAGIC_TAB = re.compile(r"%%tab +([\w, ]+)")


def independent_count(root: Path) -> Counter[tuple[str, str]]:
    """Code cells per (framework, page), counted by a line scanner written apart from the parser.

    It follows d2lbook's rules: a fence with class ``.input`` is a cell; its frameworks come from
    ``#@tab``/``%%tab`` anywhere in it (``all``: every one), else the page's first framework;
    d2lbook's ``%load_ext d2lbook.tab`` cell and empty cells are not cells. A page that lists its
    frameworks (``tab.interact_select``) is offered in those and in any a cell names explicitly.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for path in root.rglob("*.md"):
        page = path.relative_to(root).as_posix()[:-3]
        text = path.read_text(encoding="utf-8")
        select = re.search(r"tab\.interact_select\((.*)\)", text)
        offered = set(re.findall(r"\w+", select.group(1))) if select else set(TABS)
        lines = text.split("\n")
        per_fw: Counter[str] = Counter()
        i = 0
        while i < len(lines):
            fence = _FENCE.match(lines[i])
            if not fence:
                i += 1
                continue
            j = i + 1
            while not lines[j].startswith(fence.group(1)):
                j += 1
            body = "\n".join(lines[i + 1 : j])
            i = j + 1
            if "%load_ext d2lbook.tab" in body or not body.strip():
                continue
            mark = _TAB.search(body) or _MAGIC_TAB.search(body)
            default = next(t for t in TABS if t in offered)
            names = [n.strip().lower() for n in mark.group(1).split(",")] if mark else [default]
            if "all" in names:
                names = list(TABS)
            else:
                offered.update(names)
            per_fw.update(names)
        for name, n in per_fw.items():
            if name in offered:
                counts[(name, page)] += n
    return counts


@pytest.fixture(scope="module")
def corpus_build(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("d2l-en")
    code = main(["build", "notebooks", "--source", str(corpus), "--out", str(out), "--framework", "all"])
    assert code == 0
    return out


def test_every_page_in_every_framework(corpus: Path, corpus_build: Path) -> None:
    coverage = json.loads((corpus_build / "reports" / "coverage.json").read_text())
    pages = {p.relative_to(corpus).as_posix()[:-3] for p in corpus.rglob("*.md")}
    assert len(pages) == 192  # 191 chapter pages and the root index
    assert set(coverage["pages"]) == pages
    assert coverage["frameworks"] == list(TABS)
    for page, per_fw in coverage["pages"].items():
        for fw in TABS:
            notebook = corpus_build / "notebooks" / fw / f"{page}.ipynb"
            assert notebook.is_file() == (per_fw[fw]["status"] != "missing"), (page, fw)
    # a page is either prose in every framework, or has code in at least one
    for page, per_fw in coverage["pages"].items():
        statuses = {per_fw[fw]["status"] for fw in TABS}
        assert statuses == {"text"} or "code" in statuses, page
    assert {fw: coverage["summary"][fw]["missing"] for fw in TABS} == {
        "pytorch": 9,
        "mxnet": 10,
        "jax": 27,
        "tensorflow": 23,
    }


def test_code_cells_agree_with_an_independent_count(corpus: Path, corpus_build: Path) -> None:
    expected = independent_count(corpus)
    found: Counter[tuple[str, str]] = Counter()
    for path in (corpus_build / "notebooks").rglob("*.ipynb"):
        rel = path.relative_to(corpus_build / "notebooks")
        nb = json.loads(path.read_text())
        page = Path(*rel.parts[1:]).as_posix()[:-6]
        found[(rel.parts[0], page)] = sum(c["cell_type"] == "code" for c in nb["cells"])
    per_fw = {fw: sum(n for (f, _), n in expected.items() if f == fw) for fw in TABS}
    assert {fw: sum(n for (f, _), n in found.items() if f == fw) for fw in TABS} == per_fw
    assert +found == +expected
    assert per_fw["pytorch"] > 1000 and per_fw["jax"] > 700


def test_notebooks_are_valid_nbformat(corpus_build: Path) -> None:
    paths = sorted((corpus_build / "notebooks").rglob("*.ipynb"))
    assert len(paths) > 650
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        meta = nb.metadata["polybook"]
        assert nb.metadata.kernelspec.name == f"polybook-{meta['framework']}"
        assert len(meta["source_map"]) == len(nb.cells)
        assert all(re.fullmatch(r".+\.md:\d+", where) for where in meta["source_map"])


_MYST_MARK = re.compile(r"\{(numref|eq|ref|cite:p|cite:t)\}`([^`]*)`|^\((\S+)\)=$|^`{3,}\{([\w-]+)\}", re.M)
SNAPSHOT_PAGES = (
    "chapter_preliminaries/ndarray",
    "chapter_linear-classification/softmax-regression-concise",
    "chapter_convolutional-modern/resnet",
    "chapter_reinforcement-learning/value-iter",
)


def _shape(nb_path: Path) -> list[dict[str, object]]:
    """A notebook's structure without its text: kinds, positions, tags, hashes and MyST marks."""
    nb = json.loads(nb_path.read_text())
    cells = []
    for cell, where in zip(nb["cells"], nb["metadata"]["polybook"]["source_map"], strict=True):
        source = "".join(cell["source"])
        marks = [":".join(filter(None, m.groups())) for m in _MYST_MARK.finditer(source)]
        cells.append(
            {
                "kind": cell["cell_type"],
                "at": where,
                "lines": source.count("\n") + 1,
                "sha": hashlib.sha256(source.encode()).hexdigest()[:12],
                "tags": cell["metadata"].get("tags", []),
                "marks": marks,
            }
        )
    return cells


@pytest.mark.parametrize("page", SNAPSHOT_PAGES)
def test_snapshot_of_corpus_page(page: str, corpus_build: Path, data_regression) -> None:  # type: ignore[no-untyped-def]
    snapshot = {
        fw: _shape(path) if (path := corpus_build / "notebooks" / fw / f"{page}.ipynb").is_file() else None
        for fw in TABS
    }
    data_regression.check(snapshot, basename=page.replace("/", "__"))
