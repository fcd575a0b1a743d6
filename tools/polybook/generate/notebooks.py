"""One Jupyter notebook per page and framework, made from the page's Document.

The notebook holds the page's prose in MyST (that framework's prose tabs only) and that
framework's code cells. Its metadata names the kernel ``polybook-<fw>`` and maps every cell to
its ``path:line`` in the chapter file.
"""

from __future__ import annotations

import json
from typing import Any

from ..source.document import CodeCell, Document, TextBlock
from ..source.frameworks import Framework
from .myst import block_to_myst

NBFORMAT = 4
NBFORMAT_MINOR = 5


def _lines(text: str) -> list[str]:
    """Notebook JSON's multi-line string form: a list of lines, each keeping its newline."""
    return text.splitlines(keepends=True)


def _tags(cell: CodeCell) -> list[str]:
    tags = []
    if cell.hide:
        tags.append("remove-cell")
    if cell.hide_code:
        tags.append("remove-input")
    if cell.hide_output:
        tags.append("remove-output")
    if cell.save:
        tags.append("save")
    return tags


def has_code(doc: Document) -> bool:
    return bool(doc.cells)


def page_notebook(doc: Document, framework: Framework, source_name: str) -> dict[str, Any] | None:
    """The notebook of ``doc`` for ``framework``; None when the page is not offered in it, or has
    code, but none for it. A page without any code gets a notebook of prose for every framework.
    """
    fw = framework.name
    if fw not in doc.frameworks or (has_code(doc) and not any(c.shown_for(fw) for c in doc.cells)):
        return None
    cells: list[dict[str, Any]] = []
    source_map: list[str] = []
    prose: list[str] = []
    prose_line = 0

    def flush() -> None:
        nonlocal prose_line
        text = "\n\n".join(p for p in prose if p.strip())
        if text:
            cells.append(
                {"cell_type": "markdown", "id": f"md-{len(cells)}", "metadata": {}, "source": _lines(text)}
            )
            source_map.append(f"{source_name}:{prose_line}")
        prose.clear()

    for block in doc.blocks:
        if isinstance(block, TextBlock):
            if block.shown_for(fw):
                if not prose:
                    prose_line = block.line
                prose.append(block_to_myst(block))
            continue
        if not block.shown_for(fw):
            continue
        flush()
        metadata: dict[str, Any] = {}
        tags = _tags(block)
        if tags:
            metadata["tags"] = tags
        cells.append(
            {
                "cell_type": "code",
                "id": f"code-{len(cells)}",
                "metadata": metadata,
                "execution_count": None,
                "outputs": [],
                "source": _lines(block.code_for(fw)),
            }
        )
        source_map.append(f"{source_name}:{block.line}")
    flush()
    shown = [c for c in doc.cells if c.shown_for(fw)]
    return {
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
        "metadata": {
            "kernelspec": {
                "name": framework.kernel,
                "display_name": f"{framework.display} (polybook)",
                "language": "python",
            },
            "language_info": {"name": "python"},
            "polybook": {
                "page": doc.name,
                "framework": fw,
                "title": doc.title,
                "source": source_name,
                "source_map": source_map,
                **_execution_options(shown),
            },
        },
        "cells": cells,
    }


def _execution_options(cells: list[CodeCell]) -> dict[str, Any]:
    """Page-level execution wishes declared by cell markers: ``#@gpu``, ``#@timeout N``,
    ``#@memory 8G``."""
    options: dict[str, Any] = {}
    if any(c.gpu for c in cells):
        options["gpu"] = True
    timeouts = [c.timeout for c in cells if c.timeout]
    if timeouts:
        options["timeout"] = max(timeouts)
    memories = [c.memory for c in cells if c.memory]
    if memories:
        options["memory"] = max(memories)
    return options


def dumps(notebook: dict[str, Any]) -> str:
    """Serialise a notebook, deterministic to the byte (sorted keys).

    Without indentation: Python's JSON encoder is written in C only for that case, and it is
    ten times faster over a book's thousand notebooks; Jupyter reads either form.
    """
    return json.dumps(notebook, sort_keys=True, ensure_ascii=False) + "\n"


def merge_outputs(current: dict[str, Any], executed: dict[str, Any]) -> dict[str, Any]:
    """``current`` (today's prose and code) with the outputs of ``executed`` (same code cells)."""
    done = [c for c in executed["cells"] if c["cell_type"] == "code"]
    merged: dict[str, Any] = json.loads(json.dumps(current))
    code = [c for c in merged["cells"] if c["cell_type"] == "code"]
    for target, source in zip(code, done, strict=True):
        target["outputs"] = source.get("outputs", [])
        target["execution_count"] = source.get("execution_count")
        if "execution" in source.get("metadata", {}):
            target["metadata"]["execution"] = source["metadata"]["execution"]
    if "language_info" in executed.get("metadata", {}):
        merged["metadata"]["language_info"] = executed["metadata"]["language_info"]
    return merged
