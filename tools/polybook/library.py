"""The d2l library: every ``#@save`` block of the book, one module per framework.

Statements are found with :mod:`ast` (:func:`polybook.cells.saved_statements`) and copied from
the source with their comments. Imports are gathered at the top, de-duplicated and sorted; the
rest follows in book order, each block preceded by ``# <page>.md:<line>``. Methods saved with
``@d2l.add_to_class(C)`` are merged into class C. Functions and classes get a "Defined in" note
naming the nearest section label above them. The output depends only on the book: same input,
same bytes.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .book import Book
from .cells import parse_python, saved_statements
from .config import LibraryAliases
from .document import CodeCell, Document, TextBlock
from .errors import Diagnostics, Kind
from .frameworks import Framework


@dataclass
class _Block:
    """One saved top-level statement, as it will appear in the module."""

    name: str
    kind: str
    """``import``, ``def``, ``class`` or ``assign``."""
    source: str
    where: str
    """``page.md:line`` of its first line."""
    methods: list[tuple[str, str, str]] = field(default_factory=list)
    """For a class: methods added with ``add_to_class``, as (name, source, where)."""


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))


_SAVE_MARK = re.compile(r"[ \t]*#[ \t]*@save[ \t]*$", re.M)


def _segment(lines: list[str], node: ast.stmt) -> str:
    """The statement's source, decorators included, its trailing ``#@save`` marks removed."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    return _SAVE_MARK.sub("", "\n".join(lines[first - 1 : node.end_lineno or node.lineno]).rstrip())


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


class LibraryBuilder:
    """Collects one framework's saved blocks in book order."""

    def __init__(self, framework: Framework, diags: Diagnostics) -> None:
        self.framework = framework
        self.diags = diags
        self.imports: dict[str, tuple[_Import, str]] = {}
        """Normalised import line -> (the import, where it was saved)."""
        self.blocks: list[_Block] = []
        self.sources: list[str] = []

    def _report(self, kind: Kind, message: str, path: str, line: int) -> None:
        self.diags.add(kind, message, path, line)

    def add_page(self, doc: Document, source_name: str) -> None:
        section = ""
        saved_any = False
        for block in doc.blocks:
            if isinstance(block, TextBlock):
                if block.kind == "heading" and block.label:
                    section = block.label
                continue
            if not (block.save and block.shown_for(self.framework.name)):
                continue
            saved_any |= self._add_cell(doc, block, source_name, section)
        if saved_any:
            self.sources.append(source_name)

    def _add_cell(self, doc: Document, cell: CodeCell, source_name: str, section: str) -> bool:
        code = cell.code_for(self.framework.name)
        try:
            tree = parse_python(code)
        except SyntaxError:
            return False  # reported by the parser
        statements, _ = saved_statements(code, tree)
        lines = code.split("\n")
        note = f"Defined in :numref:`{section}`" if section else ""
        for saved in statements:
            node = saved.node
            line = cell.file_line(self.framework.name, saved.line)
            where = f"{source_name}:{line}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for imp in _imports(node):
                    self._add_import(imp, where, doc.display_path, line)
                continue
            source = _segment(lines, node)
            if note and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                source = _with_note(source, node, note)
            target = _add_to_class_target(node)
            if target is not None:
                self._add_method(target, node, source, where, doc.display_path, line)
                continue
            self._add_block(node, source, where, doc.display_path, line)
        return bool(statements)

    def _add_import(self, imp: _Import, where: str, path: str, line: int) -> None:
        if imp.line in self.imports:
            return
        for other, (known, other_where) in list(self.imports.items()):
            if known.name == imp.name and known.target != imp.target:
                self._report(
                    Kind.SAVE_DUPLICATE,
                    f"{imp.name!r} is imported again in the {self.framework.display} library "
                    f"({imp.line!r}); it replaces {other!r} from {other_where}",
                    path,
                    line,
                )
                del self.imports[other]
        self.imports[imp.line] = (imp, where)

    def _add_block(self, node: ast.stmt, source: str, where: str, path: str, line: int) -> None:
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
        self.blocks.append(_Block(name, kind, source, where))

    def _add_method(
        self, target: tuple[str, ast.expr], node: ast.stmt, source: str, where: str, path: str, line: int
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
        kept = source.split("\n")
        drop = decorator.lineno - first
        end = (decorator.end_lineno or decorator.lineno) - first
        del kept[drop : end + 1]
        name = getattr(node, "name", "")
        owner.methods.append((name, "\n".join(kept), where))

    def render(self, aliases: LibraryAliases | None, command: str) -> str:
        """The module's text."""
        header = [
            f'"""The d2l library for {self.framework.display}: the book\'s #@save blocks."""',
            "",
            f"# Generated by `{command}`; do not edit. Edit the chapters and run it again.",
            "# Sources, in book order:",
            *(f"#   {s}" for s in self.sources),
        ]
        sections = ["\n".join(header)]
        if self.imports:
            sections.append("\n".join(sorted(self.imports, key=_import_sort_key)))
        # Aliases come right after the imports: saved classes use them as bases
        # (`class Module(d2l.nn_Module)`), and a saved function of the same name wins over them.
        if aliases is not None and (aliases.simple_alias or aliases.fluent_alias or aliases.alias):
            lib = aliases.lib_name or self.framework.module
            sections.append(
                "\n".join(
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
            )
        for block in self.blocks:
            parts = [f"# {block.where}\n{block.source}"]
            parts += [f"    # {where}\n{_indent(method, '    ')}" for _, method, where in block.methods]
            sections.append("\n\n".join(parts))
        # one blank line after the header, two between the rest (PEP 8)
        return (
            sections[0] + "\n\n" + "\n\n\n".join(sections[1:]) + "\n"
            if len(sections) > 1
            else sections[0] + "\n"
        )


def build_library(book: Book, framework: Framework, diags: Diagnostics, command: str = "polybook lib") -> str:
    """The text of ``d2l/<module>.py`` for ``framework``."""
    builder = LibraryBuilder(framework, diags)
    root = book.config.root
    for doc in book.pages:
        builder.add_page(doc, doc.path.resolve().relative_to(root).as_posix())
    return builder.render(book.config.library.get(framework.name), command)


def library_paths(book: Book, out: Path | None) -> dict[str, Path]:
    """Where each framework's module goes: ``d2l/<module>.py``, or ``OUT/lib/<module>.py``."""
    base = (out / "lib") if out else (book.config.root / "d2l")
    return {fw.name: base / f"{fw.module}.py" for fw in book.config.frameworks}


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
