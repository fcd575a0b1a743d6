"""Parse one page of the d2l dialect into a :class:`~polybook.source.document.Document`.

The page is tokenized once by markdown-it-py (:mod:`polybook.source.markdown`); this module walks the
top-level tokens, turns executable fences into code cells, attaches line marks (labels, widths,
captions) to the block they belong to, and tracks prose tabs. Problems become diagnostics with
the page's path and line; parsing always finishes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token

from ..errors import Diagnostics, Kind
from . import cells as cellmod
from .document import Block, CodeCell, Document, Role, TextBlock, TextKind
from .markdown import tokenize, top_level_blocks

_OPENERS: dict[str, TextKind] = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "blockquote_open": "blockquote",
}
_LEAVES: dict[str, TextKind] = {
    "math_block": "math",
    "math_block_label": "math",
    "html_block": "html",
    "hr": "rule",
    "code_block": "fence",
}
_LABEL_TARGETS = {"heading", "figure", "table", "math", "fence", "eval_rst"}


@dataclass
class _TabState:
    frameworks: frozenset[str]
    line: int
    group: int


class PageParser:
    """Builds one Document; holds the state of the walk (open prose tab, pending caption)."""

    def __init__(
        self,
        text: str,
        name: str,
        path: Path,
        display_path: str,
        frameworks: tuple[str, ...],
        diags: Diagnostics,
    ) -> None:
        self.lines = text.split("\n")
        self.doc = Document(name=name, path=path, display_path=display_path)
        self.frameworks = frameworks
        self.selected: tuple[str, ...] | None = None
        """Frameworks named by d2lbook's ``tab.interact_select(...)``, if the page has it."""
        self.named: set[str] = set()
        """Frameworks named explicitly (not through ``all``) by a cell's tab mark."""
        self.diags = diags
        self.tab: _TabState | None = None
        self.tab_groups = 0
        self.blocks_at_tab_end = -1
        self.caption: tuple[str, int] | None = None
        self.pending_label: tuple[str, int] | None = None

    # -- helpers -------------------------------------------------------------------------

    def error(self, kind: Kind, message: str, line: int) -> None:
        self.diags.add(kind, message, self.doc.display_path, line)

    def source(self, start: int, end: int) -> str:
        """Lines ``start`` to ``end`` (0-based, end excluded) without trailing blank lines."""
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        return "\n".join(self.lines[start:end])

    @property
    def blocks(self) -> list[Block]:
        return self.doc.blocks

    def add(self, block: Block) -> None:
        if self.tab is not None:
            block.tab_group = self.tab.group
            if isinstance(block, TextBlock):
                block.frameworks = self.tab.frameworks
        self.blocks.append(block)

    # -- the walk ------------------------------------------------------------------------

    def parse(self, text: str) -> Document:
        for group in top_level_blocks(tokenize(text)):
            self.visit(group)
        if self.tab is not None:
            self.error(
                Kind.TAB_UNCLOSED, "prose tab opened here is never closed by `:end_tab:`", self.tab.line
            )
        if self.caption is not None:
            self.error(Kind.MARK_ORPHAN, "table caption is not followed by a table", self.caption[1])
        if self.pending_label is not None:
            self.attach_label(*self.pending_label, force_previous=True)
        if self.selected is not None:
            # `tab.interact_select` lists the page's frameworks; d2l-en sometimes forgets one
            # that the page has cells for, so frameworks named by a cell count too.
            self.doc.frameworks = tuple(f for f in self.frameworks if f in self.selected or f in self.named)
        else:
            self.doc.frameworks = self.frameworks
        for block in self.doc.text_blocks:
            if block.kind == "heading":
                self.doc.title = _heading_text(block.source)
                break
        return self.doc

    def visit(self, group: list[Token]) -> None:
        first = group[0]
        if first.type == "d2l_mark":
            self.visit_marks(first)
            return
        if first.map is None:
            return
        if first.type == "d2l_caption":
            self.caption = (first.content, first.map[0] + 1)
            return
        start, end = first.map
        if first.type == "fence":
            self.visit_fence(first)
            return
        kind = _OPENERS.get(first.type) or _LEAVES.get(first.type)
        if kind is None:
            return
        block = TextBlock(kind, self.source(start, end), start + 1, end)
        inline = [t for t in group if t.type == "inline"]
        top = [c for t in inline for c in (t.children or [])]
        children = list(_flatten(top))
        if kind == "heading":
            block.heading_level = int(first.tag[1:])
        if kind == "paragraph" and _is_figure(top):
            block.kind = "figure"
        if kind == "math" and first.type == "math_block_label":
            block.label = first.info
        block.images = tuple(
            (str(c.attrs.get("src", "")), self.line_of(block, str(c.attrs.get("src", ""))))
            for c in children
            if c.type == "image"
        )
        block.roles = tuple(self.roles(block, children))
        if block.kind == "table" and self.caption is not None:
            block.caption = self.caption[0]
            self.caption = None
        if self.pending_label is not None:
            block.label, block.label_line = self.pending_label
            self.pending_label = None
        self.add(block)

    def line_of(self, block: TextBlock, raw: str, after: int = 0) -> int:
        index = block.source.find(raw, after) if raw else -1
        return block.line + (block.source.count("\n", 0, index) if index >= 0 else 0)

    def roles(self, block: TextBlock, children: list[Token]) -> Iterator[Role]:
        cursor = 0
        for child in children:
            if child.type != "d2l_role":
                continue
            index = block.source.find(child.content, cursor)
            line = block.line + (block.source.count("\n", 0, index) if index >= 0 else 0)
            cursor = index + len(child.content) if index >= 0 else cursor
            yield Role(child.meta["name"], child.meta["target"], child.content, line)

    def visit_fence(self, token: Token) -> None:
        start, end = token.map or (0, 0)
        closing = self.lines[end - 1].strip() if end - 1 > start else ""
        if not closing.startswith(token.markup) or closing.strip(token.markup[0]):
            self.error(
                Kind.FENCE_UNCLOSED, f"code fence {token.markup}{token.info} is never closed", start + 1
            )
        info = cellmod.parse_info(token.info)
        if info.executable:
            self.visit_cell(token, info)
            return
        kind: TextKind = "fence"
        block = TextBlock(kind, self.source(start, end), start + 1, end)
        if info.language == "toc":
            block.kind = "toc"
            options, entries, lines = [], [], []
            for offset, raw in enumerate(token.content.split("\n")):
                item = raw.strip()
                if item.startswith(":") and item.count(":") >= 2:
                    key, _, value = item[1:].partition(":")
                    options.append((key.strip(), value.strip()))
                elif item:
                    entries.append(item)
                    lines.append(start + 2 + offset)
            block.toc, block.toc_lines, block.toc_options = tuple(entries), tuple(lines), tuple(options)
        elif info.language == "eval_rst":
            block.kind = "eval_rst"
            block.files = tuple(rst_file_reads(token.content, start + 2))
        if self.pending_label is not None:
            block.label, block.label_line = self.pending_label
            self.pending_label = None
        self.add(block)

    def visit_cell(self, token: Token, info: cellmod.FenceInfo) -> None:
        fence_line = (token.map or (0, 0))[0] + 1
        lines = token.content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        header = cellmod.read_header(lines, fence_line + 1)
        if header.selected:
            selected = cellmod.resolve_frameworks(
                header.selected, self.frameworks, self.diags, self.doc.display_path, fence_line + 1
            )
            self.selected = tuple(fw for fw in self.frameworks if fw in selected)
        if not header.body:
            return  # d2lbook's `%load_ext d2lbook.tab` set-up cell, or an empty cell
        if header.frameworks is None:
            frameworks = frozenset({(self.selected or self.frameworks)[0]})
            self.named |= frameworks
        else:
            frameworks = cellmod.resolve_frameworks(
                header.frameworks, self.frameworks, self.diags, self.doc.display_path, header.tab_line
            )
            if "all" not in (n.lower() for n in header.frameworks):
                self.named |= frameworks
        code = "\n".join(header.body)
        cell = CodeCell(
            source=code,
            line=header.first_line,
            fence_line=fence_line,
            frameworks=frameworks,
            n=info.n,
            hide=header.hide,
            hide_code=header.hide_code,
            hide_output=header.hide_output,
            gpu=header.gpu,
            timeout=header.timeout,
            memory=header.memory,
            has_tab_selected=cellmod.uses_tab_selected(code),
            save="@save" in code,
            source_lines=tuple(header.lines),
        )
        if cell.has_tab_selected or cell.save:
            self.analyse(cell)
        self.add(cell)

    def analyse(self, cell: CodeCell) -> None:
        """Resolve ``tab.selected`` per framework and check what ``#@save`` marks."""
        reported: set[int] = set()
        for fw in sorted(cell.frameworks, key=self.frameworks.index):
            code, origins = cell.source, None
            try:
                if cell.has_tab_selected:
                    code, origins = cellmod.resolve_tab_selected_lines(cell.source, fw)
                tree = cellmod.parse_python(code)
            except SyntaxError as exc:
                line = cell.file_line(fw, exc.lineno or 1)
                if line not in reported:
                    reported.add(line)
                    self.error(Kind.CELL_SYNTAX, f"code cell is not valid Python: {exc.msg}", line)
                continue
            if code != cell.source and origins is not None:
                cell.variants[fw] = code
                cell.variant_lines[fw] = tuple(origins)
            if cell.save:
                _, bad = cellmod.saved_statements(code, tree)
                for line_in_cell, what in bad:
                    line = cell.file_line(fw, line_in_cell)
                    if line not in reported:
                        reported.add(line)
                        self.error(
                            Kind.SAVE_TARGET,
                            f"#@save marks {what}; only def, class, import and assignment can be saved",
                            line,
                        )

    def visit_marks(self, token: Token) -> None:
        line = (token.map or (0, 0))[0] + 1
        for name, arg in token.meta["marks"]:
            arg = (arg or "").strip()
            if name == "begin_tab":
                self.begin_tab(arg, line)
            elif name == "end_tab":
                if self.tab is None:
                    self.error(Kind.TAB_UNOPENED, "`:end_tab:` without an open `:begin_tab:`", line)
                self.tab = None
                self.blocks_at_tab_end = len(self.blocks)
            elif name == "label" and self.caption is not None:
                self.pending_label = (arg, line)
            elif name in ("label", "eqlabel"):
                self.attach_label(arg, line, eq=name == "eqlabel")
            elif name in ("width", "height"):
                target = self.previous_text()
                if target is None or target.kind != "figure":
                    self.error(Kind.MARK_ORPHAN, f"`:{name}:` does not follow an image", line)
                else:
                    setattr(target, name, arg)

    def begin_tab(self, arg: str, line: int) -> None:
        if self.tab is not None:
            self.error(
                Kind.TAB_NESTED,
                f"`:begin_tab:` while the tab opened on line {self.tab.line} is open; closing that one",
                line,
            )
            self.blocks_at_tab_end = len(self.blocks)
        if arg:
            frameworks = cellmod.resolve_frameworks(
                arg.split(","), self.frameworks, self.diags, self.doc.display_path, line
            )
        else:
            frameworks = frozenset(self.frameworks)
        if self.blocks_at_tab_end != len(self.blocks):
            self.tab_groups += 1
        self.tab = _TabState(frameworks, line, self.tab_groups)

    def previous_text(self) -> TextBlock | None:
        if self.blocks and isinstance(self.blocks[-1], TextBlock):
            return self.blocks[-1]
        return None

    def attach_label(self, label: str, line: int, *, eq: bool = False, force_previous: bool = False) -> None:
        target = self.previous_text()
        if target is None or target.label:
            if force_previous or target is None:
                self.error(
                    Kind.MARK_ORPHAN,
                    f"label {label!r} has no heading, figure, table or equation before it",
                    line,
                )
            else:
                self.error(
                    Kind.MARK_ORPHAN,
                    f"label {label!r} follows a block that already has label {target.label!r}",
                    line,
                )
            self.blocks.append(TextBlock("paragraph", "", line, line, label=label, label_line=line))
            return
        if eq and target.kind == "paragraph" and "$$" in target.source:
            target.kind = "math"  # e.g. a `$$` equation wrapped in slide marks
        if eq and target.kind != "math":
            self.error(Kind.MARK_ORPHAN, f"`:eqlabel:` {label!r} does not follow a `$$` equation", line)
        elif not eq and target.kind not in _LABEL_TARGETS:
            self.error(
                Kind.MARK_ORPHAN,
                f"label {label!r} follows a {target.kind}, not a heading, figure, table or equation",
                line,
            )
        target.label, target.label_line = label, line


_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:-]+)::\s*(.*)$")
_RST_FILE_OPTION = re.compile(r"^\s+:file:\s*(\S.*)$")
#: reStructuredText directives that read a file: its path is an option (raw) or the argument
_READS_FILE = {"raw": "option", "include": "argument", "literalinclude": "argument"}


def rst_file_reads(content: str, first_line: int) -> Iterator[tuple[str, str, int]]:
    """The files the directives of an ``eval_rst`` block read: (directive, path, line).

    A line scan is enough here: directives start a line, and their options follow indented.
    """
    directive = ""
    for offset, line in enumerate(content.split("\n")):
        if match := _RST_DIRECTIVE.match(line):
            directive = match.group(2)
            if _READS_FILE.get(directive) == "argument" and match.group(3).strip():
                yield directive, match.group(3).strip(), first_line + offset
        elif (option := _RST_FILE_OPTION.match(line)) and _READS_FILE.get(directive) == "option":
            yield directive, option.group(1).strip(), first_line + offset
        elif line.strip() and not line[:1].isspace():
            directive = ""


def _flatten(tokens: list[Token]) -> Iterator[Token]:
    """Inline tokens in order, with the children of images (their alt text) after each image."""
    for token in tokens:
        yield token
        if token.children:
            yield from _flatten(token.children)


def _is_figure(children: list[Token]) -> bool:
    """A paragraph that holds one image and nothing else but white space."""
    images = [c for c in children if c.type == "image"]
    others = [
        c
        for c in children
        if c.type not in ("image", "softbreak") and not (c.type == "text" and not c.content.strip())
    ]
    return len(images) == 1 and not others


def _heading_text(source: str) -> str:
    first = source.split("\n", 1)[0]
    return first.lstrip("#").strip()


def parse_page(
    text: str,
    name: str,
    path: Path,
    display_path: str,
    frameworks: tuple[str, ...],
    diags: Diagnostics,
) -> Document:
    """Parse one page; problems are added to ``diags``."""
    return PageParser(text, name, path, display_path, frameworks, diags).parse(text)
