"""Build stages that write files: the notebooks of every page and framework, and the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .book import Book
from .frameworks import Framework
from .fsutil import write_json, write_text
from .notebooks import dumps, page_notebook


@dataclass
class NotebooksResult:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    cells: dict[str, int] = field(default_factory=dict)
    """Code cells per framework."""
    notebooks: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)


def build_notebooks(book: Book, frameworks: tuple[Framework, ...], out: Path) -> NotebooksResult:
    """Write ``out/notebooks/<fw>/<page>.ipynb`` and ``out/reports/coverage.json``.

    A page that has code, but none for a framework, gets no notebook for it (it is listed as
    missing in the coverage report). Notebooks left from an earlier build that this build does
    not produce are removed, so nothing stale is ever shipped.
    """
    result = NotebooksResult()
    root = book.config.root
    coverage: dict[str, dict[str, Any]] = {}
    for fw in frameworks:
        base = out / "notebooks" / fw.name
        produced: set[Path] = set()
        cells = 0
        for doc in book.pages:
            source_name = doc.path.resolve().relative_to(root).as_posix()
            nb = page_notebook(doc, fw, source_name)
            n_code = sum(c["cell_type"] == "code" for c in nb["cells"]) if nb else 0
            status = "missing" if nb is None else ("code" if n_code else "text")
            coverage.setdefault(doc.name, {})[fw.name] = {"status": status, "cells": n_code}
            if nb is None:
                continue
            target = base / f"{doc.name}.ipynb"
            produced.add(target)
            cells += n_code
            if write_text(target, dumps(nb)):
                result.written += 1
            else:
                result.unchanged += 1
        result.cells[fw.name] = cells
        result.notebooks[fw.name] = len(produced)
        if base.is_dir():
            for stale in base.rglob("*.ipynb"):
                if stale not in produced:
                    stale.unlink()
                    result.removed += 1
    result.coverage = {
        "frameworks": [fw.name for fw in frameworks],
        "pages": coverage,
        "summary": {
            fw.name: {
                status: sum(1 for page in coverage.values() if page[fw.name]["status"] == status)
                for status in ("code", "text", "missing")
            }
            for fw in frameworks
        },
    }
    write_json(out / "reports" / "coverage.json", result.coverage)
    return result
