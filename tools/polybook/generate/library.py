"""The d2l library: every ``#@save`` block of the book, one module per framework.

Statements are found with :mod:`ast` (:func:`polybook.source.cells.saved_statements`) and copied from
the source with their comments. Imports are gathered at the top, de-duplicated and sorted; the
rest follows in book order, each block preceded by ``# <page>.md:<line>``. Methods saved with
``@d2l.add_to_class(C)`` are merged into class C. Functions and classes get a "Defined in" note
naming the nearest section label above them. The output depends only on the book: same input,
same bytes.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics, EncodingError, Kind
from ..fsutil import read_source
from ..source.book import Book
from ..source.cells import parse_python, saved_statements
from ..source.config import LibraryAliases
from ..source.document import CodeCell, Document, TextBlock
from ..source.frameworks import Framework

Origin = tuple[str, int] | None
"""A module line's chapter file (relative to the book's root) and line; None for generated lines."""


@dataclass
class _Saved:
    """One saved statement's text with the chapter line of each of its lines."""

    source: str
    origins: list[Origin]
    where: str
    """``page.md:line`` of its first line, for messages."""
    cell: str
    """``page.md, cell N``: the comment above it in the module, stable when prose moves."""


@dataclass
class _Block:
    """One saved top-level statement, as it will appear in the module."""

    name: str
    kind: str
    """``import``, ``def``, ``class`` or ``assign``."""
    saved: _Saved
    methods: list[tuple[str, _Saved]] = field(default_factory=list)
    """For a class: methods added with ``add_to_class``, as (name, saved)."""

    @property
    def where(self) -> str:
        return self.saved.where


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))


_SAVE_MARK = re.compile(r"[ \t]*#[ \t]*@save[ \t]*$", re.M)


def _segment(lines: list[str], node: ast.stmt) -> tuple[int, str]:
    """The statement's first line in the cell, and its source, decorators included, its
    trailing ``#@save`` marks removed."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    return first, _SAVE_MARK.sub("", "\n".join(lines[first - 1 : node.end_lineno or node.lineno]).rstrip())


def _add_to_class_target(node: ast.stmt) -> tuple[str, ast.expr] | None:
    """The class name of ``@d2l.add_to_class(C)`` on a function, with the decorator."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for deco in node.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "add_to_class"
            and len(deco.args) == 1
        ):
            target = deco.args[0]
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            return name, deco
    return None


Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _char_col(line: str, byte_col: int) -> int:
    """:mod:`ast` columns count UTF-8 bytes; this is the character index in ``line``."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _with_note(source: str, node: Definition, note: str) -> str:
    """``source`` of a def or class with ``note`` appended to its docstring (added if none)."""
    lines = source.split("\n")
    offset = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    body = node.body[0]
    indent = " " * body.col_offset
    doc = body.value if isinstance(body, ast.Expr) and isinstance(body.value, ast.Constant) else None
    if doc is None or not isinstance(doc.value, str):
        if body.lineno == node.lineno:  # `def f(): return 1` on one line: no room for a docstring
            return source
        lines.insert(body.lineno - offset, f'{indent}"""{note}"""')
        return "\n".join(lines)
    first, last_index = doc.lineno - offset, (doc.end_lineno or doc.lineno) - offset
    last = lines[last_index]
    end = _char_col(last, doc.end_col_offset or 0)
    closing = last[end - 3 : end]
    if closing in ('"""', "'''"):
        before = last[: end - 3]
        if before.strip():  # `"""Text."""`: the note goes before the closing quotes
            lines[last_index] = f"{before.rstrip()}\n\n{indent}{note}{closing}{last[end:]}"
        else:  # the closing quotes stand on their own line
            lines[last_index] = f"\n{indent}{note}\n{last}"
        return "\n".join(lines)
    # a one-line '...' or "..." docstring: rewritten triple-quoted, raw if it holds a backslash
    text = doc.value.rstrip() + f"\n\n{indent}{note}"
    if '"""' in text:
        return source
    prefix = "r" if "\\" in text else ""
    start = _char_col(lines[first], doc.col_offset)
    lines[first : last_index + 1] = [f'{lines[first][:start]}{prefix}"""{text}"""{last[end:]}']
    return "\n".join(lines)


@dataclass(frozen=True)
class _Import:
    """One imported name: its normalised line, the name it binds and what it binds it to.

    ``import os`` and ``import os.path`` both bind ``os`` to the module ``os``, so they agree;
    ``import numpy as np`` and ``from mxnet import np`` bind ``np`` to different things.
    """

    line: str
    name: str
    target: str


def _imports(node: ast.Import | ast.ImportFrom) -> list[_Import]:
    """Each name of an import statement as its own normalised line."""
    found = []
    for alias in node.names:
        if isinstance(node, ast.Import):
            line = ast.unparse(ast.Import(names=[alias]))
            module = alias.name if alias.asname else alias.name.split(".")[0]
            found.append(_Import(line, alias.asname or module, f"module {module}"))
        else:
            line = ast.unparse(ast.ImportFrom(module=node.module, names=[alias], level=node.level))
            source = f"from {'.' * node.level}{node.module or ''} import {alias.name}"
            found.append(_Import(line, alias.asname or alias.name, source))
    return found


def _import_sort_key(line: str) -> tuple[int, str]:
    """``from __future__`` first (Python requires it), then ``import x``, then ``from x import y``."""
    if line.startswith("from __future__ "):
        return (0, line)
    return (1 if line.startswith("import ") else 2, line.lower())


def _aligned(before: list[str], origins: list[Origin], after: list[str]) -> list[Origin]:
    """Origins for ``after``, an edit of ``before`` (a docstring note added): kept lines keep
    theirs, an edited or added line takes the origin of the line it replaces or follows."""
    result: list[Origin] = [None] * len(after)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(j2 - j1):
                result[j1 + k] = origins[i1 + min(k, i2 - i1 - 1)]
    for index in range(1, len(result)):
        if result[index] is None:
            result[index] = result[index - 1]
    return result


class LibraryBuilder:
    """Collects one framework's saved blocks in book order."""

    def __init__(self, framework: Framework, diags: Diagnostics) -> None:
        self.framework = framework
        self.diags = diags
        self.imports: dict[str, tuple[_Import, str, Origin]] = {}
        """Normalised import line -> (the import, where it was saved, its chapter line)."""
        self.blocks: list[_Block] = []
        self.sources: list[str] = []

    def _report(self, kind: Kind, message: str, path: str, line: int) -> None:
        self.diags.add(kind, message, path, line)

    def add_page(self, doc: Document, source_name: str) -> None:
        section = ""
        saved_any = False
        number = 0
        for block in doc.blocks:
            if isinstance(block, TextBlock):
                if block.kind == "heading" and block.label:
                    section = block.label
                continue
            number += 1  # the page's code cells, counted in every framework alike
            if not (block.save and block.shown_for(self.framework.name)):
                continue
            saved_any |= self._add_cell(doc, block, source_name, section, number)
        if saved_any:
            self.sources.append(source_name)

    def _add_cell(self, doc: Document, cell: CodeCell, source_name: str, section: str, number: int) -> bool:
        fw = self.framework.name
        code = cell.code_for(fw)
        try:
            tree = parse_python(code)
        except SyntaxError:
            return False  # reported by the parser
        statements, _ = saved_statements(code, tree)
        lines = code.split("\n")
        note = f"Defined in :numref:`{section}`" if section else ""
        label = f"{source_name}, cell {number}"
        for saved in statements:
            node = saved.node
            line = cell.file_line(fw, saved.line)
            where = f"{source_name}:{line}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for imp in _imports(node):
                    self._add_import(imp, where, doc.display_path, line)
                continue
            first, source = _segment(lines, node)
            origins: list[Origin] = [
                (source_name, cell.file_line(fw, first + k)) for k in range(source.count("\n") + 1)
            ]
            if note and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                noted = _with_note(source, node, note)
                origins = _aligned(source.split("\n"), origins, noted.split("\n"))
                source = noted
            item = _Saved(source, origins, where, label)
            target = _add_to_class_target(node)
            if target is not None:
                self._add_method(target, node, item, doc.display_path, line)
                continue
            self._add_block(node, item, doc.display_path, line)
        return bool(statements)

    def _add_import(self, imp: _Import, where: str, path: str, line: int) -> None:
        if imp.line in self.imports:
            return
        for other, (known, other_where, _) in list(self.imports.items()):
            if known.name == imp.name and known.target != imp.target:
                self._report(
                    Kind.SAVE_DUPLICATE,
                    f"{imp.name!r} is imported again in the {self.framework.display} library "
                    f"({imp.line!r}); it replaces {other!r} from {other_where}",
                    path,
                    line,
                )
                del self.imports[other]
        self.imports[imp.line] = (imp, where, (where.rpartition(":")[0], line))

    def _add_block(self, node: ast.stmt, saved: _Saved, path: str, line: int) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind, names = "def", [node.name]
        elif isinstance(node, ast.ClassDef):
            kind, names = "class", [node.name]
        else:
            kind = "assign"
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        name = names[0] if len(names) == 1 else ""
        if name and kind != "assign":
            for old in [b for b in self.blocks if b.name == name and b.kind in ("def", "class")]:
                self._report(
                    Kind.SAVE_DUPLICATE,
                    f"{name!r} is saved again in the {self.framework.display} library; "
                    f"this one replaces the one at {old.where}",
                    path,
                    line,
                )
                self.blocks.remove(old)
        self.blocks.append(_Block(name, kind, saved))

    def _add_method(
        self, target: tuple[str, ast.expr], node: ast.stmt, saved: _Saved, path: str, line: int
    ) -> None:
        class_name, decorator = target
        owner = next((b for b in reversed(self.blocks) if b.kind == "class" and b.name == class_name), None)
        if owner is None:
            self._report(
                Kind.ADD_TO_CLASS_UNKNOWN,
                f"@d2l.add_to_class({class_name}) in the {self.framework.display} library: "
                f"no saved class {class_name!r} before it",
                path,
                line,
            )
            return
        first = min([getattr(node, "lineno", 1), *(d.lineno for d in getattr(node, "decorator_list", []))])
        kept, origins = saved.source.split("\n"), list(saved.origins)
        drop = decorator.lineno - first
        end = (decorator.end_lineno or decorator.lineno) - first
        del kept[drop : end + 1]
        del origins[drop : end + 1]
        name = getattr(node, "name", "")
        owner.methods.append((name, _Saved("\n".join(kept), origins, saved.where, saved.cell)))

    def render(
        self, aliases: LibraryAliases | None, command: str, head: str = ""
    ) -> tuple[str, list[Origin]]:
        """The module's text, and the chapter line of each of its lines (index 0: line 1).

        :param head: the book's own lines kept above the generated part (see :func:`book_head`).
        """
        header = [
            *([*head.rstrip("\n").split("\n"), "", HEAD_MARK] if head else []),
            f'"""The d2l library for {self.framework.display}: the book\'s #@save blocks."""',
            "",
            f"# Generated by `{command}`; do not edit. Edit the chapters and run it again.",
            "# Sources, in book order:",
            *(f"#   {s}" for s in self.sources),
        ]
        sections: list[tuple[str, list[Origin]]] = [("\n".join(header), [None] * len(header))]
        if self.imports:
            ordered = sorted(self.imports, key=_import_sort_key)
            sections.append(("\n".join(ordered), [self.imports[line][2] for line in ordered]))
        # Aliases come right after the imports: saved classes use them as bases
        # (`class Module(d2l.nn_Module)`), and a saved function of the same name wins over them.
        if aliases is not None and (aliases.simple_alias or aliases.fluent_alias or aliases.alias):
            lib = aliases.lib_name or self.framework.module
            text = "\n".join(
                [
                    f"# Aliases from the configuration (library-{self.framework.name})",
                    *(f"{a} = {lib}.{b}" for a, b in aliases.simple_alias),
                    *(
                        f"{a} = lambda x, *args, **kwargs: x.{b}(*args, **kwargs)"
                        for a, b in aliases.fluent_alias
                    ),
                    *(f"{a} = {b}" for a, b in aliases.alias),
                ]
            )
            sections.append((text, [None] * (text.count("\n") + 1)))
        for block in self.blocks:
            text = f"# {block.saved.cell}\n{block.saved.source}"
            origins: list[Origin] = [None, *block.saved.origins]
            for _, method in block.methods:
                text += f"\n\n    # {method.cell}\n{_indent(method.source, '    ')}"
                origins += [None, None, *method.origins]
            sections.append((text, origins))
        # one blank line after the header, two between the rest (PEP 8)
        text, origins = sections[0]
        origins = list(origins)
        for index, (part, part_origins) in enumerate(sections[1:]):
            blank = 1 if index == 0 else 2
            text += "\n" * (blank + 1) + part
            origins += [None] * blank + part_origins
        return text + "\n", origins


@dataclass
class Module:
    """One framework's library module: its text, and the chapter line of each of its lines."""

    text: str
    origins: list[Origin]

    def origin(self, line: int) -> Origin:
        """The chapter file and line of the module's line ``line`` (1-based)."""
        return self.origins[line - 1] if 0 < line <= len(self.origins) else None


def build_module(
    book: Book, framework: Framework, diags: Diagnostics, command: str = "polybook lib"
) -> Module:
    """``d2l/<module>.py`` for ``framework``, with where each line came from."""
    builder = LibraryBuilder(framework, diags)
    root = book.config.root
    for doc in book.pages:
        builder.add_page(doc, doc.path.relative_to(root).as_posix())
    head = book_head(library_paths(book, None)[framework.name])
    text, origins = builder.render(book.config.library.get(framework.name), command, head)
    return Module(text, origins)


def build_library(book: Book, framework: Framework, diags: Diagnostics, command: str = "polybook lib") -> str:
    """The text of ``d2l/<module>.py`` for ``framework``."""
    return build_module(book, framework, diags, command).text


#: d2lbook's line between a library module's hand-written head and its generated part.
HEAD_MARK = "#################   WARNING   ################"
_HEAD_MARK = re.compile(r"^#{5,}\s+WARNING\s+#{5,}\s*$", re.M)


def book_head(path: Path) -> str:
    """The hand-written head of the book's library module: what stands above d2lbook's
    ``#####   WARNING   #####`` line (d2l-en defines ``DATA_HUB`` and ``DATA_URL`` there, which
    its saved code uses). Empty when the module does not exist or has no such line."""
    try:
        text = read_source(path)
    except (OSError, EncodingError):
        return ""
    match = _HEAD_MARK.search(text)
    return text[: match.start()].rstrip("\n") + "\n" if match else ""


def made_from(book: Book) -> list[str]:
    """What every module of the library is made from, as keys: each page, the library settings,
    the frameworks, and this module's code (a change to any makes the modules again)."""
    parts = [doc.content_key() for doc in book.pages]
    parts += [repr(sorted(book.config.library.items())), repr(book.config.frameworks)]
    parts.append(hashlib.sha256(Path(__file__).read_bytes()).hexdigest())
    return parts


def library_paths(book: Book, out: Path | None) -> dict[str, Path]:
    """Where each framework's module goes: ``d2l/<module>.py``, or ``OUT/lib/<module>.py``."""
    base = (out / "lib") if out else (book.config.root / "d2l")
    paths = {}
    for fw in book.config.frameworks:
        lib_file = book.config.library[fw.name].lib_file if fw.name in book.config.library else ""
        if lib_file and out is None:
            paths[fw.name] = book.config.root / lib_file  # d2lbook's [library-<fw>] lib_file
        else:
            paths[fw.name] = base / (Path(lib_file).name if lib_file else f"{fw.module}.py")
    return paths


def diff_summary(path: Path, expected: str, limit: int = 20) -> str:
    """A short account of how ``path`` differs from ``expected``."""
    if not path.is_file():
        return f"{path}: missing"
    current = path.read_text(encoding="utf-8").splitlines()
    diff = list(
        difflib.unified_diff(current, expected.splitlines(), str(path), "generated", lineterm="", n=0)
    )
    changed = sum(1 for d in diff if d[:1] in "+-" and not d.startswith(("+++", "---")))
    shown = "\n".join(diff[:limit])
    more = f"\n… {len(diff) - limit} more diff lines" if len(diff) > limit else ""
    return f"{path}: {changed} line(s) differ\n{shown}{more}"
