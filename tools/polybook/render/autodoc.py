"""``.. autoclass::`` and ``.. autofunction::`` over the book's generated library: read, not run.

d2l-en documents its ``d2l`` package with autodoc directives in ``eval_rst`` blocks. Sphinx's
autodoc imports the module it documents, and the generated library runs the book's code when
imported (data-hub registrations that need the book's hand-written head, framework calls, …):
on a machine without the frameworks, or with a book whose head is elsewhere, the import fails
and the API page is empty. So polybook reads the library it generated instead: the
directives here find the function or class in the module's syntax tree (``ast``) and write its
signature, docstring and documented methods as Sphinx's Python domain entries, with the same
anchors autodoc would give (``d2l.torch.Trainer``). Nothing is imported; the output does not
depend on what is installed.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


@functools.lru_cache(maxsize=16)
def _module(path: str, stamp: float) -> dict[str, ast.AST]:
    """The top-level functions and classes of a library module, by name (the last one wins, as
    in Python)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, drop_self: bool = False) -> str:
    args = node.args
    if drop_self and (args.posonlyargs or args.args):
        args = ast.arguments(
            posonlyargs=args.posonlyargs[1:] if args.posonlyargs else [],
            args=args.args[1:] if not args.posonlyargs else args.args,
            vararg=args.vararg,
            kwonlyargs=args.kwonlyargs,
            kw_defaults=args.kw_defaults,
            kwarg=args.kwarg,
            defaults=args.defaults,
        )
    return f"({ast.unparse(args)})"


def _docstring(node: ast.AST, indent: str) -> list[str]:
    text = (
        ast.get_docstring(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        else None
    )
    return [f"{indent}{line}" if line else "" for line in (text or "").splitlines()]


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, module: str, kind: str, indent: str) -> list[str]:
    lines = [f"{indent}.. py:{kind}:: {node.name}{_signature(node, drop_self=kind == 'method')}"]
    if kind != "method":
        lines.append(f"{indent}   :module: {module}")
    doc = _docstring(node, indent + "   ")
    return [*lines, "", *doc, ""] if doc else [*lines, ""]


def _class(node: ast.ClassDef, module: str, members: bool) -> list[str]:
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    signature = _signature(init, drop_self=True) if init is not None else ""
    lines = [f".. py:class:: {node.name}{signature}", f"   :module: {module}", ""]
    if node.bases:
        lines += [f"   Bases: {', '.join(f'``{ast.unparse(b)}``' for b in node.bases)}", ""]
    lines += [*_docstring(node, "   "), ""]
    if members:  # autodoc's :members: documents the methods that have a docstring
        # a method defined twice (in the class, then again with add_to_class) is the last one
        methods = {m.name: m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for name, method in methods.items():
            if not name.startswith("_") and ast.get_docstring(method):
                lines += _function(method, module, "method", "   ")
    return lines


class LibraryDirective(SphinxDirective):
    """``.. autoclass:: Name`` / ``.. autofunction:: name`` over the book's generated library."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "members": directives.unchanged,
        "undoc-members": directives.flag,
        "noindex": directives.flag,
    }
    kind = "function"

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0].strip()
        module = self.env.ref_context.get("py:module", "")
        if "." in name and not module:
            module, _, name = name.rpartition(".")
        path = Path(self.config.polybook_python_path, *module.split(".")).with_suffix(".py")
        if not module or not path.is_file():
            return [
                self.state.document.reporter.warning(
                    f"no generated library module {module!r}", line=self.lineno
                )
            ]
        node = _module(str(path), path.stat().st_mtime).get(name)
        if node is None:
            return [self.state.document.reporter.warning(f"{module} has no {name!r}", line=self.lineno)]
        if isinstance(node, ast.ClassDef):
            lines = _class(node, module, "members" in self.options)
        else:
            lines = _function(node, module, "function", "")  # type: ignore[arg-type]
        container = nodes.container()
        self.state.nested_parse(
            StringList(lines, source=self.get_source_info()[0]), self.content_offset, container
        )
        return list(container.children)


class AutoClass(LibraryDirective):
    kind = "class"


def setup(app: Sphinx) -> None:
    """Register the directives, unless the book asked for Sphinx's own autodoc."""
    if "sphinx.ext.autodoc" in app.config.extensions:
        return
    app.add_directive("autoclass", AutoClass)
    app.add_directive("autofunction", LibraryDirective)
