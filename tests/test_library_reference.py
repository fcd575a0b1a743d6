"""Our extraction of d2l-en holds everything d2l-en's own published library has.

The reference is the `d2l==1.0.3` wheel from PyPI, which `make` downloads into
`.venv/reference/` (outside the project): every function and class of each of its four modules,
with every method, must be in the module `polybook lib` writes from the corpus.
"""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import pytest

from polybook.cli import main

PROJECT = Path(__file__).resolve().parents[1]
REFERENCE = PROJECT / ".venv" / "reference"
MODULES = ("torch", "mxnet", "jax", "tensorflow")


def definitions(source: str) -> dict[str, set[str]]:
    """Top-level functions and classes of a module, each class with its methods."""
    found: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            found[node.name] = {
                m.name for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
    return found


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, set[str]]]:
    wheels = sorted(REFERENCE.glob("d2l-1.0.3-*.whl"))
    if not wheels:
        pytest.fail(f"no d2l 1.0.3 wheel in {REFERENCE}: run `make setup` (it downloads it from PyPI)")
    with zipfile.ZipFile(wheels[0]) as wheel:
        return {m: definitions(wheel.read(f"d2l/{m}.py").decode()) for m in MODULES}


@pytest.fixture(scope="module")
def ours(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, set[str]]]:
    out = tmp_path_factory.mktemp("lib")
    assert main(["lib", "--source", str(corpus), "--out", str(out)]) == 0
    return {m: definitions((out / "lib" / f"{m}.py").read_text()) for m in MODULES}


@pytest.mark.parametrize("module", MODULES)
def test_every_published_definition_is_extracted(module: str, reference, ours) -> None:  # type: ignore[no-untyped-def]
    published, extracted = reference[module], ours[module]
    assert len(published) > 50
    missing = sorted(set(published) - set(extracted))
    assert missing == []
    missing_methods = {
        name: sorted(methods - extracted[name])
        for name, methods in published.items()
        if methods - extracted[name]
    }
    assert missing_methods == {}
