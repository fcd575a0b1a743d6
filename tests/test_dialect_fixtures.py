"""File-based fixtures: each ``fixtures/dialect/X.md`` beside ``X.out``, the notebooks it becomes.

``X.out`` shows, per framework, every notebook cell with its source position and tags, then the
diagnostics. Regenerate after an intended change with ``pytest --force-regen`` and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from polybook.errors import Diagnostics
from polybook.generate.notebooks import page_notebook
from polybook.source.frameworks import BUILTIN
from polybook.source.parser import parse_page

FIXTURES = Path(__file__).parent / "fixtures" / "dialect"
FRAMEWORKS = ("pytorch", "tensorflow", "mxnet")


def render(md: Path) -> str:
    diags = Diagnostics()
    doc = parse_page(md.read_text(), md.stem, md, md.name, FRAMEWORKS, diags)
    out: list[str] = []
    for name in FRAMEWORKS:
        out.append(f"######## {name}")
        nb = page_notebook(doc, BUILTIN[name], md.name)
        if nb is None:
            out.append("(no notebook: the page has code, but none for this framework)")
            continue
        assert nb["metadata"]["kernelspec"]["name"] == f"polybook-{name}"
        for cell, where in zip(nb["cells"], nb["metadata"]["polybook"]["source_map"], strict=True):
            tags = cell["metadata"].get("tags", [])
            out.append(f"---- {cell['cell_type']} {where}" + (f" tags={','.join(tags)}" if tags else ""))
            out.append("".join(cell["source"]))
    out.append("######## diagnostics")
    out.extend(d.format() for d in diags.sorted())
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("md", sorted(FIXTURES.glob("*.md")), ids=lambda p: p.stem)
def test_fixture(md: Path, file_regression) -> None:  # type: ignore[no-untyped-def]
    file_regression.check(render(md), fullpath=md.with_suffix(".out"))


def test_every_construct_has_a_fixture() -> None:
    names = {p.stem for p in FIXTURES.glob("*.md")}
    assert names >= {
        "input_fences",
        "tab_headers",
        "header_cells",
        "tab_selected",
        "prose_tabs",
        "markers",
        "labels",
        "roles",
        "toc_and_rst",
        "slide_marks",
    }
    assert all(p.with_suffix(".out").is_file() for p in FIXTURES.glob("*.md")), "run pytest --force-regen"
