"""Every diagnostic of the parse and book stages, through the CLI, as a user sees it.

Each case writes a tiny book, runs ``polybook build notebooks`` in-process and checks the exit
code and the exact ``path:line: message [polybook.<code>]`` line on stderr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from polybook.cli import main
from polybook.errors import Kind, Severity

FRAMEWORKS = ("pytorch", "tensorflow", "mxnet")
CONF = 'polybook_frameworks = ["pytorch", "tensorflow", "mxnet"]\n'
LIBRARY_KINDS = {Kind.ADD_TO_CLASS_UNKNOWN, Kind.SAVE_DUPLICATE, Kind.LIBRARY_UNDEFINED}
"""Reported by the library stage (tests/test_library.py has their cases)."""
DIAGNOSTIC = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?:warning: )?.* \[polybook\.(?P<code>[a-z-]+)\]$")


def md(*lines: str) -> str:
    """A page from its lines: argument ``i`` (0-based) is line ``i + 1`` of the file."""
    return "\n".join(lines) + "\n"


def write_book(root: Path, pages: dict[str, str], toc: tuple[str, ...] | None = None) -> None:
    """``conf.py``, ``index.md`` listing ``toc`` (default: every page) and the pages."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "conf.py").write_text(CONF, encoding="utf-8")
    entries = toc if toc is not None else tuple(name.removesuffix(".md") for name in pages)
    (root / "index.md").write_text(md("# Book", "", "```toc", ":maxdepth: 2", "", *entries, "```"))
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def build(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """Exit code, the diagnostic lines printed on stderr, and the whole of stderr."""
    code = main(["build", "notebooks", "--source", str(root)])
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if DIAGNOSTIC.match(line)], err


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The book's folder, also the working directory: diagnostics then show ``page.md``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- one case per kind -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: Kind
    pages: dict[str, str]
    expected: str
    """The one diagnostic line expected on stderr."""
    toc: tuple[str, ...] | None = None


CASES = [
    Case(
        Kind.FENCE_UNCLOSED,
        {"page.md": md("# Title", "", "```{.python .input}", "x = 1")},
        "page.md:3: code fence ```{.python .input} is never closed [polybook.fence-unclosed]",
    ),
    Case(
        Kind.TAB_UNCLOSED,
        {"page.md": md("# Title", "", ":begin_tab:`pytorch`", "Only for PyTorch.", "", "More text.")},
        "page.md:3: prose tab opened here is never closed by `:end_tab:` [polybook.tab-unclosed]",
    ),
    Case(
        Kind.TAB_UNOPENED,
        {"page.md": md("# Title", "", "Some text.", "", ":end_tab:")},
        "page.md:5: `:end_tab:` without an open `:begin_tab:` [polybook.tab-unopened]",
    ),
    Case(
        Kind.TAB_NESTED,
        {
            "page.md": md(
                "# Title",
                "",
                ":begin_tab:`pytorch`",
                "For PyTorch.",
                "",
                ":begin_tab:`mxnet`",  # line 6
                "For MXNet.",
                "",
                ":end_tab:",
            )
        },
        "page.md:6: warning: `:begin_tab:` while the tab opened on line 3 is open; closing that one "
        "[polybook.tab-nested]",
    ),
    Case(
        Kind.FRAMEWORK_UNKNOWN,
        {"page.md": md("# Title", "", "```{.python .input}", "#@tab theano", "x = 1", "```")},
        "page.md:4: unknown framework 'theano'; the book's frameworks are pytorch, tensorflow, mxnet "
        "[polybook.framework-unknown]",
    ),
    Case(
        Kind.SAVE_TARGET,
        {"page.md": md("# Title", "", "```{.python .input}", "#@save", "print(1)", "```")},
        "page.md:5: #@save marks an expression; only def, class, import and assignment can be saved "
        "[polybook.save-target]",
    ),
    Case(
        Kind.CELL_SYNTAX,
        {
            "page.md": md(
                "# Title",
                "",
                "```{.python .input}",
                "#@save",
                "def f(x):",
                "    return (x",  # line 6
                "```",
            )
        },
        "page.md:6: code cell is not valid Python: '(' was never closed [polybook.cell-syntax]",
    ),
    Case(
        Kind.LABEL_DUPLICATE,
        {
            "page.md": md("# First", ":label:`sec_x`", "", "Text."),
            "other.md": md("# Second", "", "## Part", ":label:`sec_x`"),
        },
        "other.md:4: label 'sec_x' is already defined at page.md:2 [polybook.label-duplicate]",
        toc=("page", "other"),
    ),
    Case(
        Kind.REF_UNKNOWN,
        {"page.md": md("# Title", "", "A paragraph", "that refers to :numref:`fig_nowhere` on line 4.")},
        "page.md:4: :numref: to unknown label 'fig_nowhere' [polybook.ref-unknown]",
    ),
    Case(
        Kind.MARK_ORPHAN,
        {"page.md": md("# Title", "", "A paragraph, not an image.", ":width:`400px`")},
        "page.md:4: warning: `:width:` does not follow an image [polybook.mark-orphan]",
    ),
    Case(
        Kind.IMAGE_MISSING,
        {"page.md": md("# Title", "", "![A figure](img/nowhere.png)", ":width:`400px`")},
        "page.md:3: warning: image 'img/nowhere.png' does not exist [polybook.image-missing]",
    ),
    Case(
        Kind.IMAGE_OUTSIDE,
        {"page.md": md("# Title", "", "Text.", "", "![A figure](../../outside.png)")},
        "page.md:5: image '../../outside.png' is outside the book's folder [polybook.image-outside]",
    ),
    Case(
        Kind.FILE_MISSING,
        {"page.md": md("# Title", "", "```eval_rst", ".. raw:: html", "   :file: front.html", "```")},
        "page.md:5: warning: `.. raw::` reads 'front.html', which does not exist; the directive is left out "
        "[polybook.file-missing]",
    ),
    Case(
        Kind.FILE_OUTSIDE,
        {"page.md": md("# Title", "", "```eval_rst", ".. literalinclude:: ../../../etc/passwd", "```")},
        "page.md:4: `.. literalinclude::` reads '../../../etc/passwd', outside the book's folder "
        "[polybook.file-outside]",
    ),
    Case(
        Kind.TOC_MISSING,
        {"page.md": md("# Title")},
        # index.md: "# Book", "", "```toc", ":maxdepth: 2", "", "page", "missing" (line 7)
        "index.md:7: toc entry 'missing' names no page (missing.md) [polybook.toc-missing]",
        toc=("page", "missing"),
    ),
]


def test_every_source_kind_has_a_case() -> None:
    # CONFIG: see the tests at the end; EVAL_FAILED: tests/test_eval.py; EVAL_OUTPUT_CUT,
    # EVAL_GPU_UNDECLARED: tests/test_eval_limits.py; translation lints:
    # tests/test_translate_cli.py; ENCODING, OUTPUT, USAGE, LOCALE_MISSING: tests/test_bad_input.py;
    # CONFIG_IGNORED, RESOURCE_MISSING: tests/test_d2lbook_config.py; GLOSSARY, ENCODING_GUESSED:
    # tests/test_translate_workflow.py
    translation = {k for k in Kind if k.code.startswith("translation-")}
    evaluation = {Kind.EVAL_FAILED, Kind.EVAL_OUTPUT_CUT, Kind.EVAL_GPU_UNDECLARED}
    elsewhere = {Kind.CONFIG, Kind.ENCODING, Kind.OUTPUT, Kind.USAGE, Kind.LOCALE_MISSING} | evaluation
    elsewhere |= {Kind.CONFIG_IGNORED, Kind.RESOURCE_MISSING, Kind.GLOSSARY, Kind.ENCODING_GUESSED}
    covered = {case.kind for case in CASES} | elsewhere | translation
    assert covered == set(Kind) - LIBRARY_KINDS
    assert len(CASES) == len({case.kind for case in CASES})


@pytest.mark.parametrize("case", [pytest.param(case, id=case.kind.code) for case in CASES])
def test_kind_is_reported_at_its_line(book: Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    write_book(book, case.pages, case.toc)
    code, diagnostics, err = build(book, capsys)
    is_error = case.kind.severity is Severity.ERROR
    assert diagnostics == [case.expected]
    assert case.expected.endswith(f" [polybook.{case.kind.code}]")
    assert (": warning: " in case.expected) is not is_error
    assert code == (1 if is_error else 0)
    summary = f"polybook: {int(is_error)} error(s), {int(not is_error)} warning(s)"
    assert summary in err.splitlines()


# -- variants: other spellings of the same problems ------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ("%%tab theano", "x = 1"),
            "page.md:4: unknown framework 'theano'",
            id="cell-magic",
        ),
        pytest.param(
            ("#@tab pytorch, Theano", "x = 1"),
            "page.md:4: unknown framework 'Theano'",
            id="in-a-list",
        ),
        pytest.param(
            ("%load_ext d2lbook.tab", "tab.interact_select(['theano'])"),
            "page.md:4: unknown framework 'theano'",
            id="interact-select",
        ),
    ],
)
def test_framework_unknown_in_cells(
    book: Path, capsys: pytest.CaptureFixture[str], lines: tuple[str, ...], expected: str
) -> None:
    write_book(book, {"page.md": md("# Title", "", "```{.python .input}", *lines, "```")})
    code, diagnostics, _ = build(book, capsys)
    assert code == 1
    tail = "; the book's frameworks are pytorch, tensorflow, mxnet [polybook.framework-unknown]"
    assert diagnostics == [expected + tail]


def test_framework_unknown_in_a_prose_tab(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_book(book, {"page.md": md("# Title", "", ":begin_tab:`pytorch, theano`", "Text.", ":end_tab:")})
    code, diagnostics, _ = build(book, capsys)
    assert code == 1
    assert diagnostics == [
        "page.md:3: unknown framework 'theano'; the book's frameworks are pytorch, tensorflow, mxnet "
        "[polybook.framework-unknown]"
    ]


def test_cell_syntax_in_a_tab_switch_is_reported_once(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An ``all`` cell is analysed once per framework; its error is still reported once."""
    cell = ("#@tab all", "if tab.selected('pytorch'):", "    x = (", "else:", "    x = 2")
    write_book(book, {"page.md": md("# Title", "", "```{.python .input}", *cell, "```")})
    code, diagnostics, _ = build(book, capsys)
    assert code == 1
    assert diagnostics == [
        "page.md:6: code cell is not valid Python: '(' was never closed [polybook.cell-syntax]"
    ]


def test_save_target_reports_each_bad_statement(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cell = ("#@save", "import os", "print(os.sep)", "", "#@save", "for i in range(3):", "    pass")
    write_book(book, {"page.md": md("# Title", "", "```{.python .input}", *cell, "```")})
    code, diagnostics, _ = build(book, capsys)
    assert code == 1
    tail = "; only def, class, import and assignment can be saved [polybook.save-target]"
    assert diagnostics == [
        f"page.md:6: #@save marks an expression{tail}",
        f"page.md:9: #@save marks a for loop{tail}",
    ]


def test_diagnostics_in_a_chapter_folder(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_book(
        book,
        {"chapter_x/index.md": md("# Chapter", "", "See :ref:`sec_nowhere`.")},
        toc=("chapter_x/index",),
    )
    code, diagnostics, _ = build(book, capsys)
    assert code == 1
    assert diagnostics == [
        "chapter_x/index.md:3: :ref: to unknown label 'sec_nowhere' [polybook.ref-unknown]"
    ]


def test_path_names_the_page_from_another_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    root = tmp_path / "book"
    write_book(root, {"page.md": md("# Title", "", "Text.", "", ":end_tab:")})
    code, diagnostics, _ = build(root, capsys)
    assert code == 1
    assert len(diagnostics) == 1
    match = DIAGNOSTIC.match(diagnostics[0])
    assert match is not None
    assert match["path"].endswith("page.md")
    assert (elsewhere / match["path"]).resolve() == (root / "page.md").resolve()
    assert (match["line"], match["code"]) == ("5", "tab-unopened")


# -- a whole run -------------------------------------------------------------------------------


def test_all_errors_of_a_run_are_reported_sorted_and_nothing_is_written(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_lines = ["# A", "", "See :numref:`fig_nowhere`.", *[""] * 8, ":end_tab:"]  # ref: line 3, end_tab: 12
    b_lines = ["# B", "", "```{.python .input}", "#@tab theano", "x = 1", "```"]
    write_book(book, {"a.md": md(*a_lines), "b.md": md(*b_lines)})
    code, diagnostics, err = build(book, capsys)
    assert code == 1
    # found in the order 12 (parse), 4 (parse), 3 (book check); printed by file, then line as a number
    assert diagnostics == [
        "a.md:3: :numref: to unknown label 'fig_nowhere' [polybook.ref-unknown]",
        "a.md:12: `:end_tab:` without an open `:begin_tab:` [polybook.tab-unopened]",
        "b.md:4: unknown framework 'theano'; the book's frameworks are pytorch, tensorflow, mxnet "
        "[polybook.framework-unknown]",
    ]
    assert err.splitlines()[-2:] == [
        "polybook: 3 error(s), 0 warning(s)",
        "polybook: 3 error(s) in the book's source",
    ]
    assert capsys.readouterr().out == ""
    assert not (book / "_build" / "notebooks").exists()
    assert list(book.rglob("*.ipynb")) == []


def test_warnings_alone_still_build_the_notebooks(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = md(
        "# Title",
        "",
        "![A figure](img/nowhere.png)",
        "",
        "A paragraph.",
        ":width:`300px`",
        "",
        "```{.python .input}",
        "#@tab all",
        "x = 1",
        "```",
    )
    write_book(book, {"page.md": page})
    code = main(["build", "notebooks", "--source", str(book)])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines() == [
        "page.md:3: warning: image 'img/nowhere.png' does not exist [polybook.image-missing]",
        "page.md:6: warning: `:width:` does not follow an image [polybook.mark-orphan]",
        "polybook: 0 error(s), 2 warning(s)",
    ]
    assert out.startswith("polybook: 2 pages -> notebooks (pytorch 2, tensorflow 2, mxnet 2); 6 written")
    for fw in FRAMEWORKS:
        for name in ("index", "page"):
            assert (book / "_build" / "notebooks" / fw / f"{name}.ipynb").is_file()


# -- configuration (Kind.CONFIG) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        pytest.param(
            'polybook_frameworks = ["pytorch", "theano"]\n',
            "polybook_frameworks = ['pytorch', 'theano']: unknown framework 'theano'",
            id="unknown-framework",
        ),
        pytest.param(
            'polybook_frameworks = ["pytorch", "torch"]\n',
            "polybook_frameworks = ['pytorch', 'torch']: a framework is listed twice: ['pytorch', 'pytorch']",
            id="framework-twice",
        ),
        pytest.param(
            "polybook_frameworks = []\n",
            "polybook_frameworks = []: expected a non-empty list of frameworks",
            id="no-framework",
        ),
        pytest.param(
            "polybook_timeout = -1\n",
            "polybook_timeout = -1: expected a positive number",
            id="negative-timeout",
        ),
    ],
)
def test_bad_config_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], conf: str, message: str
) -> None:
    write_book(tmp_path, {"page.md": md("# Title")})
    (tmp_path / "conf.py").write_text(conf, encoding="utf-8")
    code = main(["build", "notebooks", "--source", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    conf_py = tmp_path.resolve() / "conf.py"
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"polybook: error: {conf_py}:1: {message}")
    assert lines[0].endswith(" [polybook.config]")
    assert not (tmp_path / "_build").exists()


def test_unreadable_conf_py(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_book(tmp_path, {"page.md": md("# Title")})
    (tmp_path / "conf.py").write_text("polybook_frameworks = [\n", encoding="utf-8")
    code = main(["build", "notebooks", "--source", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"polybook: error: {tmp_path.resolve() / 'conf.py'}:1: cannot read: ")
    assert err.rstrip().endswith(" [polybook.config]")


def test_bad_config_ini_value_names_the_ini_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_book(tmp_path, {"page.md": md("# Title")})
    (tmp_path / "conf.py").unlink()
    (tmp_path / "config.ini").write_text("[build]\ntabs = pytorch, theano\n", encoding="utf-8")
    code = main(["build", "notebooks", "--source", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    config_ini = tmp_path.resolve() / "config.ini"
    assert err.startswith(
        f"polybook: error: {config_ini}:2: build.tabs = 'pytorch, theano': unknown framework 'theano'"
    )
    assert err.rstrip().endswith(" [polybook.config]")
