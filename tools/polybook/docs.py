"""Generated parts of the documentation: the settings and diagnostics tables of CONTRIBUTING.md,
and the command-line reference of docs/cli.md (from the argument parser itself).

``python -m polybook.docs`` rewrites the text between ``<!-- begin NAME -->`` and
``<!-- end NAME -->`` in both files; the test suite fails when a file is out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .cli import make_parser
from .errors import Kind
from .fsutil import write_text
from .source.config import docs_table


def diagnostics_table() -> str:
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    rows += [f"| `polybook.{k.code}` | {k.severity.value} | {k.description} |" for k in Kind]
    return "\n".join(rows)


def _argument(action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(action.option_strings)
        takes = action.nargs != 0
        value = action.metavar or ("{" + ",".join(map(str, action.choices)) + "}" if action.choices else "")
        return f"`{name} {value or action.dest.upper()}`" if takes else f"`{name}`"
    if action.choices and not isinstance(action.choices, dict):
        return ", ".join(f"`{c}`" for c in action.choices)
    return f"`{action.metavar or action.dest.upper()}`"


def cli_reference() -> str:
    """Every subcommand of ``polybook``: what it does, its usage, each argument and its help."""
    parser = make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    parts = []
    for name, command in sub.choices.items():
        usage = " ".join(command.format_usage().split())
        rows = ["| argument | meaning |", "|---|---|"]
        rows += [
            f"| {_argument(a)} | {(a.help or '').replace('|', '/')} |"
            for a in command._actions
            if not isinstance(a, argparse._HelpAction)
        ]
        table = "\n\n" + "\n".join(rows) if len(rows) > 2 else ""
        parts.append(f"### polybook {name}\n\n{helps[name]}\n\n```\n{usage}\n```{table}")
    return "\n\n".join(parts)


SECTIONS = {"settings": docs_table, "diagnostics": diagnostics_table, "cli": cli_reference}


def render(text: str) -> str:
    """``text`` with every generated section brought up to date."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- begin {name} -->\n)(?:.*?\n)?(<!-- end {name} -->)", re.S)
        text = pattern.sub(lambda m, make=make: f"{m.group(1)}{make()}\n{m.group(2)}", text)  # type: ignore[misc]
    return text


FILES = ("CONTRIBUTING.md", "docs/cli.md")


def main(*paths: str) -> int:
    for path in paths or FILES:
        target = Path(path)
        changed = write_text(target, render(target.read_text(encoding="utf-8")))
        print(f"{target}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
