"""Code cells: the fence's attributes, the ``#@tab`` header, markers and ``tab.selected``.

Python code is analysed with :mod:`ast`, never by indentation: ``if tab.selected(...)`` chains
are resolved per framework by replacing the statement's line range with the chosen branch.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import Diagnostics, Kind
from .config import parse_size

_HEADER = re.compile(r"^\s*(?:#\s*@tab|(?:#\s*)?%%tab)(?:\s+(?P<names>[\w, ]*?))?\s*$")
_DROPPED_LINE = re.compile(r"^\s*(?:%load_ext\s+d2lbook\.tab|tab\.interact_select\((?P<selected>.*)\))\s*$")
_MARKER_LINE = re.compile(r"^\s*#\s*@(hide|hide_code|hide_output|gpu)\s*$")
_TIMEOUT_LINE = re.compile(r"^\s*#\s*@timeout\s+(\d+(?:\.\d+)?)\s*$")
_MEMORY_LINE = re.compile(r"^\s*#\s*@memory\s+(\d+(?:\.\d+)?\s*[KMGT]?(?:i?B)?)\s*$", re.I)
_SAVE = re.compile(r"#\s*@save\b")
_MAGIC = re.compile(r"^(\s*)[%!]")

SAVABLE = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.AnnAssign,
)


@dataclass(frozen=True)
class FenceInfo:
    """The info string of a fence: ``{.python .input  n=3}`` or ``python``."""

    language: str
    classes: tuple[str, ...]
    attrs: tuple[tuple[str, str], ...]

    @property
    def executable(self) -> bool:
        return "input" in self.classes

    @property
    def n(self) -> int | None:
        value = dict(self.attrs).get("n")
        return int(value) if value and value.isdigit() else None


def parse_info(info: str) -> FenceInfo:
    info = info.strip()
    if not (info.startswith("{") and info.endswith("}")):
        word = info.split()[0] if info else ""
        return FenceInfo(word, (), ())
    classes, attrs = [], []
    for item in info[1:-1].split():
        if item.startswith("."):
            classes.append(item[1:])
        elif "=" in item:
            key, _, value = item.partition("=")
            attrs.append((key, value.strip("\"'")))
    language = classes[0] if classes and classes[0] != "input" else "python"
    return FenceInfo(language, tuple(classes), tuple(attrs))


@dataclass
class CellHeader:
    """What the first lines of a cell say about it."""

    frameworks: tuple[str, ...] | None
    """Frameworks named by ``#@tab``/``%%tab``; None without a header."""
    body: list[str]
    """The remaining lines, header and d2lbook set-up lines removed."""
    first_line: int
    """File line of ``body[0]``."""
    hide: bool = False
    hide_code: bool = False
    hide_output: bool = False
    gpu: bool = False
    """``#@gpu``: the cell wants a GPU when the machine has one."""
    timeout: float | None = None
    """``#@timeout N``: seconds a cell of this page may run (overrides the configuration)."""
    memory: int | None = None
    """``#@memory 8G``: bytes the page's kernel may use (overrides the configuration)."""
    tab_line: int = 0
    """File line of the ``#@tab`` mark, when there is one."""
    lines: list[int] = field(default_factory=list)
    """File line of each line of ``body`` (marker lines inside the cell are not in ``body``)."""
    setup: bool = False
    """Whether the cell held d2lbook's set-up lines (``%load_ext d2lbook.tab``)."""
    selected: tuple[str, ...] | None = None
    """Frameworks of the page, from ``tab.interact_select(...)``."""


def read_header(lines: list[str], first_line: int) -> CellHeader:
    """Split a cell's ``#@tab`` header and ``#@hide*`` markers from its code."""
    frameworks: tuple[str, ...] | None = None
    header = CellHeader(None, [], first_line)
    body: list[str] = []
    for index, line in enumerate(lines):
        match = _HEADER.match(line) if frameworks is None else None
        if match:  # d2lbook accepts the mark on any line of the cell; the first one counts
            names = match.group("names") or "all"
            frameworks = header.frameworks = tuple(n for n in re.split(r"[,\s]+", names) if n)
            header.tab_line = first_line + index
            if not body:
                header.first_line += 1
            continue
        if not body and not line.strip():
            header.first_line += 1
            continue
        marker = _MARKER_LINE.match(line)
        timeout = _TIMEOUT_LINE.match(line)
        memory = _MEMORY_LINE.match(line)
        if marker or timeout or memory:
            if marker:
                setattr(header, marker.group(1), True)
            elif timeout:
                header.timeout = float(timeout.group(1))
            else:
                header.memory = parse_size(memory.group(1))  # type: ignore[union-attr]
            if not body:
                header.first_line += 1
            continue
        dropped = _DROPPED_LINE.match(line)
        if dropped:
            header.setup = True
            if dropped.group("selected") is not None:
                header.selected = tuple(re.findall(r"[\w-]+", dropped.group("selected")))
            if not body:
                header.first_line += 1
            continue
        body.append(line)
        header.lines.append(first_line + index)
    while body and not body[-1].strip():
        body.pop()
        header.lines.pop()
    if header.setup and all(not line.strip() or line.lstrip().startswith("#") for line in body):
        body, header.lines = [], []  # d2lbook's set-up cell: nothing but comments is left of it
    header.body = body
    return header


def resolve_frameworks(
    names: Iterable[str], known: tuple[str, ...], diags: Diagnostics, path: str, line: int
) -> frozenset[str]:
    """Frameworks named in a tab header or ``:begin_tab:``; ``all`` means every configured one."""
    chosen: set[str] = set()
    for name in names:
        key = name.strip().lower()
        if key == "all":
            chosen.update(known)
        elif key in known:
            chosen.add(key)
        else:
            diags.add(
                Kind.FRAMEWORK_UNKNOWN,
                f"unknown framework {name.strip()!r}; the book's frameworks are {', '.join(known)}",
                path,
                line,
            )
    return frozenset(chosen)


def mask_magics(code: str) -> str:
    """Code that :mod:`ast` can parse: IPython ``%magic`` and ``!shell`` lines become ``pass``.

    Lines keep their numbers, so positions found in the masked code hold in the original.
    """
    return "\n".join(
        _MAGIC.sub(lambda m: m.group(1) + "pass#", line) if _MAGIC.match(line) else line
        for line in code.split("\n")
    )


@functools.lru_cache(maxsize=4096)
def parse_python(code: str) -> ast.Module:
    """The cell's syntax tree (shared: never change it).

    Cached by text: a ``#@tab all`` cell is the same code in every framework, and the parser,
    the library and the symbol digests all ask for it.

    :raises SyntaxError: when the code (magics masked) is not Python.
    """
    return ast.parse(mask_magics(code))


def _selected_names(test: ast.expr) -> list[str] | None:
    """The framework names of a ``tab.selected(...)`` call, or None for any other test."""
    if not (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "selected"
        and isinstance(test.func.value, ast.Name)
        and test.func.value.id == "tab"
    ):
        return None
    names: list[str] = []
    for arg in test.args:
        items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        names += [i.value.lower() for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
    return names


def uses_tab_selected(code: str) -> bool:
    return "tab.selected" in code


@dataclass(frozen=True)
class _Branch:
    """The branch of a tab switch that a framework takes."""

    body: list[ast.stmt]
    header_line: int
    """Line (1-based) of the branch's ``if``/``elif``/``else`` header, where its test ends."""


def _else_line(lines: list[str], node: ast.If) -> int:
    """Line of the ``else:`` of ``node``, found between the end of its body and the else-body."""
    after = node.body[-1].end_lineno or node.body[-1].lineno
    for number in range(after + 1, node.orelse[0].lineno + 1):
        text = lines[number - 1].lstrip()
        if text.startswith("else") and text[4:].lstrip().startswith(":"):
            return number
    return node.orelse[0].lineno


def _branch(node: ast.If, framework: str, lines: list[str]) -> _Branch | None:
    """The branch ``framework`` takes; None if ``node`` is not a tab switch."""
    names = _selected_names(node.test)
    if names is None:
        return None
    if framework in names:
        return _Branch(node.body, node.test.end_lineno or node.lineno)
    if not node.orelse:
        return _Branch([], node.lineno)
    if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
        nested = node.orelse[0]
        is_elif = lines[nested.lineno - 1][nested.col_offset :].startswith("elif")
        if is_elif:
            chained = _branch(nested, framework, lines)
            if chained is not None:
                return chained
            # an `elif` on another condition: it becomes a plain `if` in the taken branch
            return _Branch([nested], nested.lineno - 1)
    return _Branch(node.orelse, _else_line(lines, node))


def _outer_switches(tree: ast.Module) -> list[ast.If]:
    """``if tab.selected`` statements not nested inside another one."""
    found: list[ast.If] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _selected_names(child.test) is not None:
                found.append(child)
            else:
                visit(child)

    visit(tree)
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _dedent(lines: list[str], amount: int) -> list[str]:
    out = []
    for line in lines:
        lead = _indent(line)
        out.append(line[min(lead, amount) :] if line.strip() else "")
    return out


def resolve_tab_selected(code: str, framework: str) -> str:
    """``code`` as ``framework`` runs it: each ``if tab.selected`` replaced by its taken branch.

    :raises SyntaxError: when the code is not Python.
    """
    return resolve_tab_selected_lines(code, framework)[0]


def resolve_tab_selected_lines(code: str, framework: str) -> tuple[str, list[int]]:
    """Like :func:`resolve_tab_selected`, also giving for each line of the result the line
    (1-based) of ``code`` it comes from, so that positions found in it lead back to the source.
    """
    lines = code.split("\n")
    origins = list(range(1, len(lines) + 1))
    for _ in range(50):  # nested switches are resolved one level per round
        tree = parse_python("\n".join(lines))
        switches = _outer_switches(tree)
        if not switches:
            break
        for node in sorted(switches, key=lambda n: n.lineno, reverse=True):
            start, end = node.lineno - 1, (node.end_lineno or node.lineno)
            indent = lines[start][: node.col_offset]
            branch = _branch(node, framework, lines)
            replacement: list[tuple[str, int]] = []
            if branch and branch.body:
                replacement = _branch_lines(lines, origins, branch, indent)
            if not replacement and _only_statement(tree, node):
                replacement = [(indent + "pass", origins[start])]
            lines[start:end] = [text for text, _ in replacement]
            origins[start:end] = [origin for _, origin in replacement]
    return "\n".join(lines), origins


def _branch_lines(
    lines: list[str], origins: list[int], branch: _Branch, indent: str
) -> list[tuple[str, int]]:
    """The branch's lines with their origins, comments above its first statement included,
    re-indented to ``indent``."""
    first, last = branch.body[0], branch.body[-1]
    end = last.end_lineno or last.lineno
    if first.lineno == branch.header_line:  # `if x: y` or `else: y` on one line
        body = [" " * first.col_offset + lines[first.lineno - 1][first.col_offset :]]
        body += lines[first.lineno : end]
        where = origins[first.lineno - 1 : end]
    else:
        body = lines[branch.header_line : end]
        where = origins[branch.header_line : end]
    if body[0][first.col_offset :].startswith("elif"):  # an `elif` on another test opens the branch
        body[0] = body[0][: first.col_offset] + body[0][first.col_offset + 2 :]
    texts = [indent + line if line else "" for line in _dedent(body, first.col_offset)]
    return list(zip(texts, where, strict=True))


def _only_statement(tree: ast.Module, target: ast.stmt) -> bool:
    """Whether ``target`` is alone in its block, so removing it needs a ``pass``."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and target in block:
                return len(block) == 1 and not isinstance(node, ast.Module)
        if isinstance(node, ast.Try) and any(target in h.body and len(h.body) == 1 for h in node.handlers):
            return True
    return False


@dataclass(frozen=True)
class SavedStatement:
    """A top-level statement marked ``#@save``."""

    node: ast.stmt
    line: int
    """Line of the statement in the cell (1-based, decorators included)."""


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _last_line(node: ast.stmt) -> int:
    return int(node.end_lineno or node.lineno)


def saved_statements(code: str, tree: ast.Module) -> tuple[list[SavedStatement], list[tuple[int, str]]]:
    """The statements of a cell that ``#@save`` marks, and marked statements that cannot be saved.

    As in d2lbook, a mark saves a run: the statement holding the mark (a trailing ``#@save``) or
    the one after it (a ``#@save`` alone on its line), then each following statement that starts
    on the very next line, for as long as the statements are one line long. So a mark above a
    block of imports saves all of them, and a mark above a ``def`` saves that function alone.
    """
    lines = code.split("\n")
    marks = [i + 1 for i, line in enumerate(lines) if _SAVE.search(line)]
    body = tree.body
    chosen: dict[int, ast.stmt] = {}
    for mark in marks:
        alone = lines[mark - 1].strip().startswith("#")
        start = next(
            (
                i
                for i, node in enumerate(body)
                if (_first_line(node) > mark if alone else _first_line(node) <= mark <= _last_line(node))
            ),
            None,
        )
        if start is None:
            continue
        index = start
        while True:
            node = body[index]
            chosen[index] = node
            one_line = _first_line(node) == _last_line(node)
            if not one_line or index + 1 >= len(body) or _first_line(body[index + 1]) != _last_line(node) + 1:
                break
            index += 1
    saved: list[SavedStatement] = []
    bad: list[tuple[int, str]] = []
    for index in sorted(chosen):
        node = chosen[index]
        if isinstance(node, SAVABLE) or _is_guarded_import(node):
            saved.append(SavedStatement(node, _first_line(node)))
        else:
            bad.append((_first_line(node), _describe(node)))
    return saved, bad


def _describe(node: ast.stmt) -> str:
    """How a statement is called in a message: "an expression", "a for loop"."""
    words = {
        "Expr": "an expression",
        "For": "a for loop",
        "AsyncFor": "a for loop",
        "While": "a while loop",
        "If": "an if statement",
        "With": "a with statement",
        "Try": "a try statement",
        "AugAssign": "an augmented assignment",
        "Delete": "a del statement",
        "Assert": "an assert statement",
    }
    return words.get(type(node).__name__, f"a {type(node).__name__} statement")


def _is_guarded_import(node: ast.stmt) -> bool:
    """``try: import x`` / ``except ImportError``: an import that tolerates absence."""
    if isinstance(node, ast.Try):
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Assign)) for s in node.body)
    if isinstance(node, ast.If):  # e.g. ``if sys.platform == ...: import x``
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Assign)) for s in node.body + node.orelse)
    return False
