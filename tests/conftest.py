"""Shared fixtures: the d2l-en corpus (test data outside the project) and tiny books."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("POLYBOOK_CORPUS", PROJECT.parent / "shared" / "corpus" / "d2l-en"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real d2l-en sources. CI has them beside the clone; a missing corpus is a failure."""
    if not (CORPUS / "config.ini").is_file():
        pytest.fail(f"the d2l-en corpus is not at {CORPUS}; set POLYBOOK_CORPUS to its folder")
    return CORPUS


MakeBook = Callable[..., Path]


@pytest.fixture
def make_book(tmp_path: Path) -> MakeBook:
    """Write a small book: ``make_book({"index.md": "...", "a.md": "..."}, frameworks=[...])``."""

    def make(pages: dict[str, str], frameworks: tuple[str, ...] = ("pytorch", "tensorflow", "mxnet")) -> Path:
        (tmp_path / "conf.py").write_text(
            f"project = 'Test book'\npolybook_frameworks = {list(frameworks)!r}\n"
        )
        for name, text in pages.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return tmp_path

    return make
