"""The Document: one page of the book as a tree of located blocks.

Every later stage (notebooks, the library, translations, the site) reads this and never the
Markdown text again. Lines are 1-based and refer to the page's own file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

TextKind = Literal[
    "heading",
    "paragraph",
    "figure",
    "list",
    "table",
    "math",
    "blockquote",
    "fence",
    "html",
    "rule",
    "eval_rst",
    "toc",
]


@dataclass(frozen=True)
class Role:
    """An inline mark such as ``:numref:`fig_x```, as written."""

    name: str
    target: str
    raw: str
    line: int


@dataclass
class TextBlock:
    """A block of prose (a paragraph, heading, list, table, math or displayed code)."""

    kind: TextKind
    source: str
    """The block's lines exactly as written, marks on their own lines excluded."""
    line: int
    end_line: int
    frameworks: frozenset[str] | None = None
    """Set inside a prose tab: the frameworks it is shown for. None: shown for all."""
    tab_group: int | None = None
    """Consecutive prose tabs share a group number (one tab set on the site)."""
    label: str | None = None
    label_line: int = 0
    """Line of the ``:label:`` mark (0: the label came with the block, as ``$$ (x)``)."""
    width: str | None = None
    height: str | None = None
    caption: str | None = None
    heading_level: int = 0
    roles: tuple[Role, ...] = ()
    images: tuple[tuple[str, int], ...] = ()
    """Image targets with their lines."""
    toc: tuple[str, ...] = ()
    """For a ``toc`` block: the page names it lists."""
    toc_lines: tuple[int, ...] = ()
    translation_state: str = ""
    """In a translated Document: ``translated``, ``stale``, ``missing`` or ``partial``."""
    toc_options: tuple[tuple[str, str], ...] = ()
    files: tuple[tuple[str, str, int], ...] = ()
    """For an ``eval_rst`` block: the files its directives read (``raw :file:``, ``include``,
    ``literalinclude``): directive name, path as written, line."""
    missing_files: tuple[str, ...] = ()
    """Of ``files``, the paths that do not exist (set by the book's checks): not rendered."""

    def shown_for(self, framework: str) -> bool:
        return self.frameworks is None or framework in self.frameworks


@dataclass
class CodeCell:
    """An executable ``.input`` cell, with its frameworks resolved."""

    source: str
    """The code, without its ``#@tab``/``%%tab`` header line."""
    line: int
    """Line of the first line of ``source`` in the page's file."""
    fence_line: int
    frameworks: frozenset[str]
    n: int | None = None
    save: bool = False
    """Whether anything in the cell is marked ``#@save``."""
    hide: bool = False
    hide_code: bool = False
    hide_output: bool = False
    gpu: bool = False
    timeout: float | None = None
    memory: int | None = None
    has_tab_selected: bool = False
    tab_group: int | None = None
    variants: dict[str, str] = field(default_factory=dict)
    """Per framework, the code with ``tab.selected`` branches resolved (when they differ)."""
    source_lines: tuple[int, ...] = ()
    """File line of each line of ``source``."""
    variant_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Per framework with a variant: for each of its lines, the line of ``source`` (1-based)."""

    def code_for(self, framework: str) -> str:
        return self.variants.get(framework, self.source)

    def file_line(self, framework: str, line: int) -> int:
        """The file line of line ``line`` (1-based) of :meth:`code_for` ``framework``."""
        mapping = self.variant_lines.get(framework)
        if mapping is not None and 0 < line <= len(mapping):
            line = mapping[line - 1]
        if 0 < line <= len(self.source_lines):
            return self.source_lines[line - 1]
        return self.line + line - 1

    def shown_for(self, framework: str) -> bool:
        return framework in self.frameworks


Block = TextBlock | CodeCell


@dataclass
class Document:
    """One page: its blocks in order, with what it defines and refers to."""

    name: str
    """Page name: path relative to the pages folder, without ``.md``, with ``/``."""
    path: Path
    """The page's file."""
    display_path: str
    """The file as shown in diagnostics."""
    blocks: list[Block] = field(default_factory=list)
    title: str = ""
    frameworks: tuple[str, ...] = ()
    """The frameworks the page is offered in (all configured ones unless the page narrows them
    with d2lbook's ``tab.interact_select``); cells marked ``all`` still go to every library."""
    digest: str = ""
    """A hash of what the Document was made from (text, name, frameworks, parser): the key of
    the caches of later stages."""

    def content_key(self) -> str:
        """:attr:`digest` plus what the book's checks set on the blocks (files that are missing)."""
        missing = [f for block in self.text_blocks for f in block.missing_files]
        return f"{self.digest}:{','.join(missing)}" if missing else self.digest

    @property
    def cells(self) -> list[CodeCell]:
        return [b for b in self.blocks if isinstance(b, CodeCell)]

    @property
    def text_blocks(self) -> list[TextBlock]:
        return [b for b in self.blocks if isinstance(b, TextBlock)]

    def labels(self) -> list[tuple[str, int]]:
        """Labels this page defines, with their lines."""
        found = []
        for block in self.text_blocks:
            if block.label:
                found.append((block.label, block.label_line or block.line))
            found.extend((r.target, r.line) for r in block.roles if r.name in ("label", "eqlabel"))
        return found

    def references(self) -> list[Role]:
        return [r for b in self.text_blocks for r in b.roles if r.name in ("numref", "ref", "eqref")]

    def toc(self) -> list[tuple[str, int]]:
        return [
            (entry, line)
            for b in self.text_blocks
            if b.kind == "toc"
            for entry, line in zip(b.toc, b.toc_lines, strict=True)
        ]

    def frameworks_with_code(self) -> set[str]:
        return {fw for cell in self.cells for fw in cell.frameworks}
