"""The generated library checks itself: pyflakes over each module, findings at their chapter line.

A saved function that uses a name no saved line defines (``tf`` while ``import tensorflow as
tf`` lacks ``#@save``) works in its notebook, where the import ran, and fails in every other
page that calls it. pyflakes (a well-kept checker that only reads the syntax tree, never runs
the code) finds such names in the generated module; each is reported at the chapter line it came
from. Only undefined names are reported: the library re-exports its imports, so an "unused"
import is the point, not a slip.
"""

from __future__ import annotations

import ast
from pathlib import Path

from pyflakes import checker, messages

from ..errors import Diagnostics, Kind
from ..source.book import display_path
from ..source.frameworks import Framework
from .library import Module

#: What pyflakes says that means the module fails when the code runs.
_UNDEFINED = (messages.UndefinedName, messages.UndefinedLocal, messages.UndefinedExport)


def lint_module(module: Module, framework: Framework, path: str, root: Path, diags: Diagnostics) -> int:
    """Report every undefined name of ``module`` at its chapter's ``path:line``; return how many.

    :param path: the module as the user knows it (``d2l/torch.py``), named in each message.
    :param root: the book's root, which the module's origins are relative to.
    """
    try:
        tree = ast.parse(module.text)
    except SyntaxError:
        return 0  # a cell that is not Python is reported by the parser, at its line
    found = 0
    seen: set[tuple[str, int]] = set()
    report = checker.Checker(tree, filename=path)  # type: ignore[no-untyped-call]
    for message in sorted(report.messages, key=lambda m: (m.lineno, m.col)):
        if not isinstance(message, _UNDEFINED):
            continue
        name = str(getattr(message, "message_args", ("?",))[0])
        origin = module.origin(message.lineno)
        chapter, line = (display_path(root / origin[0]), origin[1]) if origin else (path, message.lineno)
        if (name, line) in seen:  # the same name twice on one line: one finding
            continue
        seen.add((name, line))
        diags.add(
            Kind.LIBRARY_UNDEFINED,
            f"{name!r} is not defined in the {framework.display} library ({path}:{message.lineno}): "
            f"a saved block uses it, but no #@save line defines or imports it",
            chapter,
            line,
        )
        found += 1
    return found
