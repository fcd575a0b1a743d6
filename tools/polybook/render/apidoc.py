"""The book's library written for its API page (``.. autoclass::`` in ``eval_rst`` blocks).

The site's Sphinx does not import the library to document it (see :mod:`polybook.render.autodoc`):
it reads the modules polybook generates from the book, written here under ``OUT/site/_python/``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..errors import Diagnostics
from ..fsutil import write_text
from ..generate.library import build_library, made_from
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
    key_path = folder.parent / ".polybook-key"
    key = hashlib.sha256("\n".join(made_from(book)).encode()).hexdigest()
    modules = [folder / f"{fw.module}.py" for fw in book.config.frameworks]
    if not (key_path.is_file() and key_path.read_text() == key and all(m.is_file() for m in modules)):
        for fw, module in zip(book.config.frameworks, modules, strict=True):
            write_text(module, build_library(book, fw, Diagnostics()))
        write_text(key_path, key)
    return {"polybook_python_path": str(folder.parent)}
