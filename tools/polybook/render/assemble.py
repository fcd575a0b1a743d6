"""Page assembly: one page's text and every framework's executed code become one notebook.

The assembled notebook is what MyST-NB renders (it executes nothing). Prose tabs become
sphinx-design tab sets in MyST; each code position (the cells that stand side by side in the
source, one per framework) becomes consecutive code cells, one per framework, each with that
framework's own outputs and a ``polybook`` metadata entry naming its position and framework.
The Sphinx extension (:mod:`polybook.render.sphinx_ext`) groups those cells into a tab set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..generate.myst import block_to_myst
from ..generate.notebooks import NBFORMAT, NBFORMAT_MINOR, _lines, _tags
from ..source.document import CodeCell, Document, TextBlock
from ..source.frameworks import Framework


@dataclass(frozen=True)
class Position:
    """Cells that stand side by side in the source: at most one per framework."""

    cells: tuple[CodeCell, ...]

    def cell_for(self, framework: str) -> CodeCell | None:
        return next((c for c in self.cells if c.shown_for(framework)), None)


def positions(cells: list[CodeCell], frameworks: tuple[str, ...]) -> list[Position]:
    """Split a run of consecutive code cells into positions: a new one starts when a framework
    already served in the current one comes again (two ``#@tab all`` cells are two positions)."""
    found: list[Position] = []
    current: list[CodeCell] = []
    served: set[str] = set()
    for cell in cells:
        mine = set(cell.frameworks) & set(frameworks)
        if current and mine & served:
            found.append(Position(tuple(current)))
            current, served = [], set()
        current.append(cell)
        served |= mine
    if current:
        found.append(Position(tuple(current)))
    return found


def _code_outputs(executed: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [c for c in executed["cells"] if c["cell_type"] == "code"] if executed else []


def _prose_tabs(blocks: list[TextBlock], frameworks: tuple[Framework, ...]) -> str:
    """A group of prose tabs as a sphinx-design tab set synchronised by framework."""
    items = []
    for fw in frameworks:
        text = "\n\n".join(block_to_myst(b) for b in blocks if b.shown_for(fw.name))
        if not text.strip():  # the extension puts the note in the page's language (render/tabs.py)
            text = f":::{{container}} polybook-nothing\n{fw.display}\n:::"
        fence = ":" * max(4, _longest_colon_run(text) + 1)
        items.append(f"{fence}{{tab-item}} {fw.display}\n:sync: {fw.name}\n\n{text}\n{fence}")
    outer = ":" * (max(len(i.split("{", 1)[0]) for i in items) + 1)
    return (
        f"{outer}{{tab-set}}\n:sync-group: framework\n:class: polybook-prose-tabs\n\n"
        + "\n\n".join(items)
        + f"\n{outer}"
    )


def _with_state(block: TextBlock, text: str) -> tuple[str, int]:
    """A translated page's block that is untranslated, stale or a draft, wrapped so the site marks it
    (the notice itself comes from the stylesheet, in the page's language); with the chapter
    line of the text's first line (the wrapper's opening line stands one above the block)."""
    state = block.translation_state
    if state in ("", "translated") or block.kind == "heading":
        return text, block.line
    css = {
        "missing": "polybook-untranslated",
        "partial": "polybook-untranslated",
        "stale": "polybook-stale",
        "draft": "polybook-draft",
    }[state]
    fence = ":" * max(3, _longest_colon_run(text) + 1)
    return f"{fence}{{container}} {css}\n{text}\n{fence}", block.line - 1


def _failed(nb: dict[str, Any]) -> bool:
    return bool(nb.get("metadata", {}).get("polybook", {}).get("failed"))


def _longest_colon_run(text: str) -> int:
    longest = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        run = len(stripped) - len(stripped.lstrip(":"))
        longest = max(longest, run)
    return longest


def assemble(
    doc: Document,
    frameworks: tuple[Framework, ...],
    executed: dict[str, dict[str, Any] | None],
    source_name: str,
    single: bool = False,
) -> dict[str, Any]:
    """The page as one notebook for MyST-NB.

    :param executed: per framework, its executed notebook of this page (None: no outputs).
    :param single: one framework's page (for paper): no tab sets, the framework's prose only.
    """
    names = tuple(fw.name for fw in frameworks)
    offered = [fw for fw in frameworks if fw.name in doc.frameworks]
    outputs = {fw.name: iter(_code_outputs(executed.get(fw.name))) for fw in frameworks}
    cells: list[dict[str, Any]] = []
    prose: list[tuple[str, int]] = []
    """Text of each prose part, with the chapter line it starts at."""
    run: list[CodeCell] = []
    position_count = 0

    def flush_prose() -> None:
        parts = [(text, line) for text, line in prose if text.strip()]
        prose.clear()
        if not parts:
            return
        line_map, offset = [], 0
        for text, line in parts:  # where each part starts in the cell, and in the chapter
            line_map.append([offset, line])
            offset += text.count("\n") + 2
        cells.append(
            {
                "cell_type": "markdown",
                "id": f"md-{len(cells)}",
                "metadata": {"polybook": {"source": source_name, "line_map": line_map}},
                "source": _lines("\n\n".join(text for text, _ in parts)),
            }
        )

    def flush_code() -> None:
        nonlocal position_count
        for position in positions(run, names):
            present = [fw for fw in offered if position.cell_for(fw.name) is not None]
            for fw in present:
                cell = position.cell_for(fw.name)
                if cell is None:
                    continue
                done = next(outputs[fw.name], None)
                tags = _tags(cell)
                meta: dict[str, Any] = {"framework": fw.name, "source": f"{source_name}:{cell.line}"}
                if not single:
                    meta.update({"position": position_count, "frameworks": [f.name for f in offered]})
                cells.append(
                    {
                        "cell_type": "code",
                        "id": f"code-{len(cells)}",
                        "metadata": {"tags": tags, "polybook": meta},
                        "execution_count": done.get("execution_count") if done else None,
                        "outputs": done.get("outputs", []) if done else [],
                        "source": _lines(cell.code_for(fw.name)),
                    }
                )
            position_count += 1
        run.clear()

    blocks = doc.blocks
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if isinstance(block, CodeCell):
            flush_prose()
            run.append(block)
            index += 1
            continue
        flush_code()
        if block.tab_group is not None and single:
            if block.shown_for(frameworks[0].name):
                prose.append(_with_state(block, block_to_myst(block)))
        elif block.tab_group is not None:
            group = [block]
            while (
                index + 1 < len(blocks)
                and isinstance(blocks[index + 1], TextBlock)
                and blocks[index + 1].tab_group == block.tab_group
            ):
                index += 1
                group.append(blocks[index])  # type: ignore[arg-type]
            prose.append((_prose_tabs(group, tuple(offered)), block.line))
        else:
            prose.append(_with_state(block, block_to_myst(block)))
        index += 1
    flush_code()
    flush_prose()
    # a notebook that failed is published with what ran; the site puts a banner on its page
    failed = [nb["metadata"]["polybook"]["failed"] for nb in executed.values() if nb and _failed(nb)]
    return {
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            # IPython's lexer, so that `%magic` and `!shell` lines highlight without warnings
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
            "polybook": {
                "page": doc.name,
                "source": source_name,
                "frameworks": [fw.name for fw in offered],
                "executed": sorted(fw for fw, nb in executed.items() if nb is not None),
                "downloads": [fw.name for fw in offered if any(c.shown_for(fw.name) for c in doc.cells)],
                **({"failed": failed} if failed else {}),
            },
        },
        "cells": cells,
    }
