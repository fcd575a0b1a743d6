"""The book's library written for its API page (``.. autoclass::`` in ``eval_rst`` blocks).

The site's Sphinx does not import the library to document it (see :mod:`polybook.render.autodoc`):
it reads the modules polybook generates from the book, written here under ``OUT/site/_python/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import Diagnostics
from ..fsutil import write_text
from ..generate.library import build_library
from ..source.book import Book

_AUTODOC = re.compile(r"^\s*\.\.\s+auto\w+::", re.M)


def uses_autodoc(book: Book) -> bool:
    """Whether any page has an autodoc directive in an ``eval_rst`` block."""
    return any(
        block.kind == "eval_rst" and _AUTODOC.search(block.source)
        for doc in book.pages
        for block in doc.text_blocks
    )


def library_settings(book: Book, out: Path) -> dict[str, Any]:
    """Write the library where the API directives read it; Sphinx's setting for it."""
    if not uses_autodoc(book):
        return {}
    folder = out / "site" / "_python" / "d2l"
    for fw in book.config.frameworks:
        write_text(folder / f"{fw.module}.py", build_library(book, fw, Diagnostics()))
    return {"polybook_python_path": str(folder.parent)}
