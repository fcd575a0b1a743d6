"""What an executed notebook's outputs go through on the worker, before they travel and are
kept: stderr lines a framework writes on its own are dropped, and outputs past the notebook's
cap are cut, with a note in their place.

A page that prints 50 MB would otherwise make a 50 MB page, a 50 MB download and a cache entry
every machine fetches. The note stands where the reader would have seen the rest, on the page;
the cut cells are reported with their ``path:line``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import nbformat

from .kernels import size_words


def drop_noise(nb: Any, patterns: tuple[str, ...]) -> None:
    """Remove the lines matching ``patterns`` from the stderr outputs; drop outputs left empty."""
    if not patterns:
        return
    noise = re.compile("|".join(f"(?:{p})" for p in patterns))
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                output["text"] = "".join(ln for ln in lines if not noise.fullmatch(ln.rstrip("\n")))
                if not output["text"]:
                    continue
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept


def output_size(output: Any) -> int:
    """Bytes an output takes in the notebook file."""
    return len(json.dumps(output, ensure_ascii=False).encode())


def note(cut: int, limit: int) -> Any:
    """The visible note that stands for outputs cut away."""
    return nbformat.v4.new_output(
        "stream",
        name="stdout",
        text=(
            f"\n[polybook: {size_words(cut)} of output cut here: this page's outputs passed "
            f"{size_words(limit)} (polybook_max_output)]\n"
        ),
    )


def _head(text: str, room: int) -> str:
    """The start of ``text`` that takes at most ``room`` bytes as UTF-8, cut at a line end
    when one is near."""
    head = text.encode()[: max(0, room)].decode("utf-8", "ignore")
    newline = head.rfind("\n")
    return head[: newline + 1] if newline > len(head) // 2 else head


def cap_outputs(nb: Any, limit: int | None, source_map: list[str]) -> list[tuple[str, int]]:
    """Keep at most ``limit`` bytes of outputs in ``nb``, in cell order; a cell that loses
    some ends with a note. Returns each cut cell's ``path:line`` (or ``cell N``) and the bytes
    cut from it."""
    if limit is None:
        return []
    used = 0
    cut: list[tuple[str, int]] = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            continue
        kept, dropped = [], 0
        for output in cell["outputs"]:
            size = output_size(output)
            if used + size <= limit:
                kept.append(output)
                used += size
                continue
            if output.get("output_type") == "stream" and used < limit:
                text = output["text"]
                output["text"] = _head(text, limit - used)
                kept.append(output)
                dropped += len(text.encode()) - len(output["text"].encode())
                used = limit
            else:
                dropped += size
        if dropped:
            kept.append(note(dropped, limit))
            where = source_map[index] if index < len(source_map) else f"cell {index + 1}"
            cut.append((where, dropped))
        cell["outputs"] = kept
    return cut
