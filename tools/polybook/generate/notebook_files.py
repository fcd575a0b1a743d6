"""The notebooks of every page and framework, written to OUT, and the coverage report."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import write_json, write_text
from ..source.book import Book
from ..source.frameworks import Framework
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
    manifest_path = out / "cache" / MANIFEST
    previous = _read_manifest(manifest_path)
    manifest: dict[str, Any] = dict(previous)  # frameworks not built this time keep theirs
    for fw in frameworks:
        base = out / "notebooks" / fw.name
        produced: set[Path] = set()
        cells = 0
        for doc in book.pages:
            target = base / f"{doc.name}.ipynb"
            key = f"{_CODE}:{doc.content_key()}"
            known = previous.get(f"{fw.name}/{doc.name}")
            if known and known["key"] == key and (known["status"] == "missing" or target.is_file()):
                # the page and the code that makes notebooks are what they were: nothing to redo
                status, n_code = known["status"], known["cells"]
                result.unchanged += status != "missing"
            else:
                nb = page_notebook(doc, fw, doc.path.relative_to(root).as_posix())
                n_code = sum(c["cell_type"] == "code" for c in nb["cells"]) if nb else 0
                status = "missing" if nb is None else ("code" if n_code else "text")
                if nb is not None:
                    if write_text(target, dumps(nb)):
                        result.written += 1
                    else:
                        result.unchanged += 1
            manifest[f"{fw.name}/{doc.name}"] = {"key": key, "status": status, "cells": n_code}
            coverage.setdefault(doc.name, {})[fw.name] = {"status": status, "cells": n_code}
            if status == "missing":
                continue
            produced.add(target)
            cells += n_code
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
    write_json(manifest_path, manifest)
    return result


MANIFEST = "notebooks.json"
"""Per framework and page: the key the notebook was made from, its coverage status and cells."""
#: The code that turns a Document into notebooks: a new version of it makes every notebook again.
_CODE = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in ("notebooks.py", "myst.py"))
).hexdigest()[:16]


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {}
