"""PDFs through XeLaTeX: in every language, as readers get them; a framework on request, readable
LaTeX errors.

Needs Debian's TeX Live, Noto CJK fonts and poppler-utils, which `make test` installs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: `make test` installs TeX Live and poppler-utils")
    return found


def build_pdf(root: Path, *args: str, execute: bool = False) -> subprocess.CompletedProcess[str]:
    no_exec = [] if execute else ["--no-exec"]
    return subprocess.run(
        [POLYBOOK, "build", "pdf", *no_exec, "--source", str(root), "-j", "2", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pdf") / "book"
    shutil.copytree(FIXTURES / "pdfbook", root)
    done = build_pdf(root, "--lang", "all", execute=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # a remote image is a warning at the chapter's line, and a placeholder in the PDF
    assert "pages/remote.md:7: WARNING: https://example.org/picture.png: a remote image" in done.stderr
    assert "does not exist" not in done.stderr  # the plot is not taken for a missing image
    assert "Babel" not in done.stderr  # polyglossia sets Korean up; Babel's complaint is moot
    # the paper shows the default framework: the other one is not executed for it
    assert (root / "_build" / "executed" / "pytorch").is_dir()
    assert not (root / "_build" / "executed" / "tensorflow").exists()
    return root / "_build" / "pdf"


def text_of(pdf: Path) -> str:
    return subprocess.run(
        [tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_english_pdf_has_the_default_frameworks_code(book: Path) -> None:
    text = text_of(book / "en" / "book.pdf")
    assert "A linear model computes a weighted sum" in text
    assert 'print("torch code")' in text
    assert "tensorflow code" not in text
    assert "[ image: https://example.org/picture.png ]" in text
    assert text.count("[ image:") == 1  # the plot is not a placeholder...
    latex = book.parent / "latex" / "en-pytorch"
    plot = re.search(r"\\sphinxincludegraphics\{\{([0-9a-f]{64})\}\.pdf\}", (latex / "book.tex").read_text())
    assert plot is not None  # ...but the plot's SVG, turned into a PDF by rsvg-convert
    assert (latex / f"{plot.group(1)}.pdf").read_bytes().startswith(b"%PDF")
    assert "Chapter 1 has none" in " ".join(text.split())  # a chapter is not a "Section"


def test_the_korean_pdf_embeds_a_cjk_font_and_keeps_word_spaces(book: Path) -> None:
    pdf = book / "ko" / "book.pdf"
    fonts = subprocess.run([tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded
    assert "선형 모델은" in text_of(pdf)
    assert "1장 has none" in text_of(pdf)  # Korean numbering words, no space after a digit
    assert "제1장" in text_of(pdf) and "CHAPTER" not in text_of(pdf)
    assert text_of(pdf).startswith("PDF 시험용 책")  # the title, translated


def test_a_rendered_page_is_not_blank(book: Path, tmp_path: Path) -> None:
    pdftoppm = tool("pdftoppm")
    pdf = book / "ko" / "book.pdf"
    pages = text_of(pdf).split("\f")
    number = next(n for n, text in enumerate(pages, 1) if "선형 모델은" in text)  # the first chapter's page
    subprocess.run(
        [pdftoppm, "-gray", "-r", "40", "-f", str(number), "-l", str(number), str(pdf), str(tmp_path / "p")],
        check=True,
    )
    image = next(tmp_path.glob("p*.pgm")).read_bytes()
    _, size, _, pixels = image.split(b"\n", 3)  # P5 header: magic, size, maximum
    width, height = map(int, size.split())
    inked = [any(v < 128 for v in pixels[r * width : (r + 1) * width]) for r in range(height)]
    # a blank page with its footer (a rule, a page number) inks 4 rows; this one has a heading,
    # a paragraph, an equation and code
    assert sum(inked) > 20


def test_a_framework_on_request(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "pdfbook", root)
    page = root / "pages" / "model.md"  # an index entry, as d2l-en's API page makes: xindy runs
    page.write_text(page.read_text() + "\n```eval_rst\n.. index:: mediocrity; regression towards\n```\n")
    done = build_pdf(root, "--lang", "en", "--framework", "tensorflow")
    assert done.returncode == 0, done.stdout + done.stderr
    text = text_of(root / "_build" / "pdf" / "en" / "book-tensorflow.pdf")
    assert 'print("tensorflow code")' in text and "torch code" not in text
    index = text[text.rindex("Index") :]
    assert "mediocrity" in index and "regression towards" in index


def test_a_latex_error_names_its_page_and_line(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "pdfbook", root)
    page = root / "pages" / "model.md"
    page.write_text(page.read_text() + "\nThe broken part: $\\frac{1}{2$ ends here.\n")
    done = build_pdf(root, "--lang", "en")
    assert done.returncode == 1
    line = done.stderr.strip().splitlines()[-1]
    broken = (root / "pages" / "model.md").read_text().splitlines().index(
        "The broken part: $\\frac{1}{2$ ends here."
    ) + 1
    assert line.startswith(f"polybook: error: pages/model.md:{broken}: LaTeX error: ")
    assert line.endswith("[polybook.latex]")
    assert "book.tex:" in line
    # fixed, it builds: nothing of the failed run is held against the next one
    page.write_text(page.read_text().replace("$\\frac{1}{2$", "$\\frac{1}{2}$"))
    again = build_pdf(root, "--lang", "en")
    assert again.returncode == 0, again.stdout + again.stderr


LANGUAGES = ("en", "ko", "zh", "ja")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_code_copies_as_typed_in_every_language(book: Path, lang: str) -> None:
    """The code a reader copies from the PDF is the code of the page, character for character
    (no non-breaking hyphen U+2011 for "-", whatever the language's fonts)."""
    from polybook.project import Project

    doc = Project(FIXTURES / "pdfbook").book.page("pages/model")
    assert doc is not None
    code = [
        line
        for cell in doc.cells
        if cell.shown_for("pytorch")
        for line in cell.code_for("pytorch").splitlines()
    ]
    assert any("-" in line for line in code)  # the page has hyphens and minus signs to copy
    lines = {line.strip() for line in text_of(book / lang / "book.pdf").splitlines()}
    missing = [line for line in code if line.strip() and line.strip() not in lines]
    assert missing == []
    assert "\u2011" not in text_of(book / lang / "book.pdf")


def test_one_references_chapter(book: Path) -> None:
    pages = text_of(book / "en" / "book.pdf").split("\f")
    assert not any("Bibliography" in page for page in pages)
    references = [n for n, page in enumerate(pages) if page.lstrip().lower().startswith("references")]
    assert len(references) == 1  # the chapter, and the list in it
    assert "Regression towards mediocrity" in pages[references[0]]
    assert "[Galton, 1886]" in " ".join(pages)
    # a citation in a figure's caption (d2l-en has them): in the caption and the list of figures
    assert "A remote picture, as in [Galton, 1886]" in " ".join(" ".join(pages).split())


def test_the_introduction_comes_before_the_contents(book: Path) -> None:
    pages = [" ".join(page.split()) for page in text_of(book / "en" / "book.pdf").split("\f")]
    intro = next(n for n, page in enumerate(pages) if "puts the PDF through its paces" in page)
    contents = next(n for n, page in enumerate(pages) if page.lower().startswith("contents"))
    assert intro < contents
    assert "contents" not in pages[intro].lower()  # its own page, under no running head


def test_untranslated_passages_are_marked_as_on_the_site(book: Path) -> None:
    from polybook.i18n.locale import locale

    text = " ".join(text_of(book / "ko" / "book.pdf").split())
    notice = " ".join(locale("ko").notices["untranslated_page"].split())
    chapters = text.split("제2장")
    assert notice in chapters[0] and notice in chapters[1]  # once for each page that has some
    assert chapters[0].count(notice) == 1
    assert "Code copies as typed" in chapters[0]  # in English, marked
