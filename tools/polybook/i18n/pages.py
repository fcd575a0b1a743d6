"""The translate commands over a book's pages in one language: sync, check, import, export,
suggest. :class:`polybook.project.Project` offers each as a method; this module does the work,
page by page, and returns what the command line prints.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics, EncodingError
from ..fsutil import read_source, write_text
from ..source.book import Book, display_path
from ..source.document import Document
from .blocks import Chapter
from .importer import ImportReport, carry_over, import_d2lbook_page, import_pair_file_page, write_merged
from .lint import GLOSSARY, check_source, read_glossary
from .memory import Backend, Memory, suggest
from .pairs import Pair, Piece, read_pairs
from .sync import TranslationLoss, carry, lost, render
from .translate import PageResult, check_file, check_untrusted_file, pair_file, sync_one, unpaired_warnings


def _paths(book: Book, lang: str, doc: Document) -> tuple[Path, str]:
    target = pair_file(book.config.root, book.config.pages_root, lang, doc.path)
    return target, display_path(target)


@dataclass
class _Held:
    """One page as its pair file holds it, carried to today's chapter."""

    doc: Document
    target: Path
    chapter: Chapter
    pairs: list[Pair]
    orphans: list[Pair]
    kept: list[Piece]


def _held(book: Book, lang: str, doc: Document) -> _Held:
    target, _ = _paths(book, lang, doc)
    chapter = Chapter.of(read_source(doc.path))
    if not target.is_file():
        return _Held(doc, target, chapter, [Pair(u.text, item=u.item) for u in chapter.units], [], [])
    held = read_pairs(read_source(target), chapter)
    pairs, orphans = carry(chapter, held)
    return _Held(doc, target, chapter, pairs, orphans, held.kept)


def sync_pages(
    book: Book, lang: str, docs: Sequence[Document], *, write: bool, create: bool
) -> list[PageResult]:
    """Bring the pair files of ``docs`` up to date with the chapters (``create``: only make the
    ones that do not exist; ``write`` False: report only)."""
    results = []
    for doc in docs:
        target, shown = _paths(book, lang, doc)
        existing = read_source(target) if target.is_file() else None
        if create and existing is not None:
            results.append(PageResult(doc.name, target, None, skipped=True))
            continue
        result = PageResult(doc.name, target, None, created=existing is None)
        try:
            synced = sync_one(
                doc, read_source(doc.path), existing, shown, display_path(doc.path), write=write
            )
        except TranslationLoss as exc:
            result.diagnostics.items.append(exc.diagnostic())
            results.append(result)
            continue
        result.status = synced.status
        unpaired_warnings(synced, shown, result.diagnostics)
        if write:
            result.changed = write_text(target, synced.text)
        results.append(result)
    return results


def _existing(
    book: Book, lang: str, docs: Sequence[Document], diags: Diagnostics
) -> Iterator[tuple[Document, str, str]]:
    """Each page of ``docs`` that has a pair file in ``lang``: (page, the file as shown, its
    text); a file that is not UTF-8 is reported and skipped."""
    for doc in docs:
        target, shown = _paths(book, lang, doc)
        if not target.is_file():
            continue
        try:
            yield doc, shown, read_source(target)
        except EncodingError as exc:
            diags.items.append(exc.diagnostic())


def check_pages(book: Book, langs: Sequence[str], docs: Sequence[Document]) -> Diagnostics:
    """``translate check``: the lints of every pair of ``docs`` in ``langs``, the glossaries',
    and the breaks of the chapters that their translations would copy."""
    diags = Diagnostics()
    for doc in docs:
        for unit in Chapter.of(read_source(doc.path)).units:
            check_source(unit.text, display_path(doc.path), unit.line, diags)
    root = book.config.root.resolve()
    for lang in langs:
        glossary = book.config.root / "translations" / lang / GLOSSARY
        terms = read_glossary(glossary, display_path(glossary), diags)
        for doc, shown, pair_text in _existing(book, lang, docs, diags):
            page_dir = doc.path.resolve().parent
            check_file(
                read_source(doc.path), pair_text, shown, diags, page_dir=page_dir, root=root, terms=terms
            )
    return diags


def untrusted_pages(book: Book, langs: Sequence[str]) -> Diagnostics:
    """What the pair files of ``langs`` may not bring into the site (for ``build``): raw HTML,
    files of the build machine, paths outside the book; and pair files that are not UTF-8."""
    diags = Diagnostics()
    root = book.config.root.resolve()
    for lang in langs:
        if lang == book.config.languages[0]:
            continue
        for doc, shown, pair_text in _existing(book, lang, book.pages, diags):
            check_untrusted_file(
                read_source(doc.path), pair_text, shown, doc.path.resolve().parent, root, diags
            )
    return diags


@dataclass
class ImportResult:
    """What ``translate import`` did: one result and one report per page it found."""

    pages: list[PageResult] = field(default_factory=list)
    reports: list[ImportReport] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    kind: str = ""
    """``d2lbook``, ``pairs`` or ``po``/``xliff``."""


def import_folder(book: Book, lang: str, folder: Path, docs: Sequence[Document]) -> ImportResult:
    """Pair files of ``docs`` from a folder made elsewhere (see :mod:`polybook.i18n.importer`)."""
    from . import exchange  # here: polib and translate-toolkit take a fifth of a second to import

    result = ImportResult()
    from_tool = exchange.is_exchange_folder(folder)
    for doc in docs:
        try:
            _import_page(book, lang, folder, doc, from_tool, result)
        except EncodingError as exc:  # that page is left as it is; the others come in
            result.diagnostics.items.append(exc.diagnostic())
    return result


def _import_page(
    book: Book, lang: str, folder: Path, doc: Document, from_tool: bool, result: ImportResult
) -> None:
    from . import exchange

    target, shown = _paths(book, lang, doc)
    existing = read_source(target) if target.is_file() else None
    chapter = Chapter.of(read_source(doc.path))
    translated = folder / f"{doc.name}.md"
    origin = folder / f"{doc.name}_origin.md"
    exported = exchange.exchange_file(folder, doc.name) if from_tool else None
    if exported is not None:
        result.kind = exported.suffix.lstrip(".").replace("xlf", "xliff")
        pairs, orphans = carry_over(exchange.read_exchange(exported), chapter)
        synced = write_merged(chapter, doc.name, existing, pairs, orphans, incoming_wins=True)
        report = ImportReport(doc.name, anchor=sum(1 for p in pairs if p.translation or p.draft))
        diags = Diagnostics()
    elif translated.is_file() and origin.is_file():
        result.kind = "d2lbook"
        shown_files = (display_path(origin), display_path(translated))
        done = import_d2lbook_page(chapter, doc.name, origin, translated, existing, shown_files)
        synced, report, diags = done.sync, done.report, done.diagnostics
    elif translated.is_file():
        result.kind = result.kind or "pairs"
        done = import_pair_file_page(chapter, doc.name, translated, existing, display_path(translated))
        synced, report, diags = done.sync, done.report, done.diagnostics
    else:
        return
    page = PageResult(doc.name, target, synced.status, created=existing is None)
    page.changed = write_text(target, synced.text)
    page.diagnostics = diags
    unpaired_warnings(synced, shown, page.diagnostics)
    result.pages.append(page)
    result.reports.append(report)
    result.diagnostics.extend(page.diagnostics)


def export_pages(
    book: Book, lang: str, docs: Sequence[Document], fmt: str, folder: Path
) -> list[tuple[Path, bool]]:
    """One PO or XLIFF file per page in ``folder``; for each, whether it changed."""
    from . import exchange

    written = []
    for doc in docs:
        page = _held(book, lang, doc)
        found = exchange.entries(page.chapter, page.pairs, display_path(doc.path))
        path = folder / f"{doc.name}{exchange.FORMATS[fmt]}"
        changed = exchange.write_exchange(fmt, path, doc.name, lang, book.config.name, found, page.orphans)
        written.append((path, changed))
    return written


def suggest_pages(
    book: Book, lang: str, docs: Sequence[Document], backend: Backend | None, threshold: float
) -> list[PageResult]:
    """Drafts for the untranslated and stale units of ``docs`` (see :mod:`polybook.i18n.memory`);
    the memory is every page's translated pairs."""
    pages = [_held(book, lang, doc) for doc in book.pages]
    memory = Memory.of([pair for page in pages for pair in page.pairs])
    languages = (book.config.languages[0], lang)
    results = []
    for page in (p for p in pages if p.doc in docs):
        result = PageResult(page.doc.name, page.target, None)
        if suggest(page.pairs, memory, backend=backend, languages=languages, threshold=threshold):
            text = render(page.chapter, page.pairs, page.orphans)
            if lost(page.kept, text, page.chapter.text):  # a draft only adds: this never happens
                raise TranslationLoss(
                    "a draft would replace a translation; nothing was written", path=str(page.target)
                )
            result.changed = write_text(page.target, text)
        existing = read_source(page.target) if page.target.is_file() else None
        shown, chapter_path = display_path(page.target), display_path(page.doc.path)
        result.status = sync_one(
            page.doc, page.chapter.text, existing, shown, chapter_path, write=False
        ).status
        results.append(result)
    return results


def report(lang: str, pages: Sequence[PageResult]) -> dict[str, object]:
    """A language's status as the JSON report holds it."""
    from .status import total_status

    statuses = [p.status for p in pages if p.status is not None]
    return {
        "language": lang,
        "pages": [{"page": s.page, **s.record()} for s in statuses],
        "total": total_status(lang, statuses).record(),
    }
