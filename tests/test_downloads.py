"""Readers' downloads without a browser: a page as plain Markdown, the d2l wheel, one static
folder for every language."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import textwrap
import zipfile
from pathlib import Path

from polybook.errors import Diagnostics
from polybook.generate.reader import Reader, Resolved, install_cell, reader_notebook
from polybook.project import Project
from polybook.render.downloads import build_wheel, colab_pattern, wheel_of
from polybook.render.shared_static import share_static
from polybook.source.frameworks import BUILTIN
from polybook.source.parser import parse_page

PAGE = textwrap.dedent(
    """\
    # Linear Regression
    :label:`sec_lr`

    See :numref:`sec_other`, :eqref:`eq_loss` and :cite:`Galton.1886`.

    $$l = (y - \\hat y)^2$$
    :eqlabel:`eq_loss`

    ![A line through points.](img/line.svg)
    :label:`fig_line`

    ```{.python .input}
    #@tab pytorch
    print("hi")
    ```
    """
)


def test_a_page_reads_as_plain_markdown_with_the_sites_numbers(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "line.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    doc = parse_page(PAGE, "lr", tmp_path / "lr.md", "lr.md", ("pytorch",), Diagnostics())
    resolved = Resolved(
        refs={"numref:sec_other": "Section 2.1", "eq:eq_loss": "(2.1.3)", "p:Galton.1886": "[Galton, 1886]"},
        numbers={"eq_loss": "2.1.3", "fig_line": "Fig. 2.1.1"},
        sections=[("Linear Regression", "2.1")],
    )

    def image(src: str) -> tuple[str, str, bytes]:
        return "img_line.svg", "image/svg+xml", (tmp_path / src).read_bytes()

    reader = Reader(resolved, image, install_cell("d2l-book==1.0", BUILTIN["pytorch"]), "https://colab/x")
    nb = reader_notebook(doc, BUILTIN["pytorch"], None, reader, "lr.md")
    assert nb is not None
    kinds = [c["cell_type"] for c in nb["cells"]]
    assert kinds == ["markdown", "markdown", "code", "markdown", "code"]  # title, Colab, install, text, code
    assert "".join(nb["cells"][0]["source"]) == "# 2.1. Linear Regression"
    assert "https://colab/x" in "".join(nb["cells"][1]["source"])
    assert '%pip install --quiet "d2l-book==1.0" "torch==' in "".join(nb["cells"][2]["source"])
    text = "".join(nb["cells"][3]["source"])
    assert "See Section 2.1, (2.1.3) and [Galton, 1886]." in text
    assert "\\tag{2.1.3}" in text and "eqlabel" not in text
    assert "![A line through points.](attachment:img_line.svg)" in text
    assert "**Fig. 2.1.1** A line through points." in text
    attached = nb["cells"][3]["attachments"]["img_line.svg"]["image/svg+xml"]
    assert base64.b64decode(attached).startswith(b"<svg")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_the_d2l_wheel_is_a_wheel(tmp_path: Path) -> None:
    project = Project(Path(__file__).resolve().parents[1])
    wheel = build_wheel(project.book, tmp_path)
    assert wheel.filename == "d2l_polybook-0.1-py3-none-any.whl"
    with zipfile.ZipFile(tmp_path / "_downloads" / wheel.filename) as archive:
        names = set(archive.namelist())
        assert {"d2l/__init__.py", "d2l/torch.py", "d2l/tensorflow.py", "d2l/mxnet.py"} <= names
        record = archive.read("d2l_polybook-0.1.dist-info/RECORD").decode().splitlines()
        for row in record:
            name, digest, size = row.split(",")
            if not digest:
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data)
        assert "Requires-Dist: pandas" in archive.read("d2l_polybook-0.1.dist-info/METADATA").decode()
    first = (tmp_path / "_downloads" / wheel.filename).read_bytes()
    build_wheel(project.book, tmp_path)
    assert (tmp_path / "_downloads" / wheel.filename).read_bytes() == first  # byte-stable
    assert wheel.requirement(project.config) == "d2l-polybook==0.1"


def test_colab_links_come_from_a_github_repository() -> None:
    config = Project(Path(__file__).resolve().parents[1]).config
    assert colab_pattern(config) == ""
    config = dataclasses.replace(config, repository="https://github.com/owner/book.git")
    assert colab_pattern(config).format(lang="ko", framework="mxnet", page="a/b") == (
        "https://colab.research.google.com/github/owner/book/blob/notebooks/ko/mxnet/a/b.ipynb"
    )
    assert wheel_of(config).distribution == "d2l-polybook"


def test_one_static_folder_for_every_language(tmp_path: Path) -> None:
    html = tmp_path / "html"
    for lang, options in (("en", "LANGUAGE: 'en'"), ("ko", "LANGUAGE: 'ko'")):
        static = html / lang / "_static"
        (static / "mathjax").mkdir(parents=True)
        (static / "mathjax" / "tex-chtml.js").write_text("mathjax")
        (static / "documentation_options.js").write_text(options)
        (html / lang / "a").mkdir()
        (html / lang / "a" / "p.html").write_text(
            '<script src="../_static/mathjax/tex-chtml.js"></script>'
            '<script src="../_static/documentation_options.js?v=1"></script>'
        )
        share_static(html, lang)
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert not (html / "ko" / "_static" / "mathjax").exists()
    assert (html / "ko" / "_static" / "documentation_options.js").read_text() == "LANGUAGE: 'ko'"
    page = (html / "ko" / "a" / "p.html").read_text()
    assert 'src="../../_static/mathjax/tex-chtml.js"' in page  # shared
    assert 'src="../_static/documentation_options.js?v=1"' in page  # its own
    assert share_static(html, "ko") == 0  # linked once: a second pass changes nothing
