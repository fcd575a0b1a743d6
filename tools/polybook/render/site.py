"""The HTML site of one language: assembled pages, Sphinx in a process of its own, downloads.

Everything Sphinx reads is made here: ``OUT/site/<lang>/`` holds one assembled notebook per page
(rewritten only when it changes, so Sphinx re-reads only those). Sphinx's settings come from the
book's configuration (no generated ``conf.py``). When nothing Sphinx would read has changed
since the last successful build, Sphinx is not started at all. After it, the downloads
(``render/downloads.py``) and the one static folder all languages share (``shared_static.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..fsutil import copy_file, read_source, write_json, write_text
from ..generate.notebooks import dumps
from ..i18n.locale import LOCALES, locale
from ..i18n.status import Status
from ..processes import process_pool
from ..source.book import Book
from ..source.document import Document
from ..source.frameworks import Framework
from .apidoc import library_settings
from .assemble import assemble
from .downloads import build_wheel, colab_pattern, copy_pdf, pdf_name, read_json, reader_downloads
from .shared_static import share_static

if TYPE_CHECKING:
    from sphinx.application import Sphinx


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
    titles: dict[str, str] = field(default_factory=dict)
    """Each page's title in this language."""
    keys: dict[str, str] = field(default_factory=dict)
    """Each page's assembly key: a hash of all it is made from (see :func:`prepare`)."""
    pair_texts: dict[str, str | None] = field(default_factory=dict)

    def document(self, book: Book, name: str) -> Document:
        """The page ``name`` in this language (made when asked: most builds need none)."""
        source = next(doc for doc in book.pages if doc.name == name)
        return _document(book, self.lang, source, self.pair_texts.get(name))


def sphinx_settings(
    book: Book, lang: str, frameworks: tuple[Framework, ...], out: Path, title: str = ""
) -> dict[str, Any]:
    """Sphinx's configuration for the site of ``lang``, derived from the book's.

    :param title: the book's title in ``lang`` (see :func:`book_title`); the configuration's if empty.
    """
    config = book.config
    title = title or config.title
    bibfiles = [str(config.root / b) for b in config.bibfiles if (config.root / b).is_file()]
    extensions = ["myst_nb", "sphinx_design", "sphinx_copybutton", "polybook.render.sphinx_ext"]
    if bibfiles:
        extensions.append("sphinxcontrib.bibtex")
    settings: dict[str, Any] = {
        "project": title,
        "author": config.author,
        "copyright": config.copyright,
        "release": config.release,
        "version": config.release,
        "language": locale(lang).sphinx_code,
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
        "numfig_format": {"section": locale(lang).words["section"]},
        "math_eqref_format": "({number})",
        "html_theme": "sphinx_book_theme",
        "html_title": title,
        "html_static_path": [],
        "html_favicon": str(Path(__file__).parent / "static" / "favicon.svg"),
        "html_theme_options": {
            "show_toc_level": 2,
            # the book's navigation shows every chapter and the pages of the reader's own: the
            # whole tree on every page was a third of d2l-en's build (the theme resolves the
            # toctree once per page) and of each page's size
            "collapse_navbar": True,
            "use_download_button": False,
            "use_fullscreen_button": False,
            "repository_url": config.repository,
            "use_repository_button": bool(config.repository),
            # the copyright line names the authors; the theme's "By …" line is English word order
            # in every language ("으로 The polybook authors")
            "footer_content_items": ["copyright.html", "last-updated.html", "extra-footer.html"],
        },
        "html_last_updated_fmt": None,
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "polybook_frameworks": [[fw.name, fw.display] for fw in frameworks],
        "polybook_colab_url": colab_pattern(config),
        "polybook_languages": list(config.languages),
        "polybook_name": config.name,
        "polybook_pdf": pdf_name(book, out, lang),
        "polybook_refs_dir": str(out / "site" / "_refs" / lang),
        # polybook reports missing images itself, with the chapter's path and line
        "suppress_warnings": ["image.not_readable", *config.suppress_warnings],
    }
    settings.update(library_settings(book, out))
    look = _look(book, out)
    settings["html_theme_options"].update(look.pop("html_theme_options", {}))
    settings.update(look)
    extensions.extend(e for e in config.extensions if e not in extensions)
    if bibfiles:
        settings.update(
            {
                "bibtex_bibfiles": bibfiles,
                "bibtex_reference_style": "author_year",
                "bibtex_default_style": "plain",
            }
        )
    settings.update(config.sphinx_settings)  # the book's own Sphinx settings have the last word
    return settings


def _look(book: Book, out: Path) -> dict[str, Any]:
    """The book's logo, favicon, stylesheets, scripts and header links, as Sphinx settings.

    Stylesheets and scripts are copied to one static folder (Sphinx serves files by name from
    its static path); a missing file was reported by the book's checks and is left out here.
    """
    config = book.config
    found = {name: config.root / name for name in (*config.css, *config.js) if (config.root / name).is_file()}
    static = out / "site" / "_static_book"
    for name, path in found.items():
        copy_file(path, static / Path(name).name)
    links = [
        {"name": name, "url": url, "icon": icon, "type": "fontawesome"}
        for name, url, icon in config.header_links
        if "###" not in name + url  # d2l-en's placeholders, filled in by its own deploy script
    ]
    settings: dict[str, Any] = {
        "html_static_path": [str(static)] if found else [],
        "html_css_files": [Path(name).name for name in config.css if name in found],
        "html_js_files": [Path(name).name for name in config.js if name in found],
    }
    for key, name in (("html_logo", config.logo), ("html_favicon", config.favicon)):
        if name and (config.root / name).is_file():
            settings[key] = str(config.root / name)
    if links:
        settings["html_theme_options"] = {"icon_links": links}
    return settings


def _link_book_folders(book: Book, srcdir: Path, out: Path) -> None:
    """Make the book's image folders reachable from the site folder by the same relative paths
    the chapters use (``../img/x.svg``): ``srcdir`` stands where the pages folder stands.

    A folder that is or holds the output folder is never linked: Sphinx follows links, and would
    read the output (the site folder itself among it) as source, round and round.
    """
    pages, root, out = book.config.pages_root, book.config.root.resolve(), out.resolve()
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
        if out.is_relative_to(entry.resolve()):
            continue
        target = mirror / entry.name
        if target.is_symlink() and target.resolve() == entry.resolve():
            continue
        if target.is_symlink():
            target.unlink()
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(entry.resolve(), target_is_directory=True)


def _link_read_files(book: Book, srcdir: Path) -> None:
    """Files that ``eval_rst`` directives read (``raw :file:``), linked where the page in
    ``srcdir`` finds them by the path the chapter gives."""
    pages = book.config.pages_root
    for doc in book.pages:
        for block in doc.text_blocks:
            for _, target, _ in block.files:
                if target in block.missing_files:
                    continue
                source = (doc.path.parent / target).resolve()
                link = srcdir / doc.path.parent.resolve().relative_to(pages) / target
                if not link.exists() and not link.is_symlink():
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(source)


def _documents(book: Book, lang: str) -> list[Document]:
    """The book's pages in ``lang``: the chapters themselves, or their translations."""
    return [_document(book, lang, doc, _pair_text(book, lang, doc)) for doc in book.pages]


def _pair_text(book: Book, lang: str, doc: Document) -> str | None:
    from ..i18n.translate import read_pair_file

    return None if lang == book.config.languages[0] else read_pair_file(book, lang, doc)


def _document(book: Book, lang: str, doc: Document, pair_text: str | None) -> Document:
    """One page in ``lang``: the chapter itself, or its translation."""
    from ..i18n.translated import translated_document

    if lang == book.config.languages[0]:
        return doc
    return translated_document(doc, read_source(doc.path), pair_text)


def book_title(book: Book, lang: str, documents: list[Document]) -> str:
    """The book's title in ``lang``: a translation's root page's title, or the configuration's."""
    root = next((d for d in documents if d.name == "index"), None)
    if lang != book.config.languages[0] and root is not None and root.title:
        return root.title
    return book.config.title


def _stat_key(path: Path) -> str:
    """A file's identity for a cache key: polybook writes files whole and only when their bytes
    change, so size and modification time tell a changed file from the same one."""
    try:
        info = path.stat()
    except OSError:
        return "-"
    return f"{info.st_size}:{info.st_mtime_ns}"


#: The code that assembles pages: a new version of it assembles every page again.
_ASSEMBLY = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in ("assemble.py", "site.py"))
).hexdigest()[:16]


def prepare(book: Book, frameworks: tuple[Framework, ...], out: Path, lang: str) -> SiteResult:
    """Write the assembled pages that Sphinx will read; remove stale ones.

    A page is assembled again only when what it is made from changed: its Document, its pair
    file, its executed notebooks, the frameworks, or polybook's assembly code (a manifest beside
    the pages keeps each page's key). A rebuild with nothing changed assembles nothing.
    """
    srcdir = out / "site" / lang
    result = SiteResult(lang, out / "html" / lang)
    made: set[Path] = set()
    root = book.config.root.resolve()
    manifest_path = out / "site" / f".assembled-{lang}.json"
    previous = read_json(manifest_path) or {}
    manifest: dict[str, Any] = {}
    names = ",".join(fw.name for fw in frameworks)
    for source_doc in book.pages:
        pair_text = _pair_text(book, lang, source_doc)
        result.pair_texts[source_doc.name] = pair_text
        executed_paths = [out / "executed" / fw.name / f"{source_doc.name}.ipynb" for fw in frameworks]
        key = hashlib.sha256(
            json.dumps(
                [
                    _ASSEMBLY,
                    names,
                    source_doc.content_key(),
                    hashlib.sha256(pair_text.encode()).hexdigest() if pair_text is not None else None,
                    [_stat_key(p) for p in executed_paths],
                ]
            ).encode()
        ).hexdigest()
        target = srcdir / f"{source_doc.name}.ipynb"
        made.add(target)
        known = previous.get(source_doc.name)
        if known and known["key"] == key and target.is_file():
            title = known["title"]
        else:
            doc = _document(book, lang, source_doc, pair_text)
            executed = {fw.name: read_json(path) for fw, path in zip(frameworks, executed_paths, strict=True)}
            nb = assemble(doc, frameworks, executed, source_doc.path.relative_to(root).as_posix())
            result.assembled_changed += write_text(target, dumps(nb))
            title = doc.title
        manifest[source_doc.name] = {"key": key, "title": title}
        result.titles[source_doc.name], result.keys[source_doc.name] = title, key
    index = result.titles.get("index", "")
    result.title = index if lang != book.config.languages[0] and index else book.config.title
    result.pages = len(made)
    for stale in srcdir.rglob("*.ipynb") if srcdir.is_dir() else []:
        if stale not in made:
            stale.unlink()
    _link_book_folders(book, srcdir, out)
    _link_read_files(book, srcdir)
    status = srcdir / "translation-status.md"
    if len(book.config.languages) > 1:
        write_text(status, _cached_status_page(book, out, lang))
    else:
        status.unlink(missing_ok=True)
    write_json(manifest_path, manifest)
    return result


def _cached_status_page(book: Book, out: Path, lang: str) -> str:
    """:func:`translation_status_page`, computed again only when a page or a pair file changed."""
    parts = [_ASSEMBLY, lang]
    for doc in book.pages:
        parts.append(doc.content_key())
        for other in book.config.languages[1:]:
            pair = _pair_text(book, other, doc)
            parts.append(hashlib.sha256(pair.encode()).hexdigest() if pair is not None else "-")
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    cached = out / "site" / ".translation-status" / f"{key}.md"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    text = translation_status_page(book, lang)
    write_text(cached, text)
    return text


_STATUS_ROWS: dict[tuple[str, str, str], Status] = {}
"""Each page's translation status in a language, by page and pair file: a live preview computes
again only the rows of what changed (a second of every edit of our book in four languages)."""


def translation_status_page(book: Book, lang: str) -> str:
    """A page of ``lang``'s site, in its words: for each translation and page, how much is
    translated, as bars."""
    from html import escape

    from ..i18n.status import total_status
    from ..i18n.translate import page_status, read_pair_file

    words = locale(lang).words
    out = ["---", "orphan: true", "---", "", f"# {words['status_title']}", ""]
    heads = [words[f"status_{k}"] for k in ("page", "done", "stale", "todo", "orphaned")]
    used: set[tuple[str, str, str]] = set()
    for other in book.config.languages[1:]:
        rows = []
        for doc in book.pages:
            pair_text = read_pair_file(book, other, doc)
            digest = hashlib.sha256(pair_text.encode()).hexdigest() if pair_text is not None else "-"
            key = (other, doc.content_key(), digest)
            if key not in _STATUS_ROWS:  # a page and pair file as before: the same counts
                _STATUS_ROWS[key] = page_status(doc, read_source(doc.path), pair_text)
            rows.append(_STATUS_ROWS[key])
            used.add(key)
        total = total_status(other, rows)
        name = locale(other).name
        percent = words["status_percent"].format(percent=f"{total.percent:.0f}")
        out += [f"## {name} ({other}): {percent}", "", '<table class="polybook-status">']
        out.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "<th></th></tr>")
        for st in rows:
            width = f"{st.percent:.0f}%"
            bar = f'<div class="polybook-bar" aria-hidden="true"><div style="width:{width}"></div></div>'
            out.append(
                f"<tr><td>{escape(st.page)}</td><td>{st.translated}</td><td>{st.stale}</td><td>{st.missing}</td>"
                f"<td>{st.orphaned}</td><td>{bar} {width}</td></tr>"
            )
        out += ["</table>", ""]
    for stale in _STATUS_ROWS.keys() - used:  # rows of pages and pair files as they no longer are
        del _STATUS_ROWS[stale]
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
    nb = read_json(Path(match.group("path")))
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


FEW = 4
"""Pages a rebuild has Sphinx read and write in one process: more, and its workers pay off."""


def _setup_stamp(settings: dict[str, Any]) -> str:
    """How Sphinx is set up, as one hash: its settings, polybook's rendering code and words."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(__version__.encode())
    # a change to the extension, its static files or a language's words rebuilds the site
    package = Path(__file__).parent
    for path in sorted([*package.glob("*.py"), *(package / "static").glob("*"), *LOCALES.glob("*.toml")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(srcdir: Path, settings: dict[str, Any]) -> str:
    """Everything Sphinx reads, as one hash: how it is set up (:func:`_setup_stamp`) and the
    files it is given (by size and time: they are written only when their bytes change)."""
    digest = hashlib.sha256(_setup_stamp(settings).encode())
    for folder in (srcdir, srcdir.parent / "_python"):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            digest.update(f"{path.relative_to(folder)}={_stat_key(path)}\n".encode())
    return digest.hexdigest()


def sphinx_app(
    srcdir: str,
    outdir: str,
    doctreedir: str,
    settings: dict[str, Any],
    jobs: int,
    warnings: io.StringIO,
    builder: str = "html",
) -> Sphinx:
    """Sphinx's application as polybook runs it (in a worker process): the book's settings, no
    status output, its warnings into ``warnings``, every page built despite errors."""
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor

    nocolor()
    return Sphinx(
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


def run_sphinx(
    srcdir: str, outdir: str, doctreedir: str, settings: dict[str, Any], jobs: int, builder: str = "html"
) -> tuple[int, str]:
    """Build with Sphinx (in a worker process); return its status and its warnings."""
    warnings = io.StringIO()
    app = sphinx_app(srcdir, outdir, doctreedir, settings, jobs, warnings, builder)
    app.build()
    return app.statuscode, warnings.getvalue()


def run_sphinx_apart(
    srcdir: Path, outdir: Path, doctreedir: Path, settings: dict[str, Any], jobs: int, builder: str = "html"
) -> tuple[int, list[str]]:
    """:func:`run_sphinx` in a process of its own; its status and warnings, located in the chapters.

    Sphinx registers directives and nodes globally, and a second application in one process
    (another language, the PDF) warns about every one of them.
    """
    with process_pool(1, "spawn") as pool:
        status, text = pool.submit(
            run_sphinx, str(srcdir), str(outdir), str(doctreedir), settings, jobs, builder
        ).result()
    return status, [locate_warning(line, srcdir) for line in text.splitlines() if line.strip()]


def render(book: Book, frameworks: tuple[Framework, ...], out: Path, lang: str, jobs: int = 1) -> SiteResult:
    """Assemble and render the site of ``lang`` into ``OUT/html/<lang>/``, with its downloads."""
    result = prepare(book, frameworks, out, lang)
    srcdir = out / "site" / lang
    settings = sphinx_settings(book, lang, frameworks, out, result.title)
    stamp_path = result.outdir / ".polybook-stamp"
    stamp = _stamp(srcdir, settings)
    warnings_path = out / "reports" / f"sphinx-{lang}.txt"
    if stamp_path.is_file() and stamp_path.read_text() == stamp and (result.outdir / "index.html").is_file():
        if warnings_path.is_file():  # the warnings of the build that made these pages still hold
            result.warnings = [line for line in warnings_path.read_text().splitlines() if line.strip()]
    else:
        setup_path, setup = result.outdir / ".polybook-setup", _setup_stamp(settings)
        doctrees = out / "doctrees" / lang
        # a few pages changed, Sphinx set up as before: it reads and writes just those, and its
        # parallel workers would cost more than the work (they are started whatever the count)
        few = (
            0 < result.assembled_changed <= FEW
            and (doctrees / "environment.pickle").is_file()
            and setup_path.is_file()
            and setup_path.read_text() == setup
        )
        status, result.warnings = run_sphinx_apart(
            srcdir, result.outdir, doctrees, settings, 1 if few else jobs
        )
        result.sphinx_ran = True
        write_text(warnings_path, "".join(f"{line}\n" for line in result.warnings))
        if status == 0:
            write_text(stamp_path, stamp)
            write_text(setup_path, setup)
    html = out / "html"
    wheel = build_wheel(book, html)
    reader_downloads(book, frameworks, out, result, wheel)
    copy_pdf(book, out, lang)
    # the pages as this stamp made them link the shared static folder already, unless sharing
    # never finished for them (the mark holds the stamp of the pages it last finished)
    shared_mark = result.outdir / ".polybook-shared"
    if result.sphinx_ran or not shared_mark.is_file() or shared_mark.read_text() != stamp:
        since = shared_mark.stat().st_mtime_ns if shared_mark.is_file() else 0
        share_static(html, lang, since)
        shared_mark.unlink(missing_ok=True)  # written anew: its time says when sharing finished
        write_text(shared_mark, stamp)
    write_text(html / "index.html", root_page(book))
    return result


def root_page(book: Book) -> str:
    """The site's root: the reader's language when the book has it (the browser says which),
    else the source language."""
    from html import escape

    config = book.config
    codes = json.dumps(list(config.languages))
    links = "".join(
        f'<li><a href="{lang}/index.html" hreflang="{lang}" lang="{lang}">{escape(locale(lang).name)}</a>'
        "</li>"
        for lang in config.languages
    )
    first = f"{config.languages[0]}/index.html"
    return (
        f'<!DOCTYPE html>\n<html lang="{config.languages[0]}">\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(config.title)}</title>\n"
        f'<link rel="icon" href="{config.languages[0]}/_static/favicon.svg">\n'
        f"<script>\n(() => {{\n  const have = {codes};\n"
        "  const wanted = (navigator.languages || [navigator.language || '']).map((l) => l.toLowerCase());\n"
        "  const pick = wanted.map((l) => have.find((c) => l === c || l.split('-')[0] === c))\n"
        "    .find(Boolean);\n"
        f"  location.replace((pick || have[0]) + '/index.html' + location.search + location.hash);\n"
        "})();\n</script>\n"
        f'<noscript><meta http-equiv="refresh" content="0; url={first}"></noscript>\n'
        f'<link rel="canonical" href="{first}">\n'
        f"<h1>{escape(config.title)}</h1>\n<ul>{links}</ul>\n"
    )
