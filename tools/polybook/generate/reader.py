"""The notebook a reader downloads: one page in one language and framework, that runs anywhere.

Unlike the notebooks polybook executes (``notebooks.py``: MyST, kernel ``polybook-<fw>``), this
one is for Jupyter, Colab or VS Code on a reader's machine:

- kernel ``python3`` with ``language_info``;
- plain Markdown: references, equations and citations read as on the site ("Section 2.1",
  "(2.1.3)", "(Galton, 1886)"), figures as images with their numbered captions, no MyST;
- images embedded as cell attachments (or the published site's URLs), never ``../img/…``;
- a first cell that installs the book's ``d2l`` package and the framework, and an
  Open-in-Colab link when the book has one;
- the executed outputs of the site.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..source.document import CodeCell, Document, TextBlock
from ..source.frameworks import Framework
from .myst import _FIGURE, plain_text, strip_slide_marks
from .notebooks import NBFORMAT, NBFORMAT_MINOR, _lines, merge_outputs, page_notebook


@dataclass
class Resolved:
    """What the site made of one page's references and numbers (``render/refs.py``)."""

    refs: dict[str, str] = field(default_factory=dict)
    """``<myst role>:<target>`` → the text Sphinx gave it ("Section 2.1")."""
    numbers: dict[str, str] = field(default_factory=dict)
    """Label → a figure's or table's caption prefix ("Fig. 2.1.1") or an equation's number."""
    sections: list[tuple[str, str]] = field(default_factory=list)
    """Each section title with its number, in page order."""
    page: str = ""
    """The page's own number ("2.1"), empty for an unnumbered page."""

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Resolved:
        if not data:
            return cls()
        return cls(
            dict(data.get("refs", {})),
            dict(data.get("numbers", {})),
            [(str(t), str(n)) for t, n in data.get("sections", [])],
            str(data.get("page", "")),
        )


Image = Callable[[str], tuple[str, str, bytes] | str | None]
"""An image path of the page → (name, MIME type, bytes) to attach, a URL, or None (missing)."""


@dataclass
class Reader:
    """Everything a reader's notebook needs besides the page."""

    resolved: Resolved
    image: Image
    install: str
    """The first cell's code (see :func:`install_cell`)."""
    colab: str = ""
    """The page's Open-in-Colab URL for this framework; empty: no link."""
    colab_words: str = "Open in Colab"
    toc_entry: Callable[[str], tuple[str, str]] | None = None
    """A page name of a table of contents → (its numbered title, its notebook's relative path)."""


def install_cell(requirement: str, framework: Framework) -> str:
    """The code of a notebook's first cell: the book's ``d2l`` package and the framework."""
    packages = " ".join(f'"{r}"' for r in (requirement, *framework.requirements))
    return (
        f"# The book's d2l package and {framework.display}; pip skips what is already installed.\n"
        f"%pip install --quiet {packages}\n"
    )


_ROLE = re.compile(r"\{(numref|ref|eq|cite:p|cite:t)\}`([^`]*)`")
_LABEL_LINE = re.compile(r"^\((?P<label>[^()\s]+)\)=\n", re.M)
_EQ_LABEL = re.compile(r"\$\$\s*\((?P<label>[^()\s]+)\)\s*$")


class _Page:
    """One page's blocks as plain Markdown, with the page's attachments."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.attachments: dict[str, dict[str, str]] = {}
        self.sections = list(reader.resolved.sections)

    def role(self, name: str, target: str) -> str:
        """A role's text as the site shows it; its target when the site made nothing of it."""
        key = {"cite:p": "p", "cite:t": "t"}.get(name, name)
        text = self.reader.resolved.refs.get(f"{key}:{target}")
        if text:
            return text
        if name == "eq":
            number = self.reader.resolved.numbers.get(target)
            return f"({number})" if number else f"({target})"
        return f"[{target}]" if name.startswith("cite") else target

    def inline(self, text: str) -> str:
        """Roles (already in their MyST form) as text."""
        return _ROLE.sub(lambda m: self.role(m.group(1), m.group(2)), text)

    def image(self, src: str, alt: str) -> str:
        found = self.reader.image(src)
        if found is None:
            return f"*[{alt or src}]*"
        if isinstance(found, str):
            return f"![{alt}]({found})"
        name, mime, data = found
        self.attachments[name] = {mime: base64.b64encode(data).decode("ascii")}
        return f"![{alt}](attachment:{name})"

    def heading(self, block: TextBlock, text: str) -> str:
        hashes, _, title = text.partition(" ")
        title = title.strip()
        number = ""
        for index, (known, num) in enumerate(self.sections):
            if known == plain_text(title):
                number = num
                del self.sections[index]
                break
        return f"{hashes} {number}. {title}" if number else f"{hashes} {title}"

    def block(self, block: TextBlock) -> str:
        """One text block as Markdown."""
        from .myst import replace_roles

        if block.kind == "toc":
            return self.toc(block)
        if block.kind == "eval_rst":
            return ""
        text, _ = replace_roles(block)
        text = _BIBLIOGRAPHY.sub("", text)  # the site's list of references: nothing in a notebook
        if block.kind not in ("fence", "html"):
            text = strip_slide_marks(text).strip("\n")
        if block.kind == "figure":
            return self.figure(text, block)
        if block.kind == "math":
            return self.math(text, block)
        text = self.inline(text)
        if block.kind == "heading":
            return self.heading(block, text)
        if block.kind == "table" and (block.caption or block.label):
            prefix = self.reader.resolved.numbers.get(block.label or "", "")
            caption = self.inline(strip_slide_marks(_myst_roles(block.caption or "")))
            head = " ".join(p for p in (f"**{prefix}**" if prefix else "", caption) if p)
            text = f"{head}\n\n{text}"
        return _IMAGE.sub(lambda m: self.image(m.group("src"), m.group("alt")), text)

    def figure(self, text: str, block: TextBlock) -> str:
        match = _FIGURE.search(text)
        if not match:
            return self.inline(text)
        caption = self.inline(match.group("alt").strip())
        image = self.image(match.group("src").strip("<>"), plain_text(caption))
        prefix = self.reader.resolved.numbers.get(block.label or "", "")
        line = " ".join(p for p in (f"**{prefix}**" if prefix else "", caption) if p)
        return f"{image}\n\n{line}" if line else image

    def math(self, text: str, block: TextBlock) -> str:
        label = block.label
        found = _EQ_LABEL.search(text.rstrip())
        if found:
            label = label or found.group("label")
            text = text.rstrip()[: found.start()] + "$$"
        number = self.reader.resolved.numbers.get(label or "", "")
        if number:
            end = text.rfind("$$")
            text = f"{text[:end].rstrip()}\n\\tag{{{number}}}\n$$"
        return text

    def toc(self, block: TextBlock) -> str:
        if self.reader.toc_entry is None:
            return ""
        rows = []
        for name in block.toc:
            title, href = self.reader.toc_entry(name)
            rows.append(f"- [{title}]({href})")
        return "\n".join(rows)


_BIBLIOGRAPHY = re.compile(r"`{3,}\{bibliography\}\n`{3,}")
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _myst_roles(text: str) -> str:
    from .myst import convert_roles

    return convert_roles(text)


def reader_markdown(block: TextBlock, reader: Reader) -> tuple[str, dict[str, dict[str, str]]]:
    """One text block as plain Markdown, and the attachments it needs (for tests and tools)."""
    page = _Page(reader)
    return page.block(block), page.attachments


def reader_notebook(
    doc: Document, framework: Framework, executed: dict[str, Any] | None, reader: Reader, source_name: str
) -> dict[str, Any] | None:
    """The reader's notebook of ``doc`` (in its language) for ``framework``; None when the page
    has no notebook in it (see :func:`~polybook.generate.notebooks.page_notebook`)."""
    plain = page_notebook(doc, framework, source_name)
    if plain is None:
        return None
    if executed is not None:
        with contextlib.suppress(ValueError):  # outputs of other code (an older run): the code alone
            plain = merge_outputs(plain, executed)
    page = _Page(reader)
    cells: list[dict[str, Any]] = []
    prose: list[str] = []

    def flush() -> None:
        text = "\n\n".join(p for p in prose if p.strip())
        prose.clear()
        if not text:
            return
        cell: dict[str, Any] = {"cell_type": "markdown", "id": f"md-{len(cells)}", "metadata": {}}
        used = {name: data for name, data in page.attachments.items() if f"attachment:{name}" in text}
        if used:
            cell["attachments"] = used
        cell["source"] = _lines(text)
        cells.append(cell)

    code = iter(c for c in plain["cells"] if c["cell_type"] == "code")
    for block in doc.blocks:
        if isinstance(block, TextBlock):
            if block.shown_for(framework.name):
                prose.append(page.block(block))
            continue
        if not isinstance(block, CodeCell) or not block.shown_for(framework.name):
            continue
        flush()
        cell = dict(next(code))
        cell["id"] = f"code-{len(cells)}"
        cells.append(cell)
    flush()
    head = ""
    if reader.colab:
        badge = "https://colab.research.google.com/assets/colab-badge.svg"
        head = f"[![{reader.colab_words}]({badge})]({reader.colab})"
    setup: list[dict[str, Any]] = []
    if any(c["cell_type"] == "code" for c in cells):
        setup.append(
            {
                "cell_type": "code",
                "id": "install",
                "metadata": {"tags": ["polybook-install"]},
                "execution_count": None,
                "outputs": [],
                "source": _lines(reader.install),
            }
        )
    if head:
        setup.insert(0, {"cell_type": "markdown", "id": "colab", "metadata": {}, "source": _lines(head)})
    return {
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {
                "name": "python",
                "codemirror_mode": {"name": "ipython", "version": 3},
                "file_extension": ".py",
                "mimetype": "text/x-python",
                "nbconvert_exporter": "python",
                "pygments_lexer": "ipython3",
            },
        },
        "cells": _insert_after_title(cells, setup),
    }


def _insert_after_title(cells: list[dict[str, Any]], setup: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The set-up cells go under the page's title (the first Markdown cell's first line)."""
    if not setup or not cells or cells[0]["cell_type"] != "markdown":
        return setup + cells
    first = cells[0]
    text = "".join(first["source"])
    title, _, rest = text.partition("\n")
    if not title.startswith("#") or not rest.strip():
        return [first, *setup, *cells[1:]]
    head = {**first, "source": _lines(title)}
    head.pop("attachments", None)
    body = {**first, "id": "md-intro", "source": _lines(rest.strip("\n"))}
    return [head, *setup, body, *cells[1:]]


def attachment(path_name: str, data: bytes) -> tuple[str, str, bytes]:
    """An image file as an attachment: its file name, MIME type and bytes."""
    name = path_name.rsplit("/", 1)[-1]
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name, mime, data


def dumps_reader(notebook: dict[str, Any]) -> str:
    """A reader's notebook as Jupyter writes it (indented: readers diff and read them)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
