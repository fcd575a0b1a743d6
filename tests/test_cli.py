"""The command line's own promises: help for everything, the version, a book found from a
subfolder, arguments checked before any work, and `eval --explain` as a pure dry run."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest

from polybook import __version__, docs
from polybook.cli import main, make_parser

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).resolve().parents[1]
Capture = pytest.CaptureFixture[str]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_subcommand_and_option_has_help() -> None:
    parser = make_parser()
    commands = subcommands(parser)
    assert {"build", "eval", "lib", "translate", "env", "doctor", "new", "serve"} <= set(commands)
    listed = {a.dest: a.help for a in parser._subparsers._group_actions[0]._choices_actions}  # type: ignore[union-attr]
    missing = [name for name in commands if not listed.get(name)]
    for name, sub in [("polybook", parser), *commands.items()]:
        missing += [
            f"{name} {action.option_strings or action.dest}"
            for action in sub._actions
            if not isinstance(action, argparse._HelpAction) and not action.help
        ]
    assert missing == []


def test_the_docs_do_not_send_readers_outside_the_repository() -> None:
    for name in ("README.md", "CONTRIBUTING.md", "docs/dialect.md", "docs/cli.md"):
        assert "../shared" not in (PROJECT / name).read_text(encoding="utf-8"), name
    assert "(docs/dialect.md)" in (PROJECT / "README.md").read_text(encoding="utf-8")


def test_the_cli_reference_names_every_subcommand_and_option() -> None:
    """docs/cli.md is generated from the parser (`python -m polybook.docs`): it stays true."""
    text = (PROJECT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert docs.render(text) == text, "run: python -m polybook.docs"
    for name, sub in subcommands(make_parser()).items():
        assert f"polybook {name}" in text
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert option in text, (name, option)


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_the_version(flag: str, capsys: Capture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([flag])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"polybook {__version__}\n"


def test_translate_without_an_action_prints_its_help(capsys: Capture) -> None:
    assert main(["translate", "--source", str(FIXTURES / "evalbook")]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: polybook translate")
    assert "init: write new pair files" in out


def test_a_book_is_found_from_a_subfolder(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    monkeypatch.chdir(PROJECT / "chapters" / "chapter_preface")
    main(["doctor"])  # 0 or 1 with the environments as they are: the book is what matters here
    assert capsys.readouterr().out.splitlines()[0] == f"book: {PROJECT} ({PROJECT / 'conf.py'})"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["build", "notebooks", "--lang", "xx"],
            "--lang xx: the book's languages are en, ko [polybook.usage]",
        ),
        (["build", "html", "--framework", "jax"], "'jax' is not one of the book's"),
        (["eval", "--framework", "paddle"], "'paddle' is not one of the book's"),
    ],
)
def test_unknown_languages_and_frameworks_are_refused_before_any_work(
    tmp_path: Path, argv: list[str], message: str, capsys: Capture
) -> None:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "evalbook", root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert main([*argv, "--source", str(root)]) == 1
    assert message in capsys.readouterr().err
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # no _build, no d2l/


def test_eval_explain_writes_nothing(tmp_path: Path, capsys: Capture) -> None:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "evalbook", root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert main(["eval", "--explain", "--source", str(root)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"pytorch\s+chapter_a/saved\s+runs: new: not executed before", out)
    assert re.search(r"mxnet\s+index\s+no code to run", out)
    assert out.rstrip().endswith("polybook eval --explain: 12 to run, 6 reused")
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_bug_is_one_line_and_a_file_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Capture
) -> None:
    import tempfile

    from polybook import cli

    def broken(args: argparse.Namespace) -> int:
        raise KeyError("displaymath")  # as Sphinx raised once, deep inside a build

    monkeypatch.setitem(cli.COMMANDS, "doctor", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["doctor"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == "polybook: internal error: KeyError: 'displaymath'"
    (report,) = tmp_path.glob("polybook-crash-*.txt")
    assert lines[1].endswith(f"please report it with {report}")
    kept = report.read_text(encoding="utf-8")
    assert kept.startswith("polybook doctor\n") and "Traceback" in kept and "KeyError: 'displaymath'" in kept
