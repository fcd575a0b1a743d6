"""``polybook new DIR``: a starter book that builds with ``make html`` right away.

The starter is package data (``starter/``): a commented ``conf.py``, a root page with tables of
contents, a chapter whose pages show framework tabs, a saved function used on a second page, a
figure, a table, a labelled equation and a citation, and a Makefile whose ``html``, ``test`` and
``serve`` targets set themselves up. The Makefile records the polybook command that made the
book, and the polybook checkout it runs from (if any), so that ``make html`` finds polybook on
this machine and can install it into the book's own ``.venv`` on another one.
"""

from __future__ import annotations

import datetime
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .fsutil import read_source, write_bytes, write_text

STARTER = Path(__file__).parent / "starter"
#: Files whose name in the package differs from the one in the book: a ``.py`` file in the
#: package would be taken for a module of polybook (its Python files end in ``.template``), and
#: a dot file is easily lost on the way.
RENAMED = {"dot-gitignore": ".gitignore"}
#: The only text of the starter that depends on the book; plain markers rather than a template
#: engine, because the Makefile's own ``$(…)`` and the chapters' ``{…}`` must pass untouched.
MARKERS = ("@TITLE@", "@UNDERLINE@", "@NAME@", "@YEAR@", "@POLYBOOK@", "@SOURCE@")


@dataclass(frozen=True)
class Starter:
    """What ``new`` wrote, and the polybook the book's Makefile will call."""

    root: Path
    files: list[Path]
    polybook: Path
    source: Path | None


def installed_command() -> Path:
    """The ``polybook`` command of the Python running now (a virtual environment's script)."""
    return Path(sys.executable).with_name("polybook").absolute()


def source_checkout() -> Path | None:
    """The polybook checkout this polybook runs from (an editable install), if it does."""
    project = Path(__file__).resolve().parents[2]
    pyproject = project / "pyproject.toml"
    if pyproject.is_file() and re.search(r'(?m)^name = "polybook"$', pyproject.read_text(encoding="utf-8")):
        return project
    return None


def _name(title: str) -> str:
    """A file name from a title: ``My First Book`` becomes ``my-first-book``."""
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return name or "book"


def create(target: Path, title: str | None = None) -> Starter:
    """Write the starter book into ``target`` (a new or empty folder).

    :param title: the book's title; from the folder's name when not given.
    :raises UsageError: when ``target`` is a file or a folder that holds anything.
    """
    target = target.absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} already exists and is not an empty folder; `polybook new` makes a new book"
        )
    title = title or target.name.replace("-", " ").replace("_", " ").strip().capitalize() or "My book"
    polybook, source = installed_command(), source_checkout()
    values = {
        "@TITLE@": title,
        "@UNDERLINE@": "=" * len(title),
        "@NAME@": _name(title),
        "@YEAR@": str(datetime.date.today().year),
        "@POLYBOOK@": str(polybook),
        "@SOURCE@": str(source or ""),
    }
    written = []
    for path in sorted(p for p in STARTER.rglob("*") if p.is_file()):
        relative = path.relative_to(STARTER)
        name = RENAMED.get(relative.name, relative.name.removesuffix(".template"))
        destination = target / relative.parent / name
        if path.suffix == ".svg":
            write_bytes(destination, path.read_bytes())
        else:
            text = read_source(path)
            for marker in MARKERS:
                text = text.replace(marker, values[marker])
            write_text(destination, text)
        written.append(destination)
    return Starter(target, written, polybook, source)
