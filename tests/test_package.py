"""The d2l package resolves to the working tree, so a regenerated library needs no reinstall."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_d2l_modules_come_from_the_working_tree(tmp_path: Path) -> None:
    probe = (
        "import importlib.util as u, d2l; "
        "print(d2l.__file__); print(u.find_spec('d2l.torch').origin); print(u.find_spec('d2l.mxnet').origin)"
    )
    # from a folder outside the project, as a kernel started elsewhere would
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert found.stdout.split() == [
        str(PROJECT / "d2l" / "__init__.py"),
        str(PROJECT / "d2l" / "torch.py"),
        str(PROJECT / "d2l" / "mxnet.py"),
    ]


def test_polybook_command_is_installed() -> None:
    exe = Path(sys.executable).with_name("polybook")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("polybook ")
