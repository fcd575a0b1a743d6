"""Generated parts of CONTRIBUTING.md: the settings table and the diagnostics table.

``python -m polybook.docs`` rewrites the text between ``<!-- begin NAME -->`` and
``<!-- end NAME -->``; the test suite fails when the file is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .config import docs_table
from .errors import Kind
from .fsutil import write_text


def diagnostics_table() -> str:
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    rows += [f"| `polybook.{k.code}` | {k.severity.value} | {k.description} |" for k in Kind]
    return "\n".join(rows)


SECTIONS = {"settings": docs_table, "diagnostics": diagnostics_table}


def render(text: str) -> str:
    """``text`` with every generated section brought up to date."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- begin {name} -->\n)(?:.*?\n)?(<!-- end {name} -->)", re.S)
        text = pattern.sub(lambda m, make=make: f"{m.group(1)}{make()}\n{m.group(2)}", text)  # type: ignore[misc]
    return text


def main(path: str = "CONTRIBUTING.md") -> int:
    target = Path(path)
    changed = write_text(target, render(target.read_text(encoding="utf-8")))
    print(f"{target}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
