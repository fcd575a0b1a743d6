"""The PDF of one language and framework: Sphinx's LaTeX builder, then XeLaTeX through latexmk.

The pages are assembled with one framework's code only (no tabs on paper). SVG figures and
plots stay vector graphics (rsvg-convert turns them into PDF). Chinese, Japanese and Korean get
xeCJK with Noto CJK fonts. When LaTeX fails, the error is read from its log and traced back to
the page it came from, and to the line of that page when the failing text can be found in it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PolybookError
from ..fsutil import copy_file, read_source, write_text
from ..generate.notebooks import dumps
from ..i18n.locale import locale
from ..source.book import Book
from ..source.frameworks import Framework
from .downloads import read_json
from .paper import PREAMBLE
from .site import _documents, _link_book_folders, book_title, run_sphinx_apart, sphinx_settings


@dataclass
class PdfResult:
    lang: str
    framework: str
    pdf: Path
    warnings: list[str] = field(default_factory=list)


class LatexError(PolybookError):
    """XeLaTeX could not make the PDF; says where, in the LaTeX file and in the book."""

    def __init__(self, message: str, tex: str, tex_line: int, page: str, source: str) -> None:
        super().__init__(message, tex, tex_line, page, source)
        self.message, self.tex, self.tex_line, self.page, self.source = message, tex, tex_line, page, source

    def __str__(self) -> str:
        where = self.source or self.page or "the book"
        return f"{where}: LaTeX error: {self.message} ({self.tex}:{self.tex_line}) [polybook.latex]"


#: The PDF's fonts when the book names none: TeX Gyre and Latin Modern come with Debian's TeX
#: Live (Sphinx's default, GNU FreeFont, is a separate package)
DEFAULT_FONTS = ("TeX Gyre Pagella", "TeX Gyre Heros", "Latin Modern Mono")


@functools.cache
def installed_fonts() -> frozenset[str]:
    """Font families fontconfig knows (empty without fc-list)."""
    if shutil.which("fc-list") is None:
        return frozenset()
    done = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False)
    return frozenset(name.strip() for line in done.stdout.splitlines() for name in line.split(","))


def _fonts(book: Book) -> tuple[str, list[str]]:
    """The ``fontpkg`` LaTeX for the book's fonts, and a warning for each it names that this
    machine lacks (that one falls back to the default)."""
    chosen, warnings = [], []
    for wanted, default, role in zip(
        book.config.pdf_fonts, DEFAULT_FONTS, ("main", "sans", "mono"), strict=True
    ):
        if wanted and wanted not in installed_fonts():
            where = book.config.where("pdf_fonts")
            warnings.append(
                f"{where}: warning: the {role} font {wanted!r} is not installed; using {default} "
                "[polybook.resource-missing]"
            )
            wanted = ""
        chosen.append(wanted or default)
    main, sans, mono = chosen
    text = f"\\setmainfont{{{main}}}\n\\setsansfont{{{sans}}}\n\\setmonofont[Scale=0.9]{{{mono}}}\n"
    return text, warnings


def latex_settings(
    book: Book, lang: str, framework: Framework, out: Path, title: str = ""
) -> dict[str, object]:
    settings = sphinx_settings(book, lang, (framework,), out, title)
    name = book.config.name + ("" if framework == book.config.frameworks[0] else f"-{framework.name}")
    extensions = list(settings["extensions"])
    extensions.append("sphinxcontrib.rsvgconverter")
    preamble = ""
    language: dict[str, str] = {}
    words = locale(lang).pdf
    if words.cjk_font:
        family, gloss, options = words.cjk_font, words.polyglossia, words.polyglossia_options
        fonts = {"": "Serif", "sf": "Sans"}
        preamble = (
            "\\usepackage{xeCJK}\n"
            f"\\setCJKmainfont{{Noto Serif CJK {family}}}\n"
            f"\\setCJKsansfont{{Noto Sans CJK {family}}}\n"
            f"\\setCJKmonofont{{Noto Sans Mono CJK {family}}}\n"
            # polyglossia checks that the language's font has its script
            + "".join(f"\\newfontfamily\\{gloss}font{k}{{Noto {v} CJK {family}}}\n" for k, v in fonts.items())
            # code keeps the Latin monospaced font (xeCJK sets its CJK characters in the CJK
            # one): Noto Sans Mono CJK's hyphen is extracted as U+2011, and copied code then fails
            + f"\\newfontfamily\\{gloss}fonttt[Scale=0.9]{{Latin Modern Mono}}\n"
            # Sphinx's captions end in a space ("그림 2.1"); polyglossia's do not
            + f"\\addto\\captions{gloss}{{\\renewcommand{{\\figurename}}{{{words.figure}}}"
            f"\\renewcommand{{\\tablename}}{{{words.table}}}}}\n"
        )
        if words.xecjk_setup:
            preamble += f"\\xeCJKsetup{{{words.xecjk_setup}}}\n"
        language = {
            # the book's own language, and English for the words Sphinx writes in English (Sphinx
            # takes a 'babel' setting as the whole of the language set-up, polyglossia included)
            "babel": "\\usepackage{polyglossia}\n"
            f"\\setmainlanguage[{options}]{{{gloss}}}\n\\setotherlanguage{{english}}",
            "fncychap": "",  # fncychap's "CHAPTER 1" is English; polyglossia's is "제1장", "第 1 章"
        }
    settings.update(
        {
            "extensions": extensions,
            "latex_engine": "xelatex",
            # Sphinx's default class for Japanese (jsbook) needs pLaTeX; XeLaTeX takes the usual one
            "latex_docclass": {"manual": "report", "howto": "article"},
            "latex_documents": [("index", f"{name}.tex", settings["project"], book.config.author, "manual")],
            "latex_elements": {
                # TeX Gyre and Latin Modern come with Debian's TeX Live (Sphinx's default, GNU
                # FreeFont, is a separate package)
                "fontpkg": _fonts(book)[0],
                "preamble": preamble + PREAMBLE,
                # the contents go where the root page says (render/paper.py), after its introduction
                "tableofcontents": "",
                "papersize": "a4paper",
                "figure_align": "htbp",
                **language,
            },
            "latex_show_urls": "footnote",
            **(
                {"latex_logo": str(book.config.root / book.config.latex_logo)}
                if book.config.latex_logo and (book.config.root / book.config.latex_logo).is_file()
                else {}
            ),
            "rsvg_converter_format": "pdf",
            # MyST-NB leaves SVG out of what LaTeX can show, so a plot would print as
            # "<Figure size 640x480>"; rsvg-convert makes it a PDF, which LaTeX includes
            "nb_mime_priority_overrides": [("latex", "image/svg+xml", 15)],
        }
    )
    return settings


def prepare(book: Book, framework: Framework, out: Path, lang: str) -> tuple[Path, str]:
    """Assembled pages with one framework's code, for the LaTeX builder; and the book's title
    in ``lang`` (its root page's)."""
    from .assemble import assemble

    srcdir = out / "site-pdf" / f"{lang}-{framework.name}"
    root = book.config.root.resolve()
    made = set()
    documents = _documents(book, lang)
    for doc in documents:
        executed = {framework.name: read_json(out / "executed" / framework.name / f"{doc.name}.ipynb")}
        nb = assemble(
            doc, (framework,), executed, doc.path.resolve().relative_to(root).as_posix(), single=True
        )
        target = srcdir / f"{doc.name}.ipynb"
        made.add(target)
        write_text(target, dumps(nb))
    for stale in srcdir.rglob("*.ipynb"):
        if stale not in made:
            stale.unlink()
    _link_book_folders(book, srcdir, out)
    return srcdir, book_title(book, lang, documents)


_TEX_ERROR = re.compile(r"^! (.*)$", re.M)
_TEX_LINE = re.compile(r"^l\.(\d+) (.*)$", re.M)
_DOC_LABEL = re.compile(r"\\label\{\\detokenize\{([^{}]+)::doc\}\}")
_RUNAWAY = re.compile(r"^Runaway argument\?\n(.*)$", re.M)


def _probe(snippet: str) -> str:
    """The longest run of plain words in a piece of LaTeX: something to find in the sources."""
    plain = re.sub(r"\\[a-zA-Z]+\*?|\\.|[{}$^_&#%]", "|", snippet)
    runs = [" ".join(part.split()) for part in plain.split("|")]
    return max(runs, key=len) if runs else ""


def _xindy_options(tex_dir: Path) -> str:
    """The index's language and style, as Sphinx's LaTeX Makefile exports them to latexmk (we
    call latexmk ourselves: without them xindy fails on a book with an index, like d2l-en's)."""
    makefile = tex_dir / "Makefile"
    text = makefile.read_text(encoding="utf-8") if makefile.is_file() else ""
    found = re.search(r"^export XINDYOPTS = (.*)$", text, re.M)
    return found.group(1).strip() if found else "-L english -C utf8 -M sphinx.xdy"


def explain_failure(tex_dir: Path, tex_name: str, log: str, book: Book, srcdir: Path) -> LatexError:
    """The first LaTeX error of ``log``, traced back to its page and, when possible, its line."""
    error = _TEX_ERROR.search(log)
    message = error.group(1).strip() if error else "LaTeX failed (see the log)"
    after = log[error.end() :] if error else log
    at = _TEX_LINE.search(after)
    tex_line = int(at.group(1)) if at else 0
    snippet = at.group(2).strip() if at else ""
    tex_path = tex_dir / tex_name
    lines = tex_path.read_text(encoding="utf-8", errors="replace").splitlines() if tex_path.is_file() else []
    runaway = _RUNAWAY.search(log)
    if not tex_line and runaway:  # "File ended while scanning…": TeX shows the text, not a line
        snippet = runaway.group(1)
        probe = _probe(snippet)
        tex_line = next((i for i, row in enumerate(lines, 1) if probe and probe in row), 0)
    page = ""
    for line in reversed(lines[:tex_line]):
        found = _DOC_LABEL.search(line)
        if found:
            page = found.group(1)
            break
    source = ""
    doc = book.page(page) if page else None
    if doc is not None:
        text = read_source(doc.path).splitlines()
        needle = _probe(snippet)
        hit = next((i for i, row in enumerate(text, 1) if needle and needle in row), 0)
        root = book.config.root.resolve()
        rel = doc.path.resolve().relative_to(root).as_posix()
        source = f"{rel}:{hit}" if hit else rel
    return LatexError(message, tex_name, tex_line, page, source)


def build(book: Book, framework: Framework, out: Path, lang: str, jobs: int = 1) -> PdfResult:
    """Make ``OUT/pdf/<lang>/<name>[-<framework>].pdf``.

    :raises LatexError: when XeLaTeX fails, with the page and line it failed on.
    """
    srcdir, title = prepare(book, framework, out, lang)
    settings = latex_settings(book, lang, framework, out, title)
    tex_dir = out / "latex" / f"{lang}-{framework.name}"
    doctrees = out / "doctrees-pdf" / f"{lang}-{framework.name}"
    _, located = run_sphinx_apart(srcdir, tex_dir, doctrees, settings, jobs, "latex")
    warnings = [
        line
        for line in located
        # Babel has no Korean; polyglossia sets the language up instead (see latex_settings)
        if not (locale(lang).pdf.polyglossia and "no Babel option known for language" in line)
    ]
    warnings += _fonts(book)[1]
    tex_name = settings["latex_documents"][0][1]  # type: ignore[index]
    if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
        raise PolybookError("latexmk and xelatex are needed for PDFs: `make pdf` installs them")
    done = subprocess.run(
        ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", tex_name],
        cwd=tex_dir,
        env={**os.environ, "XINDYOPTS": _xindy_options(tex_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    pdf = tex_dir / tex_name.replace(".tex", ".pdf")
    if done.returncode != 0 or not pdf.is_file():
        # latexmk remembers a failed step and would not try it again, even once it is fixed
        (tex_dir / tex_name.replace(".tex", ".fdb_latexmk")).unlink(missing_ok=True)
        log_path = tex_dir / tex_name.replace(".tex", ".log")
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else done.stdout
        if not _TEX_ERROR.search(log):  # TeX itself went through: a tool latexmk runs after it failed
            summary = done.stdout + done.stderr
            last = [line.strip() for line in summary.splitlines() if line.strip()][-1:]
            failed = re.findall(r"^\s*(\S.*: gave an error)$", summary, re.M)
            failed = failed or [f"latexmk: {' '.join(last)}"]
            missing = shutil.which("xindy") is None
            hint = " (xindy makes the index: `make latex` installs it)" if missing else ""
            raise LatexError("; ".join(failed) + hint, tex_name, 0, "", "")
        raise explain_failure(tex_dir, tex_name, log, book, srcdir)
    target = out / "pdf" / lang / pdf.name
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_file(pdf, target)
    return PdfResult(lang, framework.name, target, warnings)
