"""Unit tests of :mod:`polybook.cells`: fence info, cell headers, ``tab.selected``, ``#@save``."""

from __future__ import annotations

import ast

import pytest

from polybook.errors import Diagnostics, Kind
from polybook.source.cells import (
    CellHeader,
    FenceInfo,
    mask_magics,
    parse_info,
    parse_python,
    read_header,
    resolve_frameworks,
    resolve_tab_selected,
    saved_statements,
)

FRAMEWORKS = ("pytorch", "tensorflow", "mxnet")


def code(*lines: str) -> str:
    return "\n".join(lines)


# -- parse_info --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "expected", "executable", "n"),
    [
        ("{.python .input}", FenceInfo("python", ("python", "input"), ()), True, None),
        ("{.python .input  n=3}", FenceInfo("python", ("python", "input"), (("n", "3"),)), True, 3),
        ('{.python .input n="12"}', FenceInfo("python", ("python", "input"), (("n", "12"),)), True, 12),
        ("{.input}", FenceInfo("python", ("input",), ()), True, None),
        ("python", FenceInfo("python", (), ()), False, None),
        ("bash", FenceInfo("bash", (), ()), False, None),
        ("toc", FenceInfo("toc", (), ()), False, None),
        ("", FenceInfo("", (), ()), False, None),
    ],
)
def test_parse_info(info: str, expected: FenceInfo, executable: bool, n: int | None) -> None:
    parsed = parse_info(info)
    assert parsed == expected
    assert parsed.executable is executable
    assert parsed.n == n


# -- read_header -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(["x = 1"], CellHeader(None, ["x = 1"], 10, lines=[10]), id="no-header"),
        pytest.param(
            ["#@tab all", "x = 1"], CellHeader(("all",), ["x = 1"], 11, tab_line=10, lines=[11]), id="tab-all"
        ),
        pytest.param(
            ["#@tab", "x = 1"], CellHeader(("all",), ["x = 1"], 11, tab_line=10, lines=[11]), id="tab-bare"
        ),
        pytest.param(
            ["#@tab pytorch, mxnet", "x = 1"],
            CellHeader(("pytorch", "mxnet"), ["x = 1"], 11, tab_line=10, lines=[11]),
            id="tab-list",
        ),
        pytest.param(
            ["%%tab TensorFlow", "x = 1"],
            CellHeader(("TensorFlow",), ["x = 1"], 11, tab_line=10, lines=[11]),
            id="cell-magic-keeps-case",
        ),
        pytest.param(
            ["# %%tab jax", "x = 1"],
            CellHeader(("jax",), ["x = 1"], 11, tab_line=10, lines=[11]),
            id="commented-magic",
        ),
        pytest.param(
            ["#@hide_code", "x = 1"],
            CellHeader(None, ["x = 1"], 11, hide_code=True, lines=[11]),
            id="hide-code",
        ),
        pytest.param(
            ["#@hide_output", "x = 1"],
            CellHeader(None, ["x = 1"], 11, hide_output=True, lines=[11]),
            id="hide-output",
        ),
        pytest.param(["#@hide", "x = 1"], CellHeader(None, ["x = 1"], 11, hide=True, lines=[11]), id="hide"),
        pytest.param(
            ["x = 1", "#@hide_output", "y = 2"],
            CellHeader(None, ["x = 1", "y = 2"], 10, hide_output=True, lines=[10, 12]),
            id="marker-inside-the-code",
        ),
        pytest.param(
            ["%load_ext d2lbook.tab", "tab.interact_select(['pytorch'])"],
            CellHeader(None, [], 12, setup=True, selected=("pytorch",)),
            id="d2lbook-setup-cell",
        ),
        pytest.param(
            ["", "#@tab mxnet", "", "#@hide", "x = 1", "", "y = 2", "", ""],
            CellHeader(("mxnet",), ["x = 1", "", "y = 2"], 14, hide=True, tab_line=11, lines=[14, 15, 16]),
            id="first-line-skips-blank-header-and-marker-lines",
        ),
        pytest.param(
            ["x = 1", "#@tab mxnet", "y = 2"],
            CellHeader(("mxnet",), ["x = 1", "y = 2"], 10, tab_line=11, lines=[10, 12]),
            id="tab-mark-after-code",
        ),
        pytest.param(
            ["#@tabular = 1"], CellHeader(None, ["#@tabular = 1"], 10, lines=[10]), id="not-a-tab-mark"
        ),
        pytest.param(
            ["#@memory 8G", "#@gpu", "x = 1"],
            CellHeader(None, ["x = 1"], 12, memory=8 * 2**30, gpu=True, lines=[12]),
            id="memory-and-gpu",
        ),
        pytest.param(
            ["#@memory 1.5 GB", "x = 1"],
            CellHeader(None, ["x = 1"], 11, memory=3 * 2**29, lines=[11]),
            id="memory-gb",
        ),
        pytest.param(
            ["#@memory lots", "x = 1"],
            CellHeader(None, ["#@memory lots", "x = 1"], 10, lines=[10, 11]),
            id="not-a-memory-mark",
        ),
    ],
)
def test_read_header(lines: list[str], expected: CellHeader) -> None:
    assert read_header(lines, 10) == expected


def test_tab_names_are_lowered_by_resolve_frameworks() -> None:
    header = read_header(["%%tab TensorFlow, PyTorch", "x = 1"], 5)
    assert header.frameworks == ("TensorFlow", "PyTorch")
    diags = Diagnostics()
    assert header.frameworks is not None
    chosen = resolve_frameworks(header.frameworks, FRAMEWORKS, diags, "page.md", header.tab_line)
    assert chosen == frozenset({"tensorflow", "pytorch"})
    assert len(diags) == 0


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["all"], {"pytorch", "tensorflow", "mxnet"}),
        (["ALL"], {"pytorch", "tensorflow", "mxnet"}),
        (["MXNet", " pytorch "], {"mxnet", "pytorch"}),
    ],
)
def test_resolve_frameworks(names: list[str], expected: set[str]) -> None:
    diags = Diagnostics()
    assert resolve_frameworks(names, FRAMEWORKS, diags, "page.md", 3) == frozenset(expected)
    assert len(diags) == 0


def test_resolve_frameworks_reports_an_unknown_name() -> None:
    diags = Diagnostics()
    assert resolve_frameworks(["pytorch", "theano"], FRAMEWORKS, diags, "page.md", 7) == {"pytorch"}
    assert [d.format() for d in diags] == [
        "page.md:7: unknown framework 'theano'; the book's frameworks are pytorch, tensorflow, mxnet "
        "[polybook.framework-unknown]"
    ]
    assert [d.kind for d in diags] == [Kind.FRAMEWORK_UNKNOWN]


# -- resolve_tab_selected ----------------------------------------------------------------------

IF_ELSE = code(
    "x = 1",
    "if tab.selected('pytorch'):",
    "    y = torch.ones(2)",
    "else:",
    "    y = np.ones(2)",
    "print(y)",
)
IF_ELIF_ELSE = code(
    "if tab.selected('mxnet'):",
    "    a = 1",
    "elif tab.selected('pytorch'):",
    "    a = 2",
    "    b = 3",
    "else:",
    "    a = 4",
)
IF_ELIF = code(
    "if tab.selected('mxnet'):",
    "    a = 1",
    "elif tab.selected('pytorch'):",
    "    a = 2",
    "b = 3",
)
IF_ELIF_IN_DEF = code(
    "def f():",
    "    if tab.selected('mxnet'):",
    "        return 1",
    "    elif tab.selected('pytorch'):",
    "        return 2",
    "",
    "f()",
)
SEVERAL_NAMES = code(
    "if tab.selected('mxnet', 'pytorch'):",
    "    a = 1",
    "else:",
    "    a = 2",
)
LIST_ARGUMENT = code(
    "if tab.selected(['mxnet', 'pytorch']):",
    "    a = 1",
    "else:",
    "    a = 2",
)
NESTED = code(
    "if tab.selected('mxnet', 'pytorch'):",
    "    if tab.selected('mxnet'):",
    "        a = 1",
    "    else:",
    "        a = 2",
    "    b = a",
    "else:",
    "    a = 3",
)
IN_A_METHOD = code(
    "class Module:  #@save",
    "    def __init__(self):",
    "        super().__init__()",
    "        if tab.selected('tensorflow'):",
    "            self.training = None",
    "",
    "    def zeros(self):",
    "        if tab.selected('pytorch'):",
    "            return torch.zeros(1)",
    "        else:",
    "            return np.zeros(1)",
)
WITH_MAGICS = code(
    "%matplotlib inline",
    "if tab.selected('pytorch'):",
    "    !pip install torch",
    "    x = 1",
    "else:",
    "    x = 2",
    "%time y = x",
)

RESOLVED = [
    (IF_ELSE, "pytorch", code("x = 1", "y = torch.ones(2)", "print(y)")),
    (IF_ELSE, "mxnet", code("x = 1", "y = np.ones(2)", "print(y)")),
    (IF_ELIF_ELSE, "mxnet", "a = 1"),
    (IF_ELIF_ELSE, "pytorch", code("a = 2", "b = 3")),
    (IF_ELIF_ELSE, "tensorflow", "a = 4"),
    (IF_ELIF, "pytorch", code("a = 2", "b = 3")),
    (IF_ELIF, "tensorflow", "b = 3"),
    (IF_ELIF_IN_DEF, "pytorch", code("def f():", "    return 2", "", "f()")),
    (IF_ELIF_IN_DEF, "tensorflow", code("def f():", "    pass", "", "f()")),
    (SEVERAL_NAMES, "mxnet", "a = 1"),
    (SEVERAL_NAMES, "pytorch", "a = 1"),
    (SEVERAL_NAMES, "tensorflow", "a = 2"),
    (LIST_ARGUMENT, "pytorch", "a = 1"),
    (LIST_ARGUMENT, "tensorflow", "a = 2"),
    (NESTED, "mxnet", code("a = 1", "b = a")),
    (NESTED, "pytorch", code("a = 2", "b = a")),
    (NESTED, "tensorflow", "a = 3"),
    (
        IN_A_METHOD,
        "pytorch",
        code(
            "class Module:  #@save",
            "    def __init__(self):",
            "        super().__init__()",
            "",
            "    def zeros(self):",
            "        return torch.zeros(1)",
        ),
    ),
    (
        IN_A_METHOD,
        "tensorflow",
        code(
            "class Module:  #@save",
            "    def __init__(self):",
            "        super().__init__()",
            "        self.training = None",
            "",
            "    def zeros(self):",
            "        return np.zeros(1)",
        ),
    ),
    (WITH_MAGICS, "pytorch", code("%matplotlib inline", "!pip install torch", "x = 1", "%time y = x")),
    (WITH_MAGICS, "mxnet", code("%matplotlib inline", "x = 2", "%time y = x")),
]
SWITCHES = {
    "if-else": IF_ELSE,
    "if-elif-else": IF_ELIF_ELSE,
    "if-elif": IF_ELIF,
    "if-elif-in-def": IF_ELIF_IN_DEF,
    "several-names": SEVERAL_NAMES,
    "list-argument": LIST_ARGUMENT,
    "nested": NESTED,
    "in-a-method": IN_A_METHOD,
    "with-magics": WITH_MAGICS,
}


def _name(source: str) -> str:
    return next(name for name, value in SWITCHES.items() if value == source)


@pytest.mark.parametrize(
    ("source", "framework", "expected"),
    [pytest.param(s, fw, e, id=f"{_name(s)}-{fw}") for s, fw, e in RESOLVED],
)
def test_resolve_tab_selected(source: str, framework: str, expected: str) -> None:
    assert resolve_tab_selected(source, framework) == expected


@pytest.mark.parametrize("framework", [*FRAMEWORKS, "jax"])
@pytest.mark.parametrize("source", SWITCHES.values(), ids=SWITCHES.keys())
def test_resolved_code_compiles(source: str, framework: str) -> None:
    out = resolve_tab_selected(source, framework)
    compile(mask_magics(out), f"<{framework}>", "exec")
    assert "tab.selected" not in out


def test_code_without_switches_is_unchanged() -> None:
    source = code("%matplotlib inline", "if selected('pytorch'):", "    x = 1", "y = 2  # tab.selected")
    assert resolve_tab_selected(source, "pytorch") == source


def test_resolve_tab_selected_raises_on_invalid_python() -> None:
    with pytest.raises(SyntaxError):
        resolve_tab_selected(code("if tab.selected('pytorch'):", "    x = ("), "pytorch")


def test_resolve_tab_selected_keeps_a_comment_that_opens_the_branch() -> None:
    # as in d2l-en chapter_linear-regression/linear-regression.md and oo-design.md
    source = code(
        "if tab.selected('jax'):",
        "    # Use JAX NumPy for visualization",
        "    x = jnp.arange(-7, 7, 0.01)",
        "if tab.selected('pytorch', 'mxnet', 'tensorflow'):",
        "    # Use NumPy again for visualization",
        "    x = np.arange(-7, 7, 0.01)",
    )
    assert resolve_tab_selected(source, "pytorch") == code(
        "# Use NumPy again for visualization", "x = np.arange(-7, 7, 0.01)"
    )


def test_resolve_tab_selected_one_line_branches() -> None:
    source = code("if tab.selected('pytorch'): x = 1", "else: x = 2")
    assert resolve_tab_selected(source, "pytorch") == "x = 1"
    assert resolve_tab_selected(source, "mxnet") == "x = 2"


def test_resolve_tab_selected_elif_that_is_not_a_switch() -> None:
    source = code(
        "if tab.selected('pytorch'):", "    a = 1", "elif x > 0:", "    a = 2", "else:", "    a = 3"
    )
    assert resolve_tab_selected(source, "pytorch") == "a = 1"
    assert resolve_tab_selected(source, "mxnet") == code("if x > 0:", "    a = 2", "else:", "    a = 3")


# -- saved_statements --------------------------------------------------------------------------


def saved(source: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``(line, statement)`` of each saved statement, and the bad ones as saved_statements gives them."""
    statements, bad = saved_statements(source, parse_python(source))
    return [(s.line, ast.unparse(s.node)) for s in statements], bad


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            code("#@save", "import os", "import sys", "from pathlib import Path", "", "import re", "x = 1"),
            [(2, "import os"), (3, "import sys"), (4, "from pathlib import Path")],
            id="imports-until-a-blank-line",
        ),
        pytest.param(
            code("#@save", "def f(x):", "    return x", "f(1)"),
            [(2, "def f(x):\n    return x")],
            id="def-not-the-call-after-it",
        ),
        pytest.param(
            code("class C:  #@save", "    pass", "", "c = C()"),
            [(1, "class C:\n    pass")],
            id="trailing-mark-on-a-class",
        ),
        pytest.param(
            code("@d2l.add_to_class(C)  #@save", "def m(self):", "    return 1", "", "C().m()"),
            [(1, "@d2l.add_to_class(C)\ndef m(self):\n    return 1")],
            id="trailing-mark-on-add-to-class",
        ),
        pytest.param(
            code("#@save", "@dataclass", "class D:", "    x: int = 0", "D()"),
            [(2, "@dataclass\nclass D:\n    x: int = 0")],
            id="decorated-class",
        ),
        pytest.param(
            code("%matplotlib inline", "#@save", "def f():", "    pass", "", "#@save", "X: int = 3"),
            [(3, "def f():\n    pass"), (7, "X: int = 3")],
            id="two-marks-and-a-magic",
        ),
        pytest.param(
            code("#@save", "try:", "    import torch", "except ImportError:", "    torch = None"),
            [(2, "try:\n    import torch\nexcept ImportError:\n    torch = None")],
            id="guarded-import",
        ),
        pytest.param(code("x = 1", "#@save"), [], id="mark-with-nothing-after"),
    ],
)
def test_saved_statements(source: str, expected: list[tuple[int, str]]) -> None:
    assert saved(source) == (expected, [])


def test_saved_statements_reports_a_print() -> None:
    assert saved(code("#@save", "print(1)")) == ([], [(2, "an expression")])


def test_saved_statements_reports_what_the_run_of_one_liners_reaches() -> None:
    assert saved(code("#@save", "a = 1", "b = 2", "print(a)")) == (
        [(2, "a = 1"), (3, "b = 2")],
        [(4, "an expression")],
    )
