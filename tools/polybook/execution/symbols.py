"""Which library symbols a notebook uses, and a digest of each symbol with what it calls.

A notebook's cache key holds the digests of the ``d2l.X`` names its code uses. A symbol's digest
covers its own source and, transitively, the library symbols it refers to, so editing
``d2l.evaluate_accuracy`` re-executes the pages that call ``d2l.train_ch3`` too, and nothing else.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable

from ..source.cells import parse_python

PREAMBLE = "(imports)"
"""Pseudo-symbol for the library's imports and aliases, which every user of d2l depends on."""
_D2L_ATTRIBUTE = re.compile(r"\bd2l\.([A-Za-z_]\w*)")


def _names_in(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif (
            isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name) and child.value.id == "d2l"
        ):
            found.add(child.attr)
    return found


def _defined(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def library_digests(text: str) -> dict[str, str]:
    """For each top-level name of a generated library module, a digest of its closure."""
    tree = ast.parse(text)
    sources: dict[str, str] = {}
    refs: dict[str, set[str]] = {}
    preamble: list[str] = []
    for node in tree.body:
        segment = ast.get_source_segment(text, node) or ""
        names = _defined(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            preamble.append(segment)
        for name in names:
            sources[name] = sources.get(name, "") + "\n" + segment
            refs[name] = refs.get(name, set()) | _names_in(node)
    digests = {PREAMBLE: hashlib.sha256("\n".join(preamble).encode()).hexdigest()[:16]}
    for name in sources:
        closure, todo = {name}, [name]
        while todo:
            for ref in refs.get(todo.pop(), ()):
                if ref in sources and ref not in closure:
                    closure.add(ref)
                    todo.append(ref)
        joined = "\n".join(sources[n] for n in sorted(closure))
        digests[name] = hashlib.sha256(joined.encode()).hexdigest()[:16]
    return digests


def used_symbols(code_cells: Iterable[str]) -> set[str]:
    """``X`` for every ``d2l.X`` the cells use (by the syntax tree; by text where it fails)."""
    used: set[str] = set()
    for code in code_cells:
        try:
            tree = parse_python(code)
        except SyntaxError:
            used |= set(_D2L_ATTRIBUTE.findall(code))
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "d2l"
            ):
                used.add(node.attr)
    return used
