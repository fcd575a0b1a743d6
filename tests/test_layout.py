"""The layout shows the architecture: stages in folders, imports pointing down, a true map."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT / "tools" / "polybook"

#: Each part of the package and its layer: a module may import its own part and lower layers.
#: ``execution`` and ``i18n`` share a layer and know nothing of each other.
LAYERS = {
    "basics": 0,  # errors, fsutil, processes, outdir, the package's __init__
    "source": 1,
    "generate": 2,
    "execution": 3,
    "i18n": 3,
    "render": 4,
    "new": 4,  # the starter book: files only, below the project that generates its library
    "project": 5,
    "preview": 6,
    "cli": 7,
    "docs": 8,  # the generated documentation reads the command line's parser
    "__main__": 8,
}
BASICS = {"__init__", "errors", "fsutil", "processes", "outdir"}


def modules() -> list[str]:
    """Every module of the package, dotted below ``polybook`` (``source.book``)."""
    return sorted(
        path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        for path in PACKAGE.rglob("*.py")
    )


def part(module: str) -> str:
    head = module.split(".")[0]
    return "basics" if head in BASICS else head


def imported(module: str) -> set[str]:
    """The polybook modules ``module`` imports, anywhere in its body (lazy imports too)."""
    path = PACKAGE / (module.replace(".", "/") + ".py")
    package = module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = [*base, *(node.module.split(".") if node.module else [])]
            if node.module is None:  # from . import x, y: modules, or names of the package itself
                for alias in node.names:
                    name = ".".join([*target, alias.name])
                    is_module = (PACKAGE / name.replace(".", "/")).with_suffix(".py").is_file()
                    is_package = (PACKAGE / name.replace(".", "/")).is_dir()
                    found.add(name if is_module or is_package else ".".join([*target, "__init__"]))
            else:
                found.add(".".join(target))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("polybook."):
            found.add(node.module.removeprefix("polybook."))
    return {name for name in found if name}


def test_every_subpackage_imports() -> None:
    names = ["polybook", *(f"polybook.{p}" for p in ("source", "generate", "execution", "i18n", "render"))]
    done = subprocess.run(
        [sys.executable, "-c", "; ".join(f"import {n}" for n in names)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", modules())
def test_imports_point_down(module: str) -> None:
    mine = part(module)
    for target in imported(module):
        theirs = part(target)
        if theirs == mine:
            continue
        assert LAYERS[theirs] < LAYERS[mine], f"{module} imports {target}: {mine} may not use {theirs}"


@pytest.mark.parametrize(
    "module", [m for m in modules() if part(m) not in ("render", "project", "cli", "docs")]
)
def test_only_rendering_imports_sphinx(module: str) -> None:
    tree = ast.parse((PACKAGE / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        assert not any(re.match(r"(sphinx|docutils|myst_nb)\b", n) for n in names), module


def test_the_module_map_lists_every_module() -> None:
    text = (PROJECT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", text, re.M))
    expected = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }
    assert listed == expected


def test_every_module_says_its_job() -> None:
    for module in modules():
        tree = ast.parse((PACKAGE / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        assert doc and len(doc.splitlines()[0]) > 10, f"{module} has no docstring saying its job"
