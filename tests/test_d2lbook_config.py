"""A d2lbook book's config.ini: every key is used, or reported once with its line and why."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from polybook.source.config import load_config

POLYBOOK = str(Path(sys.executable).with_name("polybook"))

CONFIG_INI = """\
[project]
name = tiny
title = A d2lbook Book
author = Someone
release = 2.1.0
lang = en

[build]
notebooks = *.md */*.md
non-notebooks = chapter/prose.md
resources = img/ missing-folder/
eval_notebook = False
tabs = pytorch, mxnet
sphinx_extensions = sphinx.ext.todo
sphinx_configs = todo_include_todos = True
dependencies = glossary.md
rsts = extra.rst

[html]
header_links = GitHub, https://example.org/repo, fab fa-github,
               ###_PLACEHOLDER_###, ###_LINK_###, fas fa-book
favicon = static/favicon.png
html_logo = static/logo.png
include_css = static/book.css
include_js = static/book.js

[pdf]
post_latex = ./static/post_latex.py
main_font = No Such Font

[library]
version_file = tinylib/__init__.py

[library-pytorch]
lib_file = tinylib/torch.py
lib_name = torch
simple_alias = zeros

[deploy]
s3_bucket = s3://somewhere
github_repo = someone/site

[surprise]
color = blue
"""

PAGES = {
    "index.md": "# A d2lbook Book\n\n```toc\n:numbered:\n\nchapter/code\nchapter/prose\n```\n",
    "chapter/code.md": "# Code\n\n```{.python .input}\n#@save\ndef double(x):\n    return 2 * x\n```\n\n"
    "```{.python .input}\ndouble(21)\n```\n\n```eval_rst\n.. todo:: finish this chapter\n```\n",
    "chapter/prose.md": "# Prose\n\n```{.python .input}\nprint('shown, never run')\n```\n",
    "img/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n',
    "static/logo.png": "",
    "static/favicon.png": "",
    "static/book.css": ".bd-header { border-top: 3px solid teal; }\n",
    "static/book.js": "window.tinyBookLoaded = true;\n",
    "tinylib/__init__.py": '"""tiny"""\n__version__ = "0.0.1"\n',
}


def write_book(root: Path) -> Path:
    (root / "config.ini").parent.mkdir(parents=True, exist_ok=True)
    (root / "config.ini").write_text(CONFIG_INI)
    for name, text in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_every_key_is_read_or_reported(tmp_path: Path) -> None:
    root = write_book(tmp_path / "book")
    config = load_config(root)
    assert config.languages == ("en",)
    assert config.release == "2.1.0"
    assert [fw.name for fw in config.frameworks] == ["pytorch", "mxnet"]
    assert config.execute is False
    assert config.notebooks == ("*.md", "*/*.md") and config.not_notebooks == ("chapter/prose.md",)
    assert config.extensions == ("sphinx.ext.todo",)
    assert config.sphinx_settings == {"todo_include_todos": True}
    assert config.header_links[0] == ("GitHub", "https://example.org/repo", "fab fa-github")
    assert config.pdf_fonts == ("No Such Font", "", "")
    assert config.library["pytorch"].lib_file == "tinylib/torch.py"
    ini = str(root / "config.ini")
    notes = sorted(d.format() for d in config.notes)
    assert notes == sorted(
        [
            f"{ini}:16: warning: [build] dependencies is not used: polybook rebuilds what changed by "
            "content, not by listed files [polybook.config-ignored]",
            f"{ini}:17: warning: [build] rsts is not used: reStructuredText pages are not read; write "
            "`eval_rst` blocks in a page [polybook.config-ignored]",
            f"{ini}:28: warning: [pdf] post_latex is not used: polybook runs no script of the book's on "
            "the generated LaTeX [polybook.config-ignored]",
            f"{ini}:39: warning: [deploy] (s3_bucket, github_repo) is not used: polybook builds; "
            "publishing the site is left to your CI [polybook.config-ignored]",
            f"{ini}:44: warning: [surprise] color: not a d2lbook or polybook setting "
            "[polybook.config-ignored]",
        ]
    )


def test_the_site_and_the_library_honour_the_configuration(tmp_path: Path) -> None:
    root = write_book(tmp_path / "book")
    done = subprocess.run(
        [POLYBOOK, "build", "html", "--source", str(root), "-j", "1"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 Sphinx warning(s)" in done.stdout, done.stdout + done.stderr
    ini = root / "config.ini"
    assert (
        f"{ini}:11: warning: 'missing-folder/' does not exist [polybook.resource-missing]"
        in done.stderr.splitlines()
    )
    assert "[polybook.config-ignored]" in done.stderr
    assert "eval" not in done.stdout.split("html (en)")[0]  # eval_notebook = False: nothing ran
    html = (root / "_build" / "html" / "en" / "chapter" / "code.html").read_text()
    assert "logo.png" in html
    assert "favicon.png" in html
    assert "_static/book.css" in html and "_static/book.js" in html
    assert "https://example.org/repo" in html and "###_LINK_###" not in html
    assert "finish this chapter" in html  # sphinx.ext.todo with todo_include_todos = True
    # the book's own static files are the same in every language: shared by all of them
    assert (root / "_build" / "html" / "_static" / "book.css").is_file()
    assert 'href="../../_static/book.css' in html
    lib = subprocess.run(
        [POLYBOOK, "lib", "--source", str(root)], capture_output=True, text=True, timeout=300
    )
    assert lib.returncode == 0, lib.stderr
    assert "def double(x):" in (root / "tinylib" / "torch.py").read_text()  # lib_file
    assert "zeros = torch.zeros" in (root / "tinylib" / "torch.py").read_text()
    assert '__version__ = "2.1.0"' in (root / "tinylib" / "__init__.py").read_text()  # version_file


def test_a_page_outside_notebooks_is_shown_unexecuted(tmp_path: Path) -> None:
    root = write_book(tmp_path / "book")
    ini = root / "config.ini"
    ini.write_text(ini.read_text().replace("eval_notebook = False", "eval_notebook = True"))
    done = subprocess.run(
        [POLYBOOK, "eval", "--source", str(root), "--framework", "pytorch", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    import json

    report = json.loads((root / "_build" / "reports" / "eval.json").read_text())
    records = {r["page"]: r for r in report["notebooks"]}
    assert records["chapter/code"]["status"] == "executed"
    assert records["chapter/prose"]["reason"] == "shown unexecuted (not among polybook_notebooks)"
