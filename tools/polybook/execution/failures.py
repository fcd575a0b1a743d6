"""A failed notebook, shown where it failed: the page, the terminal and the library's chapter.

A notebook that fails is never cached, but its page is still published: the outputs of every
cell that ran, the failing cell's error under it (as ``allow_errors`` shows it), and a mark in
the notebook's metadata from which the site puts a banner at the top of the page. The error's
traceback is read from the error output IPython gave the failing cell (a list with one item per
frame); frames inside the generated ``d2l`` library are traced back to the chapter line the
library's line was saved from, so an error raised inside ``d2l.mean`` is located at ``mean``'s
``#@save`` block, not only at the cell that called it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..fsutil import write_text
from ..generate.library import Module
from ..generate.notebooks import dumps, merge_outputs
from .jobs import Job, Outcome
from .results import executed_path

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: IPython's frame header: ``File /book/d2l/torch.py:13, in mean(xs)`` (``~`` for the home folder)
_LIBRARY_FRAME = re.compile(
    r"^File (?P<file>\S*?\bd2l/(?P<module>\w+)\.py):(?P<line>\d+), in (?P<function>\w+)"
)
FRAMES_SHOWN = 3
"""Frames of a traceback printed in the terminal: the last ones, where the error is."""


@dataclass(frozen=True)
class LibraryFrame:
    """A frame of a traceback inside the generated library, with the chapter line it came from."""

    function: str
    module_line: str
    """``d2l/torch.py:13``, as the traceback names it."""
    chapter: str
    """``saved.md:11``: the saved line of the chapter, or empty when it is a generated line."""


def error_output(nb: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first error output of the notebook: the one of the cell that failed."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if output.get("output_type") == "error":
                return dict(output)
    return None


def frames(output: Mapping[str, Any]) -> list[str]:
    """The traceback's frames as plain text, without IPython's two header lines and final line."""
    items = [_ANSI.sub("", str(item)).rstrip() for item in output.get("traceback", [])]
    if len(items) > 2 and "Traceback (most recent call last)" in items[1]:
        items = items[2:]
    return items[:-1] if len(items) > 1 else items


def library_frames(items: list[str], modules: Callable[[str], Module | None]) -> list[LibraryFrame]:
    """The frames inside the ``d2l`` library, innermost last, each with its chapter line.

    :param modules: the library module of a module name (``torch``), as the kernel imported it.
    """
    found = []
    for item in items:
        match = _LIBRARY_FRAME.match(item)
        if match is None:
            continue
        line = int(match.group("line"))
        module = modules(match.group("module"))
        origin = module.origin(line) if module is not None else None
        found.append(
            LibraryFrame(
                match.group("function"),
                f"d2l/{match.group('module')}.py:{line}",
                f"{origin[0]}:{origin[1]}" if origin else "",
            )
        )
    return found


def summary(output: Mapping[str, Any] | None, count: int = FRAMES_SHOWN) -> str:
    """The traceback's last ``count`` frames and its final line, for the terminal."""
    if output is None:
        return ""
    items = frames(output)
    last = f"{output.get('ename', '')}: {output.get('evalue', '')}".strip(": ")
    shown = items[-count:]
    skipped = len(items) - len(shown)
    head = [f"… {skipped} earlier frame(s)"] if skipped else []
    return "\n".join([*head, *shown, last])


def publish(out: Path, job: Job, outcome: Outcome, modules: Callable[[str], Module | None]) -> dict[str, Any]:
    """Put the failed notebook (kept by :func:`~polybook.execution.results.keep`) where the
    site reads executed ones, marked failed; locate an error raised inside the library at its
    chapter line (``outcome.raised_at``).

    :returns: the mark written into the notebook's metadata (``polybook.failed``).
    """
    failed_path = Path(outcome.extra.get("failed_notebook", ""))
    failed = _read(failed_path) if outcome.extra.get("failed_notebook") else None
    built = _loads(job.notebook)
    output = error_output(failed) if failed is not None else None
    inside = library_frames(frames(output), modules) if output is not None else []
    located = [f for f in inside if f.chapter]
    if located:
        outcome.raised_at = located[-1].chapter
    mark: dict[str, Any] = {
        "framework": outcome.framework,
        "error": outcome.error,
        "location": outcome.location,
        "raised_at": outcome.raised_at,
        "function": located[-1].function if located else "",
    }
    outcome.extra["summary"] = summary(output)
    if built is None:
        return mark
    page = merge_outputs(built, failed) if failed is not None and _same_cells(built, failed) else built
    page["metadata"].setdefault("polybook", {})["failed"] = mark
    write_text(executed_path(out, job.framework, job.page), dumps(page))
    return mark


def _same_cells(built: dict[str, Any], failed: dict[str, Any]) -> bool:
    def code(nb: dict[str, Any]) -> int:
        return sum(c.get("cell_type") == "code" for c in nb.get("cells", []))

    return code(built) == code(failed)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return _loads(path.read_text(encoding="utf-8"))
    except OSError:
        return None


def _loads(text: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(text)
    except ValueError:
        return None
    return data
