"""The HTML site of one language: assembled pages, downloads, and Sphinx run in-process.

Everything Sphinx reads is made here: ``OUT/site/<lang>/`` holds one assembled notebook per page
(rewritten only when it changes, so Sphinx re-reads only those), ``OUT/site/_extra/<lang>/`` the
notebooks to download and a zip per framework. Sphinx's settings come from the book's
configuration (no generated ``conf.py``). When nothing Sphinx would read has changed since the
last successful build, Sphinx is not started at all.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .assemble import assemble
from .book import Book
from .document import Document
from .frameworks import Framework
from .fsutil import write_text
from .notebooks import dumps

ZIP_TIME = (2020, 1, 1, 0, 0, 0)
"""Zip entries carry this date, so the archive's bytes depend only on its content."""

#: The language codes Sphinx and docutils know, where ours are shorter (docutils has no "zh").
SPHINX_LANGUAGE = {"zh": "zh_CN"}


@dataclass
class SiteResult:
    lang: str
    outdir: Path
    pages: int = 0
    assembled_changed: int = 0
    sphinx_ran: bool = False
    warnings: list[str] = field(default_factory=list)
    title: str = ""
    """The book's title in this language (:func:`book_title`)."""


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return None


def _section_format(lang: str) -> str:
    from .sphinx_ext import WORDS

    return WORDS.get(lang, WORDS["en"])["section"]


def sphinx_settings(
    book: Book, lang: str, frameworks: tuple[Framework, ...], out: Path, title: str = ""
) -> dict[str, Any]:
    """Sphinx's configuration for the site of ``lang``, derived from the book's.

    :param title: the book's title in ``lang`` (see :func:`book_title`); the configuration's if empty.
    """
    config = book.config
    title = title or config.title
    bibfiles = [str(config.root / b) for b in config.bibfiles if (config.root / b).is_file()]
    extensions = ["myst_nb", "sphinx_design", "sphinx_copybutton", "polybook.sphinx_ext"]
    if bibfiles:
        extensions.append("sphinxcontrib.bibtex")
    settings: dict[str, Any] = {
        "project": title,
        "author": config.author,
        "copyright": config.copyright,
        "release": config.release,
        "version": config.release,
        "language": SPHINX_LANGUAGE.get(lang, lang),
        "extensions": extensions,
        "root_doc": "index",
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "nb_execution_mode": "off",
        "nb_execution_cache_path": str(out / "cache" / "jupyter-cache"),
        "nb_merge_streams": True,
        "myst_enable_extensions": ["colon_fence", "dollarmath"],
        "myst_dmath_double_inline": True,
        "myst_heading_anchors": 3,
        "numfig": True,
        "math_numfig": True,
        "numfig_secnum_depth": 2,
        "numfig_format": {"section": _section_format(lang)},
        "math_eqref_format": "({number})",
        "html_theme": "sphinx_book_theme",
        "html_title": title,
        "html_static_path": [],
        "html_extra_path": [str(out / "site" / "_extra" / lang)],
        "html_theme_options": {
            "show_toc_level": 2,
            "use_download_button": False,
            "use_fullscreen_button": False,
            "repository_url": config.repository,
            "use_repository_button": bool(config.repository),
        },
        "html_last_updated_fmt": None,
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "polybook_frameworks": [[fw.name, fw.display] for fw in frameworks],
        "polybook_colab_url": config.colab_url,
        "polybook_languages": list(config.languages),
        # polybook reports missing images itself, with the chapter's path and line
        "suppress_warnings": ["image.not_readable", *config.suppress_warnings],
    }
    if bibfiles:
        settings.update(
            {
                "bibtex_bibfiles": bibfiles,
                "bibtex_reference_style": "author_year",
                "bibtex_default_style": "plain",
            }
        )
    return settings


def _deterministic_zip(files: list[tuple[str, Path]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _write_bytes(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _link_book_folders(book: Book, srcdir: Path) -> None:
    """Make the book's image folders reachable from the site folder by the same relative paths
    the chapters use (``../img/x.svg``): ``srcdir`` stands where the pages folder stands."""
    pages, root = book.config.pages_root, book.config.root.resolve()
    # the folder that plays the book root for srcdir
    depth = len(pages.relative_to(root).parts) if pages != root else 0
    mirror = srcdir
    for _ in range(depth):
        mirror = mirror.parent
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.name.startswith((".", "_")) or entry.resolve() == pages:
            continue
        if entry.name in ("envs", "tests", "tools", "d2l", "benchmarks", "translations"):
            continue
        target = mirror / entry.name
        if target.is_symlink() and target.resolve() == entry.resolve():
            continue
        if target.is_symlink():
            target.unlink()
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(entry.resolve(), target_is_directory=True)


def _documents(book: Book, lang: str) -> list[Document]:
    """The book's pages in ``lang``: the chapters themselves, or their translations."""
    from .translate import read_pair_file, translated_document

    if lang == book.config.languages[0]:
        return book.pages
    return [
        translated_document(doc, doc.path.read_text(encoding="utf-8"), read_pair_file(book, lang, doc))
        for doc in book.pages
    ]


def book_title(book: Book, lang: str, documents: list[Document]) -> str:
    """The book's title in ``lang``: a translation's root page's title, or the configuration's."""
    root = next((d for d in documents if d.name == "index"), None)
    if lang != book.config.languages[0] and root is not None and root.title:
        return root.title
    return book.config.title


def prepare(book: Book, frameworks: tuple[Framework, ...], out: Path, lang: str) -> SiteResult:
    """Write the assembled pages and downloads that Sphinx will read; remove stale ones."""
    srcdir = out / "site" / lang
    extra = out / "site" / "_extra" / lang
    result = SiteResult(lang, out / "html" / lang)
    made: set[Path] = set()
    downloads: dict[str, list[tuple[str, Path]]] = {fw.name: [] for fw in frameworks}
    root = book.config.root.resolve()
    documents = _documents(book, lang)
    result.title = book_title(book, lang, documents)
    for doc in documents:
        executed = {}
        for fw in frameworks:
            path = out / "executed" / fw.name / f"{doc.name}.ipynb"
            executed[fw.name] = _read_json(path)
        source_name = doc.path.resolve().relative_to(root).as_posix()
        nb = assemble(doc, frameworks, executed, source_name)
        target = srcdir / f"{doc.name}.ipynb"
        made.add(target)
        result.assembled_changed += write_text(target, dumps(nb))
        for name in nb["metadata"]["polybook"]["downloads"]:
            done = out / "executed" / name / f"{doc.name}.ipynb"
            plain = out / "notebooks" / name / f"{doc.name}.ipynb"
            chosen = done if done.is_file() else plain
            if chosen.is_file():
                copy = extra / "_notebooks" / name / f"{doc.name}.ipynb"
                _write_bytes(copy, chosen.read_bytes())
                downloads[name].append((f"{book.config.name}-{name}/{doc.name}.ipynb", chosen))
    result.pages = len(made)
    for stale in srcdir.rglob("*.ipynb") if srcdir.is_dir() else []:
        if stale not in made:
            stale.unlink()
    for name, files in downloads.items():
        if files:
            _write_bytes(extra / "_downloads" / f"{book.config.name}-{name}.zip", _deterministic_zip(files))
    extra.mkdir(parents=True, exist_ok=True)
    _link_book_folders(book, srcdir)
    status = srcdir / "translation-status.md"
    if lang == book.config.languages[0] and len(book.config.languages) > 1:
        write_text(status, translation_status_page(book))
    else:
        status.unlink(missing_ok=True)
    return result


def translation_status_page(book: Book) -> str:
    """A page of the site: for each language and chapter, how much is translated, as bars."""
    from html import escape

    from .translate import page_status, read_pair_file, total_status

    out = ["---", "orphan: true", "---", "", "# Translation status", ""]
    for lang in book.config.languages[1:]:
        rows = [
            page_status(doc, doc.path.read_text(encoding="utf-8"), read_pair_file(book, lang, doc))
            for doc in book.pages
        ]
        total = total_status(lang, rows)
        out += [f"## {lang}: {total.percent:.0f}% translated", "", '<table class="polybook-status">']
        out.append(
            "<tr><th>page</th><th>done</th><th>stale</th><th>to do</th><th>orphaned</th><th></th></tr>"
        )
        for st in rows:
            width = f"{st.percent:.0f}%"
            bar = f'<div class="polybook-bar"><div style="width:{width}"></div></div>'
            out.append(
                f"<tr><td>{escape(st.page)}</td><td>{st.translated}</td><td>{st.stale}</td><td>{st.missing}</td>"
                f"<td>{st.orphaned}</td><td>{bar} {width}</td></tr>"
            )
        out += ["</table>", ""]
    return "\n".join(out) + "\n"


_SPHINX_LOCATION = re.compile(r"^(?P<path>[^:\s]+\.ipynb):(?P<line>\d+): (?P<rest>.*)$")


def locate_warning(line: str, srcdir: Path) -> str:
    """A Sphinx warning about an assembled notebook, re-located to the chapter and its line.

    MyST-NB numbers lines as ``(cell_index + 1) * 10000 + line_in_cell``; the assembled cells
    carry the chapter line of each part of their text.
    """
    match = _SPHINX_LOCATION.match(line)
    if not match:
        return line
    nb = _read_json(Path(match.group("path")))
    if nb is None:
        return line
    index, within = divmod(int(match.group("line")), 10000)
    index -= 1
    if not 0 <= index < len(nb["cells"]):
        return line
    meta = nb["cells"][index].get("metadata", {}).get("polybook", {})
    source = meta.get("source", "")
    if "line_map" in meta:
        cell_line = max(within - 2, 0)  # MyST-NB reports a cell's 0-based line plus 2
        start, chapter_line = 0, 0
        for offset, first in meta["line_map"]:
            if offset <= cell_line:
                start, chapter_line = offset, first
        return f"{source}:{chapter_line + cell_line - start}: {match.group('rest')}"
    if source:
        return f"{source}: {match.group('rest')}"
    return line


def _stamp(srcdir: Path, extra: Path, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(__version__.encode())
    package = Path(__file__).parent  # a change to the extension or its stylesheet rebuilds the site
    for path in sorted([package / "sphinx_ext.py", *(package / "static").glob("*")]):
        digest.update(path.read_bytes())
    for folder in (srcdir, extra):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def run_sphinx(
    srcdir: str, outdir: str, doctreedir: str, settings: dict[str, Any], jobs: int, builder: str = "html"
) -> tuple[int, str]:
    """Build with Sphinx (in a worker process); return its status and its warnings."""
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor

    nocolor()
    warnings = io.StringIO()
    app = Sphinx(
        srcdir,
        None,
        outdir,
        doctreedir,
        builder,
        confoverrides=settings,
        status=None,
        warning=warnings,
        freshenv=False,
        parallel=max(1, jobs),
        keep_going=True,
    )
    app.build()
    return app.statuscode, warnings.getvalue()


def run_sphinx_apart(
    srcdir: Path, outdir: Path, doctreedir: Path, settings: dict[str, Any], jobs: int, builder: str = "html"
) -> tuple[int, list[str]]:
    """:func:`run_sphinx` in a process of its own; its status and warnings, located in the chapters.

    Sphinx registers directives and nodes globally, and a second application in one process
    (another language, the PDF) warns about every one of them.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        status, text = pool.submit(
            run_sphinx, str(srcdir), str(outdir), str(doctreedir), settings, jobs, builder
        ).result()
    return status, [locate_warning(line, srcdir) for line in text.splitlines() if line.strip()]


def render(book: Book, frameworks: tuple[Framework, ...], out: Path, lang: str, jobs: int = 1) -> SiteResult:
    """Assemble and render the site of ``lang`` into ``OUT/html/<lang>/``."""
    result = prepare(book, frameworks, out, lang)
    srcdir, extra = out / "site" / lang, out / "site" / "_extra" / lang
    settings = sphinx_settings(book, lang, frameworks, out, result.title)
    stamp_path = result.outdir / ".polybook-stamp"
    stamp = _stamp(srcdir, extra, settings)
    warnings_path = out / "reports" / f"sphinx-{lang}.txt"
    if stamp_path.is_file() and stamp_path.read_text() == stamp and (result.outdir / "index.html").is_file():
        if warnings_path.is_file():  # the warnings of the build that made these pages still hold
            result.warnings = [line for line in warnings_path.read_text().splitlines() if line.strip()]
        return result
    status, result.warnings = run_sphinx_apart(srcdir, result.outdir, out / "doctrees" / lang, settings, jobs)
    result.sphinx_ran = True
    write_text(warnings_path, "".join(f"{line}\n" for line in result.warnings))
    if status == 0:
        write_text(stamp_path, stamp)
    target = f"{book.config.languages[0]}/index.html"
    write_text(
        out / "html" / "index.html",
        f'<!DOCTYPE html>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="0; url={target}">\n'
        f'<link rel="canonical" href="{target}">\n<title>{book.config.title}</title>\n'
        f'<a href="{target}">{book.config.title}</a>\n',
    )
    return result
